//! `cutover audit` through the real binary on journals the real binary wrote: an intact
//! journal lists what was done and by whom; a journal with one byte edited, a line
//! deleted, duplicated or two lines swapped is caught at its first broken line (exit 2);
//! a journal cut off mid-line by a crash is truncated, not tampered (exit 0, warning);
//! `--all` lists a plan's sessions; what is not a journal is refused, never a panic.

mod common;
mod screen;
use common::*;
use screen::Screen;
use std::path::{Path, PathBuf};

fn demo(tmp: &Path) -> PathBuf {
    let dir = tmp.join("demo");
    cutover::cli::prepare_demo(&dir).expect("demo written");
    dir
}

fn journals(dir: &Path) -> Vec<PathBuf> {
    cutover::journal::list(&dir.join(".cutover/sessions")).expect("sessions folder")
}

/// A demo folder with batch 1 applied by ana: the folder and that session's journal.
fn applied(tmp: &Path) -> (PathBuf, PathBuf) {
    let dir = demo(tmp);
    let out = cutover(&dir, &["apply", "--batch", "1", "--operator", "ana"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let j = journals(&dir);
    assert_eq!(j.len(), 1, "{j:?}");
    (dir, j[0].clone())
}

fn audit(dir: &Path, file: &Path, json: bool) -> (i32, String, String) {
    let f = file.display().to_string();
    let mut args = vec!["audit", f.as_str()];
    if json {
        args.push("--json");
    }
    let out = cutover(dir, &args);
    let said = text(&out);
    assert!(!said.contains("panicked"), "{said}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The file's lines, each with its newline.
fn lines(file: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(file).expect("journal");
    bytes
        .split_inclusive(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

fn write_lines(file: &Path, lines: &[Vec<u8>]) {
    std::fs::write(file, lines.concat()).expect("rewrite journal");
}

/// Asserts that the audit of a tampered `file` exits 2 naming `line` as the first
/// broken one, and says that nothing from it on can be trusted.
fn broken_at(dir: &Path, file: &Path, line: usize) {
    let (code, out, err) = audit(dir, file, false);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains(&format!("broken at line {line}:")),
        "line {line} not named: {err}"
    );
    assert!(
        err.contains(&format!("nothing from line {line} on can be trusted")),
        "{err}"
    );
    assert!(out.contains(&format!("BROKEN at line {line}")), "{out}");
}

#[test]
fn an_intact_journal_lists_the_command_and_the_files_applied() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (dir, file) = applied(tmp.path());
    let (code, out, err) = audit(&dir, &file, false);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("intact: all "), "{out}");
    assert!(
        out.contains("ana ran: cutover apply --batch 1 --operator ana"),
        "{out}"
    );
    assert!(out.contains("files applied (4)"), "{out}");
    for v in ["0001", "0002", "0003", "0004"] {
        assert!(out.contains(&format!(")  {v} ")), "{v} missing: {out}");
    }
    assert!(
        out.contains("apply succeeded; the session ended cleanly"),
        "{out}"
    );
    assert!(out.contains("operator  ana on "), "{out}");
    assert!(!err.contains("warning"), "{err}");
}

#[test]
fn json_holds_the_chain_the_session_and_what_was_done() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (dir, file) = applied(tmp.path());
    let (code, out, err) = audit(&dir, &file, true);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(v["integrity"]["status"], "intact", "{v:#}");
    let n = lines(&file).len() as u64;
    assert_eq!(v["integrity"]["verified_lines"], n);
    assert_eq!(v["session"]["operator"], "ana");
    assert_eq!(v["session"]["mode"], "apply");
    assert_eq!(v["session"]["plan"], "shop v2 cutover (demo)");
    assert_eq!(v["session"]["plan_sha256"].as_str().map(str::len), Some(64));
    assert!(v["session"]["started"]
        .as_str()
        .is_some_and(|s| s.ends_with('Z')));
    assert!(v["session"]["ended"].is_string(), "{v:#}");
    assert_eq!(v["actions"][0]["kind"], "command");
    let applied: Vec<&str> = v["applied"]
        .as_array()
        .expect("applied")
        .iter()
        .filter_map(|f| f["version"].as_str())
        .collect();
    assert_eq!(applied, ["0001", "0002", "0003", "0004"]);
    assert_eq!(v["rolled_back"].as_array().map(Vec::len), Some(0));
    assert_eq!(v["checks_failed"].as_array().map(Vec::len), Some(0));
    assert_eq!(v["outcome"]["ended_cleanly"], true);
    assert_eq!(v["outcome"]["jobs"][0]["job"], "apply");
    assert_eq!(v["outcome"]["jobs"][0]["outcome"], "succeeded");
}

#[test]
fn one_edited_byte_is_caught_at_its_line() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (dir, file) = applied(tmp.path());
    let mut all = lines(&file);
    let n = all.len() / 2;
    let line = &mut all[n - 1];
    // One digit of the input's own time, inside the hashed payload.
    let at = line
        .windows(8)
        .position(|w| w == b"\"at_ms\":")
        .expect("an input time")
        + 8;
    line[at] = if line[at] == b'9' { b'8' } else { line[at] + 1 };
    write_lines(&file, &all);
    broken_at(&dir, &file, n);
    let (_, _, err) = audit(&dir, &file, false);
    assert!(err.contains("the line was edited"), "{err}");
}

#[test]
fn a_deleted_line_is_caught_where_it_was() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (dir, file) = applied(tmp.path());
    let mut all = lines(&file);
    all.remove(9); // line 10
    write_lines(&file, &all);
    broken_at(&dir, &file, 10);
}

#[test]
fn a_duplicated_line_is_caught_at_the_copy() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (dir, file) = applied(tmp.path());
    let mut all = lines(&file);
    let copy = all[11].clone(); // line 12, again as line 13
    all.insert(12, copy);
    write_lines(&file, &all);
    broken_at(&dir, &file, 13);
}

#[test]
fn two_swapped_lines_are_caught_at_the_first() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (dir, file) = applied(tmp.path());
    let mut all = lines(&file);
    all.swap(6, 7); // lines 7 and 8
    write_lines(&file, &all);
    broken_at(&dir, &file, 7);
}

#[test]
fn an_edited_header_is_tampering_not_some_other_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (dir, file) = applied(tmp.path());
    let mut all = lines(&file);
    let head = String::from_utf8(all[0].clone()).expect("utf-8");
    all[0] = head.replace("\"ana\"", "\"eve\"").into_bytes();
    write_lines(&file, &all);
    let (code, out, err) = audit(&dir, &file, false);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("line 1 (the session header)"), "{err}");
    assert!(
        err.contains("nothing in this journal can be trusted"),
        "{err}"
    );
}

#[test]
fn a_journal_cut_off_mid_line_is_truncated_not_tampered() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (dir, file) = applied(tmp.path());
    let bytes = std::fs::read(&file).expect("journal");
    let n = lines(&file).len();
    std::fs::write(&file, &bytes[..bytes.len() - 7]).expect("cut");
    let (code, out, err) = audit(&dir, &file, false);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("warning:") && err.contains("truncated"),
        "{err}"
    );
    assert!(
        err.contains(&format!("line {n} was cut off mid-line")),
        "{err}"
    );
    assert!(out.contains("truncated: "), "{out}");
    // The cut line was the session's end: the audit says it did not end cleanly.
    assert!(out.contains("did not end cleanly"), "{out}");
    assert!(out.contains("files applied (4)"), "{out}");
}

#[test]
fn a_session_without_its_end_did_not_end_cleanly() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (dir, file) = applied(tmp.path());
    let mut all = lines(&file);
    all.pop(); // the session's end, whole: a kill -9 after the last sync
    write_lines(&file, &all);
    let (code, out, err) = audit(&dir, &file, true);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["integrity"]["status"], "intact");
    assert_eq!(v["outcome"]["ended_cleanly"], false);
    assert!(v["session"]["ended"].is_null(), "{v:#}");
    assert!(
        v["outcome"]["summary"]
            .as_str()
            .is_some_and(|s| s.contains("crashed or was killed")),
        "{v:#}"
    );
}

#[test]
fn all_lists_each_session_with_its_operator_and_outcome() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (dir, _) = applied(tmp.path());
    let out = cutover(
        &dir,
        &["rollback", "--batch", "1", "--yes", "--operator", "bob"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let files = journals(&dir);
    assert_eq!(files.len(), 2, "{files:?}");
    let (code, said, err) = audit(&dir, &files[1], false);
    assert_eq!(code, 0, "{said}{err}");
    assert!(said.contains("files rolled back (4)"), "{said}");
    assert!(
        said.contains("bob ran: cutover rollback --batch 1"),
        "{said}"
    );

    let out = cutover(&dir, &["audit", "--all"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    let rows: Vec<&str> = said.lines().filter(|l| l.contains(".jsonl")).collect();
    assert_eq!(rows.len(), 2, "{said}");
    assert!(
        rows[0].contains("apply") && rows[0].contains("ana"),
        "{said}"
    );
    assert!(
        rows[0].contains("apply succeeded") && rows[0].contains("intact"),
        "{said}"
    );
    assert!(
        rows[1].contains("rollback") && rows[1].contains("bob"),
        "{said}"
    );
    assert!(rows[1].contains("rollback succeeded"), "{said}");

    let out = cutover(&dir, &["audit", "--all", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON array");
    let who: Vec<&str> = v
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|s| s["operator"].as_str())
        .collect();
    assert_eq!(who, ["ana", "bob"], "{v:#}");
    assert_eq!(v[1]["outcome"], "rollback succeeded", "{v:#}");

    // From elsewhere, with -p; and one broken journal makes it exit 2.
    let mut all = lines(&files[0]);
    all.swap(3, 4);
    write_lines(&files[0], &all);
    let plan = dir.join("cutover.toml").display().to_string();
    let out = cutover(tmp.path(), &["audit", "--all", "-p", &plan]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("BROKEN at line 4"), "{said}");
    assert!(
        said.contains("1 of 2 journals cannot be trusted or read"),
        "{said}"
    );
}

#[test]
fn all_on_a_folder_without_sessions_says_so() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = cutover(tmp.path(), &["audit", "--all"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("no sessions recorded in"),
        "{}",
        text(&out)
    );
}

#[test]
fn what_is_not_a_journal_is_refused_with_a_message() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    std::fs::write(dir.join("garbage.jsonl"), "hello\nworld\n").expect("write");
    std::fs::write(dir.join("empty.jsonl"), "").expect("write");
    let cases = [
        ("garbage.jsonl", "is not a cutover session journal"),
        ("empty.jsonl", "the file is empty"),
        ("missing.jsonl", "cannot read"),
    ];
    for (file, says) in cases {
        let (code, out, err) = audit(dir, Path::new(file), false);
        assert_eq!(code, 2, "{file}: {out}{err}");
        assert!(err.contains(says), "{file}: {err}");
        assert!(err.contains(file), "{file} not named: {err}");
        assert!(out.is_empty(), "{file}: {out}");
    }
}

#[test]
fn a_failed_check_shows_in_the_audit() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (dir, _) = applied(tmp.path());
    let url = format!("sqlite://{}", dir.join("shop.db").display());
    block_on(async {
        let mut c = cutover::db::connect(&info(&url)).await.expect("connect").0;
        let sql =
            "DELETE FROM order_items WHERE order_id > 59000; DELETE FROM orders WHERE id > 59000;";
        c.execute(sql)
            .await
            .unwrap_or_else(|f| panic!("{sql}: {}", f.message));
        c.close().await;
    });
    let out = cutover(&dir, &["validate", "--batch", "1", "--operator", "cy"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let files = journals(&dir);
    let (code, said, err) = audit(&dir, &files[1], true);
    assert_eq!(code, 0, "{said}{err}");
    let v: serde_json::Value = serde_json::from_str(&said).expect("json");
    let failed = v["checks_failed"].as_array().expect("checks_failed");
    let orders = failed
        .iter()
        .find(|c| c["table"] == "orders" && c["kind"] == "row_count")
        .unwrap_or_else(|| panic!("no failed row count of orders: {v:#}"));
    assert_eq!(orders["severity"], "critical", "{orders}");
    assert!(orders["detail"].as_str().is_some_and(|d| !d.is_empty()));
    assert_eq!(v["session"]["operator"], "cy");
    let (_, text_out, _) = audit(&dir, &files[1], false);
    assert!(
        text_out.contains("critical \"row_count orders"),
        "{text_out}"
    );
}

/// A cockpit session: the apply asked for, a typed confirmation wrong then right, the
/// rollback's files, and the session's end (recorded after the screen closed).
#[test]
fn a_cockpit_session_lists_confirmations_right_and_wrong() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = Screen::demo_rolled_back_after_a_wrong_word(tmp.path());
    let files = journals(&dir);
    assert_eq!(files.len(), 1, "{files:?}");
    let (code, out, err) = audit(&dir, &files[0], false);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("session   cockpit on "), "{out}");
    let actions = out
        .split("operator actions")
        .nth(1)
        .and_then(|a| a.split("files applied").next())
        .expect("an actions section");
    let at = |needle: &str| {
        actions
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in {actions}"))
    };
    let asked = at("asked to apply batch 1");
    let wrong = at("typed \"wrong\" for \"Roll back batch 1 simple-replacements\"");
    let right =
        at("confirmed \"Roll back batch 1 simple-replacements\" with \"simple-replacements\"");
    assert!(
        asked < wrong && wrong < right,
        "in the order done: {actions}"
    );
    at("(expected \"simple-replacements\"): nothing done");
    assert!(out.contains("files applied (4)"), "{out}");
    assert!(out.contains("files rolled back (4)"), "{out}");
    assert!(
        out.contains("apply succeeded, rollback succeeded; the session ended cleanly"),
        "{out}"
    );
}

/// SIGKILL mid-session: the audit holds (nothing was tampered with) and says the session
/// did not end cleanly.
#[cfg(unix)]
#[test]
fn a_killed_cockpit_did_not_end_cleanly() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (mut s, dir) = Screen::demo(tmp.path(), 120, 40);
    s.wait_for("simple-replacements", 30);
    s.send("A");
    s.wait_for("apply finished", 60);
    let pid = s.child.process_id().expect("pid");
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    s.wait_exit(20);
    let files = journals(&dir);
    let (code, out, err) = audit(&dir, &files[0], false);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("did not end cleanly"), "{out}");
    assert!(out.contains("crashed or was killed"), "{out}");
    assert!(out.contains("files applied (4)"), "{out}");
    let out = cutover(&dir, &["audit", "--all"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("no end recorded"), "{}", text(&out));
}
