//! The C library's number parsing as httpd's handlers use it (`atoi`, `atol`, `atof`,
//! `apr_strtoi64`) and `ap_timeout_parameter_parse` (server/util.c): text after the
//! number is ignored, text without a number is 0, and glibc's overflow behaviour is
//! kept (`strtol` saturates; `atoi` truncates that to `int`).

use super::args::is_space;

/// `strtol(s, &end, 10)` on glibc: the saturated value and the unparsed rest, or
/// `None` when no digit was read (then `end` is `s`). `overflow` tells ERANGE.
pub(crate) fn strtol(s: &str) -> (Option<i64>, &str, bool) {
    let t = s.trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8));
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let len = digits.bytes().take_while(u8::is_ascii_digit).count();
    if len == 0 {
        return (None, s, false);
    }
    let mut value: i64 = 0;
    let mut overflow = false;
    for b in digits.bytes().take(len) {
        let d = i64::from(b - b'0');
        value = match value.checked_mul(10).and_then(|v| {
            if negative {
                v.checked_sub(d)
            } else {
                v.checked_add(d)
            }
        }) {
            Some(v) => v,
            None => {
                overflow = true;
                if negative { i64::MIN } else { i64::MAX }
            }
        };
        if overflow {
            break;
        }
    }
    (Some(value), &digits[len..], overflow)
}

/// `atol`: `strtol` without error reporting.
pub(crate) fn atol(s: &str) -> i64 {
    strtol(s).0.unwrap_or(0)
}

/// `atoi`: glibc's `(int) strtol(s, NULL, 10)`, truncated like the C cast.
pub(crate) fn atoi(s: &str) -> i32 {
    atol(s) as i32
}

/// `atof` for the decimal forms configurations use (`1.5`, `2e1`); `inf` and `nan`,
/// which no handler accepts as a sensible value, read as NaN.
pub(crate) fn atof(s: &str) -> f64 {
    let t = s.trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8));
    let lower = t.get(..3).map(str::to_ascii_lowercase);
    let unsigned = lower.as_deref().map(|l| l.trim_start_matches(['+', '-']));
    if matches!(unsigned, Some(u) if u.starts_with("in") || u.starts_with("na")) {
        return f64::NAN;
    }
    // The longest prefix that is a decimal float.
    let bytes = t.as_bytes();
    let mut end = 0;
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        end = 1;
    }
    let int_digits = bytes[end..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    end += int_digits;
    let mut frac_digits = 0;
    if bytes.get(end) == Some(&b'.') {
        frac_digits = bytes[end + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        end += 1 + frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return 0.0;
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let mut exp_end = end + 1;
        if matches!(bytes.get(exp_end), Some(b'+' | b'-')) {
            exp_end += 1;
        }
        let exp_digits = bytes[exp_end.min(bytes.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if exp_digits > 0 {
            end = exp_end + exp_digits;
        }
    }
    t[..end].parse().unwrap_or(0.0)
}

/// The unit a bare number means in `ap_timeout_parameter_parse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Seconds,
    Milliseconds,
}

/// `ap_timeout_parameter_parse`: a non-negative number with an optional unit (`ms`,
/// `s`, `mi`, `h`; only the first letters are looked at) in microseconds, `None` for
/// httpd's error (bad unit, negative, overflow).
pub(crate) fn timeout_parameter(s: &str, default: Unit) -> Option<i64> {
    let (value, rest, overflow) = strtol(s);
    if overflow {
        return None;
    }
    let value = value.unwrap_or(0);
    // Without digits strtol leaves the whole text as the unit.
    let unit = if rest.is_empty() {
        match default {
            Unit::Seconds => "s",
            Unit::Milliseconds => "ms",
        }
    } else {
        rest
    };
    if value < 0 {
        return None;
    }
    const USEC: i64 = 1_000_000;
    let (limit, factor) = match unit.as_bytes() {
        [b's', ..] => (i64::MAX / USEC, USEC),
        [b'h', ..] => ((i64::MAX / 3600) / USEC, 3600 * USEC),
        [b'm', b's', ..] => (i64::MAX / 1000, 1000),
        [b'm', b'i', ..] => ((i64::MAX / 60) / USEC, 60 * USEC),
        _ => return None,
    };
    (value <= limit).then(|| value.saturating_mul(factor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_reads_a_prefix_like_c() {
        assert_eq!(atoi("42"), 42);
        assert_eq!(atoi("  -7x"), -7);
        assert_eq!(atoi("+3"), 3);
        assert_eq!(atoi("500ms"), 500);
        assert_eq!(atoi("abc"), 0);
        assert_eq!(atoi(""), 0);
        // strtol saturates at LONG_MAX; the int cast keeps the low 32 bits.
        assert_eq!(atoi("99999999999999999999"), -1);
        assert_eq!(atoi("4294967297"), 1);
        assert_eq!(atol("99999999999999999999"), i64::MAX);
        assert_eq!(atol("-99999999999999999999"), i64::MIN);
    }

    #[test]
    fn atof_reads_decimal_prefixes() {
        assert_eq!(atof("1.5"), 1.5);
        assert_eq!(atof(" 2e1x"), 20.0);
        assert_eq!(atof(".5"), 0.5);
        assert_eq!(atof("7."), 7.0);
        assert_eq!(atof("x"), 0.0);
        assert_eq!(atof("1e"), 1.0);
        assert!(atof("inf").is_nan());
        assert!(atof("-NaN").is_nan());
    }

    #[test]
    fn timeouts_take_units() {
        assert_eq!(timeout_parameter("5", Unit::Seconds), Some(5_000_000));
        assert_eq!(timeout_parameter("5", Unit::Milliseconds), Some(5_000));
        assert_eq!(timeout_parameter("5ms", Unit::Seconds), Some(5_000));
        assert_eq!(timeout_parameter("2mi", Unit::Seconds), Some(120_000_000));
        assert_eq!(timeout_parameter("2min", Unit::Seconds), Some(120_000_000));
        assert_eq!(timeout_parameter("1h", Unit::Seconds), Some(3_600_000_000));
        // Only the first letters count.
        assert_eq!(
            timeout_parameter("3sec", Unit::Milliseconds),
            Some(3_000_000)
        );
        assert_eq!(timeout_parameter("", Unit::Seconds), Some(0));
    }

    #[test]
    fn bad_timeouts_are_refused() {
        assert_eq!(timeout_parameter("5m", Unit::Seconds), None);
        assert_eq!(timeout_parameter("5 s", Unit::Seconds), None);
        assert_eq!(timeout_parameter("-1", Unit::Seconds), None);
        assert_eq!(timeout_parameter("abc", Unit::Seconds), None);
        assert_eq!(
            timeout_parameter("99999999999999999999", Unit::Seconds),
            None
        );
        assert_eq!(timeout_parameter("9223372036855", Unit::Seconds), None);
    }
}
