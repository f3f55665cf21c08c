//! The deadline of every obligation of the administration protocol (§1.8 of the rules digest),
//! and how an obligation is judged against it.
//!
//! Counting (see [`crate::protocol::calendar`]): "within N working days after receipt" ends on
//! the N-th working day after the receipt date; terms in weeks, days or months are calendar
//! terms that move to the next working day when they end on a weekend or holiday. Receipt dates
//! are calendar days in the Netherlands ([`local_date`]).

use crate::protocol::calendar::Calendar;
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// The calendar day in the Netherlands (Europe/Amsterdam) of an instant: UTC+1, and UTC+2
/// from the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC (the EU
/// summer-time rule). A message received at 23:30 UTC on a Monday in summer arrived on Tuesday.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    let year = t.year();
    let switch = |month: u32| {
        last_sunday(year, month)
            .and_hms_opt(1, 0, 0)
            .map(|d| d.and_utc())
            .unwrap_or(t)
    };
    let hours = if t >= switch(3) && t < switch(10) {
        2
    } else {
        1
    };
    (t + Duration::hours(hours)).date_naive()
}

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let last = first_of_month(NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default())
        .checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or_default();
    last - Duration::days(last.weekday().num_days_from_sunday().into())
}

/// The first day of the month `d` lies in.
pub fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The last day of the month `d` lies in.
pub fn last_of_month(d: NaiveDate) -> NaiveDate {
    first_of_month(d)
        .checked_add_months(Months::new(1))
        .and_then(|n| n.pred_opt())
        .unwrap_or(d)
}

/// The deadline for declaring a month of care: the regional agreement decides it (the standard
/// only says "per agreement", §1.8 #14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeclaratieTermijn {
    /// The last day of the month `n` months after the declaration period (default `n = 1`,
    /// as the administration protocol's inspanningsgerichte variant and most regional
    /// agreements say). It stays on that date when it is a Saturday, Sunday or holiday unless
    /// [`Deadlines::declaratie_naar_werkdag`] is set.
    EindeMaandNa(u32),
    /// `n` working days after the last day of the declaration period.
    WerkdagenNa(u32),
}

impl Default for DeclaratieTermijn {
    fn default() -> Self {
        DeclaratieTermijn::EindeMaandNa(1)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("declaration term '{0}' is not end-of-month+N or working-days+N")]
pub struct TermijnError(pub String);

impl FromStr for DeclaratieTermijn {
    type Err = TermijnError;

    /// `end-of-month+N` or `working-days+N`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || TermijnError(s.to_string());
        let (name, n) = s.trim().split_once('+').ok_or_else(bad)?;
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        match name.trim() {
            "end-of-month" => Ok(DeclaratieTermijn::EindeMaandNa(n)),
            "working-days" => Ok(DeclaratieTermijn::WerkdagenNa(n)),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for DeclaratieTermijn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeclaratieTermijn::EindeMaandNa(n) => write!(f, "end-of-month+{n}"),
            DeclaratieTermijn::WerkdagenNa(n) => write!(f, "working-days+{n}"),
        }
    }
}

/// Where an obligation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Met on or before its due date.
    OnTime,
    /// Met after its due date.
    Late,
    /// Not met, and not yet due.
    Open,
    /// Not met, and its due date has passed.
    Overdue,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::OnTime => "on_time",
            Status::Late => "late",
            Status::Open => "open",
            Status::Overdue => "overdue",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [Status::OnTime, Status::Late, Status::Open, Status::Overdue]
            .into_iter()
            .find(|x| x.code() == s)
    }
}

/// The protocol's terms with a region's calendar and declaration term.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deadlines {
    pub calendar: Calendar,
    pub declaratie: DeclaratieTermijn,
    /// Move an end-of-month declaration term that falls on a Saturday, Sunday or holiday to
    /// the next working day. Off by default: the Algemene termijnenwet extends terms set by
    /// law, and the declaration term is agreed (contract, protocol), not statutory, so the
    /// last calendar day of the month stays the due date. A region whose agreement does move
    /// it turns this on (`facts.declaratie_naar_werkdag`).
    pub declaratie_naar_werkdag: bool,
}

impl Deadlines {
    /// OP090: a retour (302/306/308/316/318/320) within 3 working days after receipt.
    pub fn op090_retour(&self, ontvangen: NaiveDate) -> NaiveDate {
        self.calendar.add_working_days(ontvangen, 3)
    }

    /// OP090x4: the 325 within 10 working days after receipt of the 323.
    pub fn op090x4_declaratie_antwoord(&self, ontvangen: NaiveDate) -> NaiveDate {
        self.calendar.add_working_days(ontvangen, 10)
    }

    /// OP271: the start (305) within 5 working days after the actual start, or after receipt
    /// of the allocation when it arrived after the start (retroactive allocation). Returns the
    /// reference date (the later of the two) and the due date.
    pub fn op271_start(
        &self,
        begindatum: NaiveDate,
        toewijzing_ontvangen: NaiveDate,
    ) -> (NaiveDate, NaiveDate) {
        let reference = begindatum.max(toewijzing_ontvangen);
        (reference, self.calendar.add_working_days(reference, 5))
    }

    /// OP272: the stop (307) within 5 working days after the actual end. For a definitive stop
    /// after a temporary one the term runs from the moment it became known that delivery ended
    /// for good; the message carries that moment as its Einddatum (TR414 lets it lie after
    /// the temporary stop's end; casus 3), so `einddatum` is the reference in both cases.
    pub fn op272_stop(&self, einddatum: NaiveDate) -> NaiveDate {
        self.calendar.add_working_days(einddatum, 5)
    }

    /// OP274 (VOT, per requested product) and OP346 (VOW): a 301 or 319 within 5 working days
    /// after receipt of the request.
    pub fn op274_antwoord(&self, ontvangen: NaiveDate) -> NaiveDate {
        self.calendar.add_working_days(ontvangen, 5)
    }

    /// OP274/OP346 after "in onderzoek": the final answer within 8 weeks, counted from the
    /// Dagtekening of the request (FAQ); a calendar term.
    pub fn eindantwoord_8_weken(&self, verzoek_dagtekening: NaiveDate) -> NaiveDate {
        self.calendar
            .next_working_day_from(verzoek_dagtekening + Duration::weeks(8))
    }

    /// OP359: a rejection on woonplaatsbeginsel within the legal term of 2 weeks after receipt
    /// of the request; a calendar term.
    pub fn op359_woonplaatsbeginsel(&self, ontvangen: NaiveDate) -> NaiveDate {
        self.calendar
            .next_working_day_from(ontvangen + Duration::weeks(2))
    }

    /// The declaration term for care in the month holding `maand` (the declaration period is
    /// that calendar month, CS340).
    pub fn declaratie(&self, maand: NaiveDate) -> NaiveDate {
        let einde = last_of_month(maand);
        match self.declaratie {
            DeclaratieTermijn::EindeMaandNa(n) => {
                let target = first_of_month(maand)
                    .checked_add_months(Months::new(n))
                    .map(last_of_month)
                    .unwrap_or(einde);
                if self.declaratie_naar_werkdag {
                    self.calendar.next_working_day_from(target)
                } else {
                    target
                }
            }
            DeclaratieTermijn::WerkdagenNa(n) => self.calendar.add_working_days(einde, n),
        }
    }

    /// Judges an obligation due on `due`, met on `fulfilled` (if it was), as of `as_of`: its
    /// status and, when met, how many working days late (0 when on time). Open and overdue
    /// obligations carry no lateness yet: it is only known once they are met.
    pub fn evaluate(
        &self,
        due: NaiveDate,
        fulfilled: Option<NaiveDate>,
        as_of: NaiveDate,
    ) -> (Status, Option<i64>) {
        match fulfilled {
            Some(f) if f <= due => (Status::OnTime, Some(0)),
            Some(f) => (
                Status::Late,
                Some(i64::from(self.calendar.working_days_between(due, f))),
            ),
            None if due < as_of => (Status::Overdue, None),
            None => (Status::Open, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn local_date_follows_dutch_summer_time() {
        // summer: 22:30 UTC is 00:30 the next day
        assert_eq!(
            local_date(Utc.with_ymd_and_hms(2026, 7, 6, 22, 30, 0).unwrap()),
            d(2026, 7, 7)
        );
        assert_eq!(
            local_date(Utc.with_ymd_and_hms(2026, 7, 6, 21, 59, 0).unwrap()),
            d(2026, 7, 6)
        );
        // winter: 23:00 UTC is midnight
        assert_eq!(
            local_date(Utc.with_ymd_and_hms(2026, 1, 5, 22, 59, 0).unwrap()),
            d(2026, 1, 5)
        );
        assert_eq!(
            local_date(Utc.with_ymd_and_hms(2026, 1, 5, 23, 0, 0).unwrap()),
            d(2026, 1, 6)
        );
        // the switch: last Sunday of March 2026 is the 29th, 01:00 UTC
        assert_eq!(last_sunday(2026, 3), d(2026, 3, 29));
        assert_eq!(last_sunday(2026, 10), d(2026, 10, 25));
        assert_eq!(
            local_date(Utc.with_ymd_and_hms(2026, 3, 28, 22, 30, 0).unwrap()),
            d(2026, 3, 28)
        );
        assert_eq!(
            local_date(Utc.with_ymd_and_hms(2026, 10, 25, 22, 30, 0).unwrap()),
            d(2026, 10, 25)
        );
    }

    #[test]
    fn working_day_terms() {
        let dl = Deadlines::default();
        // received Friday 2 October 2026: +3 WD = Wednesday 7 October
        assert_eq!(dl.op090_retour(d(2026, 10, 2)), d(2026, 10, 7));
        // +10 WD = Friday 16 October
        assert_eq!(
            dl.op090x4_declaratie_antwoord(d(2026, 10, 2)),
            d(2026, 10, 16)
        );
        assert_eq!(dl.op274_antwoord(d(2026, 6, 22)), d(2026, 6, 29));
        assert_eq!(dl.op272_stop(d(2026, 8, 27)), d(2026, 9, 3));
    }

    #[test]
    fn start_counts_from_the_later_of_start_and_allocation_receipt() {
        let dl = Deadlines::default();
        // ordinary: started Monday 6 July, allocation received in June
        assert_eq!(
            dl.op271_start(d(2026, 7, 6), d(2026, 6, 26)),
            (d(2026, 7, 6), d(2026, 7, 13))
        );
        // retroactive: started 1 July, allocation received Thursday 9 July
        assert_eq!(
            dl.op271_start(d(2026, 7, 1), d(2026, 7, 9)),
            (d(2026, 7, 9), d(2026, 7, 16))
        );
    }

    #[test]
    fn calendar_terms_move_to_a_working_day() {
        let dl = Deadlines::default();
        // request dated Monday 14 September 2026 + 8 weeks = Monday 9 November
        assert_eq!(dl.eindantwoord_8_weken(d(2026, 9, 14)), d(2026, 11, 9));
        // received Saturday 19 December 2026 + 2 weeks = Saturday 2 January 2027 → Monday 4th
        assert_eq!(dl.op359_woonplaatsbeginsel(d(2026, 12, 19)), d(2027, 1, 4));
    }

    #[test]
    fn declaration_terms_stay_on_the_last_day_of_the_month() {
        let dl = Deadlines::default();
        assert!(!dl.declaratie_naar_werkdag, "off by default");
        // January 2026 → Saturday 28 February 2026, and it stays there (an agreed term)
        assert_eq!(dl.declaratie(d(2026, 1, 20)), d(2026, 2, 28));
        // received Wednesday 4 March: Monday 2, Tuesday 3, Wednesday 4 = 3 working days late
        assert_eq!(
            dl.evaluate(d(2026, 2, 28), Some(d(2026, 3, 4)), d(2026, 3, 4)),
            (Status::Late, Some(3))
        );
        // September 2026 → Saturday 31 October; December → Sunday 31 January 2027
        assert_eq!(dl.declaratie(d(2026, 9, 14)), d(2026, 10, 31));
        assert_eq!(dl.declaratie(d(2026, 12, 1)), d(2027, 1, 31));
        // received Monday 1 February 2027: 1 working day late
        assert_eq!(
            dl.evaluate(d(2027, 1, 31), Some(d(2027, 2, 1)), d(2027, 2, 1)),
            (Status::Late, Some(1))
        );
    }

    #[test]
    fn declaration_terms() {
        let mut dl = Deadlines {
            declaratie_naar_werkdag: true,
            ..Deadlines::default()
        };
        // moved: January 2026 → Saturday 28 February → Monday 2 March; received Wednesday
        // 4 March it is 2 working days late
        assert_eq!(dl.declaratie(d(2026, 1, 20)), d(2026, 3, 2));
        assert_eq!(
            dl.evaluate(d(2026, 3, 2), Some(d(2026, 3, 4)), d(2026, 3, 4)),
            (Status::Late, Some(2))
        );
        // September 2026 → 31 October 2026 is a Saturday → Monday 2 November
        assert_eq!(dl.declaratie(d(2026, 9, 14)), d(2026, 11, 2));
        // August 2026 → 30 September (Wednesday)
        assert_eq!(dl.declaratie(d(2026, 8, 1)), d(2026, 9, 30));
        // November → 31 December (Thursday); December → 31 January 2027 (Sunday) → 1 February
        assert_eq!(dl.declaratie(d(2026, 11, 1)), d(2026, 12, 31));
        assert_eq!(dl.declaratie(d(2026, 12, 1)), d(2027, 2, 1));
        dl.declaratie = DeclaratieTermijn::EindeMaandNa(2);
        // August + 2 months = 31 October 2026, a Saturday → Monday 2 November
        assert_eq!(dl.declaratie(d(2026, 8, 1)), d(2026, 11, 2));
        dl.declaratie = DeclaratieTermijn::WerkdagenNa(10);
        // 30 September 2026 (Wednesday) + 10 WD = 14 October
        assert_eq!(dl.declaratie(d(2026, 9, 1)), d(2026, 10, 14));
    }

    #[test]
    fn declaration_term_parses_and_prints() {
        for s in ["end-of-month+1", "end-of-month+2", "working-days+10"] {
            let t: DeclaratieTermijn = s.parse().unwrap();
            assert_eq!(t.to_string(), s);
        }
        assert!("monthly".parse::<DeclaratieTermijn>().is_err());
        assert!("end-of-month+x".parse::<DeclaratieTermijn>().is_err());
    }

    #[test]
    fn evaluation() {
        let dl = Deadlines::default();
        let due = d(2026, 11, 18); // Wednesday
        assert_eq!(
            dl.evaluate(due, Some(d(2026, 11, 18)), d(2026, 12, 1)),
            (Status::OnTime, Some(0))
        );
        assert_eq!(
            dl.evaluate(due, Some(d(2026, 11, 23)), d(2026, 12, 1)),
            (Status::Late, Some(3))
        );
        assert_eq!(
            dl.evaluate(due, None, d(2026, 11, 18)),
            (Status::Open, None)
        );
        assert_eq!(
            dl.evaluate(due, None, d(2026, 11, 19)),
            (Status::Overdue, None)
        );
        for s in [Status::OnTime, Status::Late, Status::Open, Status::Overdue] {
            assert_eq!(Status::parse(s.code()), Some(s));
        }
    }
}
