//! Rules on the header of every heenbericht. A finding here is answered with a header-only
//! retour (or 325) carrying the rule's code (IV028, IV088).

use super::{DecideInput, Hit, Place};
use crate::state::Context;
use chrono::NaiveDate;

/// TR056 (9056): BerichtIdentificatie/Identificatie is unique per message type for the sending
/// party, over all messages it ever sent (OP047).
///
/// The store knows the history and says so in `ctx.identificatie_reused`: the same sender used
/// this Identificatie for another message of this kind with different content. An identical
/// redelivery never reaches the rules (idempotent intake), so it is never rejected here.
pub fn tr056_identificatie_uniek(ctx: &Context) -> Option<Hit> {
    ctx.identificatie_reused.then(|| {
        Hit::new(
            "TR056",
            "9056",
            Place::header(),
            "this sender already used this Identificatie for another message of this type",
        )
    })
}

/// TR135 (8848): the Dagtekening does not lie after the system date (OP047; level 4, the
/// clock is the external source).
///
/// Decision: "system date" is `today` of the service (the regional calendar day); a message
/// dated today is accepted.
pub fn tr135_dagtekening_niet_in_toekomst(dagtekening: NaiveDate, today: NaiveDate) -> Option<Hit> {
    (dagtekening > today).then(|| {
        Hit::new(
            "TR135",
            "8848",
            Place::header(),
            format!("Dagtekening {dagtekening} lies after the system date {today}"),
        )
    })
}

/// Every header rule of a heenbericht.
pub fn check(input: &DecideInput, ctx: &Context) -> Vec<Hit> {
    let mut out = Vec::new();
    super::push(&mut out, tr056_identificatie_uniek(ctx));
    super::push(
        &mut out,
        tr135_dagtekening_niet_in_toekomst(
            input.msg.header.bericht_identificatie.dagtekening,
            input.today,
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testutil::d;

    #[test]
    fn tr056_reused_identificatie() {
        let mut ctx = Context::default();
        assert_eq!(tr056_identificatie_uniek(&ctx), None);
        ctx.identificatie_reused = true;
        let h = tr056_identificatie_uniek(&ctx).unwrap();
        assert_eq!((h.rule, h.code), ("TR056", "9056"));
        assert_eq!(h.place, Place::header());
    }

    #[test]
    fn tr135_dagtekening_after_today() {
        assert_eq!(
            tr135_dagtekening_niet_in_toekomst(d(2026, 7, 9), d(2026, 7, 9)),
            None
        );
        assert_eq!(
            tr135_dagtekening_niet_in_toekomst(d(2026, 7, 8), d(2026, 7, 9)),
            None
        );
        let h = tr135_dagtekening_niet_in_toekomst(d(2026, 7, 10), d(2026, 7, 9)).unwrap();
        assert_eq!((h.rule, h.code), ("TR135", "8848"));
        assert_eq!(h.place.to_string(), "/Bericht/Header");
    }
}
