//! Quiet hours (`docs/channels.md`): a daily window, on the recipient's wall clock, in which
//! non-critical notifications wait until the window ends.
//!
//! The window is `[start, end)` in local time: `start` is inside, `end` is not, so a
//! job rescheduled to the end is delivered when it comes back. `start > end` wraps
//! midnight (`22:00`–`07:00`). Whether an instant is inside is decided by the wall
//! clock the recipient sees at that instant, so DST needs no special case there.
//!
//! The end is the hard part on the two days a year the wall clock jumps:
//! - **spring forward** — the end's local time may not exist (`02:30` in New York on
//!   the second Sunday of March): the window ends at the first instant after the gap
//!   (`03:00` local, the moment the clock jumps);
//! - **fall back** — the end's local time may happen twice (`01:30` in New York on the
//!   first Sunday of November): the window ends at the *first* of the two that is
//!   still ahead. From the first pass that is the earlier one (the recipient's night
//!   is not stretched by an hour); from the repeated hour it is the later one, so the
//!   end is always after the instant asked about and a deferred job never loops.
//!
//! An absent `recipient.timezone` means UTC. The zone is parsed once, when the
//! notification is read (`notification::Notification`); the API refuses names the tz
//! database does not know, so only an older worker's database can miss one, and then
//! the window is read in UTC.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
pub use chrono_tz::Tz;

use crate::notification::{QuietHours, TimeOfDay};

/// The longest wall-clock gap searched for the first valid instant after a
/// non-existent local time. Real DST gaps are an hour (Lord Howe: 30 minutes); the
/// longest on record is a skipped calendar day (Samoa, 2011).
const MAX_GAP_MINUTES: i64 = 48 * 60;

fn naive(t: TimeOfDay) -> NaiveTime {
    NaiveTime::from_hms_opt(u32::from(t.hour), u32::from(t.minute), 0).unwrap_or(NaiveTime::MIN)
}

impl QuietHours {
    /// Whether a wall-clock time of day falls inside the window (start inclusive, end
    /// exclusive).
    pub fn contains(&self, local: NaiveTime) -> bool {
        let (start, end) = (naive(self.start), naive(self.end));
        if start <= end {
            start <= local && local < end
        } else {
            local >= start || local < end
        }
    }

    /// The end of the window `at` falls in, on `tz`'s wall clock; `None` when `at` is
    /// outside it. The end is always later than `at` (see the module docs for the DST
    /// rule).
    pub fn deferral(&self, at: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let local = at.with_timezone(&tz).naive_local();
        if !self.contains(local.time()) {
            return None;
        }
        let end = naive(self.end);
        // Past midnight already, or a window that does not wrap: it ends today.
        // Otherwise (a wrapping window, before midnight) it ends tomorrow.
        let end_date: NaiveDate = if local.time() < end {
            local.date()
        } else {
            local.date().succ_opt()?
        };
        first_instant_at(end_date.and_time(end), at, tz)
    }
}

/// The first instant after `after` at which `tz`'s wall clock reads `wall` — or, if
/// `wall` is skipped by a DST gap, the first instant after the gap.
fn first_instant_at(wall: NaiveDateTime, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    let found = match tz.from_local_datetime(&wall) {
        LocalResult::Single(t) => t,
        LocalResult::Ambiguous(earlier, later) => {
            if earlier.with_timezone(&Utc) > after {
                earlier
            } else {
                later
            }
        }
        LocalResult::None => (1..=MAX_GAP_MINUTES).find_map(|m| {
            tz.from_local_datetime(&(wall + Duration::minutes(m)))
                .earliest()
        })?,
    };
    Some(found.with_timezone(&Utc)).filter(|end| *end > after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::Priority;
    use crate::notification::Notification;

    fn q(start: &str, end: &str) -> QuietHours {
        QuietHours {
            start: start.parse().unwrap_or_else(|e| panic!("{e}")),
            end: end.parse().unwrap_or_else(|e| panic!("{e}")),
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn tz(name: &str) -> Tz {
        name.parse::<Tz>().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_window_across_midnight() {
        let night = q("22:00", "07:00");
        let paris = tz("Europe/Paris");
        // 2030-01-15, Paris is UTC+1.
        assert_eq!(
            night.deferral(utc("2030-01-15T22:30:00+01:00"), paris),
            Some(utc("2030-01-16T07:00:00+01:00")),
            "before midnight: ends tomorrow"
        );
        assert_eq!(
            night.deferral(utc("2030-01-16T03:00:00+01:00"), paris),
            Some(utc("2030-01-16T07:00:00+01:00")),
            "after midnight: ends today"
        );
        assert_eq!(
            night.deferral(utc("2030-01-16T12:00:00+01:00"), paris),
            None
        );
        assert_eq!(
            night.deferral(utc("2030-01-16T21:59:59+01:00"), paris),
            None
        );
    }

    #[test]
    fn start_is_inside_and_end_is_not() {
        let night = q("22:00", "07:00");
        let day = q("09:00", "17:30");
        let z = Tz::UTC;
        assert_eq!(
            night.deferral(utc("2030-01-15T22:00:00Z"), z),
            Some(utc("2030-01-16T07:00:00Z"))
        );
        assert_eq!(night.deferral(utc("2030-01-16T07:00:00Z"), z), None);
        assert_eq!(
            night.deferral(utc("2030-01-16T06:59:59Z"), z),
            Some(utc("2030-01-16T07:00:00Z"))
        );
        assert_eq!(
            day.deferral(utc("2030-01-15T09:00:00Z"), z),
            Some(utc("2030-01-15T17:30:00Z"))
        );
        assert_eq!(day.deferral(utc("2030-01-15T17:30:00Z"), z), None);
        assert_eq!(day.deferral(utc("2030-01-15T08:59:59Z"), z), None);
        assert_eq!(
            day.deferral(utc("2030-01-15T17:29:59.999Z"), z),
            Some(utc("2030-01-15T17:30:00Z"))
        );
    }

    #[test]
    fn the_end_is_read_in_the_recipients_zone() {
        let night = q("22:00", "07:00");
        // 23:00 UTC is midnight in Paris (inside) and 18:00 in New York (outside).
        let at = utc("2030-01-15T23:00:00Z");
        assert_eq!(
            night.deferral(at, tz("Europe/Paris")),
            Some(utc("2030-01-16T06:00:00Z"))
        );
        assert_eq!(night.deferral(at, tz("America/New_York")), None);
        // Summer: Paris is UTC+2.
        assert_eq!(
            night.deferral(utc("2030-07-15T23:00:00Z"), tz("Europe/Paris")),
            Some(utc("2030-07-16T05:00:00Z"))
        );
    }

    #[test]
    fn spring_forward_ends_a_night_that_spans_the_change_at_the_new_offset() {
        // Paris, 2030-03-31: 02:00 CET jumps to 03:00 CEST.
        let night = q("22:00", "07:00");
        assert_eq!(
            night.deferral(utc("2030-03-30T23:00:00+01:00"), tz("Europe/Paris")),
            Some(utc("2030-03-31T07:00:00+02:00")),
            "the night is an hour shorter, and ends at 07:00 summer time"
        );
        // New York, 2030-03-10: 02:00 EST jumps to 03:00 EDT.
        assert_eq!(
            night.deferral(utc("2030-03-09T23:00:00-05:00"), tz("America/New_York")),
            Some(utc("2030-03-10T07:00:00-04:00"))
        );
    }

    #[test]
    fn spring_forward_an_end_in_the_gap_becomes_the_first_instant_after_it() {
        let nyc = tz("America/New_York");
        let paris = tz("Europe/Paris");
        let early = q("01:00", "02:30");
        // 01:30 EST is inside; 02:30 does not exist that day; the clock reads 03:00 EDT
        // (07:00 UTC) at the jump.
        assert_eq!(
            early.deferral(utc("2030-03-10T01:30:00-05:00"), nyc),
            Some(utc("2030-03-10T03:00:00-04:00"))
        );
        assert_eq!(
            early.deferral(utc("2030-03-31T01:15:00+01:00"), paris),
            Some(utc("2030-03-31T03:00:00+02:00"))
        );
        // After the jump the wall clock reads past the end: outside.
        assert_eq!(early.deferral(utc("2030-03-10T03:00:00-04:00"), nyc), None);
        // A start inside the gap: the window is entered at the jump.
        let late = q("02:15", "05:00");
        assert_eq!(
            late.deferral(utc("2030-03-10T03:00:00-04:00"), nyc),
            Some(utc("2030-03-10T05:00:00-04:00"))
        );
        assert_eq!(late.deferral(utc("2030-03-10T01:59:00-05:00"), nyc), None);
    }

    #[test]
    fn fall_back_an_ambiguous_end_is_the_first_one_still_ahead() {
        let nyc = tz("America/New_York");
        // New York, 2030-11-03: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice.
        let night = q("22:00", "01:30");
        assert_eq!(
            night.deferral(utc("2030-11-02T23:00:00-04:00"), nyc),
            Some(utc("2030-11-03T01:30:00-04:00")),
            "from before the change: the earlier 01:30 (EDT)"
        );
        // 01:10 EST, in the repeated hour: the earlier 01:30 has passed; the later one.
        assert_eq!(
            night.deferral(utc("2030-11-03T01:10:00-05:00"), nyc),
            Some(utc("2030-11-03T01:30:00-05:00"))
        );
        // 01:40 EDT is outside (first pass), and so is 01:40 EST.
        assert_eq!(night.deferral(utc("2030-11-03T01:40:00-04:00"), nyc), None);
        assert_eq!(night.deferral(utc("2030-11-03T01:40:00-05:00"), nyc), None);
        // Paris, 2030-10-27: 03:00 CEST falls back to 02:00 CET. A night 22:00–07:00
        // ends at 07:00 CET, an hour longer in UTC terms.
        let paris = tz("Europe/Paris");
        let long = q("22:00", "07:00");
        assert_eq!(
            long.deferral(utc("2030-10-26T22:00:00+02:00"), paris),
            Some(utc("2030-10-27T07:00:00+01:00"))
        );
        let short = q("00:00", "02:30");
        assert_eq!(
            short.deferral(utc("2030-10-27T00:10:00+02:00"), paris),
            Some(utc("2030-10-27T02:30:00+02:00"))
        );
        assert_eq!(
            short.deferral(utc("2030-10-27T02:10:00+01:00"), paris),
            Some(utc("2030-10-27T02:30:00+01:00"))
        );
    }

    #[test]
    fn the_notification_decides_by_priority_and_zone() {
        let notification = |tz: Option<&str>, quiet: bool| {
            let mut v = serde_json::json!({
                "channel": "log",
                "recipient": {"address": "x"},
                "body": "hi",
            });
            if quiet {
                v["quietHours"] = serde_json::json!({"start": "22:00", "end": "07:00"});
            }
            if let Some(tz) = tz {
                v["recipient"]["timezone"] = serde_json::json!(tz);
            }
            Notification::from_payload(&v)
        };
        let checked = |tz, quiet| notification(tz, quiet).unwrap_or_else(|e| panic!("{e}"));
        let at = utc("2030-01-15T23:30:00Z");
        assert_eq!(
            checked(None, true).quiet_until(Priority::Normal, at),
            Some(utc("2030-01-16T07:00:00Z")),
            "no zone: UTC"
        );
        assert_eq!(
            checked(Some("America/New_York"), true).quiet_until(Priority::Low, at),
            None,
            "18:30 in New York"
        );
        assert_eq!(
            checked(None, true).quiet_until(Priority::Critical, at),
            None
        );
        // A zone this tz database does not know (a newer API's) is read as UTC: the
        // window is still honoured.
        assert_eq!(
            checked(Some("Mars/Olympus_Mons"), true).quiet_until(Priority::Normal, at),
            Some(utc("2030-01-16T07:00:00Z"))
        );
        assert_eq!(checked(None, false).quiet_until(Priority::Normal, at), None);
    }
}
