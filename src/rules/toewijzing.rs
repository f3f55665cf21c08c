//! 301 Toewijzing: the client rules and the allocation-shape rules (Product / Omvang / Budget /
//! Einddatum) that 315 and 317 share with it.

use super::common::{self, contact_path};
use super::{at, Ctx};
use crate::finding::Finding;
use crate::message::model::{Omvang, Product, ToegewezenProduct, ToewijzingClient};
use chrono::NaiveDate;

const CLIENT: &str = "/Bericht/Client";
const PRODUCTEN: &str = "/Bericht/Client/ToegewezenProducten";

/// The end-date boundary of the "> 2020-12-31 or empty" conditions (CD080, CD095, CD096, CS338,
/// CS343): allocations that ended before 2021 predate the 3.0 rules.
fn na_2020(einde: Option<NaiveDate>) -> bool {
    einde.is_none_or(|e| e > NaiveDate::from_ymd_opt(2020, 12, 31).unwrap_or_default())
}

/// The fields the allocation-shape conditions look at, for each class they apply to:
/// ToegewezenProduct (301), AangevraagdProduct (315), NieuwProduct and TeWijzigenProduct (317).
#[derive(Debug, Clone)]
pub struct Vorm<'a> {
    /// Path of the class element, e.g. `/Bericht/Client/ToegewezenProducten/ToegewezenProduct[2]`.
    pub path: String,
    /// `None` when the class has no Product element (TeWijzigenProduct) or it is left out.
    pub product: Option<&'a Product>,
    pub begin: NaiveDate,
    /// Local name of the begin date (`Ingangsdatum`, `ToewijzingIngangsdatum`, …).
    pub begin_name: &'static str,
    pub einde: Option<NaiveDate>,
    /// Local name of the end date (`Einddatum`, `ToewijzingEinddatum`).
    pub einde_name: &'static str,
    pub omvang: Option<&'a Omvang>,
    pub budget: Option<i64>,
}

impl<'a> Vorm<'a> {
    pub fn of_toegewezen(p: &'a ToegewezenProduct, path: String) -> Vorm<'a> {
        Vorm {
            path,
            product: p.product.as_ref(),
            begin: p.ingangsdatum,
            begin_name: "Ingangsdatum",
            einde: p.einddatum,
            einde_name: "Einddatum",
            omvang: p.omvang.as_ref(),
            budget: p.budget,
        }
    }

    fn child(&self, name: &str) -> String {
        format!("{}/{name}", self.path)
    }

    fn code(&self) -> Option<&'a str> {
        self.product.and_then(|p| p.code.as_deref())
    }

    /// True when Omvang must be empty because there is no product code and the allocation runs
    /// past 2020 (the shared condition of CD080, CD095 and CD096).
    pub fn omvang_verboden_zonder_code(&self) -> bool {
        self.omvang.is_some() && self.code().is_none() && na_2020(self.einde)
    }

    /// True when the unit does not allow "per day" and the frequency is not 2, 4 or 6 (the shared
    /// condition of CS338 and CS343).
    pub fn frequentie_past_niet_bij_eenheid(&self) -> bool {
        self.omvang.is_some_and(|o| {
            matches!(o.eenheid.as_str(), "14" | "16" | "83" | "84")
                && !matches!(o.frequentie.as_str(), "2" | "4" | "6")
        }) && na_2020(self.einde)
    }
}

/// CD041: a specific product (Product/Code filled) needs an Omvang, so the volume can be checked.
pub fn cd041_omvang_verplicht_bij_productcode(v: &Vorm, out: &mut Vec<Finding>) {
    if let (Some(code), None) = (v.code(), v.omvang) {
        out.push(Finding::rule(
            "CD041",
            v.child("Omvang"),
            format!("Omvang is required because product code {code:?} is given"),
        ));
    }
}

/// CD075: a budget needs an end date, otherwise the budget has no period.
pub fn cd075_einddatum_verplicht_bij_budget(v: &Vorm, out: &mut Vec<Finding>) {
    if v.budget.is_some() && v.einde.is_none() {
        out.push(Finding::rule(
            "CD075",
            v.child(v.einde_name),
            format!("{} is required because a Budget is given", v.einde_name),
        ));
    }
}

/// CD076: a weekly volume (Frequentie 2) needs an end date, so the total can be computed.
pub fn cd076_einddatum_verplicht_bij_frequentie_week(v: &Vorm, out: &mut Vec<Finding>) {
    if v.omvang.is_some_and(|o| o.frequentie == "2") && v.einde.is_none() {
        out.push(Finding::rule(
            "CD076",
            v.child(v.einde_name),
            format!(
                "{} is required because the Omvang is per week (Frequentie 2)",
                v.einde_name
            ),
        ));
    }
}

/// CD077: with a Budget there is no Omvang (an allocation is either volume or budget).
pub fn cd077_omvang_leeg_bij_budget(v: &Vorm, out: &mut Vec<Finding>) {
    if v.budget.is_some() && v.omvang.is_some() {
        out.push(Finding::rule(
            "CD077",
            v.child("Omvang"),
            "Omvang must be left out because a Budget is given",
        ));
    }
}

/// CD078: with an Omvang there is no Budget (the same exclusion seen from the Budget side).
pub fn cd078_budget_leeg_bij_omvang(v: &Vorm, out: &mut Vec<Finding>) {
    if v.omvang.is_some() && v.budget.is_some() {
        out.push(Finding::rule(
            "CD078",
            v.child("Budget"),
            "Budget must be left out because an Omvang is given",
        ));
    }
}

/// CD079: without a Budget a Product is required; only a budget allocation may be generic.
pub fn cd079_product_verplicht_zonder_budget(v: &Vorm, out: &mut Vec<Finding>) {
    if v.budget.is_none() && v.product.is_none() {
        out.push(Finding::rule(
            "CD079",
            v.child("Product"),
            "Product is required because no Budget is given",
        ));
    }
}

/// CD080: an allocation without product code that runs past 2020 has no Omvang (aspecific
/// allocations carry no volume).
pub fn cd080_omvang_leeg_zonder_productcode(v: &Vorm, out: &mut Vec<Finding>) {
    if v.omvang_verboden_zonder_code() {
        out.push(Finding::rule(
            "CD080",
            v.child("Omvang"),
            "Omvang must be left out: there is no product code and the allocation runs after 2020-12-31",
        ));
    }
}

/// CS003: an end date may not lie before the begin date of the same period.
pub fn cs003_einddatum_niet_voor_begindatum(
    begin: Option<NaiveDate>,
    einde: Option<NaiveDate>,
    einde_path: &str,
    begin_name: &str,
    out: &mut Vec<Finding>,
) {
    if let (Some(b), Some(e)) = (begin, einde) {
        if e < b {
            out.push(Finding::rule(
                "CS003",
                einde_path,
                format!("end date {e} lies before the {begin_name} {b}"),
            ));
        }
    }
}

/// CS003 applied to an allocation-shaped class.
pub fn cs003_vorm(v: &Vorm, out: &mut Vec<Finding>) {
    cs003_einddatum_niet_voor_begindatum(
        Some(v.begin),
        v.einde,
        &v.child(v.einde_name),
        v.begin_name,
        out,
    );
}

/// CS338: days, part-days, euros and effort pieces (Eenheid 14/16/83/84) are not allocated per
/// day; the Frequentie must be 2 (week), 4 (month) or 6 (total), for allocations running past 2020.
pub fn cs338_frequentie_past_bij_eenheid(v: &Vorm, out: &mut Vec<Finding>) {
    if v.frequentie_past_niet_bij_eenheid() {
        let o = v
            .omvang
            .map(|o| (o.eenheid.as_str(), o.frequentie.as_str()));
        let (e, f) = o.unwrap_or_default();
        out.push(Finding::rule(
            "CS338",
            v.child("Omvang/Frequentie"),
            format!("Frequentie {f} is not allowed with Eenheid {e}; use 2, 4 or 6"),
        ));
    }
}

/// CS335: RedenWijziging 13 (deleted) is only used on an allocation whose Einddatum equals its
/// Ingangsdatum, the agreed way to withdraw an allocation as if never sent.
pub fn cs335_reden_13_alleen_bij_gelijke_datums(
    p: &ToegewezenProduct,
    path: &str,
    out: &mut Vec<Finding>,
) {
    if p.reden_wijziging.as_deref() == Some("13") && p.einddatum != Some(p.ingangsdatum) {
        out.push(Finding::rule(
            "CS335",
            format!("{path}/RedenWijziging"),
            format!(
                "RedenWijziging 13 (deleted) requires Einddatum = Ingangsdatum {}",
                p.ingangsdatum
            ),
        ));
    }
}

/// CS336: RedenWijziging 01 is obsolete since 3.1 (replaced by 13 and 14) and must not be used.
pub fn cs336_reden_01_vervallen(p: &ToegewezenProduct, path: &str, out: &mut Vec<Finding>) {
    if p.reden_wijziging.as_deref() == Some("01") {
        out.push(Finding::rule(
            "CS336",
            format!("{path}/RedenWijziging"),
            "RedenWijziging 01 is obsolete; use 13 (deleted) or 14 (administrative correction)",
        ));
    }
}

/// True when two products are "the same product" for the stacking rules TR302/TR386/TR410.
///
/// Decision: with codes on both sides the codes (and categories) must match; when either side
/// has no code the comparison is at category level (an aspecific allocation covers its whole
/// category, so a specific one in that category stacks on it); a product without category
/// (generic) clashes with every other product.
pub fn zelfde_product(a: Option<&Product>, b: Option<&Product>) -> bool {
    match (a, b) {
        (None, _) | (_, None) => true,
        (Some(a), Some(b)) => {
            a.categorie == b.categorie
                && match (&a.code, &b.code) {
                    (Some(x), Some(y)) => x == y,
                    _ => true,
                }
        }
    }
}

/// True when two inclusive periods (open end = `None`) share at least one day.
pub fn overlapt(a: Periode, b: Periode) -> bool {
    let ends_after = |end: Option<NaiveDate>, start: NaiveDate| end.is_none_or(|e| e >= start);
    ends_after(a.1, b.0) && ends_after(b.1, a.0)
}

/// An inclusive period with an optional (open) end.
pub type Periode = (NaiveDate, Option<NaiveDate>);

/// One product occurrence for the stacking rules: its path, its product and its period.
pub type ProductInPeriode<'a> = (String, Option<&'a Product>, Periode);

/// Reports, for each product that stacks on an earlier one, one finding at the later product.
pub fn stapeling(code: &str, items: &[ProductInPeriode<'_>], what: &str, out: &mut Vec<Finding>) {
    for (j, (path_j, prod_j, per_j)) in items.iter().enumerate() {
        let earlier = items[..j].iter().find(|(_, prod_i, per_i)| {
            zelfde_product(*prod_i, *prod_j) && overlapt(*per_i, *per_j)
        });
        if let Some((earlier, _, _)) = earlier {
            out.push(Finding::rule(
                code,
                path_j.clone(),
                format!(
                    "this {what} overlaps in time with the same product at {earlier}; the same product may only appear again for a period that does not overlap"
                ),
            ));
        }
    }
}

/// TR302: a product appears more than once in a 301 only for periods that do not overlap (no
/// stacking). Deleted allocations (Einddatum = Ingangsdatum with RedenWijziging 13, or the legacy
/// 01) do not count.
pub fn tr302_geen_overlap_zelfde_product(producten: &[ToegewezenProduct], out: &mut Vec<Finding>) {
    let items: Vec<_> = producten
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            let verwijderd = p.einddatum == Some(p.ingangsdatum)
                && matches!(p.reden_wijziging.as_deref(), Some("13" | "01"));
            !verwijderd
        })
        .map(|(i, p)| {
            (
                at(PRODUCTEN, "ToegewezenProduct", i),
                p.product.as_ref(),
                (p.ingangsdatum, p.einddatum),
            )
        })
        .collect();
    stapeling("TR302", &items, "allocation", out);
}

/// All allocation-shape rules that 301 applies to a ToegewezenProduct.
fn check_product(p: &ToegewezenProduct, path: String, ctx: &Ctx, out: &mut Vec<Finding>) {
    let v = Vorm::of_toegewezen(p, path);
    cd041_omvang_verplicht_bij_productcode(&v, out);
    cd075_einddatum_verplicht_bij_budget(&v, out);
    cd076_einddatum_verplicht_bij_frequentie_week(&v, out);
    cd077_omvang_leeg_bij_budget(&v, out);
    cd078_budget_leeg_bij_omvang(&v, out);
    cd079_product_verplicht_zonder_budget(&v, out);
    cd080_omvang_leeg_zonder_productcode(&v, out);
    cs003_vorm(&v, out);
    cs338_frequentie_past_bij_eenheid(&v, out);
    cs335_reden_13_alleen_bij_gelijke_datums(p, &v.path, out);
    cs336_reden_01_vervallen(p, &v.path, out);
    common::tr134_niet_na_dagtekening(
        p.toewijzingsdatum,
        ctx,
        &format!("{}/Toewijzingsdatum", v.path),
        out,
    );
}

/// Every level-2 rule of the 301 body.
pub fn check(c: &ToewijzingClient, ctx: &Ctx, out: &mut Vec<Finding>) {
    common::cs002_bsn_elfproef(&c.bsn, &format!("{CLIENT}/Bsn"), out);
    common::check_geboortedatum(
        &c.geboortedatum,
        ctx,
        &format!("{CLIENT}/Geboortedatum"),
        out,
    );
    let naam = format!("{CLIENT}/Naam");
    common::cs050_naamgebruik_past_bij_partnernaam(&c.naam, &naam, out);
    common::cs318_naamgebruik_6_niet_voor_client(&c.naam, &naam, out);
    if let Some(comm) = &c.communicatie {
        common::cd007_taal_alleen_bij_tolk(comm, &format!("{CLIENT}/Communicatie"), out);
    }
    for (i, r) in c.relaties.iter().flat_map(|r| r.relatie.iter()).enumerate() {
        let path = at(&format!("{CLIENT}/Relaties"), "Relatie", i);
        if let Some(g) = &r.geboortedatum {
            common::check_geboortedatum(g, ctx, &format!("{path}/Geboortedatum"), out);
        }
        common::cs050_naamgebruik_past_bij_partnernaam(&r.naam, &format!("{path}/Naam"), out);
        common::check_contact(&r.contact, &format!("{path}/Contact"), out);
    }
    for (i, contact) in c.contactgegevens.contact.iter().enumerate() {
        common::check_contact(contact, &contact_path(i), out);
    }
    common::tr061_client_heeft_woon_of_postadres(
        &c.contactgegevens.contact,
        &format!("{CLIENT}/Contactgegevens"),
        out,
    );
    let producten = &c.toegewezen_producten.toegewezen_product;
    for (i, p) in producten.iter().enumerate() {
        check_product(p, at(PRODUCTEN, "ToegewezenProduct", i), ctx, out);
    }
    tr302_geen_overlap_zelfde_product(producten, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testutil::{codes, ctx, d};

    fn product(cat: &str, code: Option<&str>) -> Option<Product> {
        Some(Product {
            categorie: cat.into(),
            code: code.map(str::to_string),
        })
    }

    fn omvang(eenheid: &str, frequentie: &str) -> Option<Omvang> {
        Some(Omvang {
            volume: 3,
            eenheid: eenheid.into(),
            frequentie: frequentie.into(),
        })
    }

    /// A valid specific allocation: 45A03, 3 hours a week, April to December 2026.
    fn tp() -> ToegewezenProduct {
        ToegewezenProduct {
            toewijzing_nummer: 1,
            product: product("45", Some("45A03")),
            toewijzingsdatum: d(2026, 3, 30),
            ingangsdatum: d(2026, 4, 1),
            einddatum: Some(d(2026, 12, 31)),
            omvang: omvang("04", "2"),
            ..ToegewezenProduct::default()
        }
    }

    fn rule(f: fn(&Vorm, &mut Vec<Finding>), p: &ToegewezenProduct) -> Vec<Finding> {
        let mut out = Vec::new();
        f(&Vorm::of_toegewezen(p, "/P".into()), &mut out);
        out
    }

    #[test]
    fn cd041_omvang_with_code() {
        assert!(rule(cd041_omvang_verplicht_bij_productcode, &tp()).is_empty());
        let p = ToegewezenProduct {
            omvang: None,
            ..tp()
        };
        let f = rule(cd041_omvang_verplicht_bij_productcode, &p);
        assert_eq!(codes(&f), ["CD041"]);
        assert_eq!(f[0].path, "/P/Omvang");
    }

    #[test]
    fn cd075_einddatum_with_budget() {
        let generic = ToegewezenProduct {
            product: None,
            omvang: None,
            budget: Some(100_000),
            ..tp()
        };
        assert!(rule(cd075_einddatum_verplicht_bij_budget, &generic).is_empty());
        let open = ToegewezenProduct {
            einddatum: None,
            ..generic
        };
        let f = rule(cd075_einddatum_verplicht_bij_budget, &open);
        assert_eq!(codes(&f), ["CD075"]);
        assert_eq!(f[0].path, "/P/Einddatum");
    }

    #[test]
    fn cd076_einddatum_with_weekly_volume() {
        assert!(rule(cd076_einddatum_verplicht_bij_frequentie_week, &tp()).is_empty());
        let monthly_open = ToegewezenProduct {
            einddatum: None,
            omvang: omvang("04", "4"),
            ..tp()
        };
        assert!(rule(cd076_einddatum_verplicht_bij_frequentie_week, &monthly_open).is_empty());
        let weekly_open = ToegewezenProduct {
            einddatum: None,
            ..tp()
        };
        let f = rule(cd076_einddatum_verplicht_bij_frequentie_week, &weekly_open);
        assert_eq!(codes(&f), ["CD076"]);
        assert_eq!(f[0].path, "/P/Einddatum");
    }

    #[test]
    fn cd077_cd078_volume_or_budget() {
        assert!(rule(cd077_omvang_leeg_bij_budget, &tp()).is_empty());
        assert!(rule(cd078_budget_leeg_bij_omvang, &tp()).is_empty());
        let both = ToegewezenProduct {
            budget: Some(5),
            ..tp()
        };
        let f = rule(cd077_omvang_leeg_bij_budget, &both);
        assert_eq!(
            (codes(&f), f[0].path.as_str()),
            (vec!["CD077"], "/P/Omvang")
        );
        let f = rule(cd078_budget_leeg_bij_omvang, &both);
        assert_eq!(
            (codes(&f), f[0].path.as_str()),
            (vec!["CD078"], "/P/Budget")
        );
    }

    #[test]
    fn cd079_product_without_budget() {
        assert!(rule(cd079_product_verplicht_zonder_budget, &tp()).is_empty());
        let generic = ToegewezenProduct {
            product: None,
            omvang: None,
            budget: Some(1),
            ..tp()
        };
        assert!(rule(cd079_product_verplicht_zonder_budget, &generic).is_empty());
        let nothing = ToegewezenProduct {
            budget: None,
            ..generic
        };
        let f = rule(cd079_product_verplicht_zonder_budget, &nothing);
        assert_eq!(
            (codes(&f), f[0].path.as_str()),
            (vec!["CD079"], "/P/Product")
        );
    }

    #[test]
    fn cd080_no_volume_without_code() {
        assert!(rule(cd080_omvang_leeg_zonder_productcode, &tp()).is_empty());
        let legacy = ToegewezenProduct {
            product: product("45", None),
            einddatum: Some(d(2020, 12, 31)),
            ingangsdatum: d(2020, 1, 1),
            ..tp()
        };
        assert!(rule(cd080_omvang_leeg_zonder_productcode, &legacy).is_empty());
        let aspecific = ToegewezenProduct {
            product: product("45", None),
            ..tp()
        };
        let f = rule(cd080_omvang_leeg_zonder_productcode, &aspecific);
        assert_eq!(
            (codes(&f), f[0].path.as_str()),
            (vec!["CD080"], "/P/Omvang")
        );
        let open = ToegewezenProduct {
            einddatum: None,
            ..aspecific
        };
        assert_eq!(
            codes(&rule(cd080_omvang_leeg_zonder_productcode, &open)),
            ["CD080"]
        );
    }

    #[test]
    fn cs003_end_not_before_begin() {
        assert!(rule(cs003_vorm, &tp()).is_empty());
        let same_day = ToegewezenProduct {
            einddatum: Some(d(2026, 4, 1)),
            ..tp()
        };
        assert!(rule(cs003_vorm, &same_day).is_empty());
        let reversed = ToegewezenProduct {
            einddatum: Some(d(2026, 3, 31)),
            ..tp()
        };
        let f = rule(cs003_vorm, &reversed);
        assert_eq!(
            (codes(&f), f[0].path.as_str()),
            (vec!["CS003"], "/P/Einddatum")
        );
    }

    #[test]
    fn cs338_no_per_day_for_some_units() {
        assert!(rule(cs338_frequentie_past_bij_eenheid, &tp()).is_empty());
        let minutes_daily = ToegewezenProduct {
            omvang: omvang("01", "1"),
            ..tp()
        };
        assert!(rule(cs338_frequentie_past_bij_eenheid, &minutes_daily).is_empty());
        for e in ["14", "16", "83", "84"] {
            let p = ToegewezenProduct {
                omvang: omvang(e, "1"),
                ..tp()
            };
            let f = rule(cs338_frequentie_past_bij_eenheid, &p);
            assert_eq!(codes(&f), ["CS338"], "{e}");
            assert_eq!(f[0].path, "/P/Omvang/Frequentie");
        }
    }

    #[test]
    fn cs335_reden_13() {
        let mut out = Vec::new();
        let deleted = ToegewezenProduct {
            einddatum: Some(d(2026, 4, 1)),
            reden_wijziging: Some("13".into()),
            ..tp()
        };
        cs335_reden_13_alleen_bij_gelijke_datums(&deleted, "/P", &mut out);
        assert!(out.is_empty());
        let bad = ToegewezenProduct {
            reden_wijziging: Some("13".into()),
            ..tp()
        };
        cs335_reden_13_alleen_bij_gelijke_datums(&bad, "/P", &mut out);
        assert_eq!(codes(&out), ["CS335"]);
        assert_eq!(out[0].path, "/P/RedenWijziging");
    }

    #[test]
    fn cs336_reden_01() {
        let mut out = Vec::new();
        let p = ToegewezenProduct {
            reden_wijziging: Some("14".into()),
            ..tp()
        };
        cs336_reden_01_vervallen(&p, "/P", &mut out);
        assert!(out.is_empty());
        let p = ToegewezenProduct {
            reden_wijziging: Some("01".into()),
            ..tp()
        };
        cs336_reden_01_vervallen(&p, "/P", &mut out);
        assert_eq!(codes(&out), ["CS336"]);
    }

    fn tr302(ps: &[ToegewezenProduct]) -> Vec<Finding> {
        let mut out = Vec::new();
        tr302_geen_overlap_zelfde_product(ps, &mut out);
        out
    }

    #[test]
    fn tr302_no_stacking() {
        let next = ToegewezenProduct {
            toewijzing_nummer: 2,
            ingangsdatum: d(2027, 1, 1),
            einddatum: None,
            ..tp()
        };
        let other_code = ToegewezenProduct {
            toewijzing_nummer: 3,
            product: product("45", Some("45A07")),
            ..tp()
        };
        let deleted = ToegewezenProduct {
            toewijzing_nummer: 4,
            einddatum: Some(d(2026, 4, 1)),
            reden_wijziging: Some("13".into()),
            ..tp()
        };
        assert!(tr302(&[tp(), next.clone(), other_code.clone(), deleted]).is_empty());

        let overlapping = ToegewezenProduct {
            toewijzing_nummer: 5,
            ingangsdatum: d(2026, 12, 31),
            einddatum: None,
            ..tp()
        };
        let f = tr302(&[tp(), overlapping]);
        assert_eq!(codes(&f), ["TR302"]);
        assert_eq!(
            f[0].path,
            "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[2]"
        );
        // Category level when a code is missing; a generic allocation clashes with anything.
        let aspecific = ToegewezenProduct {
            toewijzing_nummer: 6,
            product: product("45", None),
            omvang: None,
            ..tp()
        };
        assert_eq!(codes(&tr302(&[other_code.clone(), aspecific])), ["TR302"]);
        let generic = ToegewezenProduct {
            toewijzing_nummer: 7,
            product: None,
            omvang: None,
            budget: Some(1000),
            ..tp()
        };
        let other_category = ToegewezenProduct {
            product: product("43", Some("43A01")),
            ..tp()
        };
        assert!(tr302(&[other_code.clone(), other_category.clone()]).is_empty());
        assert_eq!(codes(&tr302(&[other_category, generic])), ["TR302"]);
    }

    #[test]
    fn overlap_is_inclusive() {
        let p = |b: NaiveDate, e: Option<NaiveDate>| (b, e);
        assert!(overlapt(
            p(d(2026, 1, 1), Some(d(2026, 1, 31))),
            p(d(2026, 1, 31), None)
        ));
        assert!(!overlapt(
            p(d(2026, 1, 1), Some(d(2026, 1, 30))),
            p(d(2026, 1, 31), None)
        ));
        assert!(overlapt(p(d(2026, 1, 1), None), p(d(2030, 1, 1), None)));
    }

    fn client() -> ToewijzingClient {
        use crate::message::model::*;
        ToewijzingClient {
            bsn: "999912367".into(),
            geboortedatum: Geboortedatum {
                datum: d(2014, 5, 3),
                datum_gebruik: None,
            },
            geslacht: "1".into(),
            naam: VolledigeNaam {
                naam_gebruik: "1".into(),
                ..VolledigeNaam::default()
            },
            contactgegevens: Contactgegevens {
                contact: vec![Contact {
                    soort: "01".into(),
                    adres: Some(Adres {
                        huis: Some(Huis {
                            huisnummer: 23,
                            ..Huis::default()
                        }),
                        postcode: Some("2801AB".into()),
                        land_code: Some("NL".into()),
                        ..Adres::default()
                    }),
                    ..Contact::default()
                }],
            },
            toegewezen_producten: ToegewezenProducten {
                toegewezen_product: vec![tp()],
            },
            ..ToewijzingClient::default()
        }
    }

    #[test]
    fn whole_301_clean_and_broken() {
        let c = ctx(2026, 4, 1);
        let mut out = Vec::new();
        check(&client(), &c, &mut out);
        assert!(out.is_empty(), "{out:?}");

        let mut bad = client();
        bad.bsn = "123456781".into();
        bad.contactgegevens.contact[0].soort = "04".into();
        bad.toegewezen_producten.toegewezen_product[0].toewijzingsdatum = d(2026, 4, 2);
        bad.toegewezen_producten.toegewezen_product[0].omvang = None;
        check(&bad, &c, &mut out);
        assert_eq!(codes(&out), ["CS002", "TR061", "CD041", "TR134"]);
        assert_eq!(
            out[3].path,
            "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[1]/Toewijzingsdatum"
        );
    }
}
