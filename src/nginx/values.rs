//! nginx's value parsers (src/core/ngx_parse.c, ngx_string.c), with the same
//! acceptance rules: what nginx refuses, these refuse.

/// nginx's `NGX_MAX_INT_T_VALUE` on 64-bit builds.
const MAX_INT: i64 = i64::MAX;

/// `ngx_atoi`: decimal digits only, no sign, no overflow.
pub fn atoi(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `ngx_parse_size`: a number with an optional `k`/`K` or `m`/`M` suffix, in bytes.
pub fn parse_size(s: &str) -> Option<i64> {
    parse_scaled(s, &[(b'k', 1024), (b'm', 1024 * 1024)])
}

/// `ngx_parse_offset`: like a size, also with `g`/`G`.
pub fn parse_offset(s: &str) -> Option<i64> {
    parse_scaled(
        s,
        &[
            (b'k', 1024),
            (b'm', 1024 * 1024),
            (b'g', 1024 * 1024 * 1024),
        ],
    )
}

fn parse_scaled(s: &str, units: &[(u8, i64)]) -> Option<i64> {
    let last = *s.as_bytes().last()?;
    let (digits, scale) = match units.iter().find(|(u, _)| last.to_ascii_lowercase() == *u) {
        Some(&(_, scale)) => (&s[..s.len() - 1], scale),
        None => (s, 1),
    };
    let n = atoi(digits)?;
    if n > MAX_INT / scale {
        return None;
    }
    Some(n * scale)
}

/// `ngx_parse_time`: `1h 30m`, `500ms`, `10` (seconds). Units y M w d h m s (and ms
/// unless `is_sec`), each at most once, from the largest down; spaces may separate
/// them. Returns seconds when `is_sec`, milliseconds otherwise. With milliseconds,
/// years and months are refused (nginx starts such a scan at "month").
pub fn parse_time(s: &str, is_sec: bool) -> Option<i64> {
    #[derive(PartialEq, PartialOrd, Clone, Copy)]
    enum Step {
        Start,
        Year,
        Month,
        Week,
        Day,
        Hour,
        Min,
        Sec,
        Msec,
        Last,
    }
    let b = s.as_bytes();
    let mut step = if is_sec { Step::Start } else { Step::Month };
    let (mut value, mut total, mut valid) = (0i64, 0i64, false);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() {
            value = value.checked_mul(10)?.checked_add((c - b'0') as i64)?;
            valid = true;
            i += 1;
            continue;
        }
        i += 1;
        let (next, mut scale) = match c {
            b'y' if step == Step::Start => (Step::Year, 60 * 60 * 24 * 365),
            b'M' if step < Step::Month => (Step::Month, 60 * 60 * 24 * 30),
            b'w' if step < Step::Week => (Step::Week, 60 * 60 * 24 * 7),
            b'd' if step < Step::Day => (Step::Day, 60 * 60 * 24),
            b'h' if step < Step::Hour => (Step::Hour, 60 * 60),
            b'm' if b.get(i) == Some(&b's') => {
                if is_sec || step >= Step::Msec {
                    return None;
                }
                i += 1;
                (Step::Msec, 1)
            }
            b'm' if step < Step::Min => (Step::Min, 60),
            b's' if step < Step::Sec => (Step::Sec, 1),
            b' ' if step < Step::Sec => (Step::Last, 1),
            _ => return None,
        };
        step = next;
        if step != Step::Msec && !is_sec {
            scale *= 1000;
        }
        total = total.checked_add(value.checked_mul(scale)?)?;
        value = 0;
        while b.get(i) == Some(&b' ') {
            i += 1;
        }
    }
    if !valid {
        return None;
    }
    if !is_sec {
        value = value.checked_mul(1000)?;
    }
    total.checked_add(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_follow_nginx_order_rules() {
        assert_eq!(parse_time("10", false), Some(10_000));
        assert_eq!(parse_time("500ms", false), Some(500));
        assert_eq!(parse_time("1h 30m", false), Some(5_400_000));
        assert_eq!(parse_time("1h30m", true), Some(5_400));
        assert_eq!(parse_time("1d", true), Some(86_400));
        assert_eq!(parse_time("1y", true), Some(31_536_000));
        assert_eq!(parse_time("30m1h", false), None, "units must decrease");
        assert_eq!(parse_time("1s1s", false), None, "each unit once");
        assert_eq!(parse_time("1M", false), None, "no months in ms values");
        assert_eq!(parse_time("1y", false), None, "no years in ms values");
        assert_eq!(parse_time("5ms", true), None, "no ms in s values");
        assert_eq!(parse_time("10x", false), None);
        assert_eq!(parse_time("s", false), None);
        assert_eq!(parse_time("", false), None);
        assert_eq!(parse_time("1S", false), None, "units are case-sensitive");
    }

    #[test]
    fn sizes_and_offsets() {
        assert_eq!(parse_size("4k"), Some(4096));
        assert_eq!(parse_size("1M"), Some(1 << 20));
        assert_eq!(parse_size("0"), Some(0));
        assert_eq!(parse_size("1g"), None);
        assert_eq!(parse_offset("1g"), Some(1 << 30));
        assert_eq!(parse_size("k"), None);
        assert_eq!(parse_size("-1"), None);
        assert_eq!(parse_size("10x"), None);
        assert_eq!(parse_size("99999999999999999999"), None);
    }
}
