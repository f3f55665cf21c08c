//! Made-up people: names, birth dates, addresses in the five municipalities, phone numbers and
//! burgerservicenummers that pass the elfproef.

use super::world::Gemeente;
use crate::message::bsn::{elfproef, TEST_RANGE};
use chrono::{Duration, NaiveDate};
use rand::Rng;

/// Hands out distinct BSNs: first every number of the fictitious test range (999900006 –
/// 999999990, about 9,000), counting down; beyond that the elfproef-valid numbers just below it
/// (9998…), never reused. A region at scale 1 has ~25,000 clients in a year, more than the test
/// range holds, and two synthetic clients must never share a BSN.
#[derive(Debug, Clone)]
pub struct BsnSequence {
    next: u32,
}

impl Default for BsnSequence {
    fn default() -> Self {
        BsnSequence { next: TEST_RANGE.1 }
    }
}

impl BsnSequence {
    pub fn next_bsn(&mut self) -> String {
        loop {
            let candidate = self.next;
            self.next -= 1;
            let s = candidate.to_string();
            if elfproef(&s) {
                return s;
            }
        }
    }
}

/// A natural person as the messages describe one.
#[derive(Debug, Clone)]
pub struct Person {
    pub achternaam: &'static str,
    pub voorvoegsel: Option<&'static str>,
    pub voornamen: String,
    pub voorletters: String,
    /// COD046: 1 male, 2 female.
    pub geslacht: &'static str,
    pub geboortedatum: NaiveDate,
}

/// A Dutch address (BRP).
#[derive(Debug, Clone)]
pub struct Address {
    pub straat: &'static str,
    pub huisnummer: u32,
    pub huisletter: Option<&'static str>,
    pub postcode: String,
    pub plaats: &'static str,
}

const MALE: &[&str] = &[
    "Daan", "Sem", "Lucas", "Levi", "Noah", "Finn", "Milan", "Jesse", "Bram", "Thijs", "Luuk",
    "Mees", "Sven", "Ruben", "Jayden", "Mohammed", "Adam", "Liam", "Tim", "Stijn", "Jan", "Pieter",
    "Kees", "Willem", "Hendrik", "Cornelis", "Johannes", "Gerrit", "Dirk", "Henk", "Ahmet",
    "Piotr",
];
const FEMALE: &[&str] = &[
    "Emma",
    "Julia",
    "Mila",
    "Sophie",
    "Tess",
    "Zoë",
    "Sara",
    "Anna",
    "Evi",
    "Lotte",
    "Noor",
    "Fleur",
    "Lisa",
    "Yara",
    "Nora",
    "Fatima",
    "Maria",
    "Johanna",
    "Cornelia",
    "Geertruida",
    "Wilhelmina",
    "Hendrika",
    "Anneke",
    "Ria",
    "Ingrid",
    "Marieke",
    "Agnieszka",
    "Elif",
    "Sanne",
    "Iris",
];
const SURNAMES: &[(Option<&str>, &str)] = &[
    (None, "Jansen"),
    (Some("de"), "Vries"),
    (Some("van den"), "Berg"),
    (Some("van"), "Dijk"),
    (None, "Bakker"),
    (None, "Visser"),
    (None, "Smit"),
    (None, "Meijer"),
    (Some("de"), "Boer"),
    (None, "Mulder"),
    (Some("de"), "Groot"),
    (None, "Bos"),
    (Some("van"), "Vliet"),
    (None, "Verhoef"),
    (Some("van der"), "Linden"),
    (None, "Kok"),
    (Some("de"), "Graaf"),
    (Some("van"), "Leeuwen"),
    (None, "Hoogendoorn"),
    (None, "Vermeulen"),
    (None, "Kuiper"),
    (Some("van der"), "Heijden"),
    (None, "Verkerk"),
    (None, "Nowak"),
    (None, "Yilmaz"),
    (None, "El Amrani"),
    (Some("van"), "Schaik"),
    (None, "Blom"),
    (Some("den"), "Hartog"),
    (None, "Oosterom"),
    (Some("van"), "Rijn"),
    (None, "Bouwman"),
    (None, "Slingerland"),
    (Some("van"), "Wijk"),
    (None, "Brouwer"),
];

/// Streets (≤ 24 characters, LDT_Straatnaam) of one place.
#[derive(Debug)]
pub struct Place {
    pub name: &'static str,
    /// First two postcode digits … last two, as a range of the 4-digit number.
    pub postcodes: (u32, u32),
    pub streets: &'static [&'static str],
}

pub const GOUDA: &[Place] = &[Place {
    name: "Gouda",
    postcodes: (2801, 2809),
    streets: &[
        "Kleiweg",
        "Westhaven",
        "Oosthaven",
        "Turfmarkt",
        "Lange Tiendeweg",
        "Graaf Florisweg",
        "Ridder van Catsweg",
        "Karnemelksloot",
        "Bodegravenboog",
        "Goudse Houtsingel",
        "Achter de Kerk",
        "Korte Akkeren",
        "Raam",
        "Nieuwe Gouwe O.Z.",
    ],
}];
pub const WADDINXVEEN: &[Place] = &[Place {
    name: "Waddinxveen",
    postcodes: (2741, 2742),
    streets: &[
        "Kerkweg-Oost",
        "Kerkweg-West",
        "Dorpstraat",
        "Zuidkade",
        "Noordkade",
        "Beijerinckstraat",
        "Plantageweg",
        "Limes",
        "Triangel",
        "Coenecoop",
    ],
}];
pub const BODEGRAVEN_REEUWIJK: &[Place] = &[
    Place {
        name: "Bodegraven",
        postcodes: (2411, 2412),
        streets: &[
            "Oude Markt",
            "Brugstraat",
            "Kerkstraat",
            "Goudseweg",
            "Raadhuisweg",
            "Prins Hendrikstraat",
            "Oud Bodegraafseweg",
        ],
    },
    Place {
        name: "Reeuwijk",
        postcodes: (2811, 2811),
        streets: &["Dorpsweg", "Raadhuisplein", "Oudeweg", "Zoetermeerse Plas"],
    },
];
pub const ZUIDPLAS: &[Place] = &[
    Place {
        name: "Nieuwerkerk aan den IJssel",
        postcodes: (2911, 2914),
        streets: &[
            "Dorrestein",
            "Kerklaan",
            "Middelweg",
            "Zuidplaslaan",
            "Jan de Jongweg",
            "Parklaan",
        ],
    },
    Place {
        name: "Zevenhuizen",
        postcodes: (2761, 2761),
        streets: &["Dorpsstraat", "Noordelijke Dwarsweg", "Kerkstraat"],
    },
    Place {
        name: "Moordrecht",
        postcodes: (2841, 2841),
        streets: &["Westeinde", "Oosteinde", "Middelweg"],
    },
];
pub const KRIMPENERWAARD: &[Place] = &[
    Place {
        name: "Schoonhoven",
        postcodes: (2871, 2871),
        streets: &["Haven", "Lopikerstraat", "Koestraat", "Opweg", "Wal"],
    },
    Place {
        name: "Bergambacht",
        postcodes: (2861, 2861),
        streets: &["Hoofdstraat", "Tiendweg", "Kerkstraat"],
    },
    Place {
        name: "Lekkerkerk",
        postcodes: (2941, 2941),
        streets: &["Voorstraat", "Kerkweg", "Schoolstraat"],
    },
    Place {
        name: "Stolwijk",
        postcodes: (2821, 2821),
        streets: &["Weteringsingel", "Populierenlaan", "Dorpsstraat"],
    },
];

fn pick<T: Copy, R: Rng>(rng: &mut R, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

/// A person of `age` years (± a few months) on `on`.
pub fn person<R: Rng>(rng: &mut R, age: u32, on: NaiveDate) -> Person {
    let female = rng.random_bool(0.5);
    let (voorvoegsel, achternaam) = pick(rng, SURNAMES);
    let first = if female {
        pick(rng, FEMALE)
    } else {
        pick(rng, MALE)
    };
    let (voornamen, voorletters) = if rng.random_bool(0.4) {
        let second = if female {
            pick(rng, FEMALE)
        } else {
            pick(rng, MALE)
        };
        (
            format!("{first} {second}"),
            format!("{}{}", initial(first), initial(second)),
        )
    } else {
        (first.to_string(), initial(first))
    };
    let days = i64::from(age) * 365 + rng.random_range(0..365);
    Person {
        achternaam,
        voorvoegsel,
        voornamen,
        voorletters,
        geslacht: if female { "2" } else { "1" },
        geboortedatum: on - Duration::days(days),
    }
}

/// The month (YYYY-MM) in which a person born on `born` turns 18 (29 February: 28 February,
/// as the facts count it).
pub fn eighteenth(born: NaiveDate) -> String {
    born.checked_add_months(chrono::Months::new(18 * 12))
        .unwrap_or(born)
        .format("%Y-%m")
        .to_string()
}

/// The initial of a first name without diacritics (LDT_Voorletters allows letters only).
fn initial(name: &str) -> String {
    name.chars()
        .next()
        .map_or('X', |c| c.to_ascii_uppercase())
        .to_string()
}

/// An address somewhere in `gemeente`.
pub fn address<R: Rng>(rng: &mut R, gemeente: &Gemeente) -> Address {
    let place = &gemeente.places[rng.random_range(0..gemeente.places.len())];
    let number = rng.random_range(place.postcodes.0..=place.postcodes.1);
    // Dutch postcodes never use the letter pairs SA, SD and SS
    let letters = loop {
        let a = (b'A' + rng.random_range(0..26u8)) as char;
        let b = (b'A' + rng.random_range(0..26u8)) as char;
        let pair = format!("{a}{b}");
        if !matches!(pair.as_str(), "SA" | "SD" | "SS") {
            break pair;
        }
    };
    Address {
        straat: pick(rng, place.streets),
        huisnummer: rng.random_range(1..=180),
        huisletter: rng.random_bool(0.08).then(|| pick(rng, &["A", "B", "C"])),
        postcode: format!("{number}{letters}"),
        plaats: place.name,
    }
}

/// A mobile or a regional (0182) phone number.
pub fn phone<R: Rng>(rng: &mut R) -> String {
    if rng.random_bool(0.7) {
        format!("06{:08}", rng.random_range(10_000_000..100_000_000u32))
    } else {
        format!("0182{:06}", rng.random_range(100_000..1_000_000u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::bsn::is_test_bsn;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn bsns_are_distinct_valid_and_start_in_the_test_range() {
        let mut seq = BsnSequence::default();
        let all: Vec<String> = (0..20_000).map(|_| seq.next_bsn()).collect();
        assert!(all.iter().all(|b| elfproef(b)));
        assert!(is_test_bsn(&all[0]) && is_test_bsn(&all[8_000]));
        assert!(
            !is_test_bsn(&all[19_999]),
            "the test range holds fewer than 20,000"
        );
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), all.len());
    }

    #[test]
    fn people_and_addresses_fit_the_message_types() {
        let mut rng = StdRng::seed_from_u64(3);
        let on = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        for places in [
            GOUDA,
            WADDINXVEEN,
            BODEGRAVEN_REEUWIJK,
            ZUIDPLAS,
            KRIMPENERWAARD,
        ] {
            for p in places {
                assert!(
                    p.streets.iter().all(|s| s.chars().count() <= 24),
                    "{}",
                    p.name
                );
            }
        }
        for _ in 0..200 {
            let p = person(&mut rng, 40, on);
            assert!(p.voorletters.chars().all(|c| c.is_ascii_uppercase()));
            assert!(p.voorletters.len() <= 6);
            let age = on.years_since(p.geboortedatum).unwrap();
            assert!((39..=41).contains(&age), "{age}");
        }
    }
}
