//! Receipt moments: when a message reached the region, in Dutch local time, on working days
//! during office hours. Deadlines are counted in working days with the project's calendar
//! ([`Calendar`]), so the lateness the generator states is the lateness the service computes.

use crate::protocol::calendar::Calendar;
use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone,
    Timelike, Utc, Weekday,
};
use rand::Rng;
use std::collections::HashMap;
use std::time::SystemTime;

/// A local (Europe/Amsterdam) date and time of receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Moment(pub NaiveDateTime);

/// First and last second of the day at which messages arrive: 08:00:00 – 17:59:59.
const OPEN_SECS: u32 = 8 * 3600;
const CLOSE_SECS: u32 = 18 * 3600 - 1;

impl Moment {
    pub fn date(self) -> NaiveDate {
        self.0.date()
    }
    pub fn time(self) -> NaiveTime {
        self.0.time()
    }
    /// The moment with its UTC offset (+01:00 in winter, +02:00 in summer).
    pub fn with_offset(self) -> DateTime<FixedOffset> {
        let offset = amsterdam_offset(self.0);
        offset
            .from_local_datetime(&self.0)
            .single()
            .unwrap_or_else(|| DateTime::from_naive_utc_and_offset(self.0, offset))
    }
    pub fn utc(self) -> DateTime<Utc> {
        self.with_offset().with_timezone(&Utc)
    }
    pub fn system_time(self) -> SystemTime {
        self.utc().into()
    }
    /// `YYYYMMDDTHHMMSS` in local time, for file names (sorts as time does: office hours never
    /// touch the hour the clocks change).
    pub fn stamp(self) -> String {
        self.0.format("%Y%m%dT%H%M%S").to_string()
    }
    /// RFC 3339 with the local offset, e.g. `2026-03-02T09:15:00+01:00`.
    pub fn rfc3339(self) -> String {
        self.with_offset().to_rfc3339()
    }
}

/// The offset of Europe/Amsterdam at a local time: CEST (+2) from the last Sunday of March to
/// the last Sunday of October, CET (+1) otherwise. (No time-zone database is needed for office
/// hours: the switch happens at night.)
pub fn amsterdam_offset(local: NaiveDateTime) -> FixedOffset {
    let year = local.year();
    let start = last_sunday(year, 3)
        .and_hms_opt(2, 0, 0)
        .unwrap_or_default();
    let end = last_sunday(year, 10)
        .and_hms_opt(3, 0, 0)
        .unwrap_or_default();
    let hours = if local >= start && local < end { 2 } else { 1 };
    FixedOffset::east_opt(hours * 3600).unwrap_or(FixedOffset::east_opt(0).expect("zero offset"))
}

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .unwrap_or_default();
    let last = first_next - Duration::days(1);
    last - Duration::days(i64::from(last.weekday().num_days_from_sunday()))
}

/// Working days (with a memo: deadlines are computed hundreds of thousands of times).
#[derive(Debug, Default)]
pub struct Clock {
    cal: Calendar,
    working: HashMap<NaiveDate, bool>,
}

impl Clock {
    pub fn new(cal: Calendar) -> Clock {
        Clock {
            cal,
            working: HashMap::new(),
        }
    }

    pub fn is_working_day(&mut self, d: NaiveDate) -> bool {
        if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            return false;
        }
        let cal = &self.cal;
        *self
            .working
            .entry(d)
            .or_insert_with(|| cal.is_working_day(d))
    }

    /// The `n`-th working day after `d` (`d` itself never counts), as
    /// [`Calendar::add_working_days`].
    pub fn add_wd(&mut self, d: NaiveDate, n: u32) -> NaiveDate {
        let mut date = d;
        let mut left = n;
        while left > 0 {
            date = date.succ_opt().unwrap_or(date);
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        date
    }

    /// Working days after `from` up to and including `to`, as
    /// [`Calendar::working_days_between`].
    pub fn wd_between(&mut self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d = d.succ_opt().unwrap_or(to);
            if self.is_working_day(d) {
                n += 1;
            }
        }
        n
    }

    /// `d` when it is a working day, else the next one.
    pub fn on_or_after(&mut self, d: NaiveDate) -> NaiveDate {
        let mut date = d;
        while !self.is_working_day(date) {
            date = date.succ_opt().unwrap_or(date);
        }
        date
    }

    /// The last working day on or before `d`.
    pub fn on_or_before(&mut self, d: NaiveDate) -> NaiveDate {
        let mut date = d;
        while !self.is_working_day(date) {
            date = date.pred_opt().unwrap_or(date);
        }
        date
    }

    /// A random moment during office hours on `d` (moved to the next working day if needed).
    pub fn at<R: Rng>(&mut self, d: NaiveDate, rng: &mut R) -> Moment {
        let d = self.on_or_after(d);
        // mornings are busier than late afternoons: the minimum of two uniform draws
        let span = CLOSE_SECS - OPEN_SECS;
        let secs = OPEN_SECS + rng.random_range(0..span).min(rng.random_range(0..span));
        moment(d, secs)
    }

    /// A moment strictly after `m`, between `min_secs` and `max_secs` later counted in office
    /// time (a gap running past closing continues the next working day).
    pub fn after<R: Rng>(
        &mut self,
        m: Moment,
        min_secs: u32,
        max_secs: u32,
        rng: &mut R,
    ) -> Moment {
        let gap = rng.random_range(min_secs.max(1)..=max_secs.max(min_secs.max(1)));
        self.plus_office_secs(m, gap)
    }

    /// `m` moved forward by `gap` seconds of office time.
    pub fn plus_office_secs(&mut self, m: Moment, gap: u32) -> Moment {
        let mut date = self.on_or_after(m.date());
        let mut secs = if date == m.date() {
            m.time()
                .num_seconds_from_midnight()
                .clamp(OPEN_SECS, CLOSE_SECS)
        } else {
            OPEN_SECS
        };
        let mut left = gap;
        loop {
            let room = CLOSE_SECS - secs;
            if left <= room {
                return moment(date, secs + left);
            }
            left -= room + 1;
            date = self.add_wd(date, 1);
            secs = OPEN_SECS;
        }
    }

    /// The later of `m` and a moment just after `floor`.
    pub fn not_before<R: Rng>(&mut self, m: Moment, floor: Moment, rng: &mut R) -> Moment {
        if m > floor {
            m
        } else {
            self.after(floor, 60, 3 * 3600, rng)
        }
    }
}

fn moment(d: NaiveDate, secs: u32) -> Moment {
    let t = NaiveTime::from_num_seconds_from_midnight_opt(secs, 0).unwrap_or_default();
    Moment(d.and_time(t))
}

/// The first moment of a day (00:00), for comparing with receipt moments.
pub fn start_of(d: NaiveDate) -> Moment {
    Moment(d.and_time(NaiveTime::MIN))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn offsets_follow_european_summer_time() {
        let at = |y, m, day, h| d(y, m, day).and_hms_opt(h, 0, 0).unwrap();
        assert_eq!(amsterdam_offset(at(2026, 1, 15, 9)).local_minus_utc(), 3600);
        // 29 March 2026 is the last Sunday of March; 25 October 2026 of October
        assert_eq!(amsterdam_offset(at(2026, 3, 27, 9)).local_minus_utc(), 3600);
        assert_eq!(amsterdam_offset(at(2026, 3, 30, 9)).local_minus_utc(), 7200);
        assert_eq!(
            amsterdam_offset(at(2026, 10, 23, 9)).local_minus_utc(),
            7200
        );
        assert_eq!(
            amsterdam_offset(at(2026, 10, 26, 9)).local_minus_utc(),
            3600
        );
        let m = Moment(at(2026, 7, 1, 9));
        assert_eq!(m.rfc3339(), "2026-07-01T09:00:00+02:00");
        assert_eq!(m.utc().to_rfc3339(), "2026-07-01T07:00:00+00:00");
        assert_eq!(m.stamp(), "20260701T090000");
    }

    #[test]
    fn moments_fall_in_office_hours_on_working_days() {
        let mut clock = Clock::new(Calendar::national());
        let mut rng = StdRng::seed_from_u64(1);
        for day in 0..60 {
            let m = clock.at(d(2026, 12, 1) + Duration::days(day), &mut rng);
            assert!(Calendar::national().is_working_day(m.date()), "{m:?}");
            let s = m.time().num_seconds_from_midnight();
            assert!((OPEN_SECS..=CLOSE_SECS).contains(&s), "{m:?}");
        }
        // Christmas 2026 falls on a Friday: the next working day is Monday 28 December
        assert_eq!(clock.at(d(2026, 12, 25), &mut rng).date(), d(2026, 12, 28));
    }

    #[test]
    fn after_rolls_over_closing_time_and_holidays() {
        let mut clock = Clock::new(Calendar::national());
        let late = moment(d(2026, 12, 24), CLOSE_SECS - 10);
        let next = clock.plus_office_secs(late, 100);
        assert_eq!(next.date(), d(2026, 12, 28));
        assert!(next > late);
        let same = clock.plus_office_secs(moment(d(2026, 12, 24), OPEN_SECS), 60);
        assert_eq!(same.time(), NaiveTime::from_hms_opt(8, 1, 0).unwrap());
    }

    #[test]
    fn working_day_arithmetic_matches_the_calendar() {
        let mut clock = Clock::new(Calendar::national());
        let cal = Calendar::national();
        for day in 0..120 {
            let from = d(2026, 3, 1) + Duration::days(day);
            for n in [0, 1, 3, 5, 10] {
                assert_eq!(clock.add_wd(from, n), cal.add_working_days(from, n));
            }
            let to = from + Duration::days(17);
            assert_eq!(
                clock.wd_between(from, to),
                cal.working_days_between(from, to)
            );
        }
    }
}
