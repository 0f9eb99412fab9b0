#!/usr/bin/env python3
"""Time VADER's polarity_scores on texts read from standard input.

Standard input is a JSON array of strings. The script scores every text once
untimed, then times `--passes` passes over all of them with
time.perf_counter. It prints one JSON object: the vaderSentiment version, the
Python version, the number of texts, the seconds of each pass, and the sum of
the compound scores of the untimed pass. The analyser loads its lexicon
before timing starts.

The engine benchmark (`tests/bin/bench_ai`) runs this script; it needs
`pip install vaderSentiment==3.3.2`.
"""

import argparse
import importlib.metadata
import json
import platform
import sys
import time

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--passes", type=int, default=3, help="timed passes over all texts (default: 3)"
    )
    arguments = parser.parse_args()
    if arguments.passes < 1:
        parser.error("--passes must be at least 1")

    texts = json.load(sys.stdin)
    if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
        sys.exit("bench-vader: standard input must be a JSON array of strings")

    analyzer = SentimentIntensityAnalyzer()
    compound_sum = sum(analyzer.polarity_scores(text)["compound"] for text in texts)

    pass_seconds = []
    for _ in range(arguments.passes):
        started = time.perf_counter()
        for text in texts:
            analyzer.polarity_scores(text)
        pass_seconds.append(time.perf_counter() - started)

    json.dump(
        {
            "version": importlib.metadata.version("vaderSentiment"),
            "python": platform.python_version(),
            "texts": len(texts),
            "pass_seconds": pass_seconds,
            "compound_sum": compound_sum,
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
