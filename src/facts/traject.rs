//! The lifecycle of one allocation, as the care figures need it (issue 11, items 1, 3 and 5):
//! when it was asked for and allocated, when care actually started and ended and why, and —
//! for Jeugdwet — the month the client turns 18. Stored with the allocation's fact row
//! ([`super::ToewijzingKosten`]), so waiting times, trajectories and the 18+ list are read
//! from the facts like every other figure.
//!
//! Decisions on points the issue leaves open:
//! - the **request** of an allocation is the 315/317 whose ReferentieAanbieder the
//!   allocation's *first* 301 version carries (a later version answering a change request
//!   does not move the request of the care that was already allocated); without one the wait
//!   counts from the first 301's receipt;
//! - the **actual start** is the earliest Begindatum of the allocation's 305s (deleted ones
//!   left out); the **end** is the definitive 307 Einddatum once every start on the allocation
//!   was stopped with a reason other than 20 (temporary), the latest when there are several,
//!   with that stop's RedenBeeindiging;
//! - the **18th birthday** comes from the 301's Geboortedatum as given (DatumGebruik is not
//!   read: a partly unreliable date still names a month); 29 February turns 18 on 28 February.
//!   Only its month is kept. The allocation **runs past 18** when its end (Einddatum, or the
//!   definitive stop when earlier) is absent or falls on or after the birthday: on that day
//!   the client is an adult and Jeugdwet care is still allocated. Wmo allocations have neither.

use super::stats::{product, GroupBy};
use super::ToewijzingKosten;
use crate::message::kind::Standard;
use crate::protocol::deadlines::{first_of_month, local_date};
use crate::report::Cell;
use crate::state::{ClientState, Levering, LeveringSoort, Toewijzing};
use chrono::{Months, NaiveDate};
use serde::Serialize;

/// The lifecycle columns of an allocation's fact row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Traject {
    /// Receipt day of the request the allocation answers.
    pub request_received_on: Option<NaiveDate>,
    /// Receipt day of the allocation's first 301.
    pub allocated_on: Option<NaiveDate>,
    /// The first actual start (305 Begindatum).
    pub first_start: Option<NaiveDate>,
    /// The definitive end of care (307 Einddatum).
    pub care_ended_on: Option<NaiveDate>,
    /// The RedenBeeindiging of that stop.
    pub reden_beeindiging: Option<String>,
    /// Jeugdwet: the first day of the month the client turns 18.
    pub turns_18_month: Option<NaiveDate>,
    /// Jeugdwet: the allocation is in force on or after the 18th birthday.
    pub runs_past_18: Option<bool>,
}

impl Traject {
    /// The day the wait counts from: the request, else the first 301.
    pub fn wait_from(&self) -> Option<NaiveDate> {
        self.request_received_on.or(self.allocated_on)
    }

    /// Care started before the allocation was received: allocated retroactively.
    pub fn retroactive(&self) -> bool {
        matches!((self.first_start, self.allocated_on), (Some(s), Some(a)) if s < a)
    }
}

fn live_on(l: &&Levering, nummer: i64) -> bool {
    l.toewijzing_nummer == Some(nummer) && !l.deleted
}

/// The definitive end of care on allocation `nummer` and its reason: every start stopped with
/// a reason other than 20, the latest Einddatum of those stops. None while any start runs (or
/// there was none).
pub fn definitive_end(state: &ClientState, nummer: i64) -> Option<(NaiveDate, String)> {
    let mut last: Option<(NaiveDate, String)> = None;
    let mut any = false;
    for s in state
        .leveringen
        .iter()
        .filter(|l| live_on(l, nummer) && l.soort == LeveringSoort::Start)
    {
        any = true;
        let stop = state
            .leveringen
            .iter()
            .filter(|l| live_on(l, nummer))
            .filter(|l| {
                l.soort == LeveringSoort::Stop
                    && l.begindatum == s.begindatum
                    && l.reden_beeindiging.as_deref() != Some("20")
            })
            .filter_map(|l| {
                Some((
                    l.einddatum?,
                    l.reden_beeindiging.clone().unwrap_or_default(),
                ))
            })
            .max()?;
        if last.as_ref().is_none_or(|l| stop > *l) {
            last = Some(stop);
        }
    }
    if any {
        last
    } else {
        None
    }
}

/// The day a person born on `born` turns 18 (29 February: 28 February).
pub fn eighteenth_birthday(born: NaiveDate) -> Option<NaiveDate> {
    born.checked_add_months(Months::new(18 * 12))
}

/// The lifecycle of `t` (the allocation's current version) in the client's state; `end` is the
/// end of its commitment (Einddatum or the definitive stop, whichever is earlier).
pub fn of(state: &ClientState, t: &Toewijzing, end: Option<NaiveDate>) -> Traject {
    let versions = || state.toewijzingen.iter().filter(|v| v.nummer == t.nummer);
    let first = versions().min_by_key(|v| (v.received_at, v.message_id));
    let request = first
        .and_then(|f| f.referentie_aanbieder.as_deref())
        .and_then(|r| state.verzoeken.iter().find(|v| v.referentie == r))
        .map(|v| local_date(v.received_at));
    let first_start = state
        .leveringen
        .iter()
        .filter(|l| live_on(l, t.nummer) && l.soort == LeveringSoort::Start)
        .map(|l| l.begindatum)
        .min();
    let ended = definitive_end(state, t.nummer);
    let birthday = (t.standard == Standard::Ijw)
        .then(|| {
            t.geboortedatum
                .or_else(|| versions().find_map(|v| v.geboortedatum))
        })
        .flatten()
        .and_then(eighteenth_birthday);
    Traject {
        request_received_on: request,
        allocated_on: first.map(|f| local_date(f.received_at)),
        first_start,
        care_ended_on: ended.as_ref().map(|e| e.0),
        reden_beeindiging: ended.map(|e| e.1),
        turns_18_month: birthday.map(first_of_month),
        runs_past_18: birthday.map(|b| end.is_none_or(|e| e >= b)),
    }
}

/// The group of an allocation row under `by`; `month` is the month the figure counts it in
/// (of the start for waiting, of the end for trajectories).
pub fn group_of(t: &ToewijzingKosten, by: GroupBy, month: NaiveDate) -> String {
    match by {
        GroupBy::Provider => t.agb.clone(),
        GroupBy::Municipality | GroupBy::Payer => t.gemeente.clone(),
        GroupBy::Product => product(t.categorie.as_deref(), t.productcode.as_deref()),
        GroupBy::Category => t.categorie.clone().unwrap_or_else(|| "-".into()),
        GroupBy::Month => month.format("%Y-%m").to_string(),
        GroupBy::Segment => t.segment.clone().unwrap_or_else(|| "-".into()),
        GroupBy::Rule | GroupBy::RetourCode => "-".into(),
    }
}

/// A date as a table cell (empty when absent).
pub fn date_cell(d: Option<NaiveDate>) -> Cell {
    d.map_or(Cell::Empty, |d| Cell::Text(d.to_string()))
}

/// Calendar days from `a` to `b`.
pub fn days(a: NaiveDate, b: NaiveDate) -> i64 {
    (b - a).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::cross::testutil::{client_met, d, start, stop, toewijzing, verzoek};
    use crate::state::VerzoekSoort;
    use chrono::{TimeZone, Utc};

    #[test]
    fn the_request_of_the_first_version_and_the_first_start() {
        let mut v1 = toewijzing(17);
        v1.referentie_aanbieder = Some("VOT-1".into());
        v1.received_at = Utc.with_ymd_and_hms(2026, 6, 30, 22, 30, 0).unwrap(); // 1 July NL
        let mut v2 = toewijzing(17);
        v2.referentie_aanbieder = Some("VOW-1".into());
        v2.toewijzingsmoment = d(2026, 8, 1).and_hms_opt(9, 0, 0).unwrap();
        v2.received_at = Utc.with_ymd_and_hms(2026, 8, 1, 9, 0, 0).unwrap();
        v2.message_id = 2;
        let mut state = client_met(
            vec![v1, v2.clone()],
            vec![start(17, d(2026, 7, 13)), start(17, d(2026, 7, 6))],
        );
        let mut vot = verzoek("VOT-1", VerzoekSoort::Vot);
        vot.received_at = Utc.with_ymd_and_hms(2026, 6, 15, 8, 0, 0).unwrap();
        state.verzoeken = vec![vot, verzoek("VOW-1", VerzoekSoort::Vow)];
        state.leveringen[1].deleted = true;
        let t = of(&state, &v2, v2.einddatum);
        assert_eq!(t.request_received_on, Some(d(2026, 6, 15)));
        assert_eq!(t.allocated_on, Some(d(2026, 7, 1)));
        assert_eq!(
            t.first_start,
            Some(d(2026, 7, 13)),
            "the deleted start left out"
        );
        assert!(!t.retroactive());
        assert_eq!((t.care_ended_on, t.reden_beeindiging), (None, None));
        // born 17 May 2010: 18 on 17 May 2028, after the Einddatum 31 December 2026
        assert_eq!(t.turns_18_month, Some(d(2028, 5, 1)));
        assert_eq!(t.runs_past_18, Some(false));
        assert_eq!(of(&state, &v2, None).runs_past_18, Some(true));
        assert_eq!(
            of(&state, &v2, Some(d(2028, 5, 17))).runs_past_18,
            Some(true)
        );
        assert_eq!(
            of(&state, &v2, Some(d(2028, 5, 16))).runs_past_18,
            Some(false)
        );
    }

    #[test]
    fn a_temporary_stop_is_no_end_and_the_latest_definitive_stop_is() {
        let begin = d(2026, 7, 6);
        let paused = client_met(
            vec![toewijzing(17)],
            vec![start(17, begin), stop(17, begin, "20", d(2026, 8, 14))],
        );
        assert_eq!(definitive_end(&paused, 17), None);
        let ended = client_met(
            vec![toewijzing(17)],
            vec![
                start(17, begin),
                stop(17, begin, "20", d(2026, 8, 14)),
                start(17, d(2026, 9, 1)),
                stop(17, d(2026, 9, 1), "31", d(2026, 11, 30)),
                stop(17, begin, "34", d(2026, 8, 20)),
            ],
        );
        assert_eq!(
            definitive_end(&ended, 17),
            Some((d(2026, 11, 30), "31".to_string()))
        );
        assert_eq!(
            definitive_end(&client_met(vec![toewijzing(17)], vec![]), 17),
            None
        );
    }

    #[test]
    fn leap_day_and_retroactive() {
        assert_eq!(eighteenth_birthday(d(2008, 2, 29)), Some(d(2026, 2, 28)));
        let t = Traject {
            allocated_on: Some(d(2026, 8, 17)),
            first_start: Some(d(2026, 8, 3)),
            ..Traject::default()
        };
        assert!(t.retroactive());
        assert_eq!(t.wait_from(), Some(d(2026, 8, 17)));
    }
}
