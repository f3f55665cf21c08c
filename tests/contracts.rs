//! Contracts on both backends: import replaces the set in force atomically, the set is listed
//! back as imported, and the 323 judgement applies it (TR418 0611 on the story's September
//! line, as the fixture JW325 says).

mod backends;

use backends::Db;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use ijwmo::contracts::ContractSet;
use ijwmo::pipeline::{Handled, Incoming, Pipeline, Settings};
use ijwmo::state::Verdict;

on_both!(import_list_replace, declaration_against_the_contracts);

fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR")))
        .expect("fixture")
}

fn at(day: &str) -> DateTime<Utc> {
    let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    Utc.from_utc_datetime(&d.and_hms_opt(10, 0, 0).unwrap())
}

async fn outcome(p: &Pipeline, xml: &str, day: &str) -> (Verdict, Vec<String>) {
    let h = p
        .handle(&Incoming {
            bytes: xml.as_bytes().to_vec(),
            received_at: at(day),
            origin: "test".into(),
        })
        .await
        .expect("stored");
    match h {
        Handled::Stored {
            verdict,
            retour_codes,
            ..
        } => (verdict, retour_codes),
        other => panic!("{other:?}"),
    }
}

mod scenarios {
    use super::*;

    pub async fn import_list_replace(db: Db) {
        let store = db.open().await;
        let none = store.contracts().await.unwrap();
        assert_eq!(none.imported_at, None);
        assert!(none.set.contracts.is_empty());
        let set = ContractSet::from_csv(&fixture("contracts/midden-holland-2026.csv")).unwrap();
        store
            .replace_contracts(&set, "midden-holland-2026.csv")
            .await
            .unwrap();
        let stored = store.contracts().await.unwrap();
        assert_eq!(
            stored.set, set,
            "read back exactly as imported, in file order"
        );
        assert_eq!(stored.source.as_deref(), Some("midden-holland-2026.csv"));
        assert!(stored.imported_at.is_some());
        // a second import replaces the first completely
        let smaller = ContractSet::from_csv(
            "agb,gemeente,categorie,productcode,eenheid,tarief,geldig_van,geldig_tot,segment,budgetplafond\n\
             98076541,0513,45,45A03,04,9500,2027-01-01,,jeugd-ambulant,\n",
        )
        .unwrap();
        store.replace_contracts(&smaller, "2027.csv").await.unwrap();
        let stored = store.contracts().await.unwrap();
        assert_eq!(stored.set, smaller);
        assert_eq!(stored.source.as_deref(), Some("2027.csv"));
    }

    pub async fn declaration_against_the_contracts(db: Db) {
        let store = db.open().await;
        let set = ContractSet::from_csv(&fixture("contracts/midden-holland-2026.csv")).unwrap();
        store
            .replace_contracts(&set, "contracts.csv")
            .await
            .unwrap();
        let p = Pipeline::new(
            store.clone(),
            Settings {
                today: NaiveDate::from_ymd_opt(2026, 11, 25),
            },
        );
        outcome(&p, &fixture("messages/JW315.xml"), "2026-06-22").await;
        outcome(&p, &fixture("messages/JW301.xml"), "2026-06-26").await;
        // the story's 323: a credit of a debit never seen (8017), the corrected August line
        // (approved), and September at 9490 where the contract says 9385 (0611)
        let (verdict, codes) = outcome(&p, &fixture("messages/JW323.xml"), "2026-10-06").await;
        assert_eq!(verdict, Verdict::PartlyAccepted);
        assert_eq!(codes, ["0200", "8017", "0611"], "{codes:?}");
        // a declaration to a gemeentecode that does not exist: S300 in the header only
        let xml = fixture("messages/JW323.xml")
            .replace("<jw323:Ontvanger>0513<", "<jw323:Ontvanger>0598<")
            .replace("JHG323-00009", "JHG323-00010");
        let (verdict, codes) = outcome(&p, &xml, "2026-10-06").await;
        assert_eq!(
            (verdict, codes),
            (Verdict::Rejected, vec!["S300".to_string()])
        );
    }
}
