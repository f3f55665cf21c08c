//! The spool transport against a real folder: input taken only when complete, settled only
//! after the pipeline returned `Ok`, rejected input kept with its reason, output written
//! atomically and marked sent only once written.

mod support;

use chrono::{DateTime, Utc};
use ijwmo::config::Config;
use ijwmo::transport::outbox::OutboxPublisher;
use ijwmo::transport::spool::{self, FileOutcome, Spool};
use ijwmo::validate::Validator;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use support::stores::{echo_pipeline, eventually, fixture, within, Instrumented};
use tokio_util::sync::CancellationToken;

fn config(dir: &Path) -> Config {
    support::stores::init_logs();
    let mut c = Config::default();
    c.spool.dir = dir.to_path_buf();
    c.spool.poll_interval = Duration::from_millis(20);
    c.outbox.interval = Duration::from_millis(20);
    c.shutdown_grace = Duration::from_secs(10);
    c
}

/// Puts a complete file into inbox/ the way a producer should: dotfile, then rename.
fn drop_in(inbox: &Path, name: &str, bytes: &[u8], mtime: Option<SystemTime>) -> PathBuf {
    let tmp = inbox.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes).unwrap();
    if let Some(t) = mtime {
        let f = std::fs::File::options().write(true).open(&tmp).unwrap();
        f.set_modified(t).unwrap();
    }
    let path = inbox.join(name);
    std::fs::rename(&tmp, &path).unwrap();
    path
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

/// Two scans: the first only notes the files, the second takes the stable ones.
async fn two_scans(spool: &mut Spool) -> spool::Scan {
    let cancel = CancellationToken::new();
    let first = within(10, "first scan", spool.poll_once(&cancel))
        .await
        .unwrap();
    assert_eq!(
        first,
        spool::Scan::default(),
        "nothing is taken on first sight"
    );
    within(10, "second scan", spool.poll_once(&cancel))
        .await
        .unwrap()
}

#[tokio::test]
async fn inbox_file_is_processed_removed_after_ok_and_answered_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let (pipeline, store) = echo_pipeline().await;
    let mut spool = Spool::new(pipeline.clone(), &cfg).unwrap();
    let folders = spool.folders().clone();
    let mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(1_783_000_000);
    drop_in(&folders.inbox, "a.xml", &fixture("JW305.xml"), Some(mtime));

    let scan = two_scans(&mut spool).await;
    assert_eq!(scan.done, 1);
    assert!(names(&folders.inbox).is_empty(), "input removed after Ok");
    assert!(names(&folders.rejected).is_empty());

    // receipt time is the file's modification time
    let seen = store.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].received_at, DateTime::<Utc>::from(mtime));
    assert_eq!(seen[0].kind, "JW305");
    assert_eq!(seen[0].identificatie, "JHG305-00231");

    // outbox: written atomically to outbox/<routing key>/<identificatie>.xml, then marked sent
    let publisher = OutboxPublisher::new(
        pipeline.store().clone(),
        spool.sink(),
        10,
        Duration::from_millis(20),
    );
    let round = within(10, "publish", publisher.publish_once())
        .await
        .unwrap();
    assert_eq!(round.claimed, round.sent);
    assert!(round.sent >= 1);
    let folder = folders.outbox.join("gemeente.0513.jw305");
    assert!(names(&folder).contains(&"ECHO-JHG305-00231.xml".to_string()));
    assert!(
        names(&folder).iter().all(|n| !n.starts_with('.')),
        "no temporary files"
    );
    assert_eq!(
        std::fs::read(folder.join("ECHO-JHG305-00231.xml")).unwrap(),
        fixture("JW305.xml")
    );
    let counts = store.as_ref().counts_now().await;
    assert_eq!(counts.outbox_unsent, 0);
    assert_eq!(counts.messages, 1);
}

#[tokio::test]
async fn processed_input_can_be_archived() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.spool.archive = true;
    let (pipeline, _store) = echo_pipeline().await;
    let mut spool = Spool::new(pipeline, &cfg).unwrap();
    let folders = spool.folders().clone();
    drop_in(&folders.inbox, "a.xml", &fixture("JW305.xml"), None);
    assert_eq!(two_scans(&mut spool).await.done, 1);
    assert!(names(&folders.inbox).is_empty());
    assert_eq!(names(&folders.archive), ["a.xml"]);
}

#[tokio::test]
async fn unprocessable_input_is_rejected_with_its_reason_and_intake_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let (pipeline, store) = echo_pipeline().await;
    let mut spool = Spool::new(pipeline, &cfg).unwrap();
    let folders = spool.folders().clone();
    let bad = b"<Bericht><oops></Bericht>".to_vec();
    drop_in(&folders.inbox, "1-bad.xml", &bad, None);
    drop_in(&folders.inbox, "2-good.xml", &fixture("JW305.xml"), None);

    let scan = two_scans(&mut spool).await;
    assert_eq!((scan.rejected, scan.done), (1, 1));
    assert!(names(&folders.inbox).is_empty());
    assert_eq!(
        names(&folders.rejected),
        ["1-bad.xml", "1-bad.xml.reason.txt"]
    );
    assert_eq!(
        std::fs::read(folders.rejected.join("1-bad.xml")).unwrap(),
        bad
    );
    let reason = std::fs::read_to_string(folders.rejected.join("1-bad.xml.reason.txt")).unwrap();
    let findings = Validator::embedded().validate(&bad).findings;
    assert!(!findings.is_empty());
    for f in &findings {
        let line = format!(
            "{} {}:{} {}: {}",
            f.rule.as_deref().unwrap_or("-"),
            f.line,
            f.column,
            f.path,
            f.message
        );
        assert!(reason.contains(&line), "reason lacks {line:?}:\n{reason}");
    }
    assert_eq!(
        store.counts_now().await.messages,
        1,
        "only the good one stored"
    );
}

#[tokio::test]
async fn input_that_crashes_processing_is_rejected_not_retried_forever() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let (pipeline, store) = echo_pipeline().await;
    store.panic_next(1);
    let mut spool = Spool::new(pipeline, &cfg).unwrap();
    let folders = spool.folders().clone();
    drop_in(&folders.inbox, "a.xml", &fixture("JW305.xml"), None);
    assert_eq!(two_scans(&mut spool).await.rejected, 1);
    let reason = std::fs::read_to_string(folders.rejected.join("a.xml.reason.txt")).unwrap();
    assert!(reason.starts_with("internal.panic"), "{reason}");
}

#[tokio::test]
async fn oversize_input_is_rejected_as_op179() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.max_message_size = 100;
    let (pipeline, store) = echo_pipeline().await;
    let mut spool = Spool::new(pipeline, &cfg).unwrap();
    let folders = spool.folders().clone();
    drop_in(&folders.inbox, "big.xml", &fixture("JW305.xml"), None);
    assert_eq!(two_scans(&mut spool).await.rejected, 1);
    let reason = std::fs::read_to_string(folders.rejected.join("big.xml.reason.txt")).unwrap();
    assert!(reason.starts_with("OP179"), "{reason}");
    assert_eq!(store.attempts(), 0);
}

#[tokio::test]
async fn a_store_failure_leaves_the_file_and_it_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let (pipeline, store) = echo_pipeline().await;
    store.fail_next(2);
    let mut spool = Spool::new(pipeline, &cfg).unwrap();
    let folders = spool.folders().clone();
    drop_in(&folders.inbox, "a.xml", &fixture("JW305.xml"), None);
    drop_in(&folders.inbox, "b.xml", &fixture("JW307.xml"), None);
    let cancel = CancellationToken::new();

    let scan = two_scans(&mut spool).await;
    assert_eq!(
        scan.retry, 1,
        "the scan stops at the first transient failure"
    );
    assert_eq!(names(&folders.inbox), ["a.xml", "b.xml"], "nothing moved");
    let scan = within(10, "scan", spool.poll_once(&cancel)).await.unwrap();
    assert_eq!(scan.retry, 1);
    assert_eq!(names(&folders.inbox), ["a.xml", "b.xml"]);
    let scan = within(10, "scan", spool.poll_once(&cancel)).await.unwrap();
    assert_eq!(scan.done, 2);
    assert!(names(&folders.inbox).is_empty());
    assert_eq!(store.attempts(), 4);
    assert_eq!(store.counts_now().await.messages, 2);
}

/// Files of one batch are judged in name order: after a transient failure nothing later is
/// tried or settled, not even a file that is unprocessable anyway, and the next scan takes
/// them all in order.
#[tokio::test]
async fn a_failure_in_a_batch_holds_back_every_later_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.spool.batch_size = 3;
    let (pipeline, store) = echo_pipeline().await;
    store.fail_next(1);
    let mut spool = Spool::new(pipeline, &cfg).unwrap();
    let folders = spool.folders().clone();
    drop_in(&folders.inbox, "a.xml", &fixture("JW305.xml"), None);
    drop_in(&folders.inbox, "b.xml", b"<not-xml", None);
    drop_in(&folders.inbox, "c.xml", &fixture("JW307.xml"), None);
    drop_in(&folders.inbox, "d.xml", &fixture("JW301.xml"), None);
    let cancel = CancellationToken::new();

    let scan = two_scans(&mut spool).await;
    assert_eq!(
        scan,
        spool::Scan {
            done: 0,
            rejected: 0,
            retry: 1
        }
    );
    assert_eq!(store.attempts(), 1, "c.xml and d.xml were not tried");
    assert_eq!(names(&folders.inbox), ["a.xml", "b.xml", "c.xml", "d.xml"]);
    assert!(names(&folders.rejected).is_empty(), "b.xml waits its turn");

    let scan = within(10, "scan", spool.poll_once(&cancel)).await.unwrap();
    assert_eq!(
        scan,
        spool::Scan {
            done: 3,
            rejected: 1,
            retry: 0
        }
    );
    assert!(names(&folders.inbox).is_empty());
    let stored: Vec<String> = store.seen().iter().map(|s| s.kind.clone()).collect();
    assert_eq!(stored, ["JW305", "JW307", "JW301"], "judged in name order");
    assert_eq!(store.attempts(), 4);
}

#[tokio::test]
async fn incomplete_files_are_not_taken() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let (pipeline, store) = echo_pipeline().await;
    let mut spool = Spool::new(pipeline, &cfg).unwrap();
    let inbox = spool.folders().inbox.clone();
    let cancel = CancellationToken::new();
    let full = fixture("JW305.xml");
    // temporary names and dotfiles are never taken
    std::fs::write(inbox.join("x.xml.tmp"), &full).unwrap();
    std::fs::write(inbox.join(".x.xml"), &full).unwrap();
    std::fs::write(inbox.join("notes.txt"), b"hello").unwrap();
    // a file still growing is taken only once it stopped changing
    let growing = inbox.join("g.xml");
    std::fs::write(&growing, &full[..full.len() / 2]).unwrap();
    assert_eq!(
        spool.poll_once(&cancel).await.unwrap(),
        spool::Scan::default()
    );
    std::fs::write(&growing, &full).unwrap();
    assert_eq!(
        spool.poll_once(&cancel).await.unwrap(),
        spool::Scan::default()
    );
    assert_eq!(store.attempts(), 0);
    let scan = spool.poll_once(&cancel).await.unwrap();
    assert_eq!(scan.done, 1, "stable now: taken whole");
    assert_eq!(store.attempts(), 1);
    for _ in 0..3 {
        spool.poll_once(&cancel).await.unwrap();
    }
    assert_eq!(names(&inbox), [".x.xml", "notes.txt", "x.xml.tmp"]);
    assert_eq!(store.attempts(), 1);
}

#[tokio::test]
async fn a_duplicate_is_removed_and_its_answers_written_again() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let (pipeline, store) = echo_pipeline().await;
    let mut spool = Spool::new(pipeline.clone(), &cfg).unwrap();
    let folders = spool.folders().clone();
    let publisher = OutboxPublisher::new(
        pipeline.store().clone(),
        spool.sink(),
        10,
        Duration::from_millis(20),
    );
    drop_in(&folders.inbox, "a.xml", &fixture("JW305.xml"), None);
    assert_eq!(two_scans(&mut spool).await.done, 1);
    within(10, "publish", publisher.publish_once())
        .await
        .unwrap();
    let answer = folders
        .outbox
        .join("gemeente.0513.jw305/ECHO-JHG305-00231.xml");
    assert!(answer.exists());
    std::fs::remove_file(&answer).unwrap(); // the receiver took it

    let again = drop_in(&folders.inbox, "a-again.xml", &fixture("JW305.xml"), None);
    let outcome = within(10, "process", spool.process_file(&again))
        .await
        .unwrap();
    assert!(
        matches!(
            outcome,
            FileOutcome::Done(ijwmo::pipeline::Handled::Duplicate { .. })
        ),
        "{outcome:?}"
    );
    assert!(!again.exists());
    assert!(answer.exists(), "the answer was written again");
    assert_eq!(store.counts_now().await.messages, 1);
}

#[tokio::test]
async fn a_row_that_cannot_be_written_stays_unsent() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let (pipeline, store) = echo_pipeline().await;
    let mut spool = Spool::new(pipeline.clone(), &cfg).unwrap();
    let folders = spool.folders().clone();
    // a plain file where the routing-key folder should be: the write fails
    std::fs::write(folders.outbox.join("gemeente.0513.jw305"), b"in the way").unwrap();
    drop_in(&folders.inbox, "a.xml", &fixture("JW305.xml"), None);
    assert_eq!(two_scans(&mut spool).await.done, 1);
    let publisher = OutboxPublisher::new(
        pipeline.store().clone(),
        spool.sink(),
        10,
        Duration::from_millis(20),
    );
    let round = within(10, "publish", publisher.publish_once())
        .await
        .unwrap();
    assert!(round.claimed > round.sent);
    assert!(store.counts_now().await.outbox_unsent >= 1);
}

#[tokio::test]
async fn serve_processes_until_cancelled_and_flushes_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let (pipeline, store) = echo_pipeline().await;
    let cancel = CancellationToken::new();
    let task = {
        let (pipeline, cfg, cancel) = (pipeline.clone(), cfg.clone(), cancel.clone());
        tokio::spawn(async move { spool::serve(pipeline, &cfg, cancel).await })
    };
    let folders = spool::Folders::new(dir.path());
    eventually(10, "spool folders", || async {
        folders.inbox.is_dir().then_some(())
    })
    .await;
    drop_in(&folders.inbox, "a.xml", &fixture("JW305.xml"), None);
    let answer = folders
        .outbox
        .join("gemeente.0513.jw305/ECHO-JHG305-00231.xml");
    eventually(10, "answer written", || async {
        answer.exists().then_some(())
    })
    .await;
    assert!(names(&folders.inbox).is_empty());

    // slow store: the file in hand when the signal comes is finished, and its answer flushed
    store.set_delay(Some(Duration::from_millis(500)));
    drop_in(
        &folders.inbox,
        "b.xml",
        &support::stores::fixture_with_id("JW305.xml", "JHG305-00231", "JHG305-00232"),
        None,
    );
    eventually(10, "second message started", || async {
        (store.attempts() >= 2).then_some(())
    })
    .await;
    cancel.cancel();
    within(15, "serve stops", task).await.unwrap().unwrap();
    assert!(names(&folders.inbox).is_empty(), "in-flight file finished");
    assert!(folders
        .outbox
        .join("gemeente.0513.jw305/ECHO-JHG305-00232.xml")
        .exists());
    assert_eq!(store.counts_now().await.outbox_unsent, 0);
}

/// `counts()` with a timeout, for brevity.
trait CountsNow {
    async fn counts_now(&self) -> ijwmo::store::Counts;
}

impl CountsNow for Instrumented {
    async fn counts_now(&self) -> ijwmo::store::Counts {
        use ijwmo::store::MessageStore;
        within(10, "counts", self.counts()).await.unwrap()
    }
}

/// Regression (issue 13, defect 6): a file's modification time is its receipt time; one in
/// 1970 or far in the future was accepted and every deadline counted from it. Now it is
/// rejected with its reason, and a file with an ordinary time next to it is processed.
#[tokio::test]
async fn a_receipt_time_out_of_bounds_is_rejected_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let (pipeline, store) = echo_pipeline().await;
    let mut spool = Spool::new(pipeline, &cfg).unwrap();
    let folders = spool.folders().clone();
    let epoch = SystemTime::UNIX_EPOCH;
    let future = SystemTime::now() + Duration::from_secs(3 * 24 * 3600);
    drop_in(
        &folders.inbox,
        "1970.xml",
        &fixture("JW305.xml"),
        Some(epoch + Duration::from_secs(1)),
    );
    drop_in(
        &folders.inbox,
        "future.xml",
        &fixture("JW305.xml"),
        Some(future),
    );
    let ok = epoch + Duration::from_secs(1_783_000_000);
    drop_in(&folders.inbox, "ok.xml", &fixture("JW305.xml"), Some(ok));
    let scan = two_scans(&mut spool).await;
    assert_eq!((scan.rejected, scan.done), (2, 1));
    for name in ["1970.xml", "future.xml"] {
        let reason =
            std::fs::read_to_string(folders.rejected.join(format!("{name}.reason.txt"))).unwrap();
        assert!(reason.starts_with("intake.receipt-time"), "{reason}");
    }
    assert_eq!(store.counts_now().await.messages, 1);
}

/// Regression (issue 13, defect 1): a 10 MB bad date gave a 20 MB reason file (the value
/// quoted in the finding and again in the reason). The reason file stays small.
#[tokio::test]
async fn a_huge_bad_value_gives_a_small_reason_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let (pipeline, _store) = echo_pipeline().await;
    let mut spool = Spool::new(pipeline, &cfg).unwrap();
    let folders = spool.folders().clone();
    let huge = String::from_utf8(fixture("JW301.xml")).unwrap().replacen(
        "2014-06-12",
        &"7".repeat(10 << 20),
        1,
    );
    drop_in(&folders.inbox, "huge.xml", huge.as_bytes(), None);
    assert_eq!(two_scans(&mut spool).await.rejected, 1);
    let reason = std::fs::read_to_string(folders.rejected.join("huge.xml.reason.txt")).unwrap();
    assert!(reason.starts_with("schema.date"), "{}", &reason[..200]);
    assert!(
        reason.len() < 4_096,
        "reason file of {} bytes",
        reason.len()
    );
    assert!(
        reason.contains(&format!("({} characters)", 10 << 20)),
        "{reason}"
    );
}
