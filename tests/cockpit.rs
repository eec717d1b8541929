//! The cockpit as a person uses it: the real binary in a pseudo-terminal, keys sent,
//! the screen read back through a terminal emulator, and the database checked after.

mod common;
mod screen;
use common::*;
use screen::Screen;
use std::time::{Duration, Instant};

fn demo_db(dir: &std::path::Path) -> TestDb {
    TestDb::sqlite_at(&dir.join("shop.db"))
}

/// A plan whose first file runs for a few seconds, so a key can land while it runs.
fn slow_plan(dir: &std::path::Path) {
    let slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 8000000) SELECT COUNT(*) FROM c;\n";
    write_files(
        &dir.join("migrations"),
        &[
            ("0001_slow.sql", slow),
            (
                "0002_t.sql",
                "CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY);\n",
            ),
        ],
    );
    std::fs::write(
        dir.join("cutover.toml"),
        "[plan]\nname = \"slow\"\n[target]\nurl = \"sqlite://slow.db\"\n[migrations]\ndir = \"migrations\"\n",
    )
    .expect("plan");
}

#[test]
fn apply_batch_one_with_keys_then_quit() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut s, dir) = Screen::demo(tmp.path(), 100, 30);
    let first = s.wait_for("simple-replacements", 30);
    assert!(
        first.contains("Batches") && first.contains("Files") && first.contains("Log"),
        "{first}"
    );
    assert!(
        first.contains("0001") && first.contains("baseline"),
        "{first}"
    );
    assert!(
        first.contains("apply batch"),
        "the key bar offers A: {first}"
    );

    s.send("A");
    let shown = s.wait_for("4/4 · ✔ done", 60);
    // The batch shows done before the job ends; a key pressed between is refused.
    s.wait_for("apply finished", 30);
    // Applied, then checked: each file shows validated once its checks passed.
    assert!(shown.contains("✓ validated"), "{shown}");
    assert!(
        shown.contains("0/3 · ○ pending"),
        "batch 2 untouched: {shown}"
    );

    // A second job in the same session: the next file, 0005, from batch 2.
    s.send("a");
    s.wait_for("1/3 · ◐ partial", 30);
    assert!(!s.text().contains("ERROR"), "{}", s.text());

    s.send("?");
    s.wait_for("Keys · Esc to close", 5);
    // A lone Esc, then wait: Esc followed at once by a key reads as Alt+key.
    s.send("\x1b");
    s.wait_gone("Keys · Esc to close", 5);
    s.send("q");
    assert_eq!(s.wait_exit(20), 0);

    let db = demo_db(&dir);
    assert_eq!(
        db.strings("SELECT version FROM cutover_history WHERE status = 'applied' ORDER BY version"),
        ["0001", "0002", "0003", "0004", "0005"]
    );
    assert_eq!(db.scalar("SELECT COUNT(*) FROM customers"), 20_000);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM order_statuses"), 3);
    assert!(!db.has_table("customer_totals"), "0007 was not applied");
    // The sqlx history the demo folder's tool keeps holds each version once.
    assert_eq!(db.scalar("SELECT COUNT(*) FROM _sqlx_migrations"), 5);
}

#[test]
fn quitting_while_a_job_runs_asks_first_and_no_keeps_going() {
    let tmp = tempfile::tempdir().expect("tempdir");
    slow_plan(tmp.path());
    let mut s = Screen::spawn(&[], tmp.path(), 100, 30);
    s.wait_for("0001", 30);
    s.send("a");
    s.wait_for("⟳", 10);
    s.send("q");
    let t = s.wait_for("Quit?", 5);
    assert!(t.contains("keep going (default)"), "{t}");
    s.send("x"); // any other key leaves the dialog open
    s.send("n");
    s.wait_for("apply finished", 30);
    assert!(!s.text().contains("Quit?"));
    s.send("q");
    assert_eq!(s.wait_exit(20), 0);
    let db = TestDb::sqlite_at(&tmp.path().join("slow.db"));
    assert_eq!(
        db.strings("SELECT version FROM cutover_history WHERE status = 'applied'"),
        ["0001"]
    );
}

#[test]
fn quitting_while_a_job_runs_stops_after_the_current_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    slow_plan(tmp.path());
    let mut s = Screen::spawn(&[], tmp.path(), 100, 30);
    s.wait_for("0001", 30);
    s.send("A");
    s.wait_for("⟳", 10);
    s.send("q");
    s.wait_for("Quit?", 5);
    s.send("y");
    assert_eq!(s.wait_exit(30), 0);
    let db = TestDb::sqlite_at(&tmp.path().join("slow.db"));
    assert_eq!(
        db.strings("SELECT version FROM cutover_history WHERE status = 'applied'"),
        ["0001"],
        "the running file finished; the next one never started"
    );
    assert!(!db.has_table("t"));
}

#[test]
fn too_small_terminal_says_so_instead_of_drawing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut s, _) = Screen::demo(tmp.path(), 60, 20);
    let t = s.wait_for("terminal too small", 30);
    assert!(t.contains("need 80x24, have 60x20"), "{t}");
    s.send("q");
    assert_eq!(s.wait_exit(20), 0);
}

#[test]
fn resize_redraws_and_small_sizes_say_so() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut s, _) = Screen::demo(tmp.path(), 100, 30);
    s.wait_for("simple-replacements", 30);
    s.resize(70, 20);
    s.wait_for("need 80x24, have 70x20", 10);
    s.resize(120, 40);
    let t = s.wait_for("simple-replacements", 10);
    assert!(!t.contains("too small"), "{t}");
    assert!(
        t.contains("CHECKPOINT"),
        "a wide screen shows the checkpoint column in words: {t}"
    );
    s.send("q");
    assert_eq!(s.wait_exit(20), 0);
}

/// Sends `sig` with the `kill` command.
fn kill(s: &Screen, sig: &str) {
    let pid = s.child.process_id().expect("pid");
    let killed = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
}

/// Waits until the terminal is out of the alternate screen with its cursor shown (the
/// reader thread may still be taking in the last bytes).
fn wait_restored(s: &Screen) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (alt, hidden) = {
            let p = s.parser.lock().expect("parser");
            (p.screen().alternate_screen(), p.screen().hide_cursor())
        };
        if !alt && !hidden {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "terminal not restored: alternate screen {alt}, cursor hidden {hidden}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[test]
fn sigterm_and_sighup_restore_the_terminal_exit_130_and_release_the_lock() {
    for sig in ["-TERM", "-HUP"] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (mut s, dir) = Screen::demo(tmp.path(), 100, 30);
        s.wait_for("simple-replacements", 30);
        {
            let p = s.parser.lock().expect("parser");
            assert!(
                p.screen().alternate_screen() && p.screen().hide_cursor(),
                "the cockpit uses the alternate screen and hides the cursor"
            );
        }
        kill(&s, sig);
        assert_eq!(s.wait_exit(20), 130, "{sig}");
        wait_restored(&s);
        // The lock is free again: a headless apply on the same demo runs.
        let out = cutover(
            tmp.path(),
            &[
                "apply",
                "-p",
                dir.join("cutover.toml").to_str().expect("utf8"),
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{sig}: {}", text(&out));
    }
}

#[test]
fn sighup_during_a_job_finishes_the_file_records_it_and_exits_130() {
    let tmp = tempfile::tempdir().expect("tempdir");
    slow_plan(tmp.path());
    let mut s = Screen::spawn(&[], tmp.path(), 100, 30);
    s.wait_for("0001", 30);
    s.send("A");
    s.wait_for("⟳", 10);
    kill(&s, "-HUP");
    assert_eq!(s.wait_exit(30), 130);
    wait_restored(&s);
    let db = TestDb::sqlite_at(&tmp.path().join("slow.db"));
    assert_eq!(
        db.strings("SELECT version || ' ' || status FROM cutover_history"),
        ["0001 applied"],
        "the running file finished and was recorded; the next one never started"
    );
    assert!(!db.has_table("t"));
}

#[test]
fn a_partial_file_shows_as_partial_and_is_resolved_from_the_keyboard() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write_files(
        &tmp.path().join("migrations"),
        &[
            ("0001_a.sql", "CREATE TABLE a (id INTEGER NOT NULL);\nINSERT INTO a (id) VALUES (1);\n"),
            ("0002_scale.sql", "-- no-transaction\nUPDATE a SET id = id * 10;\nINSERT INTO nope (id) VALUES (1);\n"),
            ("0003_b.sql", "CREATE TABLE b (id INTEGER NOT NULL);\n"),
        ],
    );
    std::fs::write(
        tmp.path().join("cutover.toml"),
        "[plan]\nname = \"partial\"\n[target]\nurl = \"sqlite://p.db\"\n[migrations]\ndir = \"migrations\"\n",
    )
    .expect("plan");
    let out = cutover(tmp.path(), &["apply"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    let mut s = Screen::spawn(&["--operator", "dana"], tmp.path(), 100, 30);
    s.send("\t");
    s.send("j");
    let t = s.wait_for("⚠ partial", 30);
    assert!(
        !t.contains("✖ failed"),
        "the ledger's status, not `failed`: {t}"
    );
    assert!(t.contains("m resolve file"), "the key bar offers m: {t}");
    assert!(
        !t.contains("apply next file"),
        "applying would be refused: {t}"
    );
    s.send("m");
    s.wait_for("Check the target, then record what you found", 10);
    s.send("a");
    s.wait_for("record it as applied", 10);
    s.send("y");
    s.wait_for("resolve finished", 20);
    let t = s.wait_for("apply next file", 10);
    assert!(!t.contains("⚠ partial"), "{t}");
    s.send("q");
    assert_eq!(s.wait_exit(20), 0);

    let db = TestDb::sqlite_at(&tmp.path().join("p.db"));
    assert_eq!(
        db.strings("SELECT status FROM cutover_history WHERE version = '0002'"),
        ["applied"]
    );
    assert_eq!(
        db.strings("SELECT operator || ' ' || kind || ' ' || version FROM cutover_decisions"),
        ["dana resolve 0002"]
    );
    assert!(!db.has_table("b"), "resolving applies nothing");
}

#[test]
fn x_cancels_the_running_statement_after_a_confirmation() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500000000) SELECT COUNT(*) FROM c;\n";
    write_files(
        &tmp.path().join("migrations"),
        &[
            ("0001_slow.sql", slow),
            (
                "0002_t.sql",
                "CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY);\n",
            ),
        ],
    );
    std::fs::write(
        tmp.path().join("cutover.toml"),
        "[plan]\nname = \"slow\"\n[target]\nurl = \"sqlite://slow.db\"\n[migrations]\ndir = \"migrations\"\n",
    )
    .expect("plan");
    let mut s = Screen::spawn(&[], tmp.path(), 120, 30);
    s.wait_for("0001", 30);
    s.send("A");
    s.wait_for("⟳", 10);
    s.send("x");
    s.wait_for("Cancel the running statement?", 5);
    s.send("n");
    s.wait_gone("Cancel the running statement?", 5);
    assert!(s.text().contains("⟳"), "no keeps it running: {}", s.text());
    s.send("x");
    s.wait_for("Cancel the running statement?", 5);
    s.send("y");
    s.wait_gone("Cancel the running statement?", 5);
    let t = s.wait_for("cancelled by the operator", 20);
    assert!(
        t.contains("cancel of the running statement requested"),
        "{t}"
    );
    s.wait_for("apply paused between files", 20);
    s.send("q");
    assert_eq!(s.wait_exit(20), 0);
    let db = TestDb::sqlite_at(&tmp.path().join("slow.db"));
    assert_eq!(db.scalar("SELECT COUNT(*) FROM cutover_history"), 0);
    assert!(
        !db.has_table("t"),
        "the job stopped after the cancelled file"
    );
}

#[test]
fn no_color_means_no_colour_and_a_log_file_is_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut s, dir) = Screen::demo(tmp.path(), 100, 30);
    s.wait_for("simple-replacements", 30);
    {
        let p = s.parser.lock().expect("parser");
        let screen = p.screen();
        for row in 0..30 {
            for col in 0..100 {
                let cell = screen.cell(row, col).expect("cell");
                assert_eq!(
                    cell.fgcolor(),
                    vt100::Color::Default,
                    "colour at {row},{col} under NO_COLOR"
                );
                assert_eq!(
                    cell.bgcolor(),
                    vt100::Color::Default,
                    "colour at {row},{col} under NO_COLOR"
                );
            }
        }
    }
    s.send("q");
    assert_eq!(s.wait_exit(20), 0);
    let logs: Vec<_> = std::fs::read_dir(dir.join(".cutover/logs"))
        .expect("log folder")
        .flatten()
        .collect();
    assert!(!logs.is_empty());
    let text = std::fs::read_to_string(logs[0].path()).expect("log");
    assert!(text.contains("cockpit opened"), "{text}");
}

#[test]
fn a_second_cockpit_on_the_same_target_is_refused_before_the_screen_is_taken() {
    let tmp = tempfile::tempdir().expect("tempdir");
    slow_plan(tmp.path());
    let mut first = Screen::spawn(&[], tmp.path(), 100, 30);
    first.wait_for("0001", 30);
    let mut second = Screen::spawn(&[], tmp.path(), 100, 30);
    assert_eq!(second.wait_exit(20), 2);
    let t = second.text();
    assert!(
        t.contains("locked by another cutover") && t.contains("pid"),
        "{t}"
    );
    first.send("q");
    assert_eq!(first.wait_exit(20), 0);
}

#[test]
fn drift_shows_when_the_cockpit_opens() {
    let tmp = tempfile::tempdir().expect("tempdir");
    slow_plan(tmp.path());
    std::fs::write(tmp.path().join("migrations/0001_slow.sql"), "SELECT 1;\n")
        .expect("fast first file");
    let out = cutover(tmp.path(), &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    std::fs::write(tmp.path().join("migrations/0001_slow.sql"), "SELECT 2;\n")
        .expect("edit an applied file");
    let mut s = Screen::spawn(&[], tmp.path(), 100, 30);
    let t = s.wait_for("≠ drift", 30);
    assert!(t.contains("drift: 0001_slow.sql changed on disk"), "{t}");
    s.send("q");
    assert_eq!(s.wait_exit(20), 0);
}
