//! 305 Start and 307 Stop: the delivery (regie) messages.

use super::common;
use super::{at, Ctx};
use crate::finding::Finding;
use crate::message::model::{Geboortedatum, StartClient, StopClient, StopProduct};

const CLIENT: &str = "/Bericht/Client";

/// CS058: StatusAanlevering is 1 (new) or 3 (delete); 2 (changed) and 9 (unchanged) are not
/// used, a correction is a delete followed by a new delivery.
pub fn cs058_status_aanlevering_1_of_3(status: &str, path: &str, out: &mut Vec<Finding>) {
    if !matches!(status, "1" | "3") {
        out.push(Finding::rule(
            "CS058",
            format!("{path}/StatusAanlevering"),
            format!("StatusAanlevering {status} is not allowed; use 1 (new) or 3 (delete)"),
        ));
    }
}

/// TR018: a stop cannot end before the delivery began.
pub fn tr018_einddatum_niet_voor_begindatum(p: &StopProduct, path: &str, out: &mut Vec<Finding>) {
    if p.einddatum < p.begindatum {
        out.push(Finding::rule(
            "TR018",
            format!("{path}/Einddatum"),
            format!(
                "Einddatum {} lies before the Begindatum {} of the delivery",
                p.einddatum, p.begindatum
            ),
        ));
    }
}

fn check_client(bsn: &str, geb: &Geboortedatum, ctx: &Ctx, out: &mut Vec<Finding>) {
    common::cs002_bsn_elfproef(bsn, &format!("{CLIENT}/Bsn"), out);
    common::check_geboortedatum(geb, ctx, &format!("{CLIENT}/Geboortedatum"), out);
}

/// Every level-2 rule of the 305 body.
pub fn check_start(c: &StartClient, ctx: &Ctx, out: &mut Vec<Finding>) {
    check_client(&c.bsn, &c.geboortedatum, ctx, out);
    for (i, p) in c.start_producten.start_product.iter().enumerate() {
        let path = at(&format!("{CLIENT}/StartProducten"), "StartProduct", i);
        cs058_status_aanlevering_1_of_3(&p.status_aanlevering, &path, out);
        common::tr134_niet_na_dagtekening(p.begindatum, ctx, &format!("{path}/Begindatum"), out);
    }
}

/// Every level-2 rule of the 307 body.
pub fn check_stop(c: &StopClient, ctx: &Ctx, out: &mut Vec<Finding>) {
    check_client(&c.bsn, &c.geboortedatum, ctx, out);
    for (i, p) in c.stop_producten.stop_product.iter().enumerate() {
        let path = at(&format!("{CLIENT}/StopProducten"), "StopProduct", i);
        cs058_status_aanlevering_1_of_3(&p.status_aanlevering, &path, out);
        tr018_einddatum_niet_voor_begindatum(p, &path, out);
        common::tr134_niet_na_dagtekening(p.begindatum, ctx, &format!("{path}/Begindatum"), out);
        common::tr134_niet_na_dagtekening(p.einddatum, ctx, &format!("{path}/Einddatum"), out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::model::{StartProduct, StartProducten, StopProducten};
    use crate::rules::testutil::{codes, ctx, d};

    #[test]
    fn cs058_status() {
        let mut out = Vec::new();
        for ok in ["1", "3"] {
            cs058_status_aanlevering_1_of_3(ok, "/S", &mut out);
        }
        assert!(out.is_empty());
        for bad in ["2", "9"] {
            cs058_status_aanlevering_1_of_3(bad, "/S", &mut out);
        }
        assert_eq!(codes(&out), ["CS058", "CS058"]);
        assert_eq!(out[0].path, "/S/StatusAanlevering");
    }

    fn stop(begin: (i32, u32, u32), end: (i32, u32, u32)) -> StopProduct {
        StopProduct {
            toewijzing_nummer: Some(1),
            begindatum: d(begin.0, begin.1, begin.2),
            reden_beeindiging: "31".into(),
            einddatum: d(end.0, end.1, end.2),
            status_aanlevering: "1".into(),
            ..StopProduct::default()
        }
    }

    #[test]
    fn tr018_end_not_before_begin() {
        let mut out = Vec::new();
        tr018_einddatum_niet_voor_begindatum(&stop((2026, 7, 7), (2026, 7, 7)), "/S", &mut out);
        tr018_einddatum_niet_voor_begindatum(&stop((2026, 7, 7), (2026, 8, 27)), "/S", &mut out);
        assert!(out.is_empty());
        tr018_einddatum_niet_voor_begindatum(&stop((2026, 7, 7), (2026, 7, 6)), "/S", &mut out);
        assert_eq!(codes(&out), ["TR018"]);
        assert_eq!(out[0].path, "/S/Einddatum");
    }

    fn geb() -> Geboortedatum {
        Geboortedatum {
            datum: d(2014, 5, 3),
            datum_gebruik: None,
        }
    }

    #[test]
    fn whole_305() {
        let c = StartClient {
            bsn: "999912367".into(),
            geboortedatum: geb(),
            start_producten: StartProducten {
                start_product: vec![
                    StartProduct {
                        toewijzing_nummer: Some(1),
                        begindatum: d(2026, 7, 6),
                        status_aanlevering: "1".into(),
                        ..StartProduct::default()
                    },
                    StartProduct {
                        toewijzing_nummer: Some(2),
                        begindatum: d(2026, 7, 10),
                        status_aanlevering: "2".into(),
                        ..StartProduct::default()
                    },
                ],
            },
            ..StartClient::default()
        };
        let mut out = Vec::new();
        check_start(&c, &ctx(2026, 7, 9), &mut out);
        assert_eq!(codes(&out), ["CS058", "TR134"]);
        assert_eq!(
            out[1].path,
            "/Bericht/Client/StartProducten/StartProduct[2]/Begindatum"
        );
        out.clear();
        check_start(&c, &ctx(2026, 7, 10), &mut out);
        assert_eq!(codes(&out), ["CS058"]);
    }

    #[test]
    fn whole_307() {
        let c = StopClient {
            bsn: "999912367".into(),
            geboortedatum: geb(),
            stop_producten: StopProducten {
                stop_product: vec![stop((2026, 7, 7), (2026, 8, 27))],
            },
            ..StopClient::default()
        };
        let mut out = Vec::new();
        check_stop(&c, &ctx(2026, 9, 3), &mut out);
        assert!(out.is_empty(), "{out:?}");
        check_stop(&c, &ctx(2026, 8, 26), &mut out);
        assert_eq!(codes(&out), ["TR134"]);
        assert_eq!(
            out[0].path,
            "/Bericht/Client/StopProducten/StopProduct[1]/Einddatum"
        );
    }
}
