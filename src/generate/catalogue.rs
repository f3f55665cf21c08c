//! The care the region buys, as data: segments (what the contract managers group providers by),
//! their products with unit, frequency, typical volume and tariff, how long care lasts and how
//! many clients are in care at a time. Everything the generator sizes comes from here, so the
//! expected yearly spend can be computed without generating anything ([`expected_yearly_cents`]).
//!
//! Figures are plausible, not official: tariffs in the range regional Jeugdwet/Wmo contracts
//! use, volumes as allocations are written, and client counts chosen so that a year at scale 1
//! costs about €118 M, the region's own order of magnitude (€110 M in 2020, €125 M in 2022).

use crate::message::kind::Standard;

/// How a product is allocated (§5.2 of the rules digest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Category + code + Omvang (volume, unit, frequency).
    Specific,
    /// Category only, with a Budget and an end date (CD075); declared under `code` in euros (83).
    AspecificBudget,
}

/// One product of the regional product list.
#[derive(Debug, Clone, Copy)]
pub struct Product {
    pub categorie: &'static str,
    /// The 5-character product code; for an aspecific budget product, the code declared.
    pub code: &'static str,
    pub name: &'static str,
    pub shape: Shape,
    /// WJ756 unit (of the allocation and of the contract tariff).
    pub eenheid: &'static str,
    /// WMO757 frequency of the allocation ("6" = total within the validity).
    pub frequentie: &'static str,
    /// Allocated volume (in `eenheid` per `frequentie`), inclusive range; for unit 83 the
    /// amount in eurocents; for a budget product the Budget in eurocents.
    pub volume: (i64, i64),
    /// Contract tariff in eurocents per unit in the base year (1 for unit 83: the volume is
    /// itself the amount).
    pub tarief: i64,
    /// Relative share among the products of its segment.
    pub weight: u32,
}

impl Product {
    pub fn is_budget(&self) -> bool {
        self.shape == Shape::AspecificBudget
    }
    /// Unit 83 (euro's): the volume is an amount and the declaration carries no tariff.
    pub fn in_euros(&self) -> bool {
        self.eenheid == "83"
    }
    fn mean_volume(&self) -> f64 {
        (self.volume.0 + self.volume.1) as f64 / 2.0
    }
}

/// A care segment: a group of products with common behaviour.
#[derive(Debug, Clone, Copy)]
pub struct Segment {
    pub key: &'static str,
    pub domain: Standard,
    pub products: &'static [Product],
    /// An optional second product allocated alongside (e.g. parent training), with its chance.
    pub secondary: Option<(Product, f64)>,
    /// Planned length of an allocation in months, inclusive range.
    pub months: (u32, u32),
    /// Share of allocations without an end date (only for monthly or total frequencies).
    pub open_ended: f64,
    /// Clients in care at any moment at scale 1.
    pub active: u32,
    /// Share of new clients that come in through a provider's request (VOT, 315) rather than a
    /// municipality-initiated 301.
    pub vot_share: f64,
    /// Crisis care: delivery starts before the allocation exists (retroactive 301, OP271).
    pub crisis: bool,
    /// Paid by the centrumgemeente (Gouda) for the whole region: beschermd wonen and opvang.
    pub centrum: bool,
    /// Client age range in years at the start of care.
    pub age: (u32, u32),
    /// Chances per allocation: ended early, changed through a VOW, extended by the
    /// municipality, temporarily stopped.
    pub early_end: f64,
    pub vow: f64,
    pub extension: f64,
    pub temp_stop: f64,
}

impl Segment {
    /// Mean length of care in months, counting open-ended allocations by their mean lifetime.
    pub fn mean_months(&self) -> f64 {
        let bounded = (self.months.0 + self.months.1) as f64 / 2.0;
        // early ends cut about half of the rest (they fall at 20–90%); extensions add about
        // 7 months, and only to weekly or monthly allocations (a total is not stretched)
        let total_weight: u32 = self.products.iter().map(|p| p.weight).sum();
        let periodic: u32 = self
            .products
            .iter()
            .filter(|p| !p.is_budget() && matches!(p.frequentie, "2" | "4"))
            .map(|p| p.weight)
            .sum();
        let extended = self.extension * f64::from(periodic) / f64::from(total_weight.max(1));
        let effective = bounded * (1.0 - self.early_end * 0.45) + extended * 7.0;
        self.open_ended * OPEN_ENDED_MEAN_MONTHS + (1.0 - self.open_ended) * effective
    }

    /// New clients a month at `scale`, so that the number in care stays at `active`: those
    /// whose request is rejected never come into care.
    pub fn arrivals(&self, scale: f64) -> f64 {
        let in_care = 1.0 - self.vot_share * REJECTED_REQUESTS;
        f64::from(self.active) * scale / self.mean_months() / in_care
    }

    /// Expected declared eurocents per client per month in care (base-year tariffs).
    pub fn monthly_cents(&self) -> f64 {
        let total_weight: u32 = self.products.iter().map(|p| p.weight).sum();
        let mean_months = (self.months.0 + self.months.1) as f64 / 2.0;
        let main: f64 = self
            .products
            .iter()
            .map(|p| {
                f64::from(p.weight) / f64::from(total_weight) * product_monthly(p, mean_months)
            })
            .sum();
        let secondary = self.secondary.map_or(0.0, |(p, chance)| {
            // a secondary product runs about 3.5 months within an episode
            chance * p.mean_volume() * utilisation(p.eenheid).1 * mean_variation() * p.tarief as f64
                / self.mean_months()
        });
        main + secondary
    }
}

/// Share of requests (VOT) the municipality rejects (directly or after investigation).
pub const REJECTED_REQUESTS: f64 = 0.10;

/// Mean lifetime of an open-ended allocation (household help): ended by death, moving, or
/// another reason about once every 40 months.
pub const OPEN_ENDED_MEAN_MONTHS: f64 = 40.0;

/// Share of the allocated volume actually delivered, by unit: (min, mean) of the uniform range
/// [min, 2·mean − min].
pub fn utilisation(eenheid: &str) -> (f64, f64) {
    match eenheid {
        "14" => (0.94, 0.97),
        "16" => (0.78, 0.87),
        "83" => (1.0, 1.0),
        "84" => (0.8, 0.9),
        _ => (0.72, 0.85),
    }
}

/// Month-to-month variation of delivered volume (uniform range), never above what was
/// allocated so that no month of care is left without a line once a total is used up.
pub const MONTHLY_VARIATION: (f64, f64) = (0.94, 1.0);

fn mean_variation() -> f64 {
    (MONTHLY_VARIATION.0 + MONTHLY_VARIATION.1) / 2.0
}

/// Average days per month, to turn weekly volumes into monthly ones.
const DAYS_PER_MONTH: f64 = 365.25 / 12.0;

fn product_monthly(p: &Product, mean_months: f64) -> f64 {
    let util = utilisation(p.eenheid).1;
    if p.is_budget() {
        // the budget's use: utilisation 0.8–1.0
        return p.mean_volume() * 0.9 * mean_variation() / mean_months;
    }
    // residential days (etmaal) and monthly euro amounts do not vary from month to month
    let variation = if matches!(p.eenheid, "14" | "83") {
        1.0
    } else {
        mean_variation()
    };
    let per_month = match p.frequentie {
        "1" => p.mean_volume() * DAYS_PER_MONTH,
        "2" => p.mean_volume() * DAYS_PER_MONTH / 7.0,
        "4" => p.mean_volume(),
        _ => p.mean_volume() / mean_months,
    };
    per_month * util * variation * p.tarief as f64
}

/// Expected eurocents declared in a year across the region at `scale` (clients × scale), from
/// the catalogue alone: clients in care × expected monthly cost × 12.
pub fn expected_yearly_cents(scale: f64) -> i64 {
    SEGMENTS
        .iter()
        .map(|s| f64::from(s.active) * scale * s.monthly_cents() * 12.0)
        .sum::<f64>()
        .round() as i64
}

#[allow(clippy::too_many_arguments)]
const fn p(
    categorie: &'static str,
    code: &'static str,
    name: &'static str,
    eenheid: &'static str,
    frequentie: &'static str,
    volume: (i64, i64),
    tarief: i64,
    weight: u32,
) -> Product {
    Product {
        categorie,
        code,
        name,
        shape: Shape::Specific,
        eenheid,
        frequentie,
        volume,
        tarief,
        weight,
    }
}

const fn budget(
    categorie: &'static str,
    code: &'static str,
    name: &'static str,
    range: (i64, i64),
) -> Product {
    Product {
        categorie,
        code,
        name,
        shape: Shape::AspecificBudget,
        eenheid: "83",
        frequentie: "",
        volume: range,
        tarief: 1,
        weight: 1,
    }
}

const JEUGD_GGZ: &[Product] = &[
    p(
        "54",
        "54B01",
        "Jeugd-ggz basis",
        "01",
        "6",
        (480, 1200),
        178,
        35,
    ),
    p(
        "54",
        "54S01",
        "Jeugd-ggz specialistisch",
        "01",
        "6",
        (1200, 3600),
        205,
        50,
    ),
    p(
        "54",
        "54S05",
        "Jeugd-ggz specialistisch intensief",
        "04",
        "2",
        (2, 4),
        12980,
        15,
    ),
];
const JEUGD_AMBULANT: &[Product] = &[
    p(
        "45",
        "45A01",
        "Ambulante jeugdhulp licht",
        "04",
        "2",
        (1, 3),
        7650,
        30,
    ),
    p(
        "45",
        "45A03",
        "Ambulante jeugdhulp regulier",
        "04",
        "2",
        (1, 4),
        9385,
        50,
    ),
    p(
        "45",
        "45A05",
        "Ambulante jeugdhulp specialistisch",
        "04",
        "2",
        (2, 5),
        10120,
        20,
    ),
];
const OUDERTRAINING: Product = p("45", "45A07", "Oudertraining", "84", "6", (6, 10), 14500, 1);
const JEUGD_DAGBEHANDELING: &[Product] = &[
    p("41", "41D01", "Dagbehandeling", "16", "2", (2, 6), 6875, 70),
    p(
        "41",
        "41D02",
        "Dagbehandeling intensief",
        "16",
        "2",
        (4, 9),
        8950,
        30,
    ),
];
const JEUGD_VERBLIJF: &[Product] = &[
    p(
        "43",
        "43V01",
        "Verblijf met behandeling",
        "14",
        "2",
        (7, 7),
        24900,
        40,
    ),
    p(
        "43",
        "43V02",
        "Verblijf met behandeling intensief",
        "14",
        "2",
        (7, 7),
        32500,
        15,
    ),
    p("44", "44G01", "Gezinshuis", "14", "2", (7, 7), 18500, 30),
    p(
        "44",
        "44L01",
        "Logeeropvang jeugd",
        "14",
        "4",
        (2, 6),
        16500,
        15,
    ),
];
const PLEEGZORG: &[Product] = &[
    p(
        "44",
        "44P01",
        "Pleegzorg regulier",
        "14",
        "2",
        (7, 7),
        6200,
        75,
    ),
    p(
        "44",
        "44P02",
        "Pleegzorg specialistisch",
        "14",
        "2",
        (7, 7),
        8900,
        25,
    ),
];
const JEUGD_CRISIS: &[Product] = &[
    p(
        "46",
        "46C01",
        "Crisisopvang",
        "14",
        "6",
        (14, 42),
        32000,
        55,
    ),
    p(
        "46",
        "46C02",
        "Ambulante spoedhulp",
        "04",
        "6",
        (10, 30),
        12500,
        45,
    ),
];
const JB_JR: &[Product] = &[
    p(
        "48",
        "48J01",
        "Ondertoezichtstelling",
        "83",
        "4",
        (139000, 139000),
        1,
        55,
    ),
    p("48", "48J02", "Voogdij", "83", "4", (115000, 115000), 1, 20),
    p(
        "47",
        "47R01",
        "Jeugdreclassering",
        "83",
        "4",
        (105000, 105000),
        1,
        25,
    ),
];
const JEUGD_MAATWERK: &[Product] = &[budget(
    "50",
    "50M01",
    "Maatwerkarrangement jeugd",
    (400_000, 2_400_000),
)];
const WMO_HH: &[Product] = &[
    p(
        "01",
        "01A01",
        "Hulp bij het huishouden",
        "04",
        "4",
        (6, 16),
        3210,
        70,
    ),
    p(
        "01",
        "01A02",
        "Hulp bij het huishouden met regie",
        "04",
        "4",
        (8, 20),
        3640,
        30,
    ),
];
const WMO_BEGELEIDING: &[Product] = &[
    p(
        "02",
        "02A01",
        "Begeleiding individueel",
        "04",
        "2",
        (1, 4),
        6450,
        70,
    ),
    p(
        "02",
        "02A02",
        "Begeleiding individueel specialistisch",
        "04",
        "2",
        (2, 5),
        7600,
        30,
    ),
];
const WMO_GROEP: &[Product] = &[p(
    "02",
    "02G01",
    "Begeleiding groep",
    "16",
    "2",
    (1, 4),
    4180,
    1,
)];
const WMO_DAGBESTEDING: &[Product] = &[
    p(
        "07",
        "07A01",
        "Dagbesteding basis",
        "16",
        "2",
        (2, 6),
        4520,
        65,
    ),
    p(
        "07",
        "07A02",
        "Dagbesteding intensief",
        "16",
        "2",
        (2, 6),
        6150,
        35,
    ),
];
const WMO_KV: &[Product] = &[p(
    "04",
    "04K01",
    "Kortdurend verblijf",
    "14",
    "4",
    (2, 6),
    12800,
    1,
)];
const WMO_BW: &[Product] = &[
    p(
        "15",
        "15B01",
        "Beschermd wonen basis",
        "14",
        "2",
        (7, 7),
        14200,
        50,
    ),
    p(
        "15",
        "15B02",
        "Beschermd wonen intensief",
        "14",
        "2",
        (7, 7),
        18800,
        30,
    ),
    p(
        "16",
        "16O01",
        "Maatschappelijke opvang",
        "14",
        "2",
        (7, 7),
        9600,
        20,
    ),
];
const WMO_MAATWERK: &[Product] = &[budget(
    "10",
    "10M01",
    "Maatwerkarrangement Wmo",
    (150_000, 800_000),
)];

const fn seg(key: &'static str, domain: Standard, products: &'static [Product]) -> Segment {
    Segment {
        key,
        domain,
        products,
        secondary: None,
        months: (6, 12),
        open_ended: 0.0,
        active: 0,
        vot_share: 0.5,
        crisis: false,
        centrum: false,
        age: (4, 17),
        early_end: 0.2,
        vow: 0.0,
        extension: 0.25,
        temp_stop: 0.04,
    }
}

/// Every segment of the region; indices into this table identify a segment.
pub const SEGMENTS: &[Segment] = &[
    Segment {
        months: (4, 12),
        active: 1950,
        vot_share: 0.9,
        age: (4, 17),
        ..seg("jeugd-ggz", Standard::Ijw, JEUGD_GGZ)
    },
    Segment {
        secondary: Some((OUDERTRAINING, 0.2)),
        months: (3, 12),
        active: 1550,
        vot_share: 0.6,
        age: (2, 17),
        vow: 0.12,
        ..seg("jeugd-ambulant", Standard::Ijw, JEUGD_AMBULANT)
    },
    Segment {
        months: (6, 12),
        active: 430,
        vot_share: 0.7,
        age: (2, 12),
        vow: 0.1,
        ..seg("jeugd-dagbehandeling", Standard::Ijw, JEUGD_DAGBEHANDELING)
    },
    Segment {
        months: (6, 24),
        active: 160,
        vot_share: 0.5,
        age: (8, 17),
        temp_stop: 0.06,
        ..seg("jeugd-verblijf", Standard::Ijw, JEUGD_VERBLIJF)
    },
    Segment {
        months: (12, 36),
        active: 190,
        vot_share: 0.3,
        age: (0, 16),
        early_end: 0.1,
        ..seg("pleegzorg", Standard::Ijw, PLEEGZORG)
    },
    Segment {
        months: (1, 2),
        active: 70,
        vot_share: 1.0,
        crisis: true,
        age: (10, 17),
        early_end: 0.1,
        extension: 0.0,
        temp_stop: 0.0,
        ..seg("jeugd-crisis", Standard::Ijw, JEUGD_CRISIS)
    },
    Segment {
        months: (12, 24),
        active: 420,
        vot_share: 0.8,
        age: (0, 17),
        early_end: 0.15,
        temp_stop: 0.0,
        ..seg("jb-jr", Standard::Ijw, JB_JR)
    },
    Segment {
        months: (6, 12),
        active: 190,
        vot_share: 0.0,
        age: (4, 17),
        extension: 0.1,
        temp_stop: 0.0,
        ..seg("jeugd-maatwerk", Standard::Ijw, JEUGD_MAATWERK)
    },
    Segment {
        months: (12, 36),
        open_ended: 0.6,
        active: 3300,
        vot_share: 0.1,
        age: (65, 98),
        early_end: 0.25,
        vow: 0.08,
        extension: 0.3,
        temp_stop: 0.05,
        ..seg("wmo-hh", Standard::Iwmo, WMO_HH)
    },
    Segment {
        months: (6, 24),
        active: 1750,
        vot_share: 0.5,
        age: (18, 85),
        vow: 0.12,
        ..seg(
            "wmo-begeleiding-individueel",
            Standard::Iwmo,
            WMO_BEGELEIDING,
        )
    },
    Segment {
        months: (6, 24),
        active: 560,
        vot_share: 0.4,
        age: (18, 80),
        vow: 0.05,
        ..seg("wmo-begeleiding-groep", Standard::Iwmo, WMO_GROEP)
    },
    Segment {
        months: (12, 36),
        active: 960,
        vot_share: 0.4,
        age: (25, 92),
        vow: 0.08,
        temp_stop: 0.06,
        ..seg("wmo-dagbesteding", Standard::Iwmo, WMO_DAGBESTEDING)
    },
    Segment {
        months: (6, 12),
        active: 360,
        vot_share: 0.3,
        age: (60, 95),
        temp_stop: 0.03,
        ..seg("wmo-kortdurend-verblijf", Standard::Iwmo, WMO_KV)
    },
    Segment {
        months: (12, 36),
        active: 230,
        vot_share: 0.5,
        centrum: true,
        age: (18, 65),
        early_end: 0.25,
        temp_stop: 0.05,
        ..seg("wmo-beschermd-wonen", Standard::Iwmo, WMO_BW)
    },
    Segment {
        months: (6, 12),
        active: 150,
        vot_share: 0.0,
        age: (18, 85),
        extension: 0.1,
        temp_stop: 0.0,
        ..seg("wmo-maatwerk", Standard::Iwmo, WMO_MAATWERK)
    },
];

/// The segment with this key.
pub fn segment(key: &str) -> Option<usize> {
    SEGMENTS.iter().position(|s| s.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_at_scale_one_costs_between_110_and_125_million() {
        let cents = expected_yearly_cents(1.0);
        let euros = cents / 100;
        assert!((110_000_000..=125_000_000).contains(&euros), "€{euros}");
        // scale multiplies clients, hence money
        let double = expected_yearly_cents(2.0);
        assert!((double - 2 * cents).abs() < 10, "{double} vs {cents}");
    }

    #[test]
    fn product_codes_are_five_characters_of_their_category() {
        let all = SEGMENTS
            .iter()
            .flat_map(|s| s.products.iter().chain(s.secondary.iter().map(|(p, _)| p)));
        let mut codes = Vec::new();
        for p in all {
            assert_eq!(p.code.len(), 5, "{}", p.code);
            assert!(p.code.starts_with(p.categorie), "{}", p.code);
            assert!(["01", "04", "14", "16", "83", "84"].contains(&p.eenheid));
            if matches!(p.eenheid, "14" | "16" | "83" | "84") && !p.is_budget() {
                // CS338: these units need a weekly, monthly or total frequency
                assert!(["2", "4", "6"].contains(&p.frequentie), "{}", p.code);
            }
            assert!(p.volume.0 <= p.volume.1 && p.volume.0 > 0);
            codes.push(p.code);
        }
        let n = codes.len();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), n, "codes are unique");
    }

    #[test]
    fn open_ended_allocations_never_have_a_weekly_frequency() {
        // CD076: a weekly frequency needs an end date
        for s in SEGMENTS.iter().filter(|s| s.open_ended > 0.0) {
            assert!(s.products.iter().all(|p| p.frequentie != "2"), "{}", s.key);
        }
    }
}
