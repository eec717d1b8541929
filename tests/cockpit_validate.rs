//! Checks and benchmarks from the cockpit as a person uses them: the real binary in a
//! pseudo-terminal on the demo. Applying a batch shows each file's checks; `v` gives
//! the batch its verdict; `b` draws the benchmarks' sparklines, which fill while keys
//! still answer.

mod common;
mod screen;
use screen::Screen;
use std::time::{Duration, Instant};

/// A benchmark slow enough (a recursive count, about 20-60 ms a run on SQLite) that a
/// person, and this test, can watch its sparkline fill.
const SLOW_BENCH: &str = r#"
  [[batch.bench]]
  name = "slow count"
  query = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 150000) SELECT count(*) FROM c"
  runs = 80
  p95_ms = 5000
"#;

/// The benchmarks panel's rows that hold `name` and the row under it (its sparkline).
fn bench_rows(screen: &str, name: &str) -> Option<(String, String)> {
    let lines: Vec<&str> = screen.lines().collect();
    let i = lines.iter().position(|l| l.contains(name))?;
    let cell = |l: &str| l.split('│').nth(1).unwrap_or_default().to_string();
    Some((cell(lines[i]), cell(lines.get(i + 1)?)))
}

fn bars(s: &str) -> usize {
    s.chars().filter(|c| "▁▂▃▄▅▆▇█".contains(*c)).count()
}

#[test]
fn applying_shows_file_checks_and_v_gives_the_batch_its_verdict() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut s, _dir) = Screen::demo(tmp.path(), 120, 36);
    s.wait_for("simple-replacements", 30);
    s.send("A");
    s.wait_for("apply finished", 120);
    // Each applied file shows its checks passed of total (integrity, the orphans of
    // each foreign key): none shows before a check ran.
    let screen = s.text();
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("✔ applied") || l.contains("✓ validated"))
        .collect();
    assert_eq!(rows.len(), 4, "{screen}");
    for row in &rows {
        let cell = row.trim_end().trim_end_matches('│').trim_end();
        let last = cell.split_whitespace().last().unwrap_or_default();
        let (passed, total) = last
            .split_once('/')
            .unwrap_or_else(|| panic!("no checks: {row}"));
        assert_eq!(passed, total, "every check passes on the demo: {row}");
        assert!(total.parse::<u32>().expect("a count") >= 1, "{row}");
    }
    s.send("v");
    s.wait_for("validate finished", 120);
    let screen = s.wait_for("✔ checks passed", 10);
    assert!(screen.contains("validated: "), "{screen}");
    s.send("q");
    assert_eq!(s.wait_exit(20), 0);
}

#[test]
fn b_fills_the_sparklines_while_keys_still_answer() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut s, dir) = Screen::demo(tmp.path(), 120, 36);
    s.wait_for("simple-replacements", 30);
    s.send("A");
    s.wait_for("apply finished", 120);
    s.send("q");
    assert_eq!(s.wait_exit(20), 0);
    // The demo's plan, with one more benchmark in its last batch.
    let plan = dir.join("cutover.toml");
    let mut text = std::fs::read_to_string(&plan).expect("plan");
    text.push_str(SLOW_BENCH);
    std::fs::write(&plan, text).expect("plan");

    let mut s = Screen::spawn(&["-p", plan.to_str().expect("utf8")], tmp.path(), 120, 36);
    s.wait_for("none yet · b runs them", 30);
    s.send("b");
    // The slow benchmark runs: its sparkline grows over time.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen: Vec<String> = Vec::new();
    let mut answered = false;
    loop {
        let screen = s.text();
        if let Some((head, spark)) = bench_rows(&screen, "slow count") {
            if head.contains('⟳') && bars(&spark) > 0 && seen.last() != Some(&spark) {
                seen.push(spark);
            }
            // Keys answer in the middle of it: help opens and closes, the selection
            // moves, while the samples keep coming.
            if !answered && seen.len() >= 2 {
                s.send("?");
                s.wait_for("Keys · Esc to close", 5);
                s.send("\x1b");
                s.wait_gone("Keys · Esc to close", 5);
                s.send("\t\t");
                s.wait_for("▸ Benchmarks", 5);
                answered = true;
            }
            if !head.contains('⟳') && !seen.is_empty() {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the bench never ended:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        answered,
        "the bench ended before a key could be tried: {seen:?}"
    );
    assert!(
        seen.len() >= 3,
        "the sparkline should change while it runs: {seen:?}"
    );
    assert!(
        bars(&seen[seen.len() - 1]) > bars(&seen[0]),
        "it fills: {seen:?}"
    );
    // The job's end: "bench finished", or "bench failed" when a benchmark of the demo
    // went over its threshold on a loaded machine.
    let done = s.wait_for("bench f", 60);
    let (head, spark) = bench_rows(&done, "slow count").expect("the slow bench");
    assert!(head.contains("✔ ok"), "{done}");
    assert!(spark.contains("p95"), "{done}");
    // Its detail shows the query plan.
    s.send("G\r");
    let detail = s.wait_for("Plan (EXPLAIN):", 10);
    assert!(detail.contains("Benchmark slow count"), "{detail}");
    s.send("\x1b");
    s.wait_gone("Plan (EXPLAIN):", 10);
    s.send("q");
    assert_eq!(s.wait_exit(20), 0);
}

#[test]
fn going_on_past_a_failed_batch_needs_its_name_typed_and_is_recorded() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut s, dir) = Screen::demo(tmp.path(), 120, 36);
    s.wait_for("simple-replacements", 30);
    s.send("q");
    assert_eq!(s.wait_exit(20), 0);
    // Batch 1's critical row count cannot pass: its validation fails.
    let plan = dir.join("cutover.toml");
    let text = std::fs::read_to_string(&plan).expect("plan");
    assert!(text.contains("compare = { min = 60000 }"), "{text}");
    let text = text.replace("compare = { min = 60000 }", "compare = { min = 999999999 }");
    std::fs::write(&plan, text).expect("plan");

    let mut s = Screen::spawn(&["-p", plan.to_str().expect("utf8")], tmp.path(), 120, 36);
    s.wait_for("simple-replacements", 30);
    s.send("A");
    s.wait_for("✖ checks FAILED", 120);
    s.wait_for("apply f", 60);
    // Batch 2 waits behind the typed name of batch 1.
    s.send("jA");
    let dialog = s.wait_for("Type simple-replacements and press Enter to go on", 10);
    assert!(
        dialog.contains("✖ critical"),
        "the finding is listed: {dialog}"
    );
    s.send("service-layer\r");
    s.wait_for(
        "\"service-layer\" is not \"simple-replacements\": nothing done",
        10,
    );
    s.wait_for("wrong word typed, nothing done", 10);
    s.send("simple-replacements\r");
    s.wait_gone("Type simple-replacements", 10);
    s.wait_for("⚑ forced by", 120);
    s.wait_for("3/3 · ✔ done", 120);
    s.wait_for("apply finished", 120);
    s.send("q");
    assert_eq!(s.wait_exit(20), 0);
    // The state database records the override with the reason.
    let state = common::TestDb::sqlite_at(&dir.join(".cutover/state.db"));
    let reasons = state.strings("SELECT reason FROM overrides");
    assert!(
        reasons
            .iter()
            .any(|r| r == "confirmed in the cockpit by typing simple-replacements"),
        "{reasons:?}"
    );
}
