#!/usr/bin/env python3
"""Load one lead per text of a TSV file through POST /api/leads, then read a
random sample back and check that every field was stored as sent.

The TSV has the header line ``id<TAB>mean_rating<TAB>text`` and no quoting:
each line is split on tabs and the text is everything after the second tab.
Each text becomes the ``notes`` of a lead whose name, email, phone, company
and source are generated from ``--seed``, so two runs with the same seed post
the same bodies. Emails carry the seed and the row number in a ``+tag``, so
runs with different seeds can share a database without ``409`` conflicts,
while a second run with the same seed posts the same emails again.

Requests go over keep-alive connections, one ``http.client.HTTPConnection``
per worker thread. The exit status is 0 when every POST returned 201 and every
sampled lead matched, 1 otherwise, and 2 when the input or the server could
not be used at all.

Standard library only (Python 3.11).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import queue
import random
import sys
import threading
import time
import unicodedata
import urllib.parse
from dataclasses import dataclass, field

HEADER = ["id", "mean_rating", "text"]
MAX_NOTES_CHARS = 1000
SOURCES = ["website", "social", "referral", "email", "phone"]

# Domains reserved for documentation (RFC 2606 and RFC 6761), so no generated
# address names a real mailbox. Gmail addresses are left out on purpose: the
# server compares them without dots and `+tag`, which would turn the unique
# addresses into duplicates.
EMAIL_DOMAINS = [
    "example.com",
    "example.org",
    "example.net",
    "mail.example.com",
    "corp.example.net",
]

FIRST_NAMES = [
    "Amelia", "Benjamin", "Chloé", "Daniel", "Elena", "Farid", "Grace", "Hiroshi",
    "Ingrid", "James", "Kwame", "Laura", "Mateo", "Nadia", "Oliver", "Priya",
    "Quentin", "Rosa", "Samuel", "Tomás", "Uma", "Victor", "Wei", "Ximena",
    "Yusuf", "Zoë", "Aisha", "Björn", "Camille", "Dmitri", "Emma", "François",
    "Giulia", "Hannah", "Isabel", "José", "Katarzyna", "Liam", "Mei", "Noah",
]

LAST_NAMES = [
    "Anderson", "Bianchi", "Chen", "Dubois", "Eriksson", "Fernández", "García",
    "Hoffmann", "Ivanova", "Johnson", "Kowalski", "López", "Müller", "Nakamura",
    "O'Brien", "Patel", "Quinn", "Rossi", "Schmidt", "Tanaka", "Umarov",
    "Van der Berg", "Williams", "Xu", "Yamamoto", "Zimmermann", "Okafor",
    "Nguyễn", "Søndergaard", "Da Silva",
]

# Letters that Unicode does not decompose into a base letter and an accent.
LETTERS_WITHOUT_DECOMPOSITION = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "ł": "l", "đ": "d"})

COMPANY_WORDS = [
    "Northwind", "Bluepeak", "Silverline", "Brightwater", "Redwood", "Ironbridge",
    "Suncrest", "Greenfield", "Stonegate", "Clearview", "Harbor", "Summit",
    "Riverbend", "Oakridge", "Lakeshore", "Westbrook",
]
COMPANY_TRADES = [
    "Analytics", "Logistics", "Software", "Health", "Energy", "Foods",
    "Consulting", "Robotics", "Media", "Outfitters", "Biotech", "Capital",
]
COMPANY_SUFFIXES = ["Inc.", "LLC", "Ltd", "GmbH", "S.A.", "AB", "Co.", "Group"]

# Country calling codes with the number of national digits after them, so that
# every number fits E.164 (at most 15 digits) and the API's phone pattern.
PHONE_PLANS = [("1", 10), ("44", 10), ("49", 11), ("33", 9), ("81", 10), ("61", 9)]
PHONE_SHARE = 0.7


@dataclass
class Lead:
    """A lead body as posted, with the `id` column of the row it came from."""

    row_id: str
    body: dict[str, str]


@dataclass
class PostResult:
    """The outcome of one POST: the status (None on a connection error) and
    either the created id or the response body."""

    status: int | None
    lead_id: str | None = None
    created_at: str | None = None
    body: str = ""


@dataclass
class Failures:
    """POST failures grouped by status code or error name, with the first
    response body or error message of each group."""

    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, example: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1
        self.examples.setdefault(key, example)

    def total(self) -> int:
        return sum(self.counts.values())


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Post one lead per text of a TSV file to POST /api/leads and "
        "check a random sample of them through GET /api/leads/{id}.",
    )
    parser.add_argument("tsv", metavar="PATH.tsv", help="TSV file with the header id, mean_rating, text")
    parser.add_argument(
        "--base-url",
        default="http://127.0.0.1:8000",
        help="base URL of the API, http only (default: %(default)s)",
    )
    parser.add_argument(
        "--sample",
        type=int,
        default=50,
        metavar="N",
        help="number of created leads to read back and compare; 0 skips the check (default: %(default)s)",
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=4,
        metavar="C",
        help="worker threads, each with its own keep-alive connection (default: %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=1,
        help="seed for the generated fields and the sample (default: %(default)s)",
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get("CLOUDVELOUS_API_KEY"),
        help="value of the X-API-Key header; defaults to the CLOUDVELOUS_API_KEY "
        "environment variable, and no header is sent when neither is set",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="socket timeout of each request, in seconds (default: %(default)s)",
    )

    args = parser.parse_args(argv)
    if args.sample < 0:
        parser.error(f"--sample must be 0 or more, got {args.sample}")
    if args.connections < 1:
        parser.error(f"--connections must be at least 1, got {args.connections}")
    if args.timeout <= 0:
        parser.error(f"--timeout must be positive, got {args.timeout}")
    return args


def read_rows(path: str) -> tuple[list[tuple[str, str]], int]:
    """Return the (id, text) pairs of the TSV file and the number of malformed
    rows, which have fewer than three columns and are skipped."""
    with open(path, encoding="utf-8", newline="") as file:
        lines = file.read().split("\n")
    header = lines[0].rstrip("\r").split("\t") if lines else []
    if header != HEADER:
        raise ValueError(f"{path}: expected the header {HEADER}, found {header}")

    rows = []
    malformed = 0
    for line in lines[1:]:
        line = line.rstrip("\r")
        if not line:
            continue
        columns = line.split("\t", 2)
        if len(columns) < 3:
            malformed += 1
            continue
        rows.append((columns[0], columns[2]))
    return rows, malformed


def ascii_word(text: str) -> str:
    """Lower-case ASCII letters of `text` with accents removed, for an email
    local part ("Nguyễn" becomes "nguyen", "O'Brien" becomes "obrien")."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(LETTERS_WITHOUT_DECOMPOSITION))
    return "".join(c for c in decomposed if "a" <= c <= "z")


def generate_phone(rng: random.Random) -> str:
    country, digits = rng.choice(PHONE_PLANS)
    # Numbers in international format drop the national trunk prefix 0, so the
    # national part starts with 1 to 9.
    national = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(digits - 1))
    return f"+{country}{national}"


def generate_company(rng: random.Random) -> str:
    return f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_TRADES)} {rng.choice(COMPANY_SUFFIXES)}"


def generate_leads(rows: list[tuple[str, str]], seed: int) -> tuple[list[Lead], int]:
    """Build one lead body per text and return them with the number of texts
    cut to the API's notes limit of 1000 characters.

    Sources cycle through the five values, so their counts differ by at most
    one. About 70% of the leads get a phone number, so the check also covers
    leads without one.
    """
    rng = random.Random(seed)
    leads = []
    truncated = 0
    for position, (row_id, text) in enumerate(rows):
        # Python counts code points, which for valid UTF-8 are the Unicode
        # scalar values that the API counts.
        if len(text) > MAX_NOTES_CHARS:
            text = text[:MAX_NOTES_CHARS]
            truncated += 1

        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        domain = rng.choice(EMAIL_DOMAINS)
        body = {
            "name": f"{first} {last}",
            "email": f"{ascii_word(first)}.{ascii_word(last)}+{seed}-{position}@{domain}",
            "company": generate_company(rng),
            "source": SOURCES[position % len(SOURCES)],
            "notes": text,
        }
        if rng.random() < PHONE_SHARE:
            body["phone"] = generate_phone(rng)
        leads.append(Lead(row_id=row_id, body=body))
    return leads, truncated


class Api:
    """Connection settings of the API: host, port, path prefix, socket timeout
    and the headers that every request carries."""

    def __init__(self, base_url: str, api_key: str | None, timeout: float):
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"--base-url must be an http:// URL with a host, got {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self.headers = {"Accept": "application/json"}
        if api_key:
            self.headers["X-API-Key"] = api_key

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def path(self, suffix: str) -> str:
        return f"{self.prefix}{suffix}"


def request(
    connection: http.client.HTTPConnection,
    api: Api,
    method: str,
    path: str,
    body: bytes | None = None,
) -> tuple[int, str, str | None]:
    """Send one request and read the whole response, so that the connection
    can carry the next one. Return the status, the body and `Location`."""
    headers = dict(api.headers)
    if body is not None:
        headers["Content-Type"] = "application/json"
    connection.request(method, api.path(path), body=body, headers=headers)
    response = connection.getresponse()
    text = response.read().decode("utf-8", errors="replace")
    return response.status, text, response.getheader("Location")


def check_reachable(api: Api) -> None:
    """Raise ConnectionError unless GET /health gets any HTTP response."""
    connection = api.connect()
    try:
        request(connection, api, "GET", "/health")
    except (OSError, http.client.HTTPException) as error:
        raise ConnectionError(
            f"no HTTP response from {api.host}:{api.port}: {error}. Start the server first "
            "(see the test-host command in docs/benchmarks.md)."
        ) from error
    finally:
        connection.close()


def post_one(connection: http.client.HTTPConnection, api: Api, lead: Lead) -> PostResult:
    payload = json.dumps(lead.body, ensure_ascii=False).encode("utf-8")
    status, text, location = request(connection, api, "POST", "/api/leads", payload)
    if status != 201:
        return PostResult(status=status, body=text)
    try:
        acknowledgement = json.loads(text)
        lead_id = acknowledgement["id"]
        created_at = acknowledgement["created_at"]
    except (ValueError, KeyError, TypeError):
        return PostResult(status=status, body=f"201 without an id and created_at: {text}")
    if location != f"/api/leads/{lead_id}":
        return PostResult(status=status, body=f"201 with Location {location!r} for id {lead_id!r}")
    return PostResult(status=201, lead_id=lead_id, created_at=created_at)


def post_worker(
    api: Api,
    leads: list[Lead],
    pending: queue.SimpleQueue[int],
    results: list[PostResult | None],
    latencies: list[float],
) -> None:
    """Post leads taken from `pending` until it is empty.

    A connection error is recorded for that lead and the next request opens a
    new connection. A POST is never retried, because the server may already
    have stored it.
    """
    connection = api.connect()
    try:
        while True:
            try:
                index = pending.get_nowait()
            except queue.Empty:
                return
            started = time.perf_counter()
            try:
                results[index] = post_one(connection, api, leads[index])
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                results[index] = PostResult(status=None, body=f"{type(error).__name__}: {error}")
            latencies.append(time.perf_counter() - started)
    finally:
        connection.close()


def post_all(api: Api, leads: list[Lead], connections: int) -> tuple[list[PostResult], list[float], float]:
    """Post every lead over `connections` threads and return the results in
    row order, the latencies in seconds and the elapsed seconds."""
    pending: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(len(leads)):
        pending.put(index)
    results: list[PostResult | None] = [None] * len(leads)
    per_worker: list[list[float]] = [[] for _ in range(connections)]
    workers = [
        threading.Thread(target=post_worker, args=(api, leads, pending, results, per_worker[n]), daemon=True)
        for n in range(connections)
    ]

    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started

    finished = [r if r is not None else PostResult(status=None, body="not sent") for r in results]
    return finished, [latency for latencies in per_worker for latency in latencies], elapsed


def compare_lead(sent: dict[str, str], result: PostResult, stored: dict) -> list[str]:
    """Return one line per field of the stored lead that differs from what was
    sent or acknowledged. An empty list means that the lead matches."""
    expected: dict[str, object] = dict(sent)
    expected["id"] = result.lead_id
    expected["status"] = "new"
    expected["created_at"] = result.created_at

    differences = []
    for name in ["id", "name", "email", "phone", "company", "source", "status", "notes", "created_at"]:
        want = expected.get(name)
        got = stored.get(name)
        if want != got:
            differences.append(f"{name}: sent {shorten(want)}, stored {shorten(got)}")
    return differences


def shorten(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_sample(
    api: Api,
    leads: list[Lead],
    results: list[PostResult],
    size: int,
    seed: int,
) -> tuple[int, list[str]]:
    """Read back a random sample of the created leads over one connection.
    Return how many were checked and one report line per mismatched lead."""
    created = [index for index, result in enumerate(results) if result.lead_id is not None]
    sample = random.Random(seed).sample(created, min(size, len(created)))

    mismatches = []
    connection = api.connect()
    try:
        for index in sample:
            result = results[index]
            label = f"id {leads[index].row_id} ({result.lead_id})"
            try:
                status, text, _ = request(connection, api, "GET", f"/api/leads/{result.lead_id}")
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                mismatches.append(f"{label}: {type(error).__name__}: {error}")
                continue
            if status != 200:
                mismatches.append(f"{label}: GET returned {status}: {shorten(text, 300)}")
                continue
            try:
                stored = json.loads(text)
            except ValueError:
                mismatches.append(f"{label}: GET body is not JSON: {shorten(text, 300)}")
                continue
            differences = compare_lead(leads[index].body, result, stored)
            if differences:
                mismatches.append(f"{label}: " + "; ".join(differences))
    finally:
        connection.close()
    return len(sample), mismatches


def percentile(sorted_values: list[float], percent: float) -> float:
    """Return the nearest-rank percentile of an ascending list, or NaN when
    the list is empty."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(percent / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def tally_failures(results: list[PostResult]) -> Failures:
    failures = Failures()
    for result in results:
        if result.status == 201 and result.lead_id is not None:
            continue
        key = str(result.status) if result.status is not None else "connection error"
        failures.add(key, result.body)
    return failures


def print_report(
    rows: int,
    malformed: int,
    results: list[PostResult],
    failures: Failures,
    truncated: int,
    checked: int,
    mismatches: list[str],
    latencies: list[float],
    post_seconds: float,
    total_seconds: float,
) -> None:
    created = sum(1 for result in results if result.lead_id is not None)
    latencies_ms = sorted(latency * 1000 for latency in latencies)
    rate = len(results) / post_seconds if post_seconds > 0 else math.nan

    print(f"rows read:              {rows}")
    if malformed:
        print(f"malformed rows skipped: {malformed}")
    print(f"posted:                 {len(results)}")
    print(f"created (201):          {created}")
    print(f"failed:                 {failures.total()}")
    for key in sorted(failures.counts):
        print(f"  {key}: {failures.counts[key]}, for example: {shorten(failures.examples[key], 300)}")
    print(f"notes truncated:        {truncated}")
    print(f"sample checked:         {checked}")
    print(f"sample mismatched:      {len(mismatches)}")
    for line in mismatches:
        print(f"  {line}")
    print(f"POST phase seconds:     {post_seconds:.2f}")
    print(f"total seconds:          {total_seconds:.2f}")
    print(f"POST requests/s:        {rate:.1f}")
    print(
        "POST latency ms:        "
        f"p50 {percentile(latencies_ms, 50):.1f}, "
        f"p95 {percentile(latencies_ms, 95):.1f}, "
        f"p99 {percentile(latencies_ms, 99):.1f}"
    )


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        api = Api(args.base_url, args.api_key, args.timeout)
        rows, malformed = read_rows(args.tsv)
        check_reachable(api)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    leads, truncated = generate_leads(rows, args.seed)
    results, latencies, post_seconds = post_all(api, leads, args.connections)
    checked, mismatches = check_sample(api, leads, results, args.sample, args.seed)
    total_seconds = time.perf_counter() - started

    failures = tally_failures(results)
    print_report(
        len(rows) + malformed, malformed, results, failures, truncated, checked, mismatches,
        latencies, post_seconds, total_seconds,
    )
    return 1 if failures.total() or mismatches else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
