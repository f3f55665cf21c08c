//! One suite for both `Store` backends: every scenario runs on SQLite (a temp file) and on the
//! real PostgreSQL on 127.0.0.1:5432 (a fresh database per test, dropped at the end).
//!
//! PostgreSQL unreachable: the postgres variants fail, unless `IJWMO_REQUIRE_SERVICES=0` says
//! to skip them knowingly. `IJWMO_TEST_POSTGRES` overrides the server URL (without a
//! database name), default `postgres://postgres@127.0.0.1:5432`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use ijwmo::message::bsn::test_bsn;
use ijwmo::state::{
    Antwoord, Change, ClientState, Context, ContextKeys, Declaratie, Levering, LeveringSoort,
    Outcome, Outgoing, Owner, Prestatie, PrestatieStatus, Toewijzing, Verdict, Verzoek,
    VerzoekSoort, VerzoekStatus,
};
use ijwmo::store::{self, Counts, Received, Store, StoreError, Stored};
use ijwmo::{MessageKind, Standard};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod backends;
use backends::Db;

on_both!(
    migrate_twice,
    open_by_url,
    round_trip,
    scopes,
    duplicate,
    identificatie_reused,
    outbox,
    released_claims_are_taken_at_once,
    concurrent_same_client,
    panic_rolls_back,
    error_rolls_back,
    batch_judges_in_order,
    batch_panic_rolls_back_all,
    batch_leaves_out_busy_state,
);

// ---------------------------------------------------------------------------------------------
// Test data

const GEMEENTE: &str = "0513";
const OTHER_GEMEENTE: &str = "0637";
const AGB: &str = "12345678";
const OTHER_AGB: &str = "87654321";

fn kind(name: &str) -> MessageKind {
    MessageKind::from_name(name).expect("known kind")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn moment(d: NaiveDate, h: u32, mi: u32, s: u32, milli: u32) -> NaiveDateTime {
    d.and_hms_milli_opt(h, mi, s, milli).expect("valid time")
}

/// Receipt on day `day` of February 2025, with microseconds (both backends keep them).
fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 2, day, 9, 30, 0)
        .single()
        .expect("valid time")
        + chrono::TimeDelta::microseconds(123_456)
}

fn keys() -> ContextKeys {
    ContextKeys {
        standard: Some(Standard::Ijw),
        gemeente: GEMEENTE.into(),
        agb: AGB.into(),
        ..ContextKeys::default()
    }
}

/// A message whose raw bytes are `body` (so its hash follows the body).
fn received(name: &str, sender: &str, id: &str, body: &str, day: u32) -> Received {
    let receiver = if sender == AGB { GEMEENTE } else { AGB };
    Received {
        kind: kind(name),
        sender: sender.into(),
        receiver: receiver.into(),
        identificatie: id.into(),
        dagtekening: date(2025, 2, day),
        received_at: at(day),
        content_hash: hex::encode(Sha256::digest(body.as_bytes())),
        raw: body.as_bytes().to_vec(),
        keys: keys(),
    }
}

fn outcome(verdict: Verdict, changes: Vec<Change>, outgoing: Vec<Outgoing>) -> Outcome {
    Outcome {
        verdict,
        retour_codes: vec!["0200".into()],
        changes,
        outgoing,
        facts: Vec::new(),
    }
}

fn answer(name: &str, to_agb: &str, id: &str) -> Outgoing {
    let k = kind(name);
    Outgoing {
        kind: k,
        routing_key: Outgoing::routing_key_aanbieder(to_agb, k),
        identificatie: id.into(),
        xml: format!("<{name} id=\"{id}\"/>"),
    }
}

fn forward(name: &str, id: &str) -> Outgoing {
    let k = kind(name);
    Outgoing {
        kind: k,
        routing_key: Outgoing::routing_key_gemeente(GEMEENTE, k),
        identificatie: id.into(),
        xml: format!("<{name} fwd=\"{id}\"/>"),
    }
}

/// Placeholder ids and times the store must replace.
const UNSET_ID: i64 = -1;
fn unset_at() -> DateTime<Utc> {
    DateTime::<Utc>::MIN_UTC
}

fn toewijzing(bsn: &str, agb: &str, nummer: i64) -> Toewijzing {
    Toewijzing {
        standard: Standard::Ijw,
        gemeente: GEMEENTE.into(),
        agb: agb.into(),
        bsn: bsn.into(),
        nummer,
        referentie_aanbieder: None,
        categorie: Some("45".into()),
        code: Some("45A01".into()),
        toewijzingsmoment: moment(date(2025, 2, 3), 10, 0, 0, 0),
        ingangsdatum: date(2025, 2, 1),
        einddatum: None,
        reden_wijziging: None,
        volume: None,
        eenheid: None,
        frequentie: None,
        budget: None,
        geboortedatum: Some(date(2012, 3, 4)),
        message_id: UNSET_ID,
        received_at: unset_at(),
    }
}

fn levering(bsn: &str, soort: LeveringSoort, begin: NaiveDate) -> Levering {
    Levering {
        standard: Standard::Ijw,
        gemeente: GEMEENTE.into(),
        agb: AGB.into(),
        bsn: bsn.into(),
        soort,
        toewijzing_nummer: Some(1001),
        categorie: Some("45".into()),
        code: Some("45A01".into()),
        begindatum: begin,
        einddatum: None,
        reden_beeindiging: None,
        toewijzing_ingangsdatum: Some(date(2025, 2, 1)),
        deleted: false,
        message_id: UNSET_ID,
        received_at: unset_at(),
    }
}

fn delete_of(l: &Levering) -> Change {
    Change::DeleteLevering {
        standard: l.standard,
        gemeente: l.gemeente.clone(),
        agb: l.agb.clone(),
        bsn: l.bsn.clone(),
        soort: l.soort,
        toewijzing_nummer: l.toewijzing_nummer,
        categorie: l.categorie.clone(),
        code: l.code.clone(),
        begindatum: l.begindatum,
        einddatum: l.einddatum,
        reden_beeindiging: l.reden_beeindiging.clone(),
    }
}

fn verzoek(bsn: &str, referentie: &str) -> Verzoek {
    Verzoek {
        standard: Standard::Ijw,
        gemeente: GEMEENTE.into(),
        agb: AGB.into(),
        bsn: bsn.into(),
        referentie: referentie.into(),
        soort: VerzoekSoort::Vot,
        status: VerzoekStatus::Open,
        dagtekening: date(2025, 2, 1),
        message_id: UNSET_ID,
        received_at: unset_at(),
    }
}

fn declaratie(gemeente: &str, nummer: &str, month: u32, accepted: bool) -> Declaratie {
    let begin = date(2025, month, 1);
    Declaratie {
        standard: Standard::Ijw,
        gemeente: gemeente.into(),
        agb: AGB.into(),
        nummer: nummer.into(),
        periode_begin: begin,
        periode_eind: begin + chrono::TimeDelta::days(27),
        totaal_ingediend: 12_345,
        totaal_toegekend: if accepted { 12_345 } else { 0 },
        accepted,
        message_id: UNSET_ID,
        received_at: unset_at(),
    }
}

fn prestatie(bsn: &str, nummer: &str, vorig: Option<&str>, bedrag: i64) -> Prestatie {
    Prestatie {
        standard: Standard::Ijw,
        gemeente: GEMEENTE.into(),
        agb: AGB.into(),
        bsn: bsn.into(),
        declaratie_nummer: "D1".into(),
        referentie_nummer: nummer.into(),
        vorig_referentie_nummer: vorig.map(str::to_string),
        toewijzing_nummer: 1001,
        categorie: "45".into(),
        code: "45A01".into(),
        begindatum: date(2025, 1, 1),
        einddatum: date(2025, 1, 31),
        volume: 10,
        eenheid: "04".into(),
        tarief: Some(1_234),
        bedrag,
        status: PrestatieStatus::Goedgekeurd,
        retour_codes: Vec::new(),
        message_id: UNSET_ID,
        received_at: unset_at(),
    }
}

/// Stores a message whose rules return `out` regardless of the context.
async fn put(store: &dyn Store, r: &Received, out: Outcome) -> i64 {
    match store.store(r, &|_: &Context| out.clone()).await {
        Ok(Stored::New { message_id, .. }) => message_id,
        other => panic!("expected a new message, got {other:?}"),
    }
}

/// Stores a probe message with `keys` and returns the context it was judged against.
async fn context_for(store: &dyn Store, id: &str, keys: ContextKeys) -> Context {
    let mut r = received("JW317", AGB, id, &format!("probe {id}"), 20);
    r.keys = keys;
    let seen = Mutex::new(None);
    let decide = |ctx: &Context| {
        *seen.lock().expect("lock") = Some(ctx.clone());
        outcome(Verdict::Rejected, Vec::new(), Vec::new())
    };
    store.store(&r, &decide).await.expect("probe stored");
    let ctx = seen.lock().expect("lock").take();
    ctx.expect("decide was called")
}

fn stamped<T>(mut v: T, f: impl FnOnce(&mut T)) -> T {
    f(&mut v);
    v
}

// ---------------------------------------------------------------------------------------------
// Scenarios

mod scenarios {
    use super::*;

    pub async fn migrate_twice(db: Db) {
        let store = db.open().await;
        store.migrate().await.expect("second migrate");
        store.migrate().await.expect("third migrate");
        // Another instance starting on the same database.
        let other = db.open().await;
        assert_eq!(other.counts().await.expect("counts"), Counts::default());
        put(
            &*other,
            &received("JW301", GEMEENTE, "M1", "m1", 3),
            outcome(Verdict::Accepted, Vec::new(), Vec::new()),
        )
        .await;
        assert_eq!(store.counts().await.expect("counts").messages, 1);
    }

    pub async fn open_by_url(db: Db) {
        let store = store::open(&db.url()).await.expect("open by URL");
        store.migrate().await.expect("migrate again");
        put(
            &*store,
            &received("JW301", GEMEENTE, "M1", "m1", 3),
            outcome(Verdict::Accepted, Vec::new(), Vec::new()),
        )
        .await;
        let again = store::open(&db.url()).await.expect("reopen by URL");
        assert_eq!(again.counts().await.expect("counts").messages, 1);
    }

    /// Every kind of change, read back through every field of a later message's context.
    pub async fn round_trip(db: Db) {
        let store = db.open().await;
        let s = &*store;
        let x = test_bsn(1);
        let z = test_bsn(2);
        let unknown = test_bsn(3);

        // 315: two requests.
        let m1 = put(
            s,
            &received("JW315", AGB, "M1", "m1", 1),
            outcome(
                Verdict::Accepted,
                vec![
                    Change::AddVerzoek(verzoek(&x, "REF1")),
                    Change::AddVerzoek(verzoek(&x, "REF2")),
                ],
                vec![answer("JW316", AGB, "R1"), forward("JW315", "M1")],
            ),
        )
        .await;

        // 319: REF2 in onderzoek.
        let antwoord = Antwoord {
            standard: Standard::Ijw,
            gemeente: GEMEENTE.into(),
            agb: AGB.into(),
            referentie: "REF2".into(),
            verzoek_antwoord: "2".into(),
            reden_afwijzing: None,
            message_id: UNSET_ID,
            received_at: unset_at(),
        };
        let m2 = put(
            s,
            &received("JW319", GEMEENTE, "M2", "m2", 2),
            outcome(
                Verdict::Accepted,
                vec![
                    Change::AddAntwoord(antwoord.clone()),
                    Change::SetVerzoekStatus {
                        standard: Standard::Ijw,
                        agb: AGB.into(),
                        referentie: "REF2".into(),
                        status: VerzoekStatus::InOnderzoek,
                    },
                ],
                Vec::new(),
            ),
        )
        .await;

        // 301: two versions of 1001 (the later decision listed first), one allocation of
        // another client at another provider, honouring REF1.
        let v1 = Toewijzing {
            referentie_aanbieder: Some("REF1".into()),
            volume: Some(8),
            eenheid: Some("04".into()),
            frequentie: Some("2".into()),
            budget: Some(12_345_678),
            ..toewijzing(&x, AGB, 1001)
        };
        let v2 = Toewijzing {
            toewijzingsmoment: moment(date(2025, 2, 3), 11, 0, 0, 500),
            einddatum: Some(date(2025, 12, 31)),
            reden_wijziging: Some("02".into()),
            categorie: None,
            code: None,
            ..v1.clone()
        };
        let other = toewijzing(&z, OTHER_AGB, 1002);
        let m3 = put(
            s,
            &received("JW301", GEMEENTE, "M3", "m3", 3),
            outcome(
                Verdict::Accepted,
                vec![
                    Change::AddToewijzing(v2.clone()),
                    Change::AddToewijzing(v1.clone()),
                    Change::AddToewijzing(other.clone()),
                    Change::SetVerzoekStatus {
                        standard: Standard::Ijw,
                        agb: AGB.into(),
                        referentie: "REF1".into(),
                        status: VerzoekStatus::Toegewezen,
                    },
                ],
                vec![forward("JW301", "M3")],
            ),
        )
        .await;

        // 305: two starts; then a status-3 message deletes the second.
        let start1 = levering(&x, LeveringSoort::Start, date(2025, 2, 5));
        let start2 = Levering {
            toewijzing_ingangsdatum: None,
            ..levering(&x, LeveringSoort::Start, date(2025, 2, 6))
        };
        let m4 = put(
            s,
            &received("JW305", AGB, "M4", "m4", 5),
            outcome(
                Verdict::Accepted,
                vec![
                    Change::AddLevering(start1.clone()),
                    Change::AddLevering(start2.clone()),
                ],
                Vec::new(),
            ),
        )
        .await;
        let nothing = levering(&x, LeveringSoort::Start, date(2025, 2, 7));
        let m5 = put(
            s,
            &received("JW305", AGB, "M5", "m5", 6),
            outcome(
                Verdict::Accepted,
                vec![delete_of(&start2), delete_of(&nothing)],
                Vec::new(),
            ),
        )
        .await;
        assert!(m5 > m4);

        // 307: a temporary stop; deleting a stop with another Einddatum leaves it alone.
        let stop = Levering {
            einddatum: Some(date(2025, 3, 1)),
            reden_beeindiging: Some("20".into()),
            ..levering(&x, LeveringSoort::Stop, date(2025, 2, 5))
        };
        let not_the_stop = Levering {
            einddatum: Some(date(2025, 3, 2)),
            ..stop.clone()
        };
        let m6 = put(
            s,
            &received("JW307", AGB, "M6", "m6", 7),
            outcome(
                Verdict::Accepted,
                vec![Change::AddLevering(stop.clone()), delete_of(&not_the_stop)],
                Vec::new(),
            ),
        )
        .await;

        // 323s: D1 (January) with an approved and a rejected prestatie; D2 (February) credits
        // P1; D3 (March) rejected as a whole; D4 (May) to another gemeente.
        let p1 = prestatie(&x, "P1", None, 12_345);
        let p2 = Prestatie {
            status: PrestatieStatus::Afgewezen,
            retour_codes: vec!["8001".into(), "9338".into()],
            tarief: None,
            ..prestatie(&x, "P2", None, 500)
        };
        let p3 = Prestatie {
            declaratie_nummer: "D2".into(),
            ..prestatie(&x, "P3", Some("P1"), -12_345)
        };
        let m7 = put(
            s,
            &received("JW323", AGB, "M7", "m7", 8),
            outcome(
                Verdict::PartlyAccepted,
                vec![
                    Change::AddDeclaratie(declaratie(GEMEENTE, "D1", 1, true)),
                    Change::AddPrestatie(p1.clone()),
                    Change::AddPrestatie(p2.clone()),
                ],
                vec![answer("JW325", AGB, "R7")],
            ),
        )
        .await;
        let m8 = put(
            s,
            &received("JW323", AGB, "M8", "m8", 9),
            outcome(
                Verdict::Accepted,
                vec![
                    Change::AddDeclaratie(declaratie(GEMEENTE, "D2", 2, true)),
                    Change::AddPrestatie(p3.clone()),
                ],
                Vec::new(),
            ),
        )
        .await;
        put(
            s,
            &received("JW323", AGB, "M9", "m9", 10),
            outcome(
                Verdict::Rejected,
                vec![Change::AddDeclaratie(declaratie(GEMEENTE, "D3", 3, false))],
                Vec::new(),
            ),
        )
        .await;
        put(
            s,
            &received("JW323", AGB, "M10", "m10", 11),
            outcome(
                Verdict::Accepted,
                vec![Change::AddDeclaratie(declaratie(
                    OTHER_GEMEENTE,
                    "D4",
                    5,
                    true,
                ))],
                Vec::new(),
            ),
        )
        .await;

        let ctx = context_for(
            s,
            "PROBE",
            ContextKeys {
                bsns: vec![x.clone(), unknown.clone(), x.clone()],
                toewijzing_nummers: vec![1001, 1002, 9999],
                referenties: vec!["REF1".into(), "REF2".into(), "REF9".into()],
                referentie_nummers: vec!["P1".into(), "P2".into()],
                declaratie_nummer: Some("D1".into()),
                ..keys()
            },
        )
        .await;

        let from = |id: i64, day: u32| {
            move |v: &mut Toewijzing| {
                v.message_id = id;
                v.received_at = at(day);
            }
        };
        let v1s = stamped(v1, from(m3, 3));
        let v2s = stamped(v2, from(m3, 3));
        let lev = |l: Levering, id: i64, day: u32, deleted: bool| Levering {
            message_id: id,
            received_at: at(day),
            deleted,
            ..l
        };
        let vz = |referentie: &str, status: VerzoekStatus| Verzoek {
            status,
            message_id: m1,
            received_at: at(1),
            ..verzoek(&x, referentie)
        };
        let pr = |p: Prestatie, id: i64, day: u32| Prestatie {
            message_id: id,
            received_at: at(day),
            ..p
        };
        let ref1 = vz("REF1", VerzoekStatus::Toegewezen);
        let ref2 = vz("REF2", VerzoekStatus::InOnderzoek);
        let (p1s, p2s, p3s) = (pr(p1, m7, 8), pr(p2, m7, 8), pr(p3, m8, 9));
        let expected = Context {
            clients: HashMap::from([
                (
                    x.clone(),
                    ClientState {
                        toewijzingen: vec![v1s, v2s],
                        leveringen: vec![
                            lev(start1, m4, 5, false),
                            lev(start2, m4, 5, true),
                            lev(stop, m6, 7, false),
                        ],
                        verzoeken: vec![ref1.clone(), ref2.clone()],
                        prestaties: vec![p1s.clone(), p2s.clone(), p3s.clone()],
                    },
                ),
                (unknown.clone(), ClientState::default()),
            ]),
            toewijzing_owners: HashMap::from([
                (
                    1001,
                    Owner {
                        bsn: x.clone(),
                        agb: AGB.into(),
                    },
                ),
                (
                    1002,
                    Owner {
                        bsn: z.clone(),
                        agb: OTHER_AGB.into(),
                    },
                ),
            ]),
            verzoeken: HashMap::from([("REF1".into(), vec![ref1]), ("REF2".into(), vec![ref2])]),
            antwoorden: HashMap::from([(
                "REF2".into(),
                vec![Antwoord {
                    message_id: m2,
                    received_at: at(2),
                    ..antwoord
                }],
            )]),
            toegewezen_referenties: vec!["REF1".into()],
            prestaties: HashMap::from([("P1".into(), vec![p1s, p3s]), ("P2".into(), vec![p2s])]),
            declaratie_nummer_used: true,
            last_declaratie_periode: Some(date(2025, 2, 1)),
            identificatie_reused: false,
            // not asked for: the keys leave `contracts` false
            ..Context::default()
        };
        assert_eq!(ctx, expected);

        // A rejected declaration does not use its number; asking for the credit finds it under
        // its own number too.
        let ctx = context_for(
            s,
            "PROBE2",
            ContextKeys {
                referentie_nummers: vec!["P3".into()],
                declaratie_nummer: Some("D3".into()),
                ..keys()
            },
        )
        .await;
        assert!(!ctx.declaratie_nummer_used);
        assert_eq!(ctx.prestaties.len(), 1);
        assert_eq!(
            ctx.prestaties["P3"][0].vorig_referentie_nummer.as_deref(),
            Some("P1")
        );
        assert!(ctx.clients.is_empty());

        let c = s.counts().await.expect("counts");
        assert_eq!(
            c,
            Counts {
                messages: 12,
                toewijzingen: 3,
                leveringen: 3,
                verzoeken: 2,
                antwoorden: 1,
                declaraties: 4,
                prestaties: 3,
                outbox: 4,
                outbox_unsent: 4,
            }
        );
    }

    /// State is scoped by domain, gemeente and provider as the standard says; the returned
    /// outcome carries the new message's id and receipt time.
    pub async fn scopes(db: Db) {
        let store = db.open().await;
        let s = &*store;
        let x = test_bsn(1);
        let t = toewijzing(&x, AGB, 1001);
        let r = received("JW301", GEMEENTE, "M1", "m1", 3);
        let out = outcome(
            Verdict::Accepted,
            vec![
                Change::AddToewijzing(t.clone()),
                Change::AddDeclaratie(declaratie(GEMEENTE, "D1", 1, true)),
            ],
            Vec::new(),
        );
        let Ok(Stored::New {
            message_id,
            outcome: returned,
        }) = s.store(&r, &|_: &Context| out.clone()).await
        else {
            panic!("expected a new message");
        };
        let Change::AddToewijzing(back) = &returned.changes[0] else {
            panic!("changes kept in order");
        };
        assert_eq!(back.message_id, message_id);
        assert_eq!(back.received_at, r.received_at);

        let all = ContextKeys {
            bsns: vec![x.clone()],
            toewijzing_nummers: vec![1001],
            referenties: vec!["REF1".into()],
            declaratie_nummer: Some("D1".into()),
            ..keys()
        };
        let ctx = context_for(s, "P1", all.clone()).await;
        assert_eq!(ctx.client(&x).map(|c| c.toewijzingen.len()), Some(1));
        assert!(ctx.declaratie_nummer_used);

        // Another provider: no client state, but the gemeente-wide owner is visible.
        let ctx = context_for(
            s,
            "P2",
            ContextKeys {
                agb: OTHER_AGB.into(),
                ..all.clone()
            },
        )
        .await;
        assert_eq!(ctx.client(&x), Some(&ClientState::default()));
        assert_eq!(ctx.toewijzing_owners[&1001].agb, AGB);
        assert!(!ctx.declaratie_nummer_used);
        assert_eq!(ctx.last_declaratie_periode, None);

        // Another gemeente: nothing.
        let ctx = context_for(
            s,
            "P3",
            ContextKeys {
                gemeente: OTHER_GEMEENTE.into(),
                ..all.clone()
            },
        )
        .await;
        assert_eq!(ctx.client(&x), Some(&ClientState::default()));
        assert!(ctx.toewijzing_owners.is_empty());
        // The declaration number is per provider, not per gemeente.
        assert!(ctx.declaratie_nummer_used);
        assert_eq!(ctx.last_declaratie_periode, None);

        // Another domain: nothing at all; without a standard in the keys the message's counts.
        let ctx = context_for(
            s,
            "P4",
            ContextKeys {
                standard: Some(Standard::Iwmo),
                ..all.clone()
            },
        )
        .await;
        assert!(ctx.toewijzing_owners.is_empty() && !ctx.declaratie_nummer_used);
        let ctx = context_for(
            s,
            "P5",
            ContextKeys {
                standard: None,
                ..all
            },
        )
        .await;
        assert_eq!(ctx.toewijzing_owners.len(), 1);
    }

    pub async fn duplicate(db: Db) {
        let store = db.open().await;
        let s = &*store;
        let r = received("JW301", GEMEENTE, "M1", "m1", 3);
        let answers = vec![answer("JW302", GEMEENTE, "R1"), forward("JW301", "M1")];
        let out = outcome(
            Verdict::Accepted,
            vec![Change::AddToewijzing(toewijzing(&test_bsn(1), AGB, 1001))],
            answers.clone(),
        );
        let first = put(s, &r, out).await;
        let before = s.counts().await.expect("counts");

        let called = AtomicUsize::new(0);
        let never = |_: &Context| {
            called.fetch_add(1, Ordering::SeqCst);
            outcome(
                Verdict::Rejected,
                Vec::new(),
                vec![answer("JW302", AGB, "X")],
            )
        };
        let again = s.store(&r, &never).await.expect("redelivery");
        assert_eq!(
            again,
            Stored::Duplicate {
                message_id: first,
                answers: answers.clone(),
            }
        );
        assert_eq!(called.load(Ordering::SeqCst), 0, "rules not consulted");
        assert_eq!(s.counts().await.expect("counts"), before);

        // Still a duplicate after the answers went out; a later receipt time changes nothing.
        let ids: Vec<i64> = s
            .claim_outbox(10)
            .await
            .expect("claim")
            .iter()
            .map(|r| r.id)
            .collect();
        s.mark_sent(&ids).await.expect("mark sent");
        let later = Received {
            received_at: at(20),
            ..r.clone()
        };
        let again = s.store(&later, &never).await.expect("redelivery");
        assert_eq!(
            again,
            Stored::Duplicate {
                message_id: first,
                answers,
            }
        );
        assert_eq!(called.load(Ordering::SeqCst), 0);
    }

    pub async fn identificatie_reused(db: Db) {
        let store = db.open().await;
        let s = &*store;
        let reused = |r: Received| async move {
            let seen = Mutex::new(None);
            let stored = s
                .store(&r, &|ctx: &Context| {
                    *seen.lock().expect("lock") = Some(ctx.identificatie_reused);
                    outcome(Verdict::Rejected, Vec::new(), Vec::new())
                })
                .await
                .expect("stored");
            assert!(matches!(stored, Stored::New { .. }));
            let flag = seen.lock().expect("lock").take();
            flag.expect("decide called")
        };
        assert!(!reused(received("JW305", AGB, "ID1", "first", 3)).await);
        assert!(reused(received("JW305", AGB, "ID1", "second", 4)).await);
        // Other kind, other sender: another identification space.
        assert!(!reused(received("JW307", AGB, "ID1", "third", 5)).await);
        assert!(!reused(received("JW305", OTHER_AGB, "ID1", "fourth", 5)).await);
        assert!(!reused(received("JW305", AGB, "ID2", "fifth", 5)).await);
        // The reused one itself is now known: sending it again is a redelivery.
        let again = s
            .store(
                &received("JW305", AGB, "ID1", "second", 6),
                &|_: &Context| outcome(Verdict::Accepted, Vec::new(), Vec::new()),
            )
            .await
            .expect("stored");
        assert!(matches!(again, Stored::Duplicate { .. }));
        assert_eq!(s.counts().await.expect("counts").messages, 5);
    }

    pub async fn outbox(db: Db) {
        let store = db.open().await;
        let s = &*store;
        let sent = vec![
            answer("JW306", AGB, "R1"),
            forward("JW305", "M1"),
            answer("JW306", AGB, "R2"),
        ];
        put(
            s,
            &received("JW305", AGB, "M1", "m1", 3),
            outcome(Verdict::Accepted, Vec::new(), sent.clone()),
        )
        .await;
        assert_eq!(s.counts().await.expect("counts").outbox_unsent, 3);

        let first = s.claim_outbox(2).await.expect("claim");
        assert_eq!(first.len(), 2);
        assert!(first[0].id < first[1].id);
        assert_eq!(first[0].message, sent[0]);
        assert_eq!(first[1].message, sent[1]);
        let second = s.claim_outbox(10).await.expect("claim");
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].message, sent[2]);
        assert!(s.claim_outbox(10).await.expect("claim").is_empty());

        s.mark_sent(&[first[0].id, first[1].id])
            .await
            .expect("mark sent");
        s.mark_sent(&[]).await.expect("nothing to mark");
        let c = s.counts().await.expect("counts");
        assert_eq!((c.outbox, c.outbox_unsent), (3, 1));

        // The publisher of the third row died: once its claim is stale, another takes it.
        let impatient = db.open_with(Duration::ZERO).await;
        let retaken = impatient.claim_outbox(10).await.expect("reclaim");
        assert_eq!(retaken, second);
        // The fresh claim holds for publishers with the normal timeout.
        assert!(s.claim_outbox(10).await.expect("claim").is_empty());
        impatient
            .mark_sent(&[retaken[0].id])
            .await
            .expect("mark sent");
        assert!(impatient.claim_outbox(10).await.expect("claim").is_empty());
        assert_eq!(s.counts().await.expect("counts").outbox_unsent, 0);
    }

    /// A publisher that failed hands its claims back: the rows are claimable again at once
    /// (not after the claim timeout), and a sent row stays sent.
    pub async fn released_claims_are_taken_at_once(db: Db) {
        let store = db.open().await;
        let s = &*store;
        let sent = vec![answer("JW306", AGB, "R1"), forward("JW305", "M1")];
        put(
            s,
            &received("JW305", AGB, "M1", "m1", 3),
            outcome(Verdict::Accepted, Vec::new(), sent.clone()),
        )
        .await;
        let claimed = s.claim_outbox(10).await.expect("claim");
        assert_eq!(claimed.len(), 2);
        assert!(s.claim_outbox(10).await.expect("claim").is_empty());
        s.mark_sent(&[claimed[0].id]).await.expect("mark sent");
        let ids: Vec<i64> = claimed.iter().map(|r| r.id).collect();
        s.release(&ids).await.expect("release");
        s.release(&[]).await.expect("nothing to release");
        let again = s.claim_outbox(10).await.expect("claim");
        assert_eq!(again.len(), 1, "only the unsent row comes back");
        assert_eq!(again[0], claimed[1]);
        assert_eq!(s.counts().await.expect("counts").outbox_unsent, 1);
    }

    /// Competing instances storing messages of one client concurrently are serialised: each
    /// judges against what the previous one committed.
    pub async fn concurrent_same_client(db: Db) {
        const N: usize = 4;
        let x = test_bsn(1);
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for i in 0..N {
            // One store (pool) per task, as separate daemon instances would have.
            let store = db.open().await;
            let (x, inside, most) = (x.clone(), inside.clone(), most.clone());
            tasks.push(tokio::spawn(async move {
                let mut r = received("JW301", GEMEENTE, &format!("M{i}"), &format!("m{i}"), 3);
                r.keys.bsns = vec![x.clone()];
                let decide = |ctx: &Context| {
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    let seen = ctx.client(&x).map_or(0, |c| c.toewijzingen.len());
                    // Widen the window a concurrent judge would slip through.
                    std::thread::sleep(Duration::from_millis(100));
                    inside.fetch_sub(1, Ordering::SeqCst);
                    outcome(
                        Verdict::Accepted,
                        vec![Change::AddToewijzing(toewijzing(
                            &x,
                            AGB,
                            2000 + seen as i64,
                        ))],
                        Vec::new(),
                    )
                };
                store.store(&r, &decide).await.expect("stored");
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
        assert_eq!(most.load(Ordering::SeqCst), 1, "never two judges at once");
        let store = db.open().await;
        let ctx = context_for(
            &*store,
            "PROBE",
            ContextKeys {
                bsns: vec![x.clone()],
                ..keys()
            },
        )
        .await;
        let mut nummers: Vec<i64> = ctx.clients[&x]
            .toewijzingen
            .iter()
            .map(|t| t.nummer)
            .collect();
        nummers.sort();
        assert_eq!(nummers, (0..N as i64).map(|n| 2000 + n).collect::<Vec<_>>());
    }

    pub async fn panic_rolls_back(db: Db) {
        let store = db.open().await;
        let r = received("JW301", GEMEENTE, "M1", "m1", 3);
        let mut keyed = r.clone();
        keyed.keys.bsns = vec![test_bsn(1)];
        let task = {
            let (store, keyed) = (store.clone(), keyed.clone());
            tokio::spawn(async move {
                let _ = store
                    .store(&keyed, &|_: &Context| panic!("a rule fell over"))
                    .await;
            })
        };
        let err = task.await.expect_err("the panic reaches the caller");
        assert!(err.is_panic());
        assert_eq!(store.counts().await.expect("counts"), Counts::default());

        // Nothing remembered (not a duplicate) and nothing left locked.
        let stored = tokio::time::timeout(
            Duration::from_secs(10),
            store.store(&keyed, &|_: &Context| {
                outcome(
                    Verdict::Accepted,
                    vec![Change::AddToewijzing(toewijzing(&test_bsn(1), AGB, 1001))],
                    vec![forward("JW301", "M1")],
                )
            }),
        )
        .await
        .expect("not blocked by the failed attempt")
        .expect("stored");
        assert!(matches!(stored, Stored::New { .. }));
        let c = store.counts().await.expect("counts");
        assert_eq!((c.messages, c.toewijzingen, c.outbox), (1, 1, 1));
    }

    /// A batch judges its messages one after the other: the second message of a client sees
    /// what the first wrote, and a copy of the first is a duplicate.
    pub async fn batch_judges_in_order(db: Db) {
        let store = db.open().await;
        let x = test_bsn(1);
        let mut first = received("JW301", GEMEENTE, "M1", "m1", 3);
        first.keys.bsns = vec![x.clone()];
        let mut second = received("JW301", GEMEENTE, "M2", "m2", 3);
        second.keys.bsns = vec![x.clone()];
        let copy = first.clone();
        let add = |ctx: &Context| {
            let seen = ctx.client(&x).map_or(0, |c| c.toewijzingen.len());
            outcome(
                Verdict::Accepted,
                vec![Change::AddToewijzing(toewijzing(
                    &x,
                    AGB,
                    2000 + seen as i64,
                ))],
                vec![forward("JW301", &format!("F{seen}"))],
            )
        };
        let stored = store
            .store_batch(&[(&first, &add), (&second, &add), (&copy, &add)])
            .await
            .expect("batch stored");
        let [Some(Stored::New {
            message_id: a,
            outcome: oa,
        }), Some(Stored::New { outcome: ob, .. }), Some(Stored::Duplicate {
            message_id: dup,
            answers,
        })] = stored.as_slice()
        else {
            panic!("expected new, new, duplicate: {stored:?}");
        };
        let nummer = |o: &Outcome| match &o.changes[0] {
            Change::AddToewijzing(t) => t.nummer,
            other => panic!("unexpected change {other:?}"),
        };
        assert_eq!(
            (nummer(oa), nummer(ob)),
            (2000, 2001),
            "the second saw the first"
        );
        assert_eq!(dup, a);
        assert_eq!(answers, &vec![forward("JW301", "F0")]);
        let c = store.counts().await.expect("counts");
        assert_eq!((c.messages, c.toewijzingen, c.outbox), (2, 2, 2));
    }

    /// A panic in any message's rules stores none of the batch.
    pub async fn batch_panic_rolls_back_all(db: Db) {
        let store = db.open().await;
        let first = received("JW301", GEMEENTE, "M1", "m1", 3);
        let second = received("JW301", GEMEENTE, "M2", "m2", 3);
        let task = {
            let store = store.clone();
            tokio::spawn(async move {
                let fine = |_: &Context| outcome(Verdict::Accepted, Vec::new(), Vec::new());
                let broken = |_: &Context| -> Outcome { panic!("a rule fell over") };
                let _ = store
                    .store_batch(&[(&first, &fine), (&second, &broken)])
                    .await;
            })
        };
        assert!(task
            .await
            .expect_err("the panic reaches the caller")
            .is_panic());
        assert_eq!(store.counts().await.expect("counts"), Counts::default());
    }

    /// While another transaction holds a client's state, a PostgreSQL batch does not wait: it
    /// leaves out that client's messages (all of them, so they stay in order) and stores the
    /// rest. SQLite's single writer waits for the write lock instead and stores them all.
    pub async fn batch_leaves_out_busy_state(db: Db) {
        let (x, y) = (test_bsn(1), test_bsn(2));
        let mut busy = received("JW301", GEMEENTE, "M0", "m0", 3);
        busy.keys.bsns = vec![x.clone()];
        // another instance, on its own thread: its rules hold x's locks until released (on
        // PostgreSQL, after the batch; SQLite's batch waits for the writer, so it lets go after a
        // second there)
        let hold = match db {
            Db::Postgres(_) => Duration::from_secs(30),
            Db::Sqlite(_) => Duration::from_secs(1),
        };
        let (locked_tx, locked_rx) = std::sync::mpsc::channel::<()>();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let release_rx = std::sync::Mutex::new(release_rx);
        let holder = {
            let db = db.clone();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Runtime::new().expect("runtime");
                rt.block_on(async {
                    let store = db.open().await;
                    let slow = |_: &Context| {
                        let _ = locked_tx.send(());
                        let _ = release_rx.lock().expect("release").recv_timeout(hold);
                        outcome(Verdict::Accepted, Vec::new(), Vec::new())
                    };
                    store.store(&busy, &slow).await.expect("stored");
                })
            })
        };
        locked_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the holder took the locks");
        let store = db.open().await;
        let batch: Vec<Received> = [("M1", &x), ("M2", &y), ("M3", &x)]
            .into_iter()
            .map(|(id, bsn)| {
                let mut r = received("JW301", GEMEENTE, id, &id.to_lowercase(), 3);
                r.keys.bsns = vec![bsn.clone()];
                r
            })
            .collect();
        let fine = |_: &Context| outcome(Verdict::Accepted, Vec::new(), Vec::new());
        let stored = store
            .store_batch(&[(&batch[0], &fine), (&batch[1], &fine), (&batch[2], &fine)])
            .await
            .expect("batch stored");
        let _ = release_tx.send(());
        let done: Vec<bool> = stored.iter().map(Option::is_some).collect();
        match db {
            Db::Postgres(_) => assert_eq!(done, [false, true, false]),
            Db::Sqlite(_) => assert_eq!(done, [true, true, true]),
        }
        holder.join().expect("holder");
    }

    pub async fn error_rolls_back(db: Db) {
        let store = db.open().await;
        let s = &*store;
        let mut r = received("JW301", GEMEENTE, "M1", "m1", 3);
        r.keys.bsns = vec![test_bsn(1)];
        let good = toewijzing(&test_bsn(1), AGB, 1001);
        // Ends before it starts: the database refuses it after the log row and the first change
        // were written.
        let bad = Toewijzing {
            nummer: 1002,
            einddatum: Some(date(2025, 1, 1)),
            ..good.clone()
        };
        let out = outcome(
            Verdict::Accepted,
            vec![
                Change::AddToewijzing(good.clone()),
                Change::AddToewijzing(bad),
            ],
            vec![forward("JW301", "M1")],
        );
        let err = s
            .store(&r, &|_: &Context| out.clone())
            .await
            .expect_err("constraint violated");
        assert!(matches!(err, StoreError::Database(_)), "{err:?}");
        // Errors get logged; the failing row (with its BSN) must not travel with them.
        let text = format!("{err} {err:?}");
        assert!(!text.contains(&test_bsn(1)), "BSN in error: {text}");
        if let StoreError::Database(sqlx::Error::Database(e)) = &err {
            assert!(e.is_check_violation(), "{text}");
        }
        assert_eq!(s.counts().await.expect("counts"), Counts::default());

        let stored = s
            .store(&r, &|_: &Context| {
                outcome(
                    Verdict::Accepted,
                    vec![Change::AddToewijzing(good.clone())],
                    Vec::new(),
                )
            })
            .await
            .expect("stored");
        assert!(matches!(stored, Stored::New { .. }));
        assert_eq!(s.counts().await.expect("counts").toewijzingen, 1);
    }
}

// ---------------------------------------------------------------------------------------------
// Backend-specific

#[tokio::test]
async fn sqlite_memory_keeps_its_data() {
    let store = store::open("sqlite::memory:").await.expect("memory store");
    put(
        &*store,
        &received("JW301", GEMEENTE, "M1", "m1", 3),
        outcome(Verdict::Accepted, Vec::new(), vec![forward("JW301", "M1")]),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let c = store.counts().await.expect("counts");
    assert_eq!((c.messages, c.outbox_unsent), (1, 1));
    assert_eq!(store.claim_outbox(5).await.expect("claim").len(), 1);
}

#[tokio::test]
async fn unsupported_url_is_refused_without_echoing_it() {
    let err = match store::open("mysql://user:secret@db/x").await {
        Ok(_) => panic!("mysql is not a store"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("mysql") && !err.contains("secret"), "{err}");
}
