//! What a generated message says ([`Spec`]), kept compact until its turn to be written, and how
//! it becomes an element tree and then text (through [`crate::message::write`]).

use super::people::{Address, Person};
use crate::message::kind::{MessageKind, Standard};
use crate::message::tree::Element;
use crate::message::write::write;
use crate::schema::SchemaSet;
use chrono::{NaiveDate, NaiveTime};
use std::rc::Rc;

/// A client as the municipality registered them (shared by all messages about them).
#[derive(Debug)]
pub struct Client {
    pub bsn: String,
    pub person: Person,
    pub address: Address,
    pub phone: String,
    /// A parent (Jeugdwet: the gezagsdrager, OP002) or a relative (Wmo).
    pub relatie: Option<Relatie>,
    /// WJ232, for youth under a child-protection or probation measure.
    pub juridische_status: Option<&'static str>,
}

#[derive(Debug)]
pub struct Relatie {
    pub nummer: String,
    /// COD472: 10 parent, 16 son/daughter.
    pub soort: &'static str,
    pub person: Person,
    pub phone: String,
}

/// A product as allocated, in one version.
#[derive(Debug, Clone)]
pub struct Toegewezen {
    pub nummer: u32,
    pub referentie: Option<String>,
    pub categorie: &'static str,
    pub code: Option<&'static str>,
    pub toewijzingsdatum: NaiveDate,
    pub toewijzingstijd: NaiveTime,
    pub ingangsdatum: NaiveDate,
    pub einddatum: Option<NaiveDate>,
    pub reden: Option<&'static str>,
    pub omvang: Option<Omvang>,
    pub budget: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Omvang {
    pub volume: i64,
    pub eenheid: &'static str,
    pub frequentie: &'static str,
}

/// A StartProduct or StopProduct.
#[derive(Debug, Clone)]
pub struct Regie {
    pub nummer: u32,
    pub categorie: &'static str,
    pub code: Option<&'static str>,
    pub toewijzing_ingangsdatum: NaiveDate,
    pub begindatum: NaiveDate,
    /// RedenBeeindiging and Einddatum, for a stop.
    pub stop: Option<(&'static str, NaiveDate)>,
}

/// COD327 referrer of a request.
#[derive(Debug, Clone)]
pub struct Verwijzer {
    pub soort: &'static str,
    pub naam: Option<String>,
    pub agb: Option<String>,
}

/// A requested product in a VOT.
#[derive(Debug, Clone)]
pub struct Aangevraagd {
    pub referentie: String,
    pub beschikking: Option<(u32, NaiveDate)>,
    pub categorie: &'static str,
    pub code: Option<&'static str>,
    pub ingangsdatum: NaiveDate,
    pub einddatum: Option<NaiveDate>,
    pub omvang: Option<Omvang>,
    pub budget: Option<i64>,
    pub verwijzer: Verwijzer,
}

#[derive(Debug, Clone)]
pub struct TeWijzigen {
    pub nummer: u32,
    pub gewenste_ingangsdatum: NaiveDate,
    pub einddatum: Option<NaiveDate>,
    pub omvang: Omvang,
}

/// One declaration line.
#[derive(Debug, Clone)]
pub struct Prestatie {
    pub referentie: String,
    pub vorig: Option<String>,
    pub nummer: u32,
    pub categorie: &'static str,
    pub code: &'static str,
    pub begin: NaiveDate,
    pub eind: NaiveDate,
    pub volume: i64,
    pub eenheid: &'static str,
    pub tarief: Option<i64>,
    pub bedrag: i64,
    pub credit: bool,
}

impl Prestatie {
    pub fn signed(&self) -> i64 {
        if self.credit {
            -self.bedrag
        } else {
            self.bedrag
        }
    }
}

#[derive(Debug, Clone)]
pub struct Declaratie {
    pub nummer: String,
    pub periode: (NaiveDate, NaiveDate),
    pub clienten: Vec<(Rc<Client>, Vec<Prestatie>)>,
}

impl Declaratie {
    /// Σ debits − Σ credits (TR358).
    pub fn total(&self) -> i64 {
        self.clienten
            .iter()
            .flat_map(|(_, ps)| ps.iter())
            .map(Prestatie::signed)
            .sum()
    }
}

#[derive(Debug, Clone)]
pub enum Body {
    Toewijzing {
        client: Rc<Client>,
        producten: Vec<Toegewezen>,
    },
    /// A header-only retour (302/320) on the heenbericht identified here.
    Retour {
        orig_ident: String,
        orig_dagtekening: NaiveDate,
    },
    Start {
        client: Rc<Client>,
        product: Regie,
    },
    Stop {
        client: Rc<Client>,
        product: Regie,
    },
    Vot {
        client: Rc<Client>,
        producten: Vec<Aangevraagd>,
    },
    Vow {
        client: Rc<Client>,
        referentie: String,
        reden: &'static str,
        te_wijzigen: Vec<TeWijzigen>,
    },
    Antwoord {
        referentie: String,
        /// WJ760: 1 rejected, 2 in onderzoek.
        antwoord: &'static str,
        reden: Option<&'static str>,
        woonplaats: Option<&'static str>,
    },
    Declaratie(Box<Declaratie>),
}

/// One message to be written.
#[derive(Debug, Clone)]
pub struct Spec {
    pub kind: MessageKind,
    /// Who sends the file (AGB or gemeentecode); for a retour the provider, whereas its header
    /// repeats the heenbericht's Afzender and Ontvanger.
    pub sender: String,
    pub receiver: String,
    pub ident: String,
    pub dagtekening: NaiveDate,
    pub body: Body,
}

fn m(name: &str) -> Element {
    Element::new(name, false)
}
fn leaf(name: &str, text: impl Into<String>) -> Element {
    Element::leaf(name, false, text)
}
fn b(name: &str, text: impl Into<String>) -> Element {
    Element::leaf(name, true, text)
}
fn bn(name: &str) -> Element {
    Element::new(name, true)
}
fn with(mut e: Element, children: Vec<Element>) -> Element {
    e.children = children;
    e
}
fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn xsd_versie(name: &str) -> Element {
    with(
        m(name),
        vec![
            b("BasisschemaXsdVersie", "1.0.0"),
            b("BerichtXsdVersie", "1.0.0"),
        ],
    )
}

fn header(spec: &Spec) -> Element {
    let (afzender, ontvanger, ident, dag) = match &spec.body {
        Body::Retour {
            orig_ident,
            orig_dagtekening,
        } => (&spec.receiver, &spec.sender, orig_ident, *orig_dagtekening),
        _ => (&spec.sender, &spec.receiver, &spec.ident, spec.dagtekening),
    };
    let mut children = vec![
        leaf("BerichtCode", spec.kind.berichtcode().to_string()),
        leaf("BerichtVersie", "3"),
        leaf("BerichtSubversie", "2"),
        leaf("Afzender", afzender.as_str()),
        leaf("Ontvanger", ontvanger.as_str()),
        with(
            m("BerichtIdentificatie"),
            vec![
                b("Identificatie", ident.as_str()),
                b("Dagtekening", date(dag)),
            ],
        ),
        xsd_versie("XsdVersie"),
    ];
    if matches!(spec.body, Body::Retour { .. }) {
        children.push(leaf("IdentificatieRetour", spec.ident.as_str()));
        children.push(leaf("DagtekeningRetour", date(spec.dagtekening)));
        children.push(xsd_versie("XsdVersieRetour"));
    }
    with(m("Header"), children)
}

fn geslachtsnaam(name: &str, p: &Person) -> Element {
    let mut e = vec![b("Achternaam", p.achternaam)];
    if let Some(v) = p.voorvoegsel {
        e.push(b("Voorvoegsel", v));
    }
    with(bn(name), e)
}

fn volledige_naam(p: &Person) -> Element {
    with(
        m("Naam"),
        vec![
            geslachtsnaam("Geslachtsnaam", p),
            b("Voornamen", p.voornamen.as_str()),
            b("Voorletters", p.voorletters.as_str()),
            b("NaamGebruik", "1"),
        ],
    )
}

fn verkorte_naam(p: &Person) -> Element {
    with(
        m("Naam"),
        vec![
            geslachtsnaam("Geslachtsnaam", p),
            b("Voornamen", p.voornamen.as_str()),
            b("Voorletters", p.voorletters.as_str()),
        ],
    )
}

fn geboortedatum(name: &str, p: &Person) -> Element {
    with(m(name), vec![b("Datum", date(p.geboortedatum))])
}

fn telefoon(phone: &str) -> Element {
    with(
        m("Telefoon"),
        vec![with(
            bn("Telefoon01"),
            vec![b("Telefoonnummer", phone), b("Landnummer", "0031")],
        )],
    )
}

fn adres(a: &Address) -> Element {
    let mut huis = vec![b("Huisnummer", a.huisnummer.to_string())];
    if let Some(l) = a.huisletter {
        huis.push(b("Huisletter", l));
    }
    with(
        m("Adres"),
        vec![
            with(bn("Huis"), huis),
            b("Postcode", a.postcode.as_str()),
            b("Straatnaam", a.straat),
            b("Plaatsnaam", a.plaats),
            b("LandCode", "NL"),
        ],
    )
}

fn product(categorie: &str, code: Option<&str>) -> Element {
    let mut e = vec![b("Categorie", categorie)];
    if let Some(c) = code {
        e.push(b("Code", c));
    }
    with(m("Product"), e)
}

fn omvang(o: &Omvang) -> Element {
    with(
        m("Omvang"),
        vec![
            b("Volume", o.volume.to_string()),
            b("Eenheid", o.eenheid),
            b("Frequentie", o.frequentie),
        ],
    )
}

fn kort_client(c: &Client, extra: Vec<Element>) -> Element {
    let mut e = vec![
        leaf("Bsn", c.bsn.as_str()),
        geboortedatum("Geboortedatum", &c.person),
        leaf("Geslacht", c.person.geslacht),
        verkorte_naam(&c.person),
    ];
    e.extend(extra);
    with(m("Client"), e)
}

fn toewijzing_client(c: &Client, producten: &[Toegewezen]) -> Element {
    let mut e = vec![
        leaf("Bsn", c.bsn.as_str()),
        geboortedatum("Geboortedatum", &c.person),
        leaf("Geslacht", c.person.geslacht),
        volledige_naam(&c.person),
    ];
    if let Some(js) = c.juridische_status {
        e.push(leaf("JuridischeStatus", js));
    }
    if let Some(r) = &c.relatie {
        e.push(with(
            m("Relaties"),
            vec![with(
                m("Relatie"),
                vec![
                    leaf("Nummer", r.nummer.as_str()),
                    leaf("Volgorde", "1"),
                    leaf("Soort", r.soort),
                    geboortedatum("Geboortedatum", &r.person),
                    leaf("Geslacht", r.person.geslacht),
                    volledige_naam(&r.person),
                    with(
                        m("Contact"),
                        vec![leaf("Soort", "01"), adres(&c.address), telefoon(&r.phone)],
                    ),
                ],
            )],
        ));
    }
    e.push(with(
        m("Contactgegevens"),
        vec![with(
            m("Contact"),
            vec![leaf("Soort", "01"), adres(&c.address), telefoon(&c.phone)],
        )],
    ));
    let tps = producten
        .iter()
        .map(|p| {
            let mut t = vec![leaf("ToewijzingNummer", p.nummer.to_string())];
            if let Some(r) = &p.referentie {
                t.push(leaf("ReferentieAanbieder", r.as_str()));
            }
            t.push(product(p.categorie, p.code));
            t.push(leaf("Toewijzingsdatum", date(p.toewijzingsdatum)));
            t.push(leaf(
                "Toewijzingstijd",
                p.toewijzingstijd.format("%H:%M:%S").to_string(),
            ));
            t.push(leaf("Ingangsdatum", date(p.ingangsdatum)));
            if let Some(e) = p.einddatum {
                t.push(leaf("Einddatum", date(e)));
            }
            if let Some(r) = p.reden {
                t.push(leaf("RedenWijziging", r));
            }
            if let Some(o) = &p.omvang {
                t.push(omvang(o));
            }
            if let Some(bud) = p.budget {
                t.push(leaf("Budget", bud.to_string()));
            }
            with(m("ToegewezenProduct"), t)
        })
        .collect();
    e.push(with(m("ToegewezenProducten"), tps));
    with(m("Client"), e)
}

fn regie(name: &str, p: &Regie) -> Element {
    let mut e = vec![
        leaf("ToewijzingNummer", p.nummer.to_string()),
        product(p.categorie, p.code),
        leaf("ToewijzingIngangsdatum", date(p.toewijzing_ingangsdatum)),
        leaf("Begindatum", date(p.begindatum)),
    ];
    if let Some((reden, eind)) = p.stop {
        e.push(leaf("RedenBeeindiging", reden));
        e.push(leaf("Einddatum", date(eind)));
    }
    e.push(leaf("StatusAanlevering", "1"));
    with(m(name), e)
}

fn vot_client(kind: MessageKind, c: &Client, producten: &[Aangevraagd]) -> Element {
    let mut extra = Vec::new();
    if kind.standard == Standard::Ijw {
        extra.push(leaf("GezagsdragerBekend", "2"));
    }
    let aps = producten
        .iter()
        .map(|p| {
            let mut e = vec![leaf("ReferentieAanbieder", p.referentie.as_str())];
            if let Some((nr, _)) = p.beschikking {
                e.push(leaf("BeschikkingNummer", nr.to_string()));
            }
            e.push(product(p.categorie, p.code));
            if let Some((_, ingang)) = p.beschikking {
                e.push(leaf("BeschikkingIngangsdatum", date(ingang)));
            }
            e.push(leaf("ToewijzingIngangsdatum", date(p.ingangsdatum)));
            if let Some(eind) = p.einddatum {
                e.push(leaf("ToewijzingEinddatum", date(eind)));
            }
            if let Some(o) = &p.omvang {
                e.push(omvang(o));
            }
            if let Some(bud) = p.budget {
                e.push(leaf("Budget", bud.to_string()));
            }
            let mut v = vec![b("Type", p.verwijzer.soort)];
            if let Some(n) = &p.verwijzer.naam {
                v.push(b("Naam", n.as_str()));
            }
            if let Some(a) = &p.verwijzer.agb {
                v.push(b("ZorgverlenerCode", a.as_str()));
            }
            e.push(with(m("Verwijzer"), v));
            e.push(leaf("Raamcontract", "2"));
            with(m("AangevraagdProduct"), e)
        })
        .collect();
    extra.push(with(m("AangevraagdeProducten"), aps));
    kort_client(c, extra)
}

fn declaratie(d: &Declaratie, dagtekening: NaiveDate) -> Element {
    let total = d.total();
    let clienten = d
        .clienten
        .iter()
        .map(|(c, ps)| {
            let prestaties = ps
                .iter()
                .map(|p| {
                    let mut refs = vec![b("ReferentieNummer", p.referentie.as_str())];
                    if let Some(v) = &p.vorig {
                        refs.push(b("VorigReferentieNummer", v.as_str()));
                    }
                    let mut e = vec![
                        with(m("ProductReferentie"), refs),
                        leaf("ToewijzingNummer", p.nummer.to_string()),
                        leaf("ProductCategorie", p.categorie),
                        leaf("ProductCode", p.code),
                        with(
                            m("ProductPeriode"),
                            vec![b("Begindatum", date(p.begin)), b("Einddatum", date(p.eind))],
                        ),
                        leaf("GeleverdVolume", p.volume.to_string()),
                        leaf("Eenheid", p.eenheid),
                    ];
                    if let Some(t) = p.tarief {
                        e.push(leaf("ProductTarief", t.to_string()));
                    }
                    e.push(with(
                        m("IngediendBedrag"),
                        vec![
                            b("Bedrag", p.bedrag.to_string()),
                            b("DebetCredit", if p.credit { "C" } else { "D" }),
                        ],
                    ));
                    with(m("Prestatie"), e)
                })
                .collect();
            with(
                m("Client"),
                vec![
                    leaf("Bsn", c.bsn.as_str()),
                    with(m("Prestaties"), prestaties),
                ],
            )
        })
        .collect();
    with(
        m("Declaratie"),
        vec![
            leaf("DeclaratieNummer", d.nummer.as_str()),
            with(
                m("DeclaratiePeriode"),
                vec![
                    b("Begindatum", date(d.periode.0)),
                    b("Einddatum", date(d.periode.1)),
                ],
            ),
            leaf("DeclaratieDagtekening", date(dagtekening)),
            with(
                m("TotaalIngediendBedrag"),
                vec![
                    b("TotaalBedrag", total.abs().to_string()),
                    b("DebetCredit", if total < 0 { "C" } else { "D" }),
                ],
            ),
            with(m("Clienten"), clienten),
        ],
    )
}

/// The message as an element tree rooted at `Bericht`.
pub fn tree(spec: &Spec) -> Element {
    let body = match &spec.body {
        Body::Toewijzing { client, producten } => Some(toewijzing_client(client, producten)),
        Body::Retour { .. } => None,
        Body::Start { client, product } => Some(kort_client(
            client,
            vec![with(
                m("StartProducten"),
                vec![regie("StartProduct", product)],
            )],
        )),
        Body::Stop { client, product } => Some(kort_client(
            client,
            vec![with(
                m("StopProducten"),
                vec![regie("StopProduct", product)],
            )],
        )),
        Body::Vot { client, producten } => Some(vot_client(spec.kind, client, producten)),
        Body::Vow {
            client,
            referentie,
            reden,
            te_wijzigen,
        } => {
            let tw = te_wijzigen
                .iter()
                .map(|t| {
                    let mut e = vec![
                        leaf("ToewijzingNummer", t.nummer.to_string()),
                        leaf("GewensteIngangsdatum", date(t.gewenste_ingangsdatum)),
                    ];
                    if let Some(eind) = t.einddatum {
                        e.push(leaf("Einddatum", date(eind)));
                    }
                    e.push(omvang(&t.omvang));
                    with(m("TeWijzigenProduct"), e)
                })
                .collect();
            Some(with(
                m("Client"),
                vec![
                    leaf("Bsn", client.bsn.as_str()),
                    with(
                        m("Verzoek"),
                        vec![
                            leaf("ReferentieAanbieder", referentie.as_str()),
                            leaf("RedenVerzoek", *reden),
                            with(m("TeWijzigenProducten"), tw),
                        ],
                    ),
                ],
            ))
        }
        Body::Antwoord {
            referentie,
            antwoord,
            reden,
            woonplaats,
        } => {
            let mut e = vec![
                leaf("ReferentieAanbieder", referentie.as_str()),
                leaf("VerzoekAntwoord", *antwoord),
            ];
            if let Some(r) = reden {
                e.push(leaf("RedenAfwijzingVerzoek", *r));
            }
            if let Some(g) = woonplaats {
                e.push(with(m("Woonplaatsbeginsel"), vec![leaf("Gemeente", *g)]));
            }
            Some(with(m("Antwoord"), e))
        }
        Body::Declaratie(d) => Some(declaratie(d, spec.dagtekening)),
    };
    let mut children = vec![header(spec)];
    children.extend(body);
    with(m("Bericht"), children)
}

/// The message as text (UTF-8, CR/LF, the standard's prefixes).
pub fn render(spec: &Spec) -> String {
    match SchemaSet::embedded().get(spec.kind) {
        Some(def) => write(def, &tree(spec)),
        // every kind has an embedded definition (tested in schema::tests)
        None => String::new(),
    }
}

/// The standard of a legal domain's messages: the letter used in declaration numbers.
pub fn domain_letter(s: Standard) -> char {
    match s {
        Standard::Ijw => 'J',
        Standard::Iwmo => 'W',
    }
}
