//! The region: its five municipalities, about 200 contracted providers with their segments,
//! the municipalities they serve, their size and their habits (the misbehaviour profile), and
//! the regional contracts (products and tariffs per year) written as `contracts.csv`.

use super::catalogue::{Product, SEGMENTS};
use super::people::{Place, BODEGRAVEN_REEUWIJK, GOUDA, KRIMPENERWAARD, WADDINXVEEN, ZUIDPLAS};
use rand::Rng;
use serde::Serialize;
use std::collections::BTreeSet;
use std::io::Write;

/// One municipality of the region.
#[derive(Debug)]
pub struct Gemeente {
    /// CBS gemeentecode.
    pub code: &'static str,
    pub name: &'static str,
    /// Digit used in ToewijzingNummers (unique per gemeente).
    pub digit: u32,
    pub inhabitants: u32,
    pub places: &'static [Place],
}

/// The five municipalities of Midden-Holland. Gouda is the centrumgemeente that allocates and
/// pays beschermd wonen and opvang for the whole region.
pub const GEMEENTEN: [Gemeente; 5] = [
    Gemeente {
        code: "0513",
        name: "Gouda",
        digit: 1,
        inhabitants: 75_000,
        places: GOUDA,
    },
    Gemeente {
        code: "0627",
        name: "Waddinxveen",
        digit: 2,
        inhabitants: 31_500,
        places: WADDINXVEEN,
    },
    Gemeente {
        code: "1901",
        name: "Bodegraven-Reeuwijk",
        digit: 3,
        inhabitants: 36_000,
        places: BODEGRAVEN_REEUWIJK,
    },
    Gemeente {
        code: "1892",
        name: "Zuidplas",
        digit: 4,
        inhabitants: 47_000,
        places: ZUIDPLAS,
    },
    Gemeente {
        code: "1931",
        name: "Krimpenerwaard",
        digit: 5,
        inhabitants: 57_500,
        places: KRIMPENERWAARD,
    },
];

/// Index of the centrumgemeente (Gouda) in [`GEMEENTEN`].
pub const CENTRUM: usize = 0;

/// How a provider behaves: chances per obligation or per line, stated in the summary so a
/// reader can see which providers are habitually late.
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    /// Chance that a start (305) arrives after its deadline (OP271).
    pub late_start: f64,
    /// Chance that a stop (307) arrives after its deadline (OP272).
    pub late_stop: f64,
    /// Chance that a monthly declaration arrives after the declaration deadline.
    pub late_declaration: f64,
    /// Mean number of working days late when late.
    pub mean_days_late: f64,
    /// Chance that an allocation ending as planned gets no stop at all.
    pub missing_stop: f64,
    /// Chance per declaration line of a tariff that is not the contract tariff (0611).
    pub wrong_tariff: f64,
    /// Chance per eligible declaration line of declaring more than allocated (9321/9322).
    pub overrun: f64,
    /// Chance per sent message of first sending a malformed file.
    pub malformed: f64,
    /// Chance per allocation per month of crediting and correcting an approved line.
    pub correction: f64,
}

/// A contracted provider.
#[derive(Debug, Clone)]
pub struct Provider {
    pub agb: String,
    pub name: String,
    /// Indices into [`SEGMENTS`].
    pub segments: Vec<usize>,
    /// Indices into [`GEMEENTEN`] it serves.
    pub gemeenten: Vec<usize>,
    /// Relative size (share of new clients within its segments).
    pub weight: f64,
    /// Negotiated deviation from the regional tariffs (1.0 for most).
    pub tariff_factor: f64,
    /// Yearly budget ceiling (eurocents) for providers under one.
    pub budgetplafond: Option<i64>,
    pub profile: Profile,
}

struct Archetype {
    label: &'static str,
    count: usize,
    agb_prefix: u32,
    segments: &'static [&'static str],
    /// How many municipalities it serves (min, max).
    serves: (usize, usize),
    size: f64,
}

const ARCHETYPES: &[Archetype] = &[
    Archetype {
        label: "Gecertificeerde instelling",
        count: 3,
        agb_prefix: 98,
        segments: &["jb-jr"],
        serves: (5, 5),
        size: 3.0,
    },
    Archetype {
        label: "Jeugd-ggz",
        count: 12,
        agb_prefix: 73,
        segments: &["jeugd-ggz"],
        serves: (3, 5),
        size: 2.0,
    },
    Archetype {
        label: "Ggz-praktijk",
        count: 20,
        agb_prefix: 94,
        segments: &["jeugd-ggz"],
        serves: (1, 3),
        size: 0.6,
    },
    Archetype {
        label: "Jeugdhulp",
        count: 6,
        agb_prefix: 98,
        segments: &[
            "jeugd-ambulant",
            "jeugd-dagbehandeling",
            "jeugd-verblijf",
            "jeugd-maatwerk",
        ],
        serves: (4, 5),
        size: 2.5,
    },
    Archetype {
        label: "Jeugdhulp ambulant",
        count: 45,
        agb_prefix: 98,
        segments: &["jeugd-ambulant"],
        serves: (1, 4),
        size: 0.8,
    },
    Archetype {
        label: "Dagbehandeling",
        count: 5,
        agb_prefix: 98,
        segments: &["jeugd-dagbehandeling"],
        serves: (2, 5),
        size: 1.0,
    },
    Archetype {
        label: "Gezinshuis",
        count: 5,
        agb_prefix: 98,
        segments: &["jeugd-verblijf"],
        serves: (2, 5),
        size: 0.7,
    },
    Archetype {
        label: "Pleegzorg",
        count: 3,
        agb_prefix: 98,
        segments: &["pleegzorg"],
        serves: (5, 5),
        size: 1.5,
    },
    Archetype {
        label: "Crisisdienst",
        count: 2,
        agb_prefix: 98,
        segments: &["jeugd-crisis", "jeugd-verblijf"],
        serves: (5, 5),
        size: 1.5,
    },
    Archetype {
        label: "Thuiszorg",
        count: 12,
        agb_prefix: 98,
        segments: &["wmo-hh"],
        serves: (2, 5),
        size: 1.5,
    },
    Archetype {
        label: "Zorggroep",
        count: 8,
        agb_prefix: 98,
        segments: &[
            "wmo-begeleiding-individueel",
            "wmo-begeleiding-groep",
            "wmo-dagbesteding",
            "wmo-kortdurend-verblijf",
            "wmo-maatwerk",
        ],
        serves: (4, 5),
        size: 2.5,
    },
    Archetype {
        label: "Begeleiding",
        count: 40,
        agb_prefix: 98,
        segments: &["wmo-begeleiding-individueel", "wmo-begeleiding-groep"],
        serves: (1, 4),
        size: 0.7,
    },
    Archetype {
        label: "Dagbesteding",
        count: 25,
        agb_prefix: 98,
        segments: &["wmo-dagbesteding"],
        serves: (1, 4),
        size: 0.8,
    },
    Archetype {
        label: "Logeerhuis",
        count: 4,
        agb_prefix: 98,
        segments: &["wmo-kortdurend-verblijf"],
        serves: (2, 5),
        size: 1.0,
    },
    Archetype {
        label: "Beschermd wonen",
        count: 4,
        agb_prefix: 98,
        segments: &["wmo-beschermd-wonen"],
        serves: (1, 1),
        size: 1.5,
    },
    Archetype {
        label: "Zorg en welzijn",
        count: 6,
        agb_prefix: 98,
        segments: &[
            "jeugd-ambulant",
            "wmo-begeleiding-individueel",
            "wmo-maatwerk",
        ],
        serves: (3, 5),
        size: 1.2,
    },
];

const NAME_PARTS: &[&str] = &[
    "Gouwe",
    "Hollandse IJssel",
    "Vlist",
    "Lek",
    "Groene Hart",
    "Reeuwijkse Plassen",
    "Zuidplas",
    "Krimpenerwaard",
    "De Linde",
    "Het Anker",
    "De Brug",
    "De Wissel",
    "Het Kompas",
    "De Boog",
    "Goudse Poort",
    "Het Veer",
    "De Waard",
    "Midden-Holland",
    "De Sluis",
    "Het Baken",
];

/// The region with its providers.
#[derive(Debug)]
pub struct World {
    pub providers: Vec<Provider>,
    /// Per segment, per gemeente: the providers that may get a client, with their weights.
    choices: Vec<Vec<Vec<(usize, f64)>>>,
    /// Year the catalogue tariffs apply to; other years are indexed.
    pub base_year: i32,
}

/// Yearly tariff indexation.
const INDEXATION: f64 = 0.032;

fn normal<R: Rng>(rng: &mut R) -> f64 {
    // Box–Muller
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random_range(0.0..1.0);
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn profile<R: Rng>(rng: &mut R) -> Profile {
    let habit = |share: f64, low: f64, high: f64, usual: f64, rng: &mut R| {
        if rng.random_bool(share) {
            rng.random_range(low..high)
        } else {
            usual
        }
    };
    let late_start = habit(0.2, 0.3, 0.7, 0.04, rng);
    let late_stop = habit(0.2, 0.3, 0.7, 0.06, rng);
    let late_declaration = habit(0.15, 0.3, 0.8, 0.04, rng);
    let habitual = late_start > 0.1 || late_stop > 0.1 || late_declaration > 0.1;
    Profile {
        late_start,
        late_stop,
        late_declaration,
        mean_days_late: if habitual {
            rng.random_range(5.0..12.0)
        } else {
            3.0
        },
        missing_stop: habit(0.15, 0.25, 0.6, 0.03, rng),
        wrong_tariff: habit(0.12, 0.02, 0.08, 0.0, rng),
        overrun: habit(0.15, 0.02, 0.06, 0.002, rng),
        malformed: habit(0.05, 0.005, 0.02, 0.0005, rng),
        correction: rng.random_range(0.002..0.015),
    }
}

impl World {
    /// About 200 providers drawn from the archetypes, deterministic for a given generator state.
    pub fn build<R: Rng>(rng: &mut R, base_year: i32) -> World {
        let mut agbs = BTreeSet::new();
        let mut names = BTreeSet::new();
        let mut providers = Vec::new();
        for a in ARCHETYPES {
            for _ in 0..a.count {
                let agb = loop {
                    let candidate =
                        format!("{}{:06}", a.agb_prefix, rng.random_range(1_000..1_000_000));
                    if agbs.insert(candidate.clone()) {
                        break candidate;
                    }
                };
                let name = loop {
                    let part = NAME_PARTS[rng.random_range(0..NAME_PARTS.len())];
                    let candidate = format!("{} {part}", a.label);
                    if names.insert(candidate.clone()) {
                        break candidate;
                    }
                    let numbered = format!("{} {part} {}", a.label, names.len());
                    if names.insert(numbered.clone()) {
                        break numbered;
                    }
                };
                let segments: Vec<usize> = a
                    .segments
                    .iter()
                    .filter_map(|k| super::catalogue::segment(k))
                    .collect();
                let centrum_only = segments.iter().all(|s| SEGMENTS[*s].centrum);
                let gemeenten = if centrum_only {
                    vec![CENTRUM]
                } else {
                    let n = rng.random_range(a.serves.0..=a.serves.1);
                    choose_gemeenten(rng, n)
                };
                let tariff_factor = if rng.random_bool(0.1) {
                    1.0 + rng.random_range(-0.04..0.04)
                } else {
                    1.0
                };
                providers.push(Provider {
                    agb,
                    name,
                    segments,
                    gemeenten,
                    weight: a.size * (0.9 * normal(rng)).exp(),
                    tariff_factor,
                    budgetplafond: None,
                    profile: profile(rng),
                });
            }
        }
        let mut world = World {
            providers,
            choices: Vec::new(),
            base_year,
        };
        world.cover_every_segment_everywhere();
        world.index();
        world.set_budget_ceilings();
        world
    }

    /// Every municipality must be able to place a client in every segment: the largest
    /// provider of a segment serves a municipality nobody else serves.
    fn cover_every_segment_everywhere(&mut self) {
        for (s, seg) in SEGMENTS.iter().enumerate() {
            let gemeenten: Vec<usize> = if seg.centrum {
                vec![CENTRUM]
            } else {
                (0..5).collect()
            };
            for g in gemeenten {
                let covered = self
                    .providers
                    .iter()
                    .any(|p| p.segments.contains(&s) && p.gemeenten.contains(&g));
                if !covered {
                    let biggest = self
                        .providers
                        .iter_mut()
                        .filter(|p| p.segments.contains(&s))
                        .max_by(|a, b| a.weight.total_cmp(&b.weight));
                    if let Some(p) = biggest {
                        p.gemeenten.push(g);
                        p.gemeenten.sort_unstable();
                    }
                }
            }
        }
    }

    fn index(&mut self) {
        self.choices = SEGMENTS
            .iter()
            .enumerate()
            .map(|(s, _)| {
                (0..GEMEENTEN.len())
                    .map(|g| {
                        self.providers
                            .iter()
                            .enumerate()
                            .filter(|(_, p)| p.segments.contains(&s) && p.gemeenten.contains(&g))
                            .map(|(i, p)| (i, p.weight))
                            .collect()
                    })
                    .collect()
            })
            .collect();
    }

    /// Household help and specialist youth mental health work under yearly budget ceilings
    /// (region.md): about 10% above the provider's expected yearly spend.
    fn set_budget_ceilings(&mut self) {
        let ceiling_segments: Vec<usize> = ["wmo-hh", "jeugd-ggz"]
            .iter()
            .filter_map(|k| super::catalogue::segment(k))
            .collect();
        for s in ceiling_segments {
            let seg = &SEGMENTS[s];
            let yearly = f64::from(seg.active) * seg.monthly_cents() * 12.0;
            let total: f64 = self
                .providers
                .iter()
                .filter(|p| p.segments.contains(&s))
                .map(|p| p.weight * p.gemeenten.len() as f64)
                .sum();
            for p in self
                .providers
                .iter_mut()
                .filter(|p| p.segments.contains(&s))
            {
                let share = p.weight * p.gemeenten.len() as f64 / total.max(1.0);
                let cents = (yearly * share * 1.1 / 100_000.0).round() as i64 * 100_000;
                p.budgetplafond = Some(cents.max(1_000_000));
            }
        }
    }

    /// A provider for a new client of segment `s` in gemeente `g`, by size.
    pub fn pick_provider<R: Rng>(&self, s: usize, g: usize, rng: &mut R) -> usize {
        let options = &self.choices[s][g];
        let total: f64 = options.iter().map(|(_, w)| w).sum();
        let mut x = rng.random_range(0.0..total.max(f64::MIN_POSITIVE));
        for (i, w) in options {
            if x < *w {
                return *i;
            }
            x -= w;
        }
        options.last().map_or(0, |(i, _)| *i)
    }

    /// The contract tariff (eurocents per unit) of `product` for provider `p` in `year`.
    pub fn tariff(&self, p: usize, product: &Product, year: i32) -> i64 {
        if product.in_euros() {
            return 1;
        }
        let index = (1.0 + INDEXATION).powi(year - self.base_year);
        (product.tarief as f64 * index * self.providers[p].tariff_factor).round() as i64
    }

    /// Writes the regional contracts in the format [`crate::contracts::ContractSet::from_csv`]
    /// reads: one row per provider, product, municipality scope and calendar year from
    /// `first_year`; the last year's rows are open-ended.
    pub fn write_contracts<W: Write>(
        &self,
        out: W,
        first_year: i32,
        last_year: i32,
    ) -> csv::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(crate::contracts::COLUMNS)?;
        for (i, p) in self.providers.iter().enumerate() {
            let scopes: Vec<&str> = if p.gemeenten.len() == GEMEENTEN.len() {
                vec!["*"]
            } else {
                p.gemeenten.iter().map(|g| GEMEENTEN[*g].code).collect()
            };
            let ceiling = p.budgetplafond.map(|c| c.to_string()).unwrap_or_default();
            for s in &p.segments {
                let seg = &SEGMENTS[*s];
                let products = seg
                    .products
                    .iter()
                    .chain(seg.secondary.iter().map(|(p, _)| p));
                for product in products {
                    for scope in &scopes {
                        for year in first_year..=last_year {
                            let tot = if year == last_year {
                                String::new()
                            } else {
                                format!("{year}-12-31")
                            };
                            w.write_record([
                                p.agb.as_str(),
                                scope,
                                product.categorie,
                                product.code,
                                product.eenheid,
                                &self.tariff(i, product, year).to_string(),
                                &format!("{year}-01-01"),
                                &tot,
                                seg.key,
                                &ceiling,
                            ])?;
                        }
                    }
                }
            }
        }
        w.flush()?;
        Ok(())
    }
}

/// `n` distinct municipalities, the larger ones more likely.
fn choose_gemeenten<R: Rng>(rng: &mut R, n: usize) -> Vec<usize> {
    let mut chosen = Vec::new();
    while chosen.len() < n.min(GEMEENTEN.len()) {
        let total: u32 = GEMEENTEN
            .iter()
            .enumerate()
            .filter(|(i, _)| !chosen.contains(i))
            .map(|(_, g)| g.inhabitants)
            .sum();
        let mut x = rng.random_range(0..total);
        for (i, g) in GEMEENTEN.iter().enumerate() {
            if chosen.contains(&i) {
                continue;
            }
            if x < g.inhabitants {
                chosen.push(i);
                break;
            }
            x -= g.inhabitants;
        }
    }
    chosen.sort_unstable();
    chosen
}

/// A municipality for a new client, by number of inhabitants.
pub fn pick_gemeente<R: Rng>(rng: &mut R) -> usize {
    choose_gemeenten(rng, 1)[0]
}

/// The payer rules of the region: the centrum segments are paid from one regional budget led by
/// Gouda, split by a verdeelsleutel in proportion to the inhabitants (in hundredths of a
/// percent, the rounding remainder to the largest municipality). Plausible, not official.
pub fn betalers() -> crate::facts::Betalers {
    use rust_decimal::Decimal;
    let total: u64 = GEMEENTEN.iter().map(|g| u64::from(g.inhabitants)).sum();
    let mut basis_points: Vec<(String, i64)> = GEMEENTEN
        .iter()
        .map(|g| {
            let bp = u64::from(g.inhabitants) * 10_000 / total;
            (g.code.to_string(), i64::try_from(bp).unwrap_or(0))
        })
        .collect();
    let rest = 10_000 - basis_points.iter().map(|b| b.1).sum::<i64>();
    if let Some(largest) = basis_points.iter_mut().max_by_key(|b| b.1) {
        largest.1 += rest;
    }
    crate::facts::Betalers {
        budgetten: vec![crate::facts::betaler::RegionaalBudget {
            naam: "Maatschappelijke zorg (beschermd wonen en opvang)".into(),
            centrumgemeente: GEMEENTEN[CENTRUM].code.into(),
            segmenten: SEGMENTS
                .iter()
                .filter(|s| s.centrum)
                .map(|s| s.key.to_string())
                .collect(),
            verdeelsleutel: basis_points
                .into_iter()
                .map(|(code, bp)| (code, Decimal::new(bp, 2)))
                .collect(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contracts::ContractSet;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn about_two_hundred_providers_cover_every_segment_in_every_municipality() {
        let mut rng = StdRng::seed_from_u64(9);
        let world = World::build(&mut rng, 2026);
        assert_eq!(world.providers.len(), 200);
        for (s, seg) in SEGMENTS.iter().enumerate() {
            for g in 0..5 {
                let expected = !seg.centrum || g == CENTRUM;
                assert_eq!(!world.choices[s][g].is_empty(), expected, "{} {g}", seg.key);
            }
        }
        assert!(world.providers.iter().all(|p| p.agb.len() == 8));
    }

    #[test]
    fn contracts_are_accepted_and_carry_the_indexed_tariffs() {
        let mut rng = StdRng::seed_from_u64(9);
        let world = World::build(&mut rng, 2026);
        let mut csv = Vec::new();
        world.write_contracts(&mut csv, 2025, 2026).unwrap();
        let set = ContractSet::from_csv(std::str::from_utf8(&csv).unwrap()).unwrap();
        let (i, p) = world
            .providers
            .iter()
            .enumerate()
            .find(|(_, p)| {
                p.segments
                    .contains(&super::super::catalogue::segment("jeugd-ambulant").unwrap())
            })
            .unwrap();
        let on = |y| chrono::NaiveDate::from_ymd_opt(y, 6, 1).unwrap();
        let g = GEMEENTEN[p.gemeenten[0]].code;
        let seg = &SEGMENTS[super::super::catalogue::segment("jeugd-ambulant").unwrap()];
        let product = &seg.products[1];
        let c2026 = set
            .find(&p.agb, g, product.categorie, product.code, on(2026))
            .unwrap();
        let c2025 = set
            .find(&p.agb, g, product.categorie, product.code, on(2025))
            .unwrap();
        assert_eq!(c2026.tarief, world.tariff(i, product, 2026));
        assert_eq!(c2025.tarief, world.tariff(i, product, 2025));
        assert!(c2025.tarief < c2026.tarief);
        assert!(c2026.geldig_tot.is_none());
    }
}
