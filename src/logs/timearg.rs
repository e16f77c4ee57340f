//! `--since` / `--until` values. Log times carry no zone, so a time argument is compared
//! with them as written: naive local time, encoded like the records (seconds as if UTC).

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// Parses `2024-05-01T12:00:00`, `2024-05-01 12:00[:00]`, `2024-05-01`, RFC 3339 with an
/// offset (converted to local time), or a duration ago (`90s`, `30m`, `2h`, `7d`) from `now`.
pub fn parse(s: &str, now: NaiveDateTime) -> Result<i64, String> {
    let s = s.trim();
    if let Some(ago) = duration_ago(s) {
        return Ok(now.and_utc().timestamp() - ago);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t
            .with_timezone(&chrono::Local)
            .naive_local()
            .and_utc()
            .timestamp());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(t.and_utc().timestamp());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d
            .and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp()));
    }
    Err(format!(
        "`{s}` is not a time (use 2024-05-01T12:00:00, 2024-05-01, RFC 3339, or 30m / 2h / 7d ago)"
    ))
}

/// A duration ago: digits and a unit. A sign is not a duration (`-1h` parsed as -1 hour
/// ago would be an hour in the future).
fn duration_ago(s: &str) -> Option<i64> {
    let unit = s.chars().last()?;
    let digits = &s[..s.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    let secs = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return None,
    };
    n.checked_mul(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let now =
            NaiveDateTime::parse_from_str("2024-05-01 12:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        let noon = now.and_utc().timestamp();
        assert_eq!(parse("2024-05-01T12:00:00", now), Ok(noon));
        assert_eq!(parse("2024-05-01 12:00", now), Ok(noon));
        assert_eq!(parse("2h", now), Ok(noon - 7200));
        assert_eq!(parse("2024-05-01", now), Ok(noon - 43_200));
        assert!(parse("yesterday", now).is_err());
    }

    /// `--since=-1h` was one hour in the future.
    #[test]
    fn signed_durations_are_refused() {
        let now =
            NaiveDateTime::parse_from_str("2024-05-01 12:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        assert!(parse("-1h", now).is_err());
        assert!(parse("+1h", now).is_err());
        assert!(parse("h", now).is_err());
    }
}
