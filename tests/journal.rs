//! Every session is recorded: the real binary, headless and in a pseudo-terminal, writes
//! `.cutover/sessions/<UTC time>-<plan>.jsonl`, hash-chained, readable by its owner only,
//! with the operator's deeds (the command line, typed confirmations right and wrong) and
//! never a password. A cockpit killed with SIGKILL keeps every line up to its last sync.

mod common;
mod screen;
use common::*;
use cutover::event::{Did, Event, Input};
use cutover::journal::{self, Integrity, Journal};
use cutover::ui::record::SessionHeader;
use screen::Screen;
use std::path::{Path, PathBuf};

type Read = Journal<SessionHeader, Input>;

/// The journals in a plan folder's `.cutover/sessions`, oldest first.
fn journals(dir: &Path) -> Vec<PathBuf> {
    journal::list(&dir.join(".cutover/sessions")).expect("sessions folder")
}

fn only_journal(dir: &Path) -> Read {
    let all = journals(dir);
    assert_eq!(all.len(), 1, "one session, one journal: {all:?}");
    journal::read(&all[0]).expect("a journal")
}

fn events(j: &Read) -> Vec<&Event> {
    j.entries
        .iter()
        .filter_map(|e| match &e.input {
            Input::Engine(s) | Input::Unseen(s) => Some(&s.event),
            _ => None,
        })
        .collect()
}

fn deeds(j: &Read) -> Vec<&Did> {
    j.entries
        .iter()
        .filter_map(|e| match &e.input {
            Input::Operator { did, .. } => Some(did),
            _ => None,
        })
        .collect()
}

fn demo(tmp: &Path) -> PathBuf {
    let dir = tmp.join("demo");
    cutover::cli::prepare_demo(&dir).expect("demo written");
    dir
}

#[test]
fn a_headless_apply_is_recorded_with_its_command_line_and_every_event() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = demo(tmp.path());
    let out = cutover(&dir, &["apply", "--batch", "1", "--operator", "ana"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let j = only_journal(&dir);
    assert!(
        text(&out).contains(&format!("session recorded in {}", j.path.display())),
        "{}",
        text(&out)
    );
    assert!(
        matches!(j.integrity, Integrity::Intact { .. }),
        "{:?}",
        j.integrity
    );
    assert_eq!(j.header.mode, "apply");
    assert_eq!(j.header.session.operator, "ana");
    assert_eq!(j.header.session.plan, "shop v2 cutover (demo)");
    assert!(j.header.recording);
    let plan_sha = cutover::plan::load(&dir.join("cutover.toml"))
        .expect("plan")
        .sha256;
    assert_eq!(j.header.plan_sha256.as_deref(), Some(plan_sha.as_str()));
    let name = j
        .path
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(name.ends_with("Z-shop-v2-cutover-demo.jsonl"), "{name}");
    match deeds(&j).first() {
        Some(Did::Command { args }) => {
            assert_eq!(&args[1..], ["apply", "--batch", "1", "--operator", "ana"])
        }
        other => panic!("first deed: {other:?}"),
    }
    let applied: Vec<&str> = events(&j)
        .iter()
        .filter_map(|e| match e {
            Event::FileApplied { version, .. } => Some(version.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(applied, ["0001", "0002", "0003", "0004"]);
    // t_ms counts from the header's time and never goes back.
    let times: Vec<i64> = j.entries.iter().map(|e| e.t_ms).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert!(times[0] >= 0);
}

#[cfg(unix)]
#[test]
fn journals_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = demo(tmp.path());
    let out = cutover(&dir, &["apply", "--batch", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&journals(&dir)[0]), 0o600);
    assert_eq!(mode(&dir.join(".cutover/sessions")), 0o700);
}

#[test]
fn every_headless_command_records_its_own_session() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = demo(tmp.path());
    for args in [
        &["apply", "--batch", "1"][..],
        &["validate"],
        &["rollback", "--batch", "1"],
        &["rollback", "--batch", "1", "--yes"],
        &["rehearse", "--batch", "1"],
        &["close"],
    ] {
        let out = cutover(&dir, args);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            text(&out)
        );
    }
    let modes: Vec<String> = journals(&dir)
        .iter()
        .map(|p| {
            journal::read::<SessionHeader, Input>(p)
                .expect("journal")
                .header
                .mode
        })
        .collect();
    let mut sorted = modes.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["apply", "close", "rehearse", "rollback", "rollback", "validate"],
        "{modes:?}"
    );
}

#[test]
fn a_session_that_cannot_be_recorded_is_refused_before_anything_runs() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = demo(tmp.path());
    std::fs::create_dir_all(dir.join(".cutover")).expect("mkdir");
    // A file where the sessions folder must be: it cannot be created.
    std::fs::write(dir.join(".cutover/sessions"), "not a folder").expect("write");
    let out = cutover(&dir, &["apply", "--batch", "1"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("cannot record the session in"), "{t}");
    assert!(t.contains(".cutover/sessions"), "{t}");
    assert!(t.contains("hint:"), "{t}");
    let db = TestDb::sqlite_at(&dir.join("shop.db"));
    assert!(
        !db.has_table("cutover_history") || db.scalar("SELECT COUNT(*) FROM cutover_history") == 0
    );
}

#[test]
fn no_password_is_ever_written_to_a_journal() {
    let Some(db) = TestDb::new(
        Backend::Postgres,
        "no_password_is_ever_written_to_a_journal",
    ) else {
        return;
    };
    let secret = "Sup3rS3cretPw";
    // Trust authentication takes any password: the URL carries one all the same.
    let url = db
        .url
        .replacen("postgres@", &format!("postgres:{secret}@"), 1);
    assert!(url.contains(secret), "{url}");
    write_files(
        &db.migrations_dir(),
        &[("0001_t.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY);\n")],
    );
    std::fs::write(
        db.dir.path().join("cutover.toml"),
        format!("[plan]\nname = \"pw\"\n\n[target]\nurl = \"{url}\"\n\n[migrations]\ndir = \"migrations\"\n"),
    )
    .expect("plan");
    let out = cutover(db.dir.path(), &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = cutover(db.dir.path(), &["validate"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
    let all = journals(db.dir.path());
    assert_eq!(all.len(), 2);
    for p in &all {
        let bytes = std::fs::read_to_string(p).expect("journal");
        assert!(
            !bytes.contains(secret),
            "{} holds the password",
            p.display()
        );
        assert!(
            bytes.contains("postgres://"),
            "the target is named: {bytes}"
        );
    }
}

/// A live cockpit records what the operator typed into a confirmation, right and wrong.
#[test]
fn the_cockpit_shows_rec_and_records_confirmations_right_and_wrong() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = Screen::demo_rolled_back_after_a_wrong_word(tmp.path());
    let j = only_journal(&dir);
    assert!(
        matches!(j.integrity, Integrity::Intact { .. }),
        "{:?}",
        j.integrity
    );
    assert_eq!(j.header.mode, "cockpit");
    let d = deeds(&j);
    assert!(
        d.iter().any(|d| matches!(d, Did::Mistyped { typed, expected, .. } if typed == "wrong" && expected == "simple-replacements")),
        "{d:?}"
    );
    assert!(
        d.iter()
            .any(|d| matches!(d, Did::Confirmed { typed, .. } if typed == "simple-replacements")),
        "{d:?}"
    );
    assert!(
        d.iter()
            .any(|d| matches!(d, Did::Requested { what } if what.starts_with("apply batch 1"))),
        "{d:?}"
    );
    // The session's close came after the screen was given back: kept, as unseen.
    let last = j.entries.last().expect("lines");
    assert!(
        matches!(&last.input, Input::Unseen(s) if s.event == Event::SessionEnded),
        "{:?}",
        last.input
    );
}

/// SIGKILL mid-session: every line written before the last sync is still there and the
/// chain holds (a line cut off mid-write is a crash's mark, not tampering).
#[cfg(unix)]
#[test]
fn a_killed_cockpit_keeps_its_journal_up_to_the_last_sync() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (mut s, dir) = Screen::demo(tmp.path(), 120, 40);
    s.wait_for("simple-replacements", 30);
    s.send("A");
    s.wait_for("apply finished", 60);
    s.send("j");
    let pid = s.child.process_id().expect("pid");
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    s.wait_exit(20);
    let j = only_journal(&dir);
    assert!(!j.integrity.is_broken(), "{:?}", j.integrity);
    let applied = events(&j)
        .iter()
        .filter(|e| matches!(e, Event::FileApplied { .. }))
        .count();
    assert_eq!(applied, 4, "every applied file was synced before the kill");
    assert!(
        deeds(&j)
            .iter()
            .any(|d| matches!(d, Did::Requested { what } if what.starts_with("apply batch 1"))),
        "the operator's apply was synced"
    );
    assert!(
        !events(&j).contains(&&Event::SessionEnded),
        "a killed session has no end"
    );
}

/// A tmpfs of a few kilobytes mounted over a folder, unmounted when dropped: a disk
/// that really fills up. Needs the right to mount (root in CI); otherwise the test says
/// it was skipped.
struct TinyDisk(PathBuf);

impl TinyDisk {
    fn mount(at: &Path, bytes: usize) -> Option<TinyDisk> {
        std::fs::create_dir_all(at).expect("mkdir");
        let ok = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={bytes},mode=0700"),
                "tmpfs",
            ])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| TinyDisk(at.to_path_buf()))
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_stops_the_job_at_a_safe_point_and_says_so() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = demo(tmp.path());
    let Some(_disk) = TinyDisk::mount(&dir.join(".cutover/sessions"), 16 * 1024) else {
        skipped("a_full_disk_stops_the_job_at_a_safe_point_and_says_so: cannot mount a tmpfs here");
        return;
    };
    let out = cutover(&dir, &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("cannot write the session journal"), "{t}");
    assert!(t.contains("No space left on device"), "{t}");
    assert!(t.contains("stopping after the current file"), "{t}");
    // Nothing half-done: every file the ledger has is whole, and the rest is pending.
    let db = TestDb::sqlite_at(&dir.join("shop.db"));
    let applied = db.scalar("SELECT COUNT(*) FROM cutover_history WHERE status = 'applied'");
    let other = db.scalar("SELECT COUNT(*) FROM cutover_history WHERE status <> 'applied'");
    assert!(
        applied < 10,
        "the job stopped before the end: {applied} applied"
    );
    assert_eq!(other, 0, "no file left running or partial");
    // What was written before the disk filled is a valid (cut-off) journal.
    let j = journal::read::<SessionHeader, Input>(&journals(&dir)[0]).expect("journal");
    assert!(!j.integrity.is_broken(), "{:?}", j.integrity);
    // With room again, the next apply goes on from where it stopped.
    drop(_disk);
    let out = cutover(&dir, &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}
