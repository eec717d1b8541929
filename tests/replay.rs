//! `cutover replay`: a session recorded by the real binary in a pseudo-terminal (the
//! demo, batch 1 applied, quit) replays to the very screen the operator last saw: as
//! text (--headless), through a TestBackend of the recorded size, in a terminal (G),
//! and as an asciicast. An altered journal is refused with its line.

mod screen;
use cutover::journal::{self, Integrity};
use cutover::ui::record::SessionHeader;
use cutover::ui::replay;
use cutover::ui::state::Input;
use screen::Screen;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const COLS: u16 = 120;
const ROWS: u16 = 40;

/// A live session, recorded once for every test here.
struct Live {
    dir: PathBuf,
    journal: PathBuf,
    /// The live session's last frame, row by row.
    screen: Vec<String>,
}

fn live() -> &'static Live {
    static LIVE: OnceLock<Live> = OnceLock::new();
    LIVE.get_or_init(|| {
        // Kept for the whole test run: the tests read the journal in it.
        let tmp = tempfile::tempdir().expect("tempdir").keep();
        let (mut s, dir) = Screen::demo(&tmp, COLS, ROWS);
        s.wait_for("simple-replacements", 30);
        s.send("A");
        s.wait_for("apply finished", 90);
        s.send("q");
        assert_eq!(s.wait_exit(30), 0, "the demo quits cleanly");
        let screen = s.last_frame(COLS, ROWS);
        assert!(
            screen.iter().any(|r| r.contains("4/4")),
            "the live screen shows batch 1 done: {screen:#?}"
        );
        let journal = only_journal(&dir);
        Live {
            dir,
            journal,
            screen,
        }
    })
}

fn only_journal(dir: &Path) -> PathBuf {
    let sessions = dir.join(".cutover").join("sessions");
    let found: Vec<PathBuf> = std::fs::read_dir(&sessions)
        .expect("the sessions folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    assert_eq!(found.len(), 1, "one session recorded: {found:?}");
    found[0].clone()
}

fn cutover(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("run cutover")
}

fn assert_same_screen(live: &[String], other: &[String], what: &str) {
    assert_eq!(other.len(), live.len(), "{what}: rows\n{other:#?}");
    for (y, (a, b)) in live.iter().zip(other).enumerate() {
        assert_eq!(
            a,
            b,
            "{what}: row {y} differs\nlive:\n{}\n{what}:\n{}",
            live.join("\n"),
            other.join("\n")
        );
    }
}

#[test]
fn the_replay_ends_on_the_live_sessions_final_screen_headless_and_in_a_test_backend() {
    let live = live();
    // In process: the journal read, folded, drawn at the recorded size.
    let j = journal::read::<SessionHeader, Input>(&live.journal).expect("the journal");
    assert!(
        matches!(j.integrity, Integrity::Intact { .. }),
        "{:?}",
        j.integrity
    );
    assert_eq!((j.header.width, j.header.height), (COLS, ROWS));
    assert_eq!(j.header.mode, "cockpit");
    let inputs: Vec<&Input> = j.entries.iter().map(|e| &e.input).collect();
    let state = replay::final_state(&j.header, inputs.iter().copied());
    let (w, h) = replay::final_size(&j.header, inputs.iter().copied());
    assert_eq!((w, h), (COLS, ROWS));
    let (theme, note) = replay::theme_for(&j.header);
    assert_eq!(note, None, "a built-in theme");
    let drawn = replay::rows(&replay::render(&state, &theme, w, h));
    assert_same_screen(&live.screen, &drawn, "TestBackend");

    // The binary, headless: the heading, the timeline, then the final screen.
    let path = live.journal.to_str().expect("utf8");
    let out = cutover(&["replay", path, "--headless"], &live.dir);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for want in [
        "cockpit",
        "intact",
        &format!("inputs    {}", j.entries.len()),
    ] {
        assert!(text.contains(want), "heading shows {want:?}:\n{text}");
    }
    let heading = format!("final screen ({COLS}x{ROWS}):");
    let at = text
        .find(&heading)
        .unwrap_or_else(|| panic!("no {heading:?}:\n{text}"));
    let rows: Vec<String> = text[at..].lines().skip(1).map(str::to_string).collect();
    assert_same_screen(&live.screen, &rows, "--headless");
}

#[test]
fn the_replay_in_a_terminal_pauses_disables_action_keys_and_reaches_the_final_screen() {
    let live = live();
    let path = live.journal.to_str().expect("utf8");
    let mut s = Screen::spawn(&["replay", path, "--speed", "0.5"], &live.dir, COLS, ROWS);
    s.wait_for("REPLAY", 20);
    let total = journal::read::<SessionHeader, Input>(&live.journal)
        .expect("the journal")
        .entries
        .len();
    // To the start (paused), one input forward, back, then play and pause.
    s.send("g");
    s.wait_for(&format!("‖ paused x0.5 │ 0/{total} "), 10);
    s.send("\x1b[C");
    s.wait_for(&format!("‖ paused x0.5 │ 1/{total} "), 10);
    s.send("\x1b[C");
    s.wait_for(&format!("│ 2/{total} "), 10);
    s.send("\x1b[D");
    s.wait_for(&format!("│ 1/{total} "), 10);
    s.send("+");
    s.wait_for("‖ paused x1 │", 10);
    s.send(" ");
    s.wait_for("▶ playing x1", 10);
    s.send(" ");
    let paused = s.wait_for("‖ paused", 10);
    // Paused: nothing moves.
    std::thread::sleep(std::time::Duration::from_millis(600));
    assert_eq!(s.text(), paused, "a paused replay stays put");
    s.send("a");
    let refused = s.wait_for("action keys are disabled", 10);
    let body = |t: &str| {
        t.lines()
            .skip(1)
            .take(ROWS as usize - 2)
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        body(&refused),
        body(&paused),
        "a disabled key changes nothing"
    );
    s.send("G");
    let end = s.wait_for("■ end", 10);
    assert!(
        end.lines()
            .next()
            .is_some_and(|h| h.trim_end().ends_with("0h00m  REPLAY")),
        "{end}"
    );
    assert!(
        end.contains(&format!(" REPLAY ■ end x1 │ {total}/{total} │")),
        "{end}"
    );
    let rows: Vec<String> = s
        .parser
        .lock()
        .expect("parser")
        .screen()
        .rows(0, COLS)
        .map(|r| r.trim_end().to_string())
        .collect();
    // The same screen but for the replay's mark (the header's right end) and its bar
    // (over the key bar).
    let mark = " ● rec ".chars().count();
    let cut = |r: &str| r.chars().take(COLS as usize - mark).collect::<String>();
    assert_eq!(cut(&rows[0]).trim_end(), cut(&live.screen[0]).trim_end());
    let last = ROWS as usize - 1;
    assert_same_screen(&live.screen[1..last], &rows[1..last], "the replay at G");
    s.send("q");
    assert_eq!(s.wait_exit(10), 0);
}

#[test]
fn the_session_exports_as_an_asciicast_that_ends_on_the_final_screen() {
    let live = live();
    let tmp = tempfile::tempdir().expect("tempdir");
    let cast = tmp.path().join("session.cast");
    let path = live.journal.to_str().expect("utf8");
    let out = cutover(
        &["replay", path, "--to-cast", cast.to_str().expect("utf8")],
        &live.dir,
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("session.cast"), "says where: {said}");

    let text = std::fs::read_to_string(&cast).expect("the cast");
    let mut lines = text.lines();
    let head: serde_json::Value =
        serde_json::from_str(lines.next().expect("a header")).expect("JSON header");
    assert_eq!(head["version"], 2);
    assert_eq!(head["width"], COLS);
    assert_eq!(head["height"], ROWS);
    assert!(
        head["timestamp"]
            .as_i64()
            .is_some_and(|t| t > 1_600_000_000),
        "{head}"
    );
    assert_eq!(head["env"]["TERM"], "xterm-256color");
    let mut vt = vt100::Parser::new(ROWS, COLS, 0);
    let (mut last, mut frames) = (0.0f64, 0);
    for line in lines {
        let ev: serde_json::Value = serde_json::from_str(line).expect("a JSON event line");
        let ev = ev.as_array().expect("an array");
        assert_eq!(ev.len(), 3, "{line}");
        let t = ev[0].as_f64().expect("a time in seconds");
        assert!(t >= last, "times never go back: {t} after {last}");
        last = t;
        let data = ev[2].as_str().expect("a string");
        match ev[1].as_str() {
            Some("o") => {
                vt.process(data.as_bytes());
                frames += 1;
            }
            Some("r") => {
                let (w, h) = data.split_once('x').expect("COLSxROWS");
                vt.screen_mut()
                    .set_size(h.parse().expect("rows"), w.parse().expect("cols"));
            }
            other => panic!("unknown event {other:?}: {line}"),
        }
    }
    assert!(frames > 3, "{frames} frames");
    let rows: Vec<String> = vt
        .screen()
        .rows(0, COLS)
        .map(|r| r.trim_end().to_string())
        .collect();
    assert_same_screen(&live.screen, &rows, "the cast's last frame");
}

#[test]
fn an_altered_journal_is_refused_with_its_line_and_a_missing_one_too() {
    let live = live();
    let tmp = tempfile::tempdir().expect("tempdir");
    let bytes = std::fs::read(&live.journal).expect("journal");
    let text = String::from_utf8(bytes).expect("utf8");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let n = lines.len() / 2;
    // One byte of a middle line: a digit of its time.
    let line = &mut lines[n];
    let at = line.find("\"t_ms\":").expect("t_ms") + 7;
    let digit = line.as_bytes()[at];
    let flipped = if digit == b'9' {
        '8'
    } else {
        (digit + 1) as char
    };
    line.replace_range(at..at + 1, &flipped.to_string());
    let altered = tmp.path().join("altered.jsonl");
    std::fs::write(&altered, lines.join("\n") + "\n").expect("write");
    for extra in [&["--headless"][..], &[]] {
        let mut args = vec!["replay", altered.to_str().expect("utf8")];
        args.extend_from_slice(extra);
        let out = cutover(&args, tmp.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(&format!("altered at line {}", n + 1)), "{err}");
        assert!(err.contains("cutover audit"), "{err}");
        assert!(
            out.stdout.is_empty() || !String::from_utf8_lossy(&out.stdout).contains("final screen")
        );
    }

    // Cut off mid-line, as by a crash while writing: replayed, with a warning.
    let cut = tmp.path().join("cut.jsonl");
    let whole = text.len();
    std::fs::write(&cut, &text.as_bytes()[..whole - 20]).expect("write");
    let out = cutover(
        &["replay", cut.to_str().expect("utf8"), "--headless"],
        tmp.path(),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("warning") && err.contains("cut off"), "{err}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("truncated") && said.contains("final screen"),
        "{said}"
    );

    let missing = tmp.path().join("nope.jsonl");
    let out = cutover(
        &["replay", missing.to_str().expect("utf8"), "--headless"],
        tmp.path(),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("nope.jsonl") && !err.contains("panicked"),
        "{err}"
    );

    for (name, body) in [
        ("empty.jsonl", ""),
        ("notes.jsonl", "hello\n"),
        ("plan.toml", "[plan]\nname = \"x\"\n"),
    ] {
        let f = tmp.path().join(name);
        std::fs::write(&f, body).expect("write");
        let out = cutover(
            &["replay", f.to_str().expect("utf8"), "--headless"],
            tmp.path(),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(
            err.contains("not a cutover session journal") && !err.contains("panicked"),
            "{name}: {err}"
        );
    }

    // Without a terminal the cockpit replay says to use --headless.
    let out = cutover(
        &["replay", live.journal.to_str().expect("utf8")],
        tmp.path(),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--headless"), "{err}");
}
