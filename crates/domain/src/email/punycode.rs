//! The length of a label's Punycode encoding (RFC 3492), which decides
//! whether an internationalised domain label fits the 63-octet DNS limit.

const BASE: u32 = 36;
const T_MIN: u32 = 1;
const T_MAX: u32 = 26;
const SKEW: u32 = 38;
const DAMP: u32 = 700;
const INITIAL_BIAS: u32 = 72;
const INITIAL_N: u32 = 0x80;

/// Returns the length of the Punycode encoding of `label`, without the
/// `xn--` prefix, or `None` when the encoder's arithmetic overflows, which
/// only happens for inputs far longer than any valid label.
pub(super) fn encoded_len(label: &str) -> Option<usize> {
    encode(label).map(|encoded| encoded.len())
}

/// Encodes `label` as Punycode (RFC 3492 section 6.3).
fn encode(label: &str) -> Option<String> {
    let code_points: Vec<u32> = label.chars().map(u32::from).collect();
    let mut output: String = label.chars().filter(char::is_ascii).collect();
    let basic_count = u32::try_from(output.len()).ok()?;
    if basic_count > 0 {
        output.push('-');
    }

    let total = u32::try_from(code_points.len()).ok()?;
    let mut handled = basic_count;
    let mut n = INITIAL_N;
    let mut delta: u32 = 0;
    let mut bias = INITIAL_BIAS;
    while handled < total {
        let next = code_points.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((next - n).checked_mul(handled + 1)?)?;
        n = next;
        for &code_point in &code_points {
            if code_point < n {
                delta = delta.checked_add(1)?;
            }
            if code_point == n {
                push_variable_length_integer(&mut output, delta, bias);
                bias = adapt(delta, handled + 1, handled == basic_count);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(output)
}

fn push_variable_length_integer(output: &mut String, value: u32, bias: u32) {
    let mut remaining = value;
    let mut k = BASE;
    loop {
        let threshold = if k <= bias {
            T_MIN
        } else if k >= bias + T_MAX {
            T_MAX
        } else {
            k - bias
        };
        if remaining < threshold {
            break;
        }
        output.push(digit(
            threshold + (remaining - threshold) % (BASE - threshold),
        ));
        remaining = (remaining - threshold) / (BASE - threshold);
        k += BASE;
    }
    output.push(digit(remaining));
}

fn adapt(delta: u32, point_count: u32, first_time: bool) -> u32 {
    let mut delta = if first_time { delta / DAMP } else { delta / 2 };
    delta += delta / point_count;
    let mut k = 0;
    while delta > ((BASE - T_MIN) * T_MAX) / 2 {
        delta /= BASE - T_MIN;
        k += BASE;
    }
    k + (BASE - T_MIN + 1) * delta / (delta + SKEW)
}

/// Maps 0–25 to `a`–`z` and 26–35 to `0`–`9`.
fn digit(value: u32) -> char {
    let byte = match value {
        0..=25 => b'a' + value as u8,
        _ => b'0' + (value - 26) as u8,
    };
    char::from(byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_known_labels() {
        assert_eq!(encode("bücher").as_deref(), Some("bcher-kva"));
        assert_eq!(encode("münchen").as_deref(), Some("mnchen-3ya"));
        assert_eq!(encode("例え").as_deref(), Some("r8jz45g"));
        assert_eq!(encode("ü").as_deref(), Some("tda"));
    }

    #[test]
    fn encodes_rfc3492_sample() {
        // Sample (A) of RFC 3492 section 7.1, Arabic (Egyptian).
        let arabic = "\u{0644}\u{064A}\u{0647}\u{0645}\u{0627}\u{0628}\u{062A}\u{0643}\u{0644}\
                      \u{0645}\u{0648}\u{0634}\u{0639}\u{0631}\u{0628}\u{064A}\u{061F}";
        assert_eq!(encode(arabic).as_deref(), Some("egbpdaj6bu4bxfgehfvwxn"));
    }

    #[test]
    fn digit_covers_both_ranges() {
        assert_eq!(digit(0), 'a');
        assert_eq!(digit(25), 'z');
        assert_eq!(digit(26), '0');
        assert_eq!(digit(35), '9');
    }
}
