//! Synthetic JW323 declarations in bulk, for the validation benchmark and load tests: plausible
//! providers, clients with test BSNs, hourly products, and (on request) a share of files with
//! one schema error each so verdicts can be compared, not just speed.

use crate::message::bsn::test_bsn;
use crate::message::kind::{MessageKind, Standard};
use crate::message::tree::Element;
use crate::message::write::write;
use crate::schema::SchemaSet;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const GEMEENTEN: [&str; 5] = ["0513", "0627", "1901", "1892", "1931"];
/// (category, code, unit, tariff in eurocents per unit)
const PRODUCTS: [(&str, &str, &str, i64); 5] = [
    ("45", "45A03", "04", 9385),
    ("45", "45A05", "04", 10120),
    ("54", "54B01", "04", 12650),
    ("43", "43C02", "14", 24900),
    ("41", "41D01", "16", 6875),
];

fn m(name: &str) -> Element {
    Element::new(name, false)
}
fn leaf(name: &str, text: impl Into<String>) -> Element {
    Element::leaf(name, false, text)
}
fn b(name: &str, text: impl Into<String>) -> Element {
    Element::leaf(name, true, text)
}
fn with(mut e: Element, children: Vec<Element>) -> Element {
    e.children = children;
    e
}

/// One generated file: a name and the message text; `schema_valid` says whether an error was
/// planted on purpose.
#[derive(Debug, Clone)]
pub struct CorpusFile {
    pub name: String,
    pub xml: String,
    pub schema_valid: bool,
}

/// `count` JW323 declarations (September 2026) from a fixed seed. With `broken_every` = N > 0,
/// every N-th file carries exactly one schema error.
pub fn jw323_declarations(count: usize, seed: u64, broken_every: usize) -> Vec<CorpusFile> {
    let kind = MessageKind::new(Standard::Ijw, 323);
    let def = SchemaSet::embedded().get(kind).expect("JW323 definition");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut refs = 0u64;
    (0..count)
        .map(|i| {
            let agb = format!("98{:06}", rng.random_range(0..200u32) * 37 + 1000);
            let gemeente = GEMEENTEN[rng.random_range(0..GEMEENTEN.len())];
            let clients = 1 + (rng.random_range(0..100u32).pow(2) / 400) as usize; // mostly small
            let mut total = 0i64;
            let mut client_elems = Vec::new();
            for _ in 0..clients {
                let bsn = test_bsn(rng.random_range(0..5_000_000u64));
                let mut prestaties = Vec::new();
                for _ in 0..rng.random_range(1..=3) {
                    let (cat, code, unit, tariff) = PRODUCTS[rng.random_range(0..PRODUCTS.len())];
                    let volume = rng.random_range(1..40i64);
                    let amount = volume * tariff;
                    total += amount;
                    refs += 1;
                    prestaties.push(with(
                        m("Prestatie"),
                        vec![
                            with(
                                m("ProductReferentie"),
                                vec![b("ReferentieNummer", format!("R{seed}-{refs}"))],
                            ),
                            leaf(
                                "ToewijzingNummer",
                                rng.random_range(100_000..999_999_999u32).to_string(),
                            ),
                            leaf("ProductCategorie", cat),
                            leaf("ProductCode", code),
                            with(
                                m("ProductPeriode"),
                                vec![b("Begindatum", "2026-09-01"), b("Einddatum", "2026-09-30")],
                            ),
                            leaf("GeleverdVolume", volume.to_string()),
                            leaf("Eenheid", unit),
                            leaf("ProductTarief", tariff.to_string()),
                            with(
                                m("IngediendBedrag"),
                                vec![b("Bedrag", amount.to_string()), b("DebetCredit", "D")],
                            ),
                        ],
                    ));
                }
                client_elems.push(with(
                    m("Client"),
                    vec![leaf("Bsn", bsn), with(m("Prestaties"), prestaties)],
                ));
            }
            let header = with(
                m("Header"),
                vec![
                    leaf("BerichtCode", "490"),
                    leaf("BerichtVersie", "3"),
                    leaf("BerichtSubversie", "2"),
                    leaf("Afzender", agb.clone()),
                    leaf("Ontvanger", gemeente),
                    with(
                        m("BerichtIdentificatie"),
                        vec![
                            b("Identificatie", format!("D{i:011}")),
                            b("Dagtekening", "2026-10-05"),
                        ],
                    ),
                    with(
                        m("XsdVersie"),
                        vec![
                            b("BasisschemaXsdVersie", "1.0.0"),
                            b("BerichtXsdVersie", "1.0.0"),
                        ],
                    ),
                ],
            );
            let declaratie = with(
                m("Declaratie"),
                vec![
                    leaf("DeclaratieNummer", format!("DN{i:010}")),
                    with(
                        m("DeclaratiePeriode"),
                        vec![b("Begindatum", "2026-09-01"), b("Einddatum", "2026-09-30")],
                    ),
                    leaf("DeclaratieDagtekening", "2026-10-05"),
                    with(
                        m("TotaalIngediendBedrag"),
                        vec![b("TotaalBedrag", total.to_string()), b("DebetCredit", "D")],
                    ),
                    with(m("Clienten"), client_elems),
                ],
            );
            let mut tree = with(m("Bericht"), vec![header, declaratie]);
            let broken = broken_every > 0 && i % broken_every == broken_every - 1;
            if broken {
                plant_error(&mut tree, i);
            }
            CorpusFile {
                name: format!("jw323-{i:06}.xml"),
                xml: write(def, &tree),
                schema_valid: !broken,
            }
        })
        .collect()
}

/// Plants one schema error, varying its kind with `i`.
fn plant_error(tree: &mut Element, i: usize) {
    let prestatie = tree
        .child_mut("Declaratie")
        .and_then(|d| d.child_mut("Clienten"))
        .and_then(|c| c.children.first_mut())
        .and_then(|c| c.child_mut("Prestaties"))
        .and_then(|p| p.children.first_mut())
        .expect("a prestatie");
    match i % 4 {
        0 => prestatie.child_mut("Eenheid").unwrap().text = Some("99".into()),
        1 => prestatie.children.retain(|c| c.name != "ProductCode"),
        2 => prestatie.child_mut("GeleverdVolume").unwrap().text = Some("12.5".into()),
        _ => {
            let p = prestatie.child_mut("ProductPeriode").unwrap();
            p.children[1].text = Some("2026-09-31".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Validator;

    #[test]
    fn corpus_is_deterministic_and_verdicts_are_as_planted() {
        let a = jw323_declarations(40, 7, 10);
        let b = jw323_declarations(40, 7, 10);
        assert_eq!(
            a.iter().map(|f| &f.xml).collect::<Vec<_>>(),
            b.iter().map(|f| &f.xml).collect::<Vec<_>>()
        );
        let v = Validator::embedded();
        for f in &a {
            let r = v.validate(f.xml.as_bytes());
            assert_eq!(
                r.schema_valid(),
                f.schema_valid,
                "{}: {:?}",
                f.name,
                r.findings
            );
        }
        assert_eq!(a.iter().filter(|f| !f.schema_valid).count(), 4);
    }
}
