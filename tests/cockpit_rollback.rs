//! Rollback from the cockpit as a person does it: the real binary in a pseudo-terminal,
//! the demo's batch 1 applied with `A`, its rollback asked with `R`, a wrong name typed
//! (nothing happens), the right one typed (the batch is rolled back); the screen and
//! the database are checked after each step.

mod common;
mod screen;
use common::*;
use screen::Screen;

fn applied_versions(db: &TestDb) -> Vec<String> {
    db.strings("SELECT version FROM cutover_history WHERE status = 'applied' ORDER BY version")
}

/// Each applied file's checkpoint as the state database holds it: `#id` and the state's
/// glyph, as a narrow files table shows it.
fn checkpoint_marks(dir: &std::path::Path, versions: &[&str]) -> Vec<String> {
    let state = TestDb::sqlite_at(&dir.join(".cutover/state.db"));
    versions
        .iter()
        .map(|v| {
            let rows = state.strings(&format!(
                "SELECT id || ' ' || status FROM checkpoints WHERE version = '{v}' ORDER BY id DESC LIMIT 1"
            ));
            let row = rows.first().unwrap_or_else(|| panic!("no checkpoint for {v}"));
            let (id, status) = row.split_once(' ').expect("id status");
            let glyph = match status {
                "created" => "○",
                "validated" => "◎",
                "active" => "●",
                "superseded" => "◌",
                _ => "✖",
            };
            format!("#{id}{glyph}")
        })
        .collect()
}

#[test]
fn applied_files_show_their_checkpoints_then_and_after_reopening() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut s, dir) = Screen::demo(tmp.path(), 100, 30);
    s.wait_for("simple-replacements", 30);
    s.send("A");
    s.wait_for("apply finished", 60);
    let batch = ["0001", "0002", "0003", "0004"];
    let marks = checkpoint_marks(&dir, &batch);
    assert!(
        marks.iter().all(|m| m.ends_with('●')),
        "applied: active {marks:?}"
    );
    let screen = s.text();
    for m in &marks {
        assert!(screen.contains(m.as_str()), "{m} not shown:\n{screen}");
    }
    s.send("q");
    assert_eq!(s.wait_exit(20), 0);

    // A cockpit opened later on the same window shows the same checkpoints.
    let plan = dir.join("cutover.toml");
    let mut s = Screen::spawn(&["-p", plan.to_str().expect("utf8")], tmp.path(), 100, 30);
    s.wait_for("simple-replacements", 30);
    // It opens on the first batch with work left (2): back to batch 1.
    s.send("k");
    let screen = s.wait_for(marks[0].as_str(), 10);
    for m in &marks {
        assert!(
            screen.contains(m.as_str()),
            "{m} not shown after reopening:\n{screen}"
        );
    }
    s.send("q");
    assert_eq!(s.wait_exit(20), 0);
}

#[test]

fn batch_rollback_asks_for_the_batch_name_and_a_wrong_one_does_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut s, dir) = Screen::demo(tmp.path(), 100, 30);
    s.wait_for("simple-replacements", 30);
    s.send("A");
    s.wait_for("4/4 · ✔ done", 60);
    s.wait_for("apply finished", 30);
    let db = TestDb::sqlite_at(&dir.join("shop.db"));
    assert_eq!(applied_versions(&db), ["0001", "0002", "0003", "0004"]);

    // R asks the engine what the rollback of the selected batch (batch 1) would undo.
    s.send("R");
    let dialog = s.wait_for("Type simple-replacements and press Enter", 30);
    assert!(
        dialog.contains("Roll back batch 1 simple-replacements"),
        "{dialog}"
    );
    assert!(dialog.contains("Undo 4 file(s), newest first:"), "{dialog}");
    let list = &dialog[dialog.find("Undo 4 file(s)").expect("the list")..];
    let at = |v: &str| {
        list.find(v)
            .unwrap_or_else(|| panic!("{v} not listed: {dialog}"))
    };
    assert!(
        at("0004") < at("0003") && at("0003") < at("0002") && at("0002") < at("0001"),
        "newest first: {dialog}"
    );

    // A wrong name: the dialog says so and stays; nothing is rolled back.
    s.send("simple\r");
    let wrong = s.wait_for(
        "\"simple\" is not \"simple-replacements\": nothing done",
        10,
    );
    assert!(
        wrong.contains("Type simple-replacements"),
        "still open: {wrong}"
    );
    assert_eq!(
        applied_versions(&db),
        ["0001", "0002", "0003", "0004"],
        "a wrong word changes nothing"
    );
    assert!(db.has_table("customers"));

    // The right name: the batch is rolled back, newest first, and the screen says so.
    s.send("simple-replacements\r");
    s.wait_gone("Type simple-replacements", 10);
    let done = s.wait_for("rollback of batch 1 simple-replacements finished", 120);
    s.wait_for("0/4", 10);
    let done = s.text().to_string() + &done;
    assert!(done.contains("↺ rolled back"), "{done}");
    s.send("q");
    assert_eq!(s.wait_exit(20), 0);

    // The database agrees: nothing of batch 1 is applied or left.
    assert!(
        applied_versions(&db).is_empty(),
        "{:?}",
        applied_versions(&db)
    );
    for table in ["customers", "orders", "products", "order_items"] {
        assert!(!db.has_table(table), "{table} is still there");
    }
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM _sqlx_migrations"),
        0,
        "the folder's own tool sees nothing applied either"
    );
}

#[test]

fn esc_cancels_the_rollback_dialog_and_nothing_changes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut s, dir) = Screen::demo(tmp.path(), 100, 30);
    s.wait_for("simple-replacements", 30);
    s.send("A");
    s.wait_for("apply finished", 60);
    s.send("E");
    s.wait_for("Type EMERGENCY and press Enter", 30);
    s.send("EMERG");
    s.wait_for("> EMERG", 10);
    // A lone Esc (Esc followed at once by a key reads as Alt+key).
    s.send("\x1b");
    s.wait_gone("Type EMERGENCY", 10);
    s.wait_for("cancelled: nothing changed", 10);
    s.send("q");
    assert_eq!(s.wait_exit(20), 0);
    let db = TestDb::sqlite_at(&dir.join("shop.db"));
    assert_eq!(applied_versions(&db), ["0001", "0002", "0003", "0004"]);
}

#[test]

fn an_automatic_rollback_shows_a_banner_with_its_reason_until_esc() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write_files(
        &tmp.path().join("migrations"),
        &[
            (
                "0001_a.up.sql",
                "CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY);\n",
            ),
            ("0001_a.down.sql", "DROP TABLE a;\n"),
            (
                "0002_b.up.sql",
                "CREATE TABLE b (id INTEGER NOT NULL PRIMARY KEY);\nINSERT INTO nope VALUES (1);\n",
            ),
            ("0002_b.down.sql", "DROP TABLE b;\n"),
        ],
    );
    std::fs::write(
        tmp.path().join("cutover.toml"),
        "[plan]\nname = \"auto\"\n[target]\nurl = \"sqlite://auto.db\"\n[migrations]\ndir = \"migrations\"\nformat = \"sqlx\"\n\n[[batch]]\nname = \"all\"\nfiles = [\"0001..=0002\"]\non_failure = \"rollback-batch\"\n",
    )
    .expect("plan");
    let mut s = Screen::spawn(&[], tmp.path(), 100, 30);
    s.wait_for("0002", 30);
    s.send("A");
    let banner = s.wait_for("AUTOMATIC ROLLBACK of batch 1 all", 60);
    assert!(banner.contains("on_failure = rollback-batch"), "{banner}");
    assert!(banner.contains("Esc to dismiss"), "{banner}");
    s.wait_for("apply failed", 60);
    let after = s.text();
    assert!(
        after.contains("AUTOMATIC ROLLBACK of batch 1 all: done"),
        "the banner stays after the job, with the outcome: {after}"
    );
    s.send("\x1b");
    s.wait_gone("AUTOMATIC ROLLBACK", 10);
    s.send("q");
    assert_eq!(s.wait_exit(20), 0);
    let db = TestDb::sqlite_at(&tmp.path().join("auto.db"));
    assert!(!db.has_table("a") && !db.has_table("b"));
    assert!(applied_versions(&db).is_empty());
}

#[test]
fn a_failed_rollback_offers_the_restore_behind_its_own_word() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write_files(
        &tmp.path().join("migrations"),
        &[
            (
                "0001_a.up.sql",
                "CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY);\n",
            ),
            ("0001_a.down.sql", "DROP TABLE a;\n"),
            (
                "0002_b.up.sql",
                "CREATE TABLE b (id INTEGER NOT NULL PRIMARY KEY);\nINSERT INTO b (id) VALUES (1);\n",
            ),
            // A down script that cannot run: the rollback fails and changes nothing.
            ("0002_b.down.sql", "DROP TABLE b_that_never_was;\n"),
        ],
    );
    std::fs::write(
        tmp.path().join("cutover.toml"),
        "[plan]\nname = \"restore\"\n[target]\nurl = \"sqlite://r.db\"\n[migrations]\ndir = \"migrations\"\nformat = \"sqlx\"\n\n[[batch]]\nname = \"tables\"\nfiles = [\"0001..=0002\"]\n",
    )
    .expect("plan");
    let mut s = Screen::spawn(&[], tmp.path(), 100, 30);
    s.wait_for("0002", 30);
    s.send("A");
    s.wait_for("apply finished", 60);
    s.send("R");
    s.wait_for("Type tables and press Enter", 30);
    s.send("tables\r");
    let offer = s.wait_for("Type RESTORE and press Enter to restore", 60);
    assert!(offer.contains("rollback failed at 0002"), "{offer}");
    let db = TestDb::sqlite_at(&tmp.path().join("r.db"));
    assert_eq!(applied_versions(&db), ["0001", "0002"], "nothing changed");
    assert!(db.has_table("b"));
    // The rollback's word does not restore; RESTORE does.
    s.send("tables\r");
    s.wait_for("\"tables\" is not \"RESTORE\": nothing done", 10);
    assert!(db.has_table("b"));
    s.send("RESTORE\r");
    s.wait_gone("Type RESTORE", 10);
    s.wait_for("rollback of batch 1 tables finished", 60);
    s.send("q");
    assert_eq!(s.wait_exit(20), 0);
    assert!(
        applied_versions(&db).is_empty(),
        "{:?}",
        applied_versions(&db)
    );
    assert!(!db.has_table("a") && !db.has_table("b"));
}

#[test]
fn r_rolls_back_the_selected_file_with_every_later_one() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut s, dir) = Screen::demo(tmp.path(), 100, 30);
    s.wait_for("simple-replacements", 30);
    s.send("A");
    s.wait_for("apply finished", 60);
    // Into the files of batch 1, down to 0003.
    s.send("\t");
    s.send("gjj");
    s.send("r");
    let dialog = s.wait_for("Type 0003 and press Enter", 30);
    assert!(dialog.contains("Undo 2 file(s), newest first:"), "{dialog}");
    s.send("0003\r");
    s.wait_for("rollback of file 0003", 10);
    // The job's own end (its log line), then the batch's progress.
    s.wait_for("rollback finished", 60);
    s.wait_for("2/4", 10);
    s.send("q");
    assert_eq!(s.wait_exit(20), 0);
    let db = TestDb::sqlite_at(&dir.join("shop.db"));
    assert_eq!(applied_versions(&db), ["0001", "0002"]);
    assert!(db.has_table("customers"), "earlier files stay applied");
}

#[test]

fn t_rehearses_the_selected_batch_and_marks_each_file_reversible() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut s, dir) = Screen::demo(tmp.path(), 100, 30);
    s.wait_for("simple-replacements", 30);
    s.send("t");
    s.wait_for("rehearse finished", 120);
    let screen = s.text();
    let marked: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("pending") && l.trim_end().ends_with("✓│"))
        .collect();
    assert_eq!(
        marked.len(),
        4,
        "every file of batch 1 reversible:\n{screen}"
    );
    assert!(screen.contains("is reversible"), "{screen}");
    s.send("q");
    assert_eq!(s.wait_exit(20), 0);
    let db = TestDb::sqlite_at(&dir.join("shop.db"));
    assert!(!db.has_table("customers"), "the target is never written");
}
