//! Working days as the standard counts them: Monday to Friday, minus the public holidays of
//! article 3 of the Algemene termijnenwet, minus any extra closed days a region configures.
//!
//! Counting convention (the sources only say "within N working days after receipt"): the
//! deadline is the N-th working day *after* the day of receipt; the receipt day itself does not
//! count. Calendar terms (weeks, end of month) that end on a weekend or holiday move to the next
//! working day, as article 1 of the Algemene termijnenwet does.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use std::collections::BTreeSet;

/// Easter Sunday in the Gregorian calendar (the anonymous "Meeus/Jones/Butcher" computation).
pub fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a real date")
}

/// The public holidays of article 3 of the Algemene termijnenwet in `year`, with their names.
pub fn holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let ymd = |m, d| NaiveDate::from_ymd_opt(year, m, d).expect("fixed holiday exists");
    let e = easter(year);
    let kings_day = if ymd(4, 27).weekday() == Weekday::Sun {
        ymd(4, 26)
    } else {
        ymd(4, 27)
    };
    vec![
        (ymd(1, 1), "Nieuwjaarsdag"),
        (e - Duration::days(2), "Goede Vrijdag"),
        (e + Duration::days(1), "Tweede Paasdag"),
        (kings_day, "Koningsdag"),
        (ymd(5, 5), "Bevrijdingsdag"),
        (e + Duration::days(39), "Hemelvaartsdag"),
        (e + Duration::days(50), "Tweede Pinksterdag"),
        (ymd(12, 25), "Eerste Kerstdag"),
        (ymd(12, 26), "Tweede Kerstdag"),
    ]
}

/// A working-day calendar: the national holidays plus a region's extra closed days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    extra_closed: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// The national calendar with no extra closed days.
    pub fn national() -> Calendar {
        Calendar::default()
    }

    /// Adds closed days (e.g. the Friday after Ascension Day when a royal decree equates it).
    pub fn with_closed_days(mut self, days: impl IntoIterator<Item = NaiveDate>) -> Calendar {
        self.extra_closed.extend(days);
        self
    }

    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.extra_closed.contains(&date) || holidays(date.year()).iter().any(|(d, _)| *d == date)
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !self.is_holiday(date)
    }

    /// The `n`-th working day after `from` (`from` itself never counts; n = 0 gives `from`).
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut date = from;
        let mut left = n;
        while left > 0 {
            date = date.succ_opt().expect("date within chrono's range");
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        date
    }

    /// Working days after `from` up to and including `to` (0 when `to` ≤ `from`): how many
    /// working days late something done on `to` is when it was due on `from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut count = 0;
        let mut date = from;
        while date < to {
            date = date.succ_opt().expect("date within chrono's range");
            if self.is_working_day(date) {
                count += 1;
            }
        }
        count
    }

    /// A calendar term that ends on a weekend or holiday ends on the next working day.
    pub fn next_working_day_from(&self, date: NaiveDate) -> NaiveDate {
        let mut d = date;
        while !self.is_working_day(d) {
            d = d.succ_opt().expect("date within chrono's range");
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn easter_matches_known_dates() {
        assert_eq!(easter(2019), d(2019, 4, 21));
        assert_eq!(easter(2024), d(2024, 3, 31));
        assert_eq!(easter(2025), d(2025, 4, 20));
        assert_eq!(easter(2026), d(2026, 4, 5));
        assert_eq!(easter(2027), d(2027, 3, 28));
        assert_eq!(easter(2038), d(2038, 4, 25));
        assert_eq!(easter(2285), d(2285, 3, 22)); // earliest possible
    }

    #[test]
    fn movable_holidays_follow_easter() {
        let cal = Calendar::national();
        assert!(cal.is_holiday(d(2026, 4, 3))); // Goede Vrijdag
        assert!(cal.is_holiday(d(2026, 4, 6))); // Tweede Paasdag
        assert!(cal.is_holiday(d(2026, 5, 14))); // Hemelvaartsdag
        assert!(cal.is_holiday(d(2026, 5, 25))); // Tweede Pinksterdag
        assert!(!cal.is_holiday(d(2026, 5, 15)));
    }

    #[test]
    fn kings_day_moves_to_saturday_when_the_27th_is_a_sunday() {
        // 27 April 2025 and 2031 are Sundays
        assert_eq!(d(2025, 4, 27).weekday(), Weekday::Sun);
        let cal = Calendar::national();
        assert!(cal.is_holiday(d(2025, 4, 26)));
        assert!(!cal.is_holiday(d(2025, 4, 27)));
        assert!(cal.is_holiday(d(2031, 4, 26)));
        // an ordinary year keeps the 27th
        assert!(cal.is_holiday(d(2026, 4, 27)));
        assert!(cal.is_working_day(d(2026, 4, 28)));
    }

    #[test]
    fn liberation_day_counts_every_year() {
        assert!(Calendar::national().is_holiday(d(2026, 5, 5)));
        assert!(!Calendar::national().is_working_day(d(2027, 5, 5)));
    }

    #[test]
    fn a_deadline_spanning_christmas_skips_both_days_and_the_weekend() {
        let cal = Calendar::national();
        // received Wednesday 23 December 2026: Thu 24 (1), Fri 25 holiday, weekend, Mon 28 (2),
        // Tue 29 (3)
        assert_eq!(cal.add_working_days(d(2026, 12, 23), 3), d(2026, 12, 29));
        assert_eq!(
            cal.working_days_between(d(2026, 12, 23), d(2026, 12, 29)),
            3
        );
        // 5 working days from Christmas Eve 2026 runs into the new year (1 January is closed)
        assert_eq!(cal.add_working_days(d(2026, 12, 24), 5), d(2027, 1, 4));
    }

    #[test]
    fn receipt_day_does_not_count_and_late_counts_working_days() {
        let cal = Calendar::national();
        // Friday 13 November 2026 + 3 working days = Wednesday 18 November
        assert_eq!(cal.add_working_days(d(2026, 11, 13), 3), d(2026, 11, 18));
        assert_eq!(
            cal.working_days_between(d(2026, 11, 18), d(2026, 11, 18)),
            0
        );
        assert_eq!(
            cal.working_days_between(d(2026, 11, 18), d(2026, 11, 23)),
            3
        );
        assert_eq!(
            cal.working_days_between(d(2026, 11, 23), d(2026, 11, 18)),
            0
        );
    }

    #[test]
    fn extra_closed_days_are_honoured() {
        let cal = Calendar::national().with_closed_days([d(2026, 5, 15)]);
        assert!(!cal.is_working_day(d(2026, 5, 15)));
        // Wed 13 May + 2: Thu 14 Ascension, Fri 15 closed, Mon 18 (1), Tue 19 (2)
        assert_eq!(cal.add_working_days(d(2026, 5, 13), 2), d(2026, 5, 19));
    }

    #[test]
    fn calendar_terms_end_on_a_working_day() {
        let cal = Calendar::national();
        assert_eq!(cal.next_working_day_from(d(2026, 10, 31)), d(2026, 11, 2));
        assert_eq!(cal.next_working_day_from(d(2026, 11, 30)), d(2026, 11, 30));
    }
}
