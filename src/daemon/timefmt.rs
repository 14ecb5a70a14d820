//! Local-time and duration texts that supervisord shows to people: the
//! main log's timestamp, a stopped process's stop time, and a running
//! process's uptime (states.md §7, §9).
//!
//! 4.3 builds these with Python's `time.localtime`/`strftime` and
//! `datetime.timedelta`. Supervisor never calls `setlocale`, so month names
//! and AM/PM are always English; we format them ourselves rather than go
//! through `strftime(3)`, which would follow the C locale of the moment.
//! Breaking a time into local fields uses `localtime_r(3)`, which honours
//! `TZ` and `/etc/localtime` just as Python does.

use std::sync::Once;
use std::time::{SystemTime, UNIX_EPOCH};

const MONTH_ABBREVIATIONS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The fields of a moment in local time that our formats need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct LocalFields {
    year: i64,
    /// 1 to 12.
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

/// Seconds since the epoch (floored, so times before 1970 still land in
/// the right second) and the milliseconds into that second, truncated.
fn split_epoch(t: SystemTime) -> (i64, u32) {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_millis()),
        Err(e) => {
            let before = e.duration();
            let mut secs = -(before.as_secs() as i64);
            let mut nanos = before.subsec_nanos();
            if nanos > 0 {
                secs -= 1;
                nanos = 1_000_000_000 - nanos;
            }
            (secs, nanos / 1_000_000)
        }
    }
}

// POSIX, in every C library; the libc crate does not declare it.
unsafe extern "C" {
    fn tzset();
}

/// Breaks `secs` since the epoch into local-time fields. If the C library
/// cannot (a time far outside its range), the epoch's fields stand in:
/// a wrong date in a log line beats a daemon that stops.
fn local_fields(secs: i64) -> LocalFields {
    static TZSET: Once = Once::new();
    // SAFETY: tzset only reads TZ and the zone files into libc's state;
    // doing it once, before any localtime_r, is what POSIX asks for.
    TZSET.call_once(|| unsafe { tzset() });
    let time = secs as libc::time_t;
    // SAFETY: tm is plain data; localtime_r fills it in or returns null
    // and we then do not read it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe { !libc::localtime_r(&time, &mut tm).is_null() };
    if !ok {
        return LocalFields {
            year: 1970,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
        };
    }
    LocalFields {
        year: i64::from(tm.tm_year) + 1900,
        month: (tm.tm_mon + 1) as u32,
        day: tm.tm_mday as u32,
        hour: tm.tm_hour as u32,
        minute: tm.tm_min as u32,
        // A leap second (60) is kept as the C library reports it, as
        // Python's strftime does.
        second: tm.tm_sec as u32,
    }
}

fn format_log_timestamp(f: LocalFields, millis: u32) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02},{:03}",
        f.year, f.month, f.day, f.hour, f.minute, f.second, millis
    )
}

fn format_stop_time(f: LocalFields) -> String {
    let month = MONTH_ABBREVIATIONS[(f.month.clamp(1, 12) - 1) as usize];
    let hour12 = match f.hour % 12 {
        0 => 12,
        h => h,
    };
    let meridiem = if f.hour < 12 { "AM" } else { "PM" };
    format!(
        "{month} {:02} {hour12:02}:{:02} {meridiem}",
        f.day, f.minute
    )
}

/// The main log's timestamp: `YYYY-MM-DD HH:MM:SS,mmm` in local time, the
/// milliseconds truncated (4.3 uses `'%03d' % msecs`).
pub fn log_timestamp(t: SystemTime) -> String {
    let (secs, millis) = split_epoch(t);
    format_log_timestamp(local_fields(secs), millis)
}

/// A stopped process's description: Python's
/// `strftime('%b %d %I:%M %p')` of the stop time in local time, e.g.
/// `Nov 21 12:33 AM`.
pub fn stop_time(t: SystemTime) -> String {
    format_stop_time(local_fields(split_epoch(t).0))
}

/// An HTTP `Date:` / `Last-Modified:` value (RFC 1123, always GMT), e.g.
/// `Sat, 21 Nov 2026 10:04:05 GMT`.
pub fn http_date(t: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    let time = split_epoch(t).0 as libc::time_t;
    // SAFETY: tm is plain data; gmtime_r fills it in or returns null and
    // we then do not read it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    if unsafe { libc::gmtime_r(&time, &mut tm).is_null() } {
        return "Thu, 01 Jan 1970 00:00:00 GMT".to_string();
    }
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[tm.tm_wday.clamp(0, 6) as usize],
        tm.tm_mday,
        MONTH_ABBREVIATIONS[tm.tm_mon.clamp(0, 11) as usize],
        i64::from(tm.tm_year) + 1900,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}

/// The access log's time, `21/Nov/2026:10:04:05 +0100`: medusa prints
/// the UTC time with the local zone's offset (rpc.md §1), and so do we.
pub fn access_log_time(t: SystemTime) -> String {
    let secs = split_epoch(t).0;
    let time = secs as libc::time_t;
    // SAFETY: tm is plain data; gmtime_r/localtime_r fill it or return null.
    let mut utc: libc::tm = unsafe { std::mem::zeroed() };
    let mut local: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe {
        !libc::gmtime_r(&time, &mut utc).is_null()
            && !libc::localtime_r(&time, &mut local).is_null()
    };
    if !ok {
        return "01/Jan/1970:00:00:00 +0000".to_string();
    }
    let off = local.tm_gmtoff / 60;
    let sign = if off < 0 { '-' } else { '+' };
    format!(
        "{:02}/{}/{}:{:02}:{:02}:{:02} {sign}{:02}{:02}",
        utc.tm_mday,
        MONTH_ABBREVIATIONS[utc.tm_mon.clamp(0, 11) as usize],
        i64::from(utc.tm_year) + 1900,
        utc.tm_hour,
        utc.tm_min,
        utc.tm_sec,
        off.abs() / 60,
        off.abs() % 60
    )
}

/// A running process's uptime as `str(datetime.timedelta(seconds=secs))`:
/// `H:MM:SS`, `1 day, H:MM:SS`, `N days, H:MM:SS`. 4.3 subtracts the two
/// times truncated to whole seconds and shows a negative difference (the
/// clock was set back) as zero; the caller passes that difference.
pub fn uptime(secs: i64) -> String {
    let secs = secs.max(0);
    let days = secs / 86_400;
    let rest = secs % 86_400;
    let clock = format!("{}:{:02}:{:02}", rest / 3600, rest % 3600 / 60, rest % 60);
    match days {
        0 => clock,
        1 => format!("1 day, {clock}"),
        n => format!("{n} days, {clock}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn fields(year: i64, month: u32, day: u32, hour: u32, minute: u32) -> LocalFields {
        LocalFields {
            year,
            month,
            day,
            hour,
            minute,
            second: 7,
        }
    }

    #[test]
    fn http_dates_are_rfc_1123_in_gmt() {
        let t = UNIX_EPOCH + Duration::from_secs(1_795_226_645);
        assert_eq!(http_date(t), "Sat, 21 Nov 2026 02:04:05 GMT");
        assert_eq!(http_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn log_timestamp_pads_every_field_and_keeps_three_millisecond_digits() {
        assert_eq!(
            format_log_timestamp(fields(2026, 1, 2, 3, 4), 5),
            "2026-01-02 03:04:07,005"
        );
        assert_eq!(
            format_log_timestamp(fields(2026, 12, 31, 23, 59), 999),
            "2026-12-31 23:59:07,999"
        );
    }

    #[test]
    fn stop_time_uses_a_twelve_hour_clock_with_english_names() {
        assert_eq!(
            format_stop_time(fields(2026, 11, 21, 0, 33)),
            "Nov 21 12:33 AM"
        );
        assert_eq!(
            format_stop_time(fields(2026, 1, 5, 9, 7)),
            "Jan 05 09:07 AM"
        );
        assert_eq!(
            format_stop_time(fields(2026, 6, 30, 12, 0)),
            "Jun 30 12:00 PM"
        );
        assert_eq!(
            format_stop_time(fields(2026, 12, 1, 23, 59)),
            "Dec 01 11:59 PM"
        );
    }

    #[test]
    fn uptime_reads_like_python_timedelta() {
        assert_eq!(uptime(0), "0:00:00");
        assert_eq!(uptime(59), "0:00:59");
        assert_eq!(uptime(3600 + 2 * 60 + 3), "1:02:03");
        assert_eq!(uptime(86_399), "23:59:59");
        assert_eq!(uptime(86_400), "1 day, 0:00:00");
        assert_eq!(uptime(86_400 + 36_000 + 5), "1 day, 10:00:05");
        assert_eq!(uptime(3 * 86_400 + 61), "3 days, 0:01:01");
        assert_eq!(uptime(-5), "0:00:00");
    }

    #[test]
    fn milliseconds_are_truncated_not_rounded() {
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123) + Duration::from_micros(999);
        assert!(log_timestamp(t).ends_with(",123"), "{}", log_timestamp(t));
    }

    #[test]
    fn times_before_the_epoch_floor_to_the_earlier_second() {
        let t = UNIX_EPOCH - Duration::from_millis(250);
        assert_eq!(split_epoch(t), (-1, 750));
        assert_eq!(
            split_epoch(UNIX_EPOCH + Duration::from_millis(1500)),
            (1, 500)
        );
    }

    /// `date(1)` is an independent reading of the same zone settings.
    fn date_says(secs: i64, format: &str) -> Option<String> {
        let out = std::process::Command::new("date")
            .arg("-d")
            .arg(format!("@{secs}"))
            .arg(format!("+{format}"))
            .env("LC_ALL", "C")
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim_end().to_string())
    }

    #[test]
    fn local_time_agrees_with_date_command() {
        for secs in [0_i64, 1_700_000_000, 1_719_800_000, 1_735_689_599] {
            let t = UNIX_EPOCH + Duration::from_secs(secs as u64);
            let Some(expected) = date_says(secs, "%Y-%m-%d %H:%M:%S") else {
                return; // no GNU date here; the pure tests above still ran
            };
            assert_eq!(log_timestamp(t), format!("{expected},000"));
            let expected_stop = date_says(secs, "%b %d %I:%M %p").unwrap();
            assert_eq!(stop_time(t), expected_stop);
        }
    }
}
