//! Dates from Unix nanoseconds, by arithmetic alone: a plugin has no clock, and its
//! reports must not depend on when they are drafted.

/// Nanoseconds in a day.
pub const DAY_NANOS: u64 = 86_400 * 1_000_000_000;

/// RFC 3339 in UTC to the second, e.g. `2025-03-14T09:26:53Z`.
pub fn rfc3339(unix_nano: u64) -> String {
    let secs = unix_nano / 1_000_000_000;
    let rem = secs % 86_400;
    format!("{}T{:02}:{:02}:{:02}Z", date(unix_nano), rem / 3_600, rem % 3_600 / 60, rem % 60)
}

/// The calendar date in UTC, e.g. `2025-03-14`.
pub fn date(unix_nano: u64) -> String {
    let (y, m, d) = civil_from_days(unix_nano / DAY_NANOS);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Year, month and day of the `days`th day after 1970-01-01 in the proleptic
/// Gregorian calendar (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400 * S), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_741_944_413 * S + 999_999_999), "2025-03-14T09:26:53Z");
        assert_eq!(rfc3339(4_107_542_399 * S), "2100-02-28T23:59:59Z");
        assert_eq!(date(1_735_689_599 * S), "2024-12-31");
    }

    #[test]
    fn days_roll_over_month_and_year_ends() {
        let eve = 1_735_603_200 * S; // 2024-12-31T00:00:00Z
        assert_eq!(rfc3339(eve + DAY_NANOS), "2025-01-01T00:00:00Z");
        assert_eq!(rfc3339(eve + 60 * DAY_NANOS), "2025-03-01T00:00:00Z");
    }
}
