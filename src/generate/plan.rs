//! One client episode, planned completely when it begins: how the allocation comes about
//! (a provider's request or the municipality's own decision), the allocation's versions, the
//! starts and stops of delivery, temporary stops, change requests, extensions, withdrawals and
//! the end. The regie and allocation messages are queued at once; the declarations are made
//! month by month from the care periods recorded here (see `declare.rs`).

use super::catalogue::{Product, Segment, SEGMENTS};
use super::clock::Moment;
use super::messages::{
    Aangevraagd, Body, Client, Omvang, Regie, Relatie, Spec, TeWijzigen, Toegewezen, Verwijzer,
};
use super::summary::{LongWait, MissingStop, Seventeen};
use super::world::{self, CENTRUM, GEMEENTEN};
use super::{ClientRef, Gen, Note};
use crate::message::kind::{MessageKind, Standard};
use chrono::{Datelike, Duration, Months, NaiveDate, NaiveTime, Timelike};
use rand::Rng;
use std::rc::Rc;

/// One version of an allocation as a 301 carried it.
#[derive(Debug, Clone)]
pub(super) struct Version {
    /// Receipt of the 301 that carried this version first.
    pub moment: Moment,
    pub toewijzingsdatum: NaiveDate,
    pub toewijzingstijd: NaiveTime,
    pub ingangsdatum: NaiveDate,
    pub einddatum: Option<NaiveDate>,
    pub reden: Option<&'static str>,
    /// ReferentieAanbieder: only in the 301 that honours a request (TR379).
    pub referentie: Option<String>,
}

/// What kind of declaration line a debit was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DebitKind {
    Normal,
    /// Injected: rejected by the service (0611, 9321, 9322).
    Rejected,
}

/// A debit line as declared.
#[derive(Debug, Clone)]
pub(super) struct Debit {
    pub referentie: String,
    pub begin: NaiveDate,
    pub end: NaiveDate,
    pub volume: i64,
    pub tarief: Option<i64>,
    pub bedrag: i64,
    pub kind: DebitKind,
    pub credited: bool,
    /// Index of the allocation version it was judged against.
    pub version: usize,
    /// First day of the declaration period it was sent in.
    pub month: NaiveDate,
}

/// A line to send in the next declaration: the corrected debit after a credit, or a rejected
/// line sent again, corrected.
#[derive(Debug, Clone)]
pub(super) struct PendingCorrection {
    /// Links the summary entry (correction, tariff error or overrun) to the new line.
    pub id: u64,
    pub begin: NaiveDate,
    pub end: NaiveDate,
    pub volume: i64,
    pub version: usize,
}

/// One allocated product (ToegewezenProduct) with everything that happened to it.
#[derive(Debug, Clone)]
pub(super) struct Allocation {
    pub nummer: u32,
    pub product: Product,
    pub omvang: Option<Omvang>,
    pub budget: Option<i64>,
    pub versions: Vec<Version>,
    /// Days of delivery, inclusive intervals, cut at the window's end.
    pub care: Vec<(NaiveDate, NaiveDate)>,
    /// Share of the allocated volume delivered.
    pub util: f64,
    /// Days of the first version's validity (spreads a total volume or budget over time).
    pub planned_days: i64,
    /// Volume (or cents) used before the window, for allocations from the history.
    pub prior_use: i64,
    /// Volume (or cents for euro products) of approved, not credited debits: what the service
    /// counts for TR322/TR369.
    pub committed: i64,
    pub debits: Vec<Debit>,
    /// The corrected debit of last month's credit.
    pub pending: Option<PendingCorrection>,
    /// Its first start was put off: a long wait (see [`LONG_WAIT_DAYS`]).
    pub long_wait: bool,
    /// Rejected lines to send again, corrected.
    pub resubmit: Vec<PendingCorrection>,
    /// First days of the months that have an approved debit: the declaration obligation of
    /// that month is met (REGIO-DECL).
    pub declared_months: std::collections::BTreeSet<NaiveDate>,
}

impl Allocation {
    /// The version current at a receipt moment (IV013: the latest decision received).
    pub fn version_at(&self, at: Moment) -> Option<usize> {
        self.versions.iter().rposition(|v| v.moment <= at)
    }
    fn latest(&self) -> &Version {
        &self.versions[self.versions.len() - 1]
    }
    pub fn ingangsdatum(&self) -> NaiveDate {
        self.versions[0].ingangsdatum
    }
    fn regie_product(&self) -> (&'static str, Option<&'static str>) {
        if self.product.is_budget() {
            (self.product.categorie, None)
        } else {
            (self.product.categorie, Some(self.product.code))
        }
    }
}

/// A client at one provider in one gemeente: the unit the 301 and declarations group by.
#[derive(Debug)]
pub(super) struct Episode {
    pub client: ClientRef,
    pub allocations: Vec<Allocation>,
}

impl Episode {
    /// The last day of delivery (None: never delivered).
    pub fn last_care(&self) -> Option<NaiveDate> {
        self.allocations
            .iter()
            .flat_map(|a| a.care.iter().map(|c| c.1))
            .max()
    }
    pub fn has_pending(&self) -> bool {
        self.allocations
            .iter()
            .any(|a| a.pending.is_some() || !a.resubmit.is_empty())
    }
}

/// What all messages of one episode share.
struct Ctx {
    /// The client belongs to the group of 17-year-olds (summary `seventeen`).
    seventeen: bool,
    g: usize,
    prov: usize,
    domain: Standard,
    client: ClientRef,
    agb: String,
    gcode: &'static str,
}

impl Ctx {
    fn kind(&self, number: u16) -> MessageKind {
        MessageKind::new(self.domain, number)
    }
    fn elderly(&self, on: NaiveDate) -> bool {
        self.domain == Standard::Iwmo
            && on
                .years_since(self.client.person.geboortedatum)
                .unwrap_or(0)
                >= 70
    }
}

/// How the main delivery ended, for the products allocated with it.
struct MainEnd {
    /// Last day of delivery when it ended inside the window.
    last_day: Option<NaiveDate>,
    reason: &'static str,
}

/// How much later than usual the first start comes at a provider whose clients wait long.
pub(super) const LONG_WAIT_DAYS: i64 = 45;

/// The providers whose clients wait long: every tenth of the world's (a fixed choice, so the
/// region's randomness is not spent on it).
pub(super) fn waits_long(prov: usize) -> bool {
    prov % 10 == 3
}

/// Every how manieth Jeugdwet client of the window is 17.
const SEVENTEEN_EVERY: u32 = 4;

pub(super) fn add_months(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_months(Months::new(n)).unwrap_or(d)
}

pub(super) fn end_of_month(d: NaiveDate) -> NaiveDate {
    add_months(d.with_day(1).unwrap_or(d), 1) - Duration::days(1)
}

fn pick_weighted<'a, R: Rng>(rng: &mut R, products: &'a [Product]) -> &'a Product {
    let total: u32 = products.iter().map(|p| p.weight).sum();
    let mut x = rng.random_range(0..total.max(1));
    for p in products {
        if x < p.weight {
            return p;
        }
        x -= p.weight;
    }
    &products[0]
}

fn pick_reason<R: Rng>(rng: &mut R, reasons: &[(&'static str, u32)]) -> &'static str {
    let total: u32 = reasons.iter().map(|r| r.1).sum();
    let mut x = rng.random_range(0..total);
    for (code, w) in reasons {
        if x < *w {
            return code;
        }
        x -= w;
    }
    reasons[0].0
}

/// RedenBeeindiging (JZ588 / WMO588) per occasion.
fn planned_reason(domain: Standard) -> &'static str {
    match domain {
        Standard::Ijw => "31",
        Standard::Iwmo => "19",
    }
}
fn early_reasons(domain: Standard) -> &'static [(&'static str, u32)] {
    match domain {
        Standard::Ijw => &[
            ("32", 30),
            ("33", 10),
            ("34", 40),
            ("35", 10),
            ("38", 5),
            ("39", 5),
        ],
        Standard::Iwmo => &[
            ("21", 25),
            ("22", 10),
            ("23", 35),
            ("31", 15),
            ("38", 10),
            ("39", 5),
        ],
    }
}
fn agreed_end_reason(domain: Standard) -> &'static str {
    match domain {
        Standard::Ijw => "34",
        Standard::Iwmo => "23",
    }
}
/// The RedenWijziging a municipality gives when it ends an allocation after the provider's
/// stop (the JZ002 ↔ JZ588 mapping of the code list, read backwards).
fn wijziging_for_stop(domain: Standard, stop: &str) -> &'static str {
    match (domain, stop) {
        (_, "02") => "02",
        (Standard::Ijw, "35") | (Standard::Iwmo, "31") => "07",
        (_, "38") => "09",
        (_, "39") => "06",
        _ => "05",
    }
}

impl Gen {
    fn date_between(&mut self, lo: NaiveDate, hi: NaiveDate) -> Option<NaiveDate> {
        (lo <= hi).then(|| lo + Duration::days(self.rng.random_range(0..=(hi - lo).num_days())))
    }

    fn days(&mut self, lo: i64, hi: i64) -> Duration {
        Duration::days(self.rng.random_range(lo..=hi))
    }

    fn toewijzing_nummer(&mut self, g: usize, domain: Standard) -> u32 {
        let d = usize::from(domain == Standard::Iwmo);
        self.toewijzing_seq[g][d] += 1;
        self.summary.totals.allocations += 1;
        GEMEENTEN[g].digit * 100_000_000 + (d as u32 + 1) * 10_000_000 + self.toewijzing_seq[g][d]
    }

    fn version(
        &mut self,
        at: Moment,
        ingangsdatum: NaiveDate,
        einddatum: Option<NaiveDate>,
        reden: Option<&'static str>,
        referentie: Option<String>,
    ) -> Version {
        // decided a little before it was sent, never before 07:00
        let secs = at.time().num_seconds_from_midnight();
        let back = self.rng.random_range(60..=45 * 60);
        let decided = secs.saturating_sub(back).max(7 * 3600);
        Version {
            moment: at,
            toewijzingsdatum: at.date(),
            toewijzingstijd: NaiveTime::from_num_seconds_from_midnight_opt(decided, 0)
                .unwrap_or_default(),
            ingangsdatum,
            einddatum,
            reden,
            referentie,
        }
    }

    fn allocation(
        &mut self,
        ctx: &Ctx,
        product: Product,
        omvang: Option<Omvang>,
        budget: Option<i64>,
        first: Version,
    ) -> Allocation {
        let nummer = self.toewijzing_nummer(ctx.g, ctx.domain);
        let (low, mean) = super::catalogue::utilisation(product.eenheid);
        let util = if product.is_budget() {
            self.rng.random_range(0.8..1.0)
        } else if low >= mean {
            mean
        } else {
            self.rng.random_range(low..=(2.0 * mean - low).min(1.0))
        };
        let end = first
            .einddatum
            .unwrap_or(first.ingangsdatum + Duration::days(365));
        Allocation {
            nummer,
            product,
            omvang,
            budget,
            planned_days: (end - first.ingangsdatum).num_days() + 1,
            versions: vec![first],
            care: Vec::new(),
            util,
            prior_use: 0,
            committed: 0,
            debits: Vec::new(),
            pending: None,
            resubmit: Vec::new(),
            declared_months: std::collections::BTreeSet::new(),
            long_wait: false,
        }
    }

    fn sample_omvang(&mut self, p: &Product) -> (Option<Omvang>, Option<i64>) {
        if p.is_budget() {
            let cents = self.rng.random_range(p.volume.0..=p.volume.1) / 10_000 * 10_000;
            return (None, Some(cents.max(10_000)));
        }
        let mut volume = self.rng.random_range(p.volume.0..=p.volume.1);
        if p.eenheid == "01" {
            volume = (volume / 30 * 30).max(30);
        }
        (
            Some(Omvang {
                volume,
                eenheid: p.eenheid,
                frequentie: p.frequentie,
            }),
            None,
        )
    }

    fn client(
        &mut self,
        s: usize,
        g: usize,
        on: NaiveDate,
        product: &Product,
        age: Option<u32>,
    ) -> ClientRef {
        let seg = &SEGMENTS[s];
        let age = age.unwrap_or_else(|| self.rng.random_range(seg.age.0..=seg.age.1));
        let person = super::people::person(&mut self.rng, age, on);
        // beschermd wonen clients live anywhere in the region; Gouda pays
        let home = if seg.centrum {
            world::pick_gemeente(&mut self.rng)
        } else {
            g
        };
        let address = super::people::address(&mut self.rng, &GEMEENTEN[home]);
        let phone = super::people::phone(&mut self.rng);
        let relatie = if seg.domain == Standard::Ijw {
            // the parent holding authority (OP002)
            let age = age + self.rng.random_range(24..=42);
            let mut parent = super::people::person(&mut self.rng, age, on);
            if self.rng.random_bool(0.7) {
                parent.achternaam = person.achternaam;
                parent.voorvoegsel = person.voorvoegsel;
            }
            Some(("10", parent))
        } else if age >= 70 && self.rng.random_bool(0.5) {
            let younger = age - self.rng.random_range(25..=35);
            let child = super::people::person(&mut self.rng, younger, on);
            Some(("16", child))
        } else {
            None
        }
        .map(|(soort, person)| {
            self.relatie_seq += 1;
            Relatie {
                nummer: format!("R{}{:08}", GEMEENTEN[g].code, self.relatie_seq),
                soort,
                person,
                phone: super::people::phone(&mut self.rng),
            }
        });
        let juridische_status = match product.code {
            "48J01" => Some("04"),
            "47R01" => Some("12"),
            _ => None,
        };
        self.client_count();
        Rc::new(Client {
            bsn: self.bsns.next_bsn(),
            person,
            address,
            phone,
            relatie,
            juridische_status,
        })
    }

    /// Plans a new episode of segment `s` whose first message arrives on `arrival`, or (None)
    /// one already running when the window opens.
    pub(super) fn plan_episode(&mut self, s: usize, arrival: Option<NaiveDate>) {
        let seg: Segment = SEGMENTS[s];
        let g = if seg.centrum {
            CENTRUM
        } else {
            world::pick_gemeente(&mut self.rng)
        };
        let prov = self.world.pick_provider(s, g, &mut self.rng);
        let main = *pick_weighted(&mut self.rng, seg.products);
        let open = seg.open_ended > 0.0 && self.rng.random_bool(seg.open_ended);
        let secondary = match seg.secondary {
            Some((p, chance)) if self.rng.random_bool(chance) => Some(p),
            _ => None,
        };
        let (omvang, budget) = self.sample_omvang(&main);

        // when the first allocation was decided, from when it runs, and until when
        let (first_301, ingang, einde, refs, history) = match arrival {
            None => {
                let (ingang, einde) = self.history_period(&seg, open);
                let back = self.days(1, 10);
                let decided = self.clock.on_or_before(ingang - back);
                let at = self.clock.at(decided, &mut self.rng);
                (at, ingang, einde, Vec::new(), true)
            }
            Some(a) => {
                let months = self.rng.random_range(seg.months.0..=seg.months.1);
                let client_on = a;
                let seventeen = seg.domain == Standard::Ijw && seg.age.1 >= 17 && {
                    self.jeugd_clients += 1;
                    self.jeugd_clients % SEVENTEEN_EVERY == 0
                };
                let client = self.client(s, g, client_on, &main, seventeen.then_some(17));
                let mut ctx = self.ctx(s, g, prov, client);
                ctx.seventeen = seventeen;
                let vot = self.rng.random_bool(seg.vot_share);
                if vot {
                    let req_start = if seg.crisis {
                        a - self.days(0, 2)
                    } else {
                        a + self.days(5, 20)
                    };
                    let req_end =
                        (!open).then(|| add_months(req_start, months) - Duration::days(1));
                    let sec_end = self.secondary_end(req_start, req_end);
                    let Some((at, refs)) = self.request(
                        &ctx,
                        &seg,
                        a,
                        &main,
                        omvang,
                        budget,
                        req_start,
                        req_end,
                        secondary.map(|p| (p, sec_end)),
                    ) else {
                        return;
                    };
                    let ingang = if seg.crisis {
                        req_start
                    } else {
                        req_start.max(at.date() + Duration::days(1))
                    };
                    let einde = req_end.map(|_| add_months(ingang, months) - Duration::days(1));
                    return self.plan_allocated(
                        ctx, &seg, main, omvang, budget, secondary, at, ingang, einde, refs, false,
                    );
                }
                let at = self.clock.at(a, &mut self.rng);
                let ingang = a + self.days(0, 14);
                let einde = (!open).then(|| add_months(ingang, months) - Duration::days(1));
                return self.plan_allocated(
                    ctx,
                    &seg,
                    main,
                    omvang,
                    budget,
                    secondary,
                    at,
                    ingang,
                    einde,
                    Vec::new(),
                    false,
                );
            }
        };
        let client = self.client(s, g, ingang, &main, None);
        let ctx = self.ctx(s, g, prov, client);
        self.plan_allocated(
            ctx, &seg, main, omvang, budget, secondary, first_301, ingang, einde, refs, history,
        );
    }

    fn ctx(&self, s: usize, g: usize, prov: usize, client: ClientRef) -> Ctx {
        Ctx {
            seventeen: false,
            g,
            prov,
            domain: SEGMENTS[s].domain,
            client,
            agb: self.world.providers[prov].agb.clone(),
            gcode: GEMEENTEN[g].code,
        }
    }

    /// For care running when the window opens: the allocation period, chosen so that longer
    /// allocations are more likely (they are more often running at any given moment).
    fn history_period(&mut self, seg: &Segment, open: bool) -> (NaiveDate, Option<NaiveDate>) {
        if open {
            let ingang = self.w0 - self.days(1, 48 * 30);
            return (ingang, None);
        }
        loop {
            let months = self.rng.random_range(seg.months.0..=seg.months.1);
            if self.rng.random_range(0..seg.months.1) >= months {
                continue;
            }
            let elapsed = self.days(1, i64::from(months) * 30);
            let ingang = self.w0 - elapsed;
            let einde = add_months(ingang, months) - Duration::days(1);
            if einde > self.w0 {
                return (ingang, Some(einde));
            }
        }
    }

    fn secondary_end(&mut self, ingang: NaiveDate, einde: Option<NaiveDate>) -> NaiveDate {
        let own = add_months(ingang, self.rng.random_range(3..=4)) - Duration::days(1);
        einde.map_or(own, |e| e.min(own))
    }

    /// The provider's request (VOT) and the municipality's answer. Returns when and with which
    /// references the allocation was granted, or None when the request was rejected (or
    /// answered only after the window).
    #[allow(clippy::too_many_arguments)]
    fn request(
        &mut self,
        ctx: &Ctx,
        seg: &Segment,
        arrival: NaiveDate,
        main: &Product,
        omvang: Option<Omvang>,
        budget: Option<i64>,
        req_start: NaiveDate,
        req_end: Option<NaiveDate>,
        secondary: Option<(Product, NaiveDate)>,
    ) -> Option<(Moment, Vec<String>)> {
        let r315 = self.clock.at(arrival, &mut self.rng);
        self.referentie_seq[ctx.prov] += 1;
        let n = self.referentie_seq[ctx.prov];
        let verwijzer = self.verwijzer(ctx, seg);
        let beschikking = (ctx.domain == Standard::Iwmo).then(|| {
            self.beschikking_seq += 1;
            (
                GEMEENTEN[ctx.g].digit * 10_000_000 + self.beschikking_seq,
                arrival - Duration::days(self.rng.random_range(3..=20)),
            )
        });
        let mut producten = vec![Aangevraagd {
            referentie: format!("{}-VOT-{n:06}-A", ctx.agb),
            beschikking,
            categorie: main.categorie,
            code: (!main.is_budget()).then_some(main.code),
            ingangsdatum: req_start,
            einddatum: req_end,
            omvang,
            budget,
            verwijzer: verwijzer.clone(),
        }];
        if let Some((p, end)) = secondary {
            let (o, _) = self.sample_omvang(&p);
            producten.push(Aangevraagd {
                referentie: format!("{}-VOT-{n:06}-B", ctx.agb),
                beschikking,
                categorie: p.categorie,
                code: Some(p.code),
                ingangsdatum: req_start,
                einddatum: Some(end),
                omvang: o,
                budget: None,
                verwijzer,
            });
        }
        let refs: Vec<String> = producten.iter().map(|p| p.referentie.clone()).collect();
        let ident = self.ident(&ctx.agb, ctx.kind(315));
        let spec = Spec {
            kind: ctx.kind(315),
            sender: ctx.agb.clone(),
            receiver: ctx.gcode.to_string(),
            ident,
            dagtekening: r315.date(),
            body: Body::Vot {
                client: ctx.client.clone(),
                producten,
            },
        };
        self.push(r315, spec, Vec::new(), ctx.prov);

        // the answer: within 5 working days a 301 or a 319 (OP274); "in onderzoek" is followed
        // within 8 weeks by the decision
        let u: f64 = self.rng.random_range(0.0..1.0);
        let quick = if seg.crisis { (1, 3) } else { (1, 5) };
        let first = self
            .clock
            .add_wd(r315.date(), self.rng.random_range(quick.0..=quick.1));
        let mut at = self.clock.at(first, &mut self.rng);
        at = self.clock.not_before(at, r315, &mut self.rng);
        // 80% at once, 10% after investigation, the rest rejected (a third of those after
        // investigation)
        let honoured = 1.0 - super::catalogue::REJECTED_REQUESTS;
        let (investigate, reject) = if seg.crisis {
            (false, false)
        } else {
            (
                (honoured - 0.10..honoured).contains(&u) || u >= honoured + 0.06,
                u >= honoured,
            )
        };
        if investigate {
            for r in &refs {
                self.antwoord(ctx, at, r, "2", None);
            }
            // the final answer well within 8 weeks of the request (OP274)
            let later = self.clock.add_wd(at.date(), self.rng.random_range(10..=28));
            let next = self.clock.at(later, &mut self.rng);
            at = self.clock.not_before(next, at, &mut self.rng);
        }
        if reject {
            let reden = match ctx.domain {
                // woonplaatsbeginsel only as a quick answer: its legal term is 2 weeks (OP359)
                Standard::Ijw if !investigate => pick_reason(
                    &mut self.rng,
                    &[("7", 40), ("4", 25), ("2", 10), ("6", 10), ("8", 15)],
                ),
                Standard::Ijw => {
                    pick_reason(&mut self.rng, &[("7", 50), ("4", 30), ("2", 10), ("6", 10)])
                }
                Standard::Iwmo => pick_reason(
                    &mut self.rng,
                    &[("7", 40), ("4", 25), ("2", 15), ("6", 10), ("5", 10)],
                ),
            };
            for r in &refs {
                self.antwoord(ctx, at, r, "1", Some(reden));
            }
            return None;
        }
        // (honoured after the window: the 301 and its retour are still written, as the answer
        // to a request inside it; delivery then starts after the window)
        Some((at, refs))
    }

    fn verwijzer(&mut self, ctx: &Ctx, seg: &Segment) -> Verwijzer {
        let place = GEMEENTEN[ctx.g].name;
        let named = |soort: &'static str, naam: String| Verwijzer {
            soort,
            naam: Some(naam),
            agb: None,
        };
        match (ctx.domain, seg.key) {
            (Standard::Iwmo, _) => named("01", format!("Sociaal team {place}")),
            (_, "jb-jr") => named("08", "Rechtbank Den Haag, kinderrechter".into()),
            (_, "jeugd-crisis") => named("04", "Jeugdbescherming west".into()),
            _ => match self.rng.random_range(0..10) {
                0..=4 => Verwijzer {
                    soort: "02",
                    naam: None,
                    agb: Some(format!("01{:06}", self.rng.random_range(10_000..1_000_000))),
                },
                5..=7 => named("01", format!("Jeugdteam {place}")),
                8 => named("03", format!("Jeugdarts CJG {place}")),
                _ => named("05", "Kinderarts Groene Hart Ziekenhuis".into()),
            },
        }
    }

    /// A 319 and the provider's 320 on it.
    fn antwoord(
        &mut self,
        ctx: &Ctx,
        at: Moment,
        referentie: &str,
        antwoord: &'static str,
        reden: Option<&'static str>,
    ) {
        let kind = ctx.kind(319);
        let woonplaats = (reden == Some("8") && ctx.domain == Standard::Ijw).then_some("0599");
        let reden = match reden {
            // woonplaatsbeginsel exists only in iJw
            Some("8") if ctx.domain == Standard::Iwmo => Some("5"),
            r => r,
        };
        let ident = self.ident(ctx.gcode, kind);
        let spec = Spec {
            kind,
            sender: ctx.gcode.to_string(),
            receiver: ctx.agb.clone(),
            ident: ident.clone(),
            dagtekening: at.date(),
            body: Body::Antwoord {
                referentie: referentie.to_string(),
                antwoord,
                reden,
                woonplaats,
            },
        };
        self.push(at, spec, Vec::new(), ctx.prov);
        self.retour(ctx, ctx.kind(320), at, ident);
    }

    /// The provider's header-only retour (302/320) within three working days.
    fn retour(&mut self, ctx: &Ctx, kind: MessageKind, heen: Moment, heen_ident: String) {
        let at = self.clock.after(heen, 10 * 60, 2 * 36_000, &mut self.rng);
        let ident = self.ident(&ctx.agb, kind);
        let spec = Spec {
            kind,
            sender: ctx.agb.clone(),
            receiver: ctx.gcode.to_string(),
            ident,
            dagtekening: at.date(),
            body: Body::Retour {
                orig_ident: heen_ident,
                orig_dagtekening: heen.date(),
            },
        };
        self.push(at, spec, Vec::new(), ctx.prov);
    }

    /// Every 301 of an episode: one per moment at which some allocation got a version. Each
    /// carries the allocations changed then and every other allocation still valid (OP087).
    fn emit_toewijzingen(&mut self, ctx: &Ctx, allocations: &[Allocation]) {
        let mut moments: Vec<Moment> = allocations
            .iter()
            .flat_map(|a| a.versions.iter().map(|v| v.moment))
            .collect();
        moments.sort_unstable();
        moments.dedup();
        for at in moments {
            let mut producten = Vec::new();
            for a in allocations {
                let Some(i) = a.version_at(at) else { continue };
                let v = &a.versions[i];
                let changed_now = v.moment == at;
                if !changed_now && v.einddatum.is_some_and(|e| e < at.date()) {
                    continue;
                }
                let (categorie, code) = a.regie_product();
                producten.push(Toegewezen {
                    nummer: a.nummer,
                    referentie: if changed_now {
                        v.referentie.clone()
                    } else {
                        None
                    },
                    categorie,
                    code,
                    toewijzingsdatum: v.toewijzingsdatum,
                    toewijzingstijd: v.toewijzingstijd,
                    ingangsdatum: v.ingangsdatum,
                    einddatum: v.einddatum,
                    reden: v.reden,
                    omvang: a.omvang,
                    budget: a.budget,
                });
            }
            producten.sort_by_key(|p| p.nummer);
            let kind = ctx.kind(301);
            let ident = self.ident(ctx.gcode, kind);
            let spec = Spec {
                kind,
                sender: ctx.gcode.to_string(),
                receiver: ctx.agb.clone(),
                ident: ident.clone(),
                dagtekening: at.date(),
                body: Body::Toewijzing {
                    client: ctx.client.clone(),
                    producten,
                },
            };
            self.push(at, spec, Vec::new(), ctx.prov);
            self.retour(ctx, ctx.kind(302), at, ident);
        }
    }

    /// A start (`stop` None) or stop message for a delivery, received on time or — as the
    /// provider's habits say — late; late ones are noted for the summary.
    #[allow(clippy::too_many_arguments)]
    fn regie(
        &mut self,
        ctx: &Ctx,
        a: &Allocation,
        begin: NaiveDate,
        stop: Option<(&'static str, NaiveDate)>,
        reference: NaiveDate,
        floor: Moment,
    ) -> Moment {
        let due = self.clock.add_wd(reference, 5);
        let profile = &self.world.providers[ctx.prov].profile;
        let (chance, mean) = (
            if stop.is_some() {
                profile.late_stop
            } else {
                profile.late_start
            },
            profile.mean_days_late,
        );
        if stop.is_none() && a.long_wait && self.long_waits_noted.insert((ctx.gcode, a.nummer)) {
            self.summary.long_waits.push(LongWait {
                toewijzing_nummer: a.nummer,
                provider: ctx.agb.clone(),
                gemeente: ctx.gcode.to_string(),
                ingangsdatum: a.ingangsdatum().to_string(),
                begindatum: begin.to_string(),
                days_from_ingang: (begin - a.ingangsdatum()).num_days(),
            });
        }
        let first = self.clock.on_or_after(reference);
        // lateness only for obligations of the window (their reference date lies inside it);
        // the history and the consequences after the window are on time
        let in_window = (self.w0..self.w1).contains(&reference);
        let date = if in_window && self.rng.random_bool(chance) {
            let u: f64 = self.rng.random_range(f64::EPSILON..1.0);
            let n = 1 + ((-u.ln()) * (mean - 1.0)).floor().min(60.0) as u32;
            self.clock.add_wd(due, n)
        } else {
            let span = self.clock.wd_between(first, due);
            let k = self
                .rng
                .random_range(0..=span)
                .min(self.rng.random_range(0..=span));
            self.clock.add_wd(first, k)
        };
        let at = self.clock.at(date, &mut self.rng);
        let at = self.clock.not_before(at, floor, &mut self.rng);
        let kind = ctx.kind(if stop.is_some() { 307 } else { 305 });
        let mut notes = Vec::new();
        if at.date() > due {
            notes.push(Note::Late {
                rule: if stop.is_some() { "OP272" } else { "OP271" },
                toewijzing: Some(a.nummer),
                declaratie: None,
                period: None,
                reference,
                due,
                days: self.clock.wd_between(due, at.date()),
            });
        }
        let (categorie, code) = a.regie_product();
        let product = Regie {
            nummer: a.nummer,
            categorie,
            code,
            toewijzing_ingangsdatum: a.ingangsdatum(),
            begindatum: begin,
            stop,
        };
        let ident = self.ident(&ctx.agb, kind);
        let body = if stop.is_some() {
            Body::Stop {
                client: ctx.client.clone(),
                product,
            }
        } else {
            Body::Start {
                client: ctx.client.clone(),
                product,
            }
        };
        let spec = Spec {
            kind,
            sender: ctx.agb.clone(),
            receiver: ctx.gcode.to_string(),
            ident,
            dagtekening: at.date(),
            body,
        };
        self.push(at, spec, notes, ctx.prov);
        at
    }

    /// The allocation exists (first 301 at `first_301`): plan delivery and changes, queue every
    /// message, and register the episode for declarations.
    #[allow(clippy::too_many_arguments)]
    fn plan_allocated(
        &mut self,
        ctx: Ctx,
        seg: &Segment,
        main: Product,
        omvang: Option<Omvang>,
        budget: Option<i64>,
        secondary: Option<Product>,
        first_301: Moment,
        ingang: NaiveDate,
        einde: Option<NaiveDate>,
        refs: Vec<String>,
        history: bool,
    ) {
        let not_before = if history { self.w0 } else { first_301.date() };
        let v = self.version(first_301, ingang, einde, None, refs.first().cloned());
        let mut allocations = vec![self.allocation(&ctx, main, omvang, budget, v)];
        let start = if seg.crisis {
            ingang
        } else {
            ingang + self.days(0, 10)
        };
        // a long wait at the providers that make their clients wait: the main product only
        // (a secondary one starts after it), and only where the allocation leaves room
        let long_wait = !history
            && !seg.crisis
            && secondary.is_none()
            && waits_long(ctx.prov)
            && einde.is_none_or(|e| start + Duration::days(LONG_WAIT_DAYS + 60) <= e);
        let start = if long_wait {
            start + Duration::days(LONG_WAIT_DAYS)
        } else {
            start
        };
        allocations[0].long_wait = long_wait;
        if history {
            // usage before the window, so totals over the whole validity stay realistic
            let a = &mut allocations[0];
            let before = (self.w0 - start).num_days().max(0);
            let total = a.omvang.map_or(a.budget.unwrap_or(0), |o| o.volume);
            if a.omvang.is_none_or(|o| o.frequentie == "6") {
                a.prior_use =
                    (total as f64 * before as f64 / a.planned_days as f64 * a.util) as i64;
            }
        }
        let end = self.plan_main(&ctx, seg, &mut allocations, start, first_301, not_before);

        if let Some(p) = secondary {
            let sec_end = self.secondary_end(ingang, einde);
            if !history || sec_end >= self.w0 {
                let v = self.version(first_301, ingang, Some(sec_end), None, refs.get(1).cloned());
                let (o, _) = self.sample_omvang(&p);
                let mut a = self.allocation(&ctx, p, o, None, v);
                let runs_until = end.last_day.map_or(sec_end, |d| d.min(sec_end));
                // it starts a little after the main product, and always before the main
                // delivery ends: an allocation never started owes a start (OP271)
                let begin = (start + self.days(7, 28)).min(runs_until).max(start);
                if begin >= self.w1 && ingang < self.w1 && first_301.date() < self.w1 {
                    let reference = begin.max(first_301.date());
                    self.regie(&ctx, &a, begin, None, reference, first_301);
                } else if begin <= runs_until && begin < self.w1 {
                    let reference = begin.max(first_301.date());
                    let started = self.regie(&ctx, &a, begin, None, reference, first_301);
                    if runs_until >= self.w1 {
                        a.care.push((begin, self.w1 - Duration::days(1)));
                    } else {
                        a.care.push((begin, runs_until));
                        if runs_until == sec_end {
                            self.stop_or_missing(
                                &ctx,
                                &a,
                                begin,
                                sec_end,
                                planned_reason(ctx.domain),
                                started,
                            );
                        } else {
                            self.regie(
                                &ctx,
                                &a,
                                begin,
                                Some((end.reason, runs_until)),
                                runs_until,
                                started,
                            );
                        }
                    }
                }
                allocations.push(a);
            }
        }
        // the municipality ends the remaining allocations after an early end (retroactively,
        // in agreement with the provider, OP186)
        if let Some(last) = end.last_day {
            if end.reason != planned_reason(ctx.domain) && self.rng.random_bool(0.5)
                || end.reason == "02"
            {
                let mut floor = allocations
                    .iter()
                    .map(|a| a.latest().moment)
                    .max()
                    .unwrap_or(first_301);
                let d = self.clock.add_wd(last, self.rng.random_range(2..=10));
                let at = self.clock.at(d, &mut self.rng);
                floor = self.clock.not_before(at, floor, &mut self.rng);
                let reden = wijziging_for_stop(ctx.domain, end.reason);
                for a in allocations.iter_mut() {
                    let cur = a.latest().clone();
                    let later = cur.einddatum.is_none_or(|e| e > last);
                    if later
                        && cur.ingangsdatum <= last
                        && cur.einddatum.is_none_or(|e| e >= floor.date())
                    {
                        let v = self.version(
                            floor,
                            cur.ingangsdatum,
                            Some(last.max(cur.ingangsdatum)),
                            Some(reden),
                            None,
                        );
                        a.versions.push(v);
                    }
                }
            }
        }
        self.emit_toewijzingen(&ctx, &allocations);
        if ctx.seventeen {
            let month = super::people::eighteenth(ctx.client.person.geboortedatum);
            for a in &allocations {
                self.summary.seventeen.push(Seventeen {
                    toewijzing_nummer: a.nummer,
                    provider: ctx.agb.clone(),
                    gemeente: ctx.gcode.to_string(),
                    turns_18_month: month.clone(),
                });
            }
        }
        let episode = Episode {
            client: ctx.client.clone(),
            allocations,
        };
        if episode.last_care().is_some() {
            self.chains
                .entry((ctx.prov, ctx.g, ctx.domain))
                .or_default()
                .episodes
                .push(episode);
        }
    }

    /// A stop at the allocation's end — or, as the provider's habits say, none at all.
    fn stop_or_missing(
        &mut self,
        ctx: &Ctx,
        a: &Allocation,
        begin: NaiveDate,
        end: NaiveDate,
        reason: &'static str,
        floor: Moment,
    ) {
        let missing = self.world.providers[ctx.prov].profile.missing_stop;
        if self.rng.random_bool(missing) {
            let due = self.clock.add_wd(end, 5);
            self.missing_stop(MissingStop {
                toewijzing_nummer: a.nummer,
                provider: ctx.agb.clone(),
                gemeente: ctx.gcode.to_string(),
                domain: ctx.domain.prefix().to_string(),
                allocation_end: end.to_string(),
                due: due.to_string(),
                start_begindatum: begin.to_string(),
            });
        } else {
            self.regie(ctx, a, begin, Some((reason, end)), end, floor);
        }
    }

    /// Delivery of the main product: start, at most one change, the end.
    fn plan_main(
        &mut self,
        ctx: &Ctx,
        seg: &Segment,
        allocations: &mut Vec<Allocation>,
        start: NaiveDate,
        first_301: Moment,
        not_before: NaiveDate,
    ) -> MainEnd {
        let ended = |last_day, reason| MainEnd { last_day, reason };
        let w1 = self.w1;
        let last_window_day = w1 - Duration::days(1);
        if start >= w1 {
            // an allocation starting inside the window owes its start (OP271), even when the
            // delivery begins after it; nothing else happens inside the window
            let ingang = allocations[0].ingangsdatum();
            if ingang < w1 && first_301.date() < w1 {
                let reference = start.max(first_301.date());
                self.regie(ctx, &allocations[0], start, None, reference, first_301);
            }
            return ended(None, planned_reason(ctx.domain));
        }
        let mut cur = 0;
        let mut begin = start;
        let reference = start.max(first_301.date());
        let mut last = self.regie(ctx, &allocations[cur], begin, None, reference, first_301);
        let mut einde = allocations[cur].latest().einddatum;
        let mut withdrawn = false;
        let min_event = (start + Duration::days(14)).max(not_before);
        let horizon = einde.unwrap_or(start + Duration::days(365));

        let u: f64 = self.rng.random_range(0.0..1.0);
        let p_temp = seg.temp_stop;
        let p_vow = p_temp + seg.vow;
        let p_withdraw = p_vow + 0.03;
        let p_extend = p_withdraw + seg.extension;
        let product = allocations[cur].product;
        // a total volume or budget is not stretched over a longer period (OP380 concerns
        // weekly and monthly allocations)
        let periodic = !product.is_budget() && matches!(product.frequentie, "2" | "4");
        let vow_ok = !product.is_budget()
            && !product.in_euros()
            && matches!(product.frequentie, "2" | "4")
            && einde.is_some();

        if u < p_temp {
            // temporary stop (307 reden 20), then a new start or a definitive stop
            if let Some(t) = self.date_between(min_event, horizon - Duration::days(21)) {
                if t < w1 {
                    let stopped =
                        self.regie(ctx, &allocations[cur], begin, Some(("20", t)), t, last);
                    allocations[cur].care.push((begin, t));
                    let pause = self.days(10, 60);
                    // never beyond the allocation's end: a stop is owed from there (OP288)
                    let when = einde.map_or(t + pause, |e| e.min(t + pause));
                    let can_resume = einde.is_none_or(|e| when <= e - Duration::days(14));
                    if !(can_resume && self.rng.random_bool(0.75)) {
                        // a definitive stop once it is known the care will not resume
                        // (TR413/TR414: reden ≠ 20, Einddatum ≥ the temporary stop's)
                        if when < w1 {
                            let reason = agreed_end_reason(ctx.domain);
                            self.regie(
                                ctx,
                                &allocations[cur],
                                begin,
                                Some((reason, when)),
                                when,
                                stopped,
                            );
                        }
                        return ended(None, planned_reason(ctx.domain));
                    }
                    if when >= w1 {
                        return ended(None, planned_reason(ctx.domain));
                    }
                    last = self.regie(ctx, &allocations[cur], when, None, when, stopped);
                    begin = when;
                }
            }
        } else if u < p_vow && vow_ok {
            let e = einde.unwrap_or(horizon);
            if let Some(t) = self.date_between(min_event, e - Duration::days(45)) {
                if t < w1 {
                    if let Some((next, g_date, answered)) = self.vow(ctx, allocations, cur, t, last)
                    {
                        // the old allocation ends the day before; its delivery is stopped
                        let old_end = g_date - Duration::days(1);
                        allocations[cur]
                            .care
                            .push((begin, old_end.min(last_window_day)));
                        if old_end < w1 {
                            self.regie(
                                ctx,
                                &allocations[cur],
                                begin,
                                Some(("37", old_end)),
                                old_end,
                                answered,
                            );
                        }
                        cur = next;
                        begin = g_date;
                        if g_date >= w1 {
                            return ended(None, planned_reason(ctx.domain));
                        }
                        last = self.regie(ctx, &allocations[cur], g_date, None, g_date, answered);
                    }
                }
            }
        } else if u < p_withdraw && einde.is_some() {
            let e = einde.unwrap_or(horizon);
            if let Some(t) =
                self.date_between(min_event + Duration::days(14), e - Duration::days(40))
            {
                if t < w1 {
                    let at = self.clock.at(t, &mut self.rng);
                    let at = self.clock.not_before(
                        at,
                        allocations[cur].latest().moment.max(last),
                        &mut self.rng,
                    );
                    let new_end = at.date() + self.days(7, 30);
                    if new_end < e {
                        let reden = if self.rng.random_bool(0.7) {
                            "05"
                        } else {
                            "03"
                        };
                        let ingang = allocations[cur].ingangsdatum();
                        let v = self.version(at, ingang, Some(new_end), Some(reden), None);
                        allocations[cur].versions.push(v);
                        einde = Some(new_end);
                        withdrawn = true;
                    }
                }
            }
        } else if u < p_extend && periodic {
            if let Some(e) = einde {
                let lo = min_event.max(first_301.date() + Duration::days(1));
                if let Some(t) =
                    self.date_between(lo.max(e - Duration::days(40)), e - Duration::days(10))
                {
                    if t < w1 {
                        let at = self.clock.at(t, &mut self.rng);
                        let at = self.clock.not_before(
                            at,
                            allocations[cur].latest().moment,
                            &mut self.rng,
                        );
                        if at.date() < e {
                            let new_end =
                                end_of_month(add_months(e, self.rng.random_range(3..=12)));
                            let ingang = allocations[cur].ingangsdatum();
                            let v = self.version(at, ingang, Some(new_end), Some("04"), None);
                            allocations[cur].versions.push(v);
                            einde = Some(new_end);
                        }
                    }
                }
            }
        }

        // the end of delivery
        let lo = (begin + Duration::days(7)).max(not_before);
        let early_end = match einde {
            Some(e) if !withdrawn && self.rng.random_bool(seg.early_end) => {
                self.date_between(lo, e - Duration::days(1))
            }
            Some(_) => None,
            None => {
                // an exponential lifetime: memoryless, so care running when the window opens
                // has the same expected remainder as new care
                let u: f64 = self.rng.random_range(f64::EPSILON..1.0);
                let days = (-u.ln() * super::catalogue::OPEN_ENDED_MEAN_MONTHS * 30.4) as i64;
                Some(lo.max(begin.max(not_before) + Duration::days(days)))
            }
        };
        if let Some(day) = early_end {
            if day >= w1 {
                allocations[cur].care.push((begin, last_window_day));
                return ended(None, planned_reason(ctx.domain));
            }
            allocations[cur].care.push((begin, day));
            let reason = if ctx.elderly(day) && self.rng.random_bool(0.4) {
                "02"
            } else {
                pick_reason(&mut self.rng, early_reasons(ctx.domain))
            };
            self.regie(
                ctx,
                &allocations[cur],
                begin,
                Some((reason, day)),
                day,
                last,
            );
            return ended(Some(day), reason);
        }
        let Some(e) = einde else {
            allocations[cur].care.push((begin, last_window_day));
            return ended(None, planned_reason(ctx.domain));
        };
        if e >= w1 {
            allocations[cur].care.push((begin, last_window_day));
            return ended(None, planned_reason(ctx.domain));
        }
        allocations[cur].care.push((begin, e));
        let reason = if withdrawn {
            "36"
        } else {
            planned_reason(ctx.domain)
        };
        let a = allocations[cur].clone();
        self.stop_or_missing(ctx, &a, begin, e, reason, last);
        // a withdrawal ends only this allocation; products allocated with it run on
        ended((!withdrawn).then_some(e), planned_reason(ctx.domain))
    }

    /// A change request (VOW, 317) on allocation `cur` made on `t`, and the municipality's
    /// answer. When honoured: the index of the new allocation, its start date and the moment
    /// of the 301.
    fn vow(
        &mut self,
        ctx: &Ctx,
        allocations: &mut Vec<Allocation>,
        cur: usize,
        t: NaiveDate,
        floor: Moment,
    ) -> Option<(usize, NaiveDate, Moment)> {
        let at = self.clock.at(t, &mut self.rng);
        let r317 = self.clock.not_before(at, floor, &mut self.rng);
        let old = allocations[cur].clone();
        let o = old.omvang?;
        let e = old.latest().einddatum?;
        let mut gewenst = r317.date() + self.days(8, 21);
        let delta = if o.frequentie == "4" {
            self.rng.random_range(2..=4)
        } else {
            1
        };
        let volume = if o.volume > delta && self.rng.random_bool(0.4) {
            o.volume - delta
        } else {
            o.volume + delta
        };
        let new_omvang = Omvang { volume, ..o };
        self.referentie_seq[ctx.prov] += 1;
        let referentie = format!("{}-VOW-{:06}", ctx.agb, self.referentie_seq[ctx.prov]);
        let kind = ctx.kind(317);
        let ident = self.ident(&ctx.agb, kind);
        let spec = Spec {
            kind,
            sender: ctx.agb.clone(),
            receiver: ctx.gcode.to_string(),
            ident,
            dagtekening: r317.date(),
            body: Body::Vow {
                client: ctx.client.clone(),
                referentie: referentie.clone(),
                reden: if self.rng.random_bool(0.5) { "1" } else { "2" },
                te_wijzigen: vec![TeWijzigen {
                    nummer: old.nummer,
                    gewenste_ingangsdatum: gewenst,
                    einddatum: Some(e),
                    omvang: new_omvang,
                }],
            },
        };
        self.push(r317, spec, Vec::new(), ctx.prov);
        let d = self.clock.add_wd(r317.date(), self.rng.random_range(1..=5));
        let answer = self.clock.at(d, &mut self.rng);
        let answer = self
            .clock
            .not_before(answer, r317.max(old.latest().moment), &mut self.rng);
        if gewenst <= answer.date() {
            gewenst = answer.date() + self.days(2, 7);
        }
        if self.rng.random_bool(0.15) || gewenst + Duration::days(14) > e {
            let reden = if self.rng.random_bool(0.6) { "4" } else { "2" };
            self.antwoord(ctx, answer, &referentie, "1", Some(reden));
            return None;
        }
        // honoured 1-to-1 (OP348): the old allocation ends, a new one starts (the volume
        // changed, so a new ToewijzingNummer, IV066); both carry the VOW's reference
        let ended = self.version(
            answer,
            old.ingangsdatum(),
            Some(gewenst - Duration::days(1)),
            Some("12"),
            Some(referentie.clone()),
        );
        allocations[cur].versions.push(ended);
        let v = Version {
            ingangsdatum: gewenst,
            einddatum: Some(e),
            reden: None,
            referentie: Some(referentie),
            ..allocations[cur].latest().clone()
        };
        let mut next = self.allocation(ctx, old.product, Some(new_omvang), None, v);
        next.util = old.util;
        allocations.push(next);
        Some((allocations.len() - 1, gewenst, answer))
    }
}
