//! Session journal performance, `cargo bench --bench journal`:
//!
//! - writer: inputs journaled per second, from the event loop's side (hand-over) and to
//!   the file being closed (target: >= 200k inputs/s)
//! - replay: a 1M-input journal read, its chain checked, folded and drawn to its final
//!   frame (target: < 3 s)
//! - key latency: a key press until the frame showing it, through the real event loop
//!   recording to a real journal while a job streams 200k events/s (target: < 50 ms)
//!
//! `CUTOVER_BENCH_RUNS` sets the rounds (default 5); medians are printed.

use cutover::event::{Action, Event, FileStatus, Input, Level, PlanBatch, PlanFile, Stamped};
use cutover::journal::{self, Writer};
use cutover::ui::record::{initial, refold_from, SessionHeader, SessionInfo};
use cutover::ui::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::time::Instant;

const T0: i64 = 1_795_000_000_000;
const N: usize = 1_000_000;

fn header() -> SessionHeader {
    let mut h = SessionHeader::new(
        200,
        60,
        &Theme::monochrome(),
        SessionInfo {
            plan: "bench".into(),
            target: "sqlite://bench.db".into(),
            operator: "bench".into(),
            host: "h".into(),
            version: "0".into(),
        },
    );
    h.recording = true;
    h
}

/// A session's worth of inputs: the plan, then a job's stream of statements, file
/// statuses and log lines, with a key now and then.
fn inputs(n: usize) -> Vec<Input> {
    let ev = |i: usize, event| {
        Input::Engine(Stamped {
            at_ms: T0 + (i / 100) as i64,
            event,
        })
    };
    let files = (0..1000)
        .map(|i| PlanFile {
            version: format!("{i:04}"),
            name: format!("migration {i}"),
            file: format!("{i:04}_migration.sql"),
            sql: "CREATE TABLE t (id INT);".into(),
            note: None,
        })
        .collect();
    let mut v = vec![
        Input::Resize {
            width: 200,
            height: 60,
            at_ms: T0,
        },
        ev(
            0,
            Event::SessionStarted {
                plan: "bench".into(),
                target: "t".into(),
                operator: "o".into(),
                host: "h".into(),
                version: "0".into(),
            },
        ),
        ev(
            0,
            Event::PlanLoaded {
                batches: vec![PlanBatch {
                    name: "all".into(),
                    risk: "low".into(),
                    files,
                }],
            },
        ),
        ev(
            0,
            Event::JobStarted {
                job: "apply".into(),
            },
        ),
    ];
    for i in v.len()..n {
        let version = format!("{:04}", (i / 1000) % 1000);
        let at_ms = T0 + (i / 100) as i64;
        // Every 10,000th input a key (synced, as an operator action is) and a file
        // applied (synced, as a checkpoint is): 200 sync requests in the million.
        v.push(match (i % 10_000, i % 100) {
            (0, _) => Input::Action {
                action: Action::Down,
                key: Some("j".into()),
                at_ms,
            },
            (1, _) => ev(
                i,
                Event::FileApplied {
                    version,
                    duration_ms: 12.5,
                },
            ),
            (_, 1) => ev(
                i,
                Event::FileStatus {
                    version,
                    status: FileStatus::Applying,
                    detail: None,
                },
            ),
            (_, 2) => ev(
                i,
                Event::Log {
                    level: Level::Info,
                    text: format!("line {i}: a statement of the file ran"),
                },
            ),
            _ => ev(
                i,
                Event::StatementStarted {
                    version,
                    index: i % 9 + 1,
                    total: 9,
                    line: 3,
                },
            ),
        });
    }
    v
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Writes `inputs` to a fresh journal in `dir`; returns (hand-over s, until closed s).
fn write(dir: &std::path::Path, inputs: &[Input]) -> (f64, f64, std::path::PathBuf) {
    let h = header();
    let mut w: Writer<Input> = Writer::create(dir, "bench", T0, &h).expect("journal");
    let t = Instant::now();
    for i in inputs {
        w.append(i.at_ms(), i.clone(), journal::sync_point(i))
            .expect("append");
    }
    let handed = t.elapsed().as_secs_f64();
    let path = w.finish().expect("finish");
    (handed, t.elapsed().as_secs_f64(), path)
}

fn bench_writer_and_replay(runs: usize) {
    let all = inputs(N);
    let mut hand = Vec::new();
    let mut closed = Vec::new();
    let mut replay = Vec::new();
    let mut reads = Vec::new();
    let mut size = 0;
    for _ in 0..runs {
        let tmp = tempfile::tempdir().expect("tmp");
        let (h, c, path) = write(tmp.path(), &all);
        hand.push(N as f64 / h);
        closed.push(N as f64 / c);
        let t = Instant::now();
        let j = journal::read::<SessionHeader, Input>(&path).expect("read");
        assert!(matches!(j.integrity, journal::Integrity::Intact { .. }));
        reads.push(t.elapsed().as_secs_f64());
        size = std::fs::metadata(&path).map_or(0, |m| m.len());
        let inputs: Vec<Input> = j.entries.into_iter().map(|e| e.input).collect();
        let state = refold_from(initial(&j.header), &inputs);
        let mut term =
            Terminal::new(TestBackend::new(j.header.width, j.header.height)).expect("term");
        let theme = Theme::monochrome();
        term.draw(|f| cutover::ui::view::draw(f, &state, &theme))
            .expect("draw");
        replay.push(t.elapsed().as_secs_f64());
    }
    println!(
        "journal writer, {N} inputs ({} MB, 200 sync requests): median {:.0}k inputs/s handed over, {:.0}k inputs/s written and closed (target >= 200k/s)",
        size / 1_000_000,
        median(&mut hand) / 1e3,
        median(&mut closed) / 1e3
    );
    println!(
        "replay of a {N}-input journal to its final frame (read, chain checked, folded, drawn): median {:.2} s, of which reading and checking {:.2} s (target < 3 s)",
        median(&mut replay),
        median(&mut reads)
    );
}

fn main() {
    let runs = std::env::var("CUTOVER_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let run = |name: &str| only.as_deref().is_none_or(|o| name.contains(o));
    if run("writer") || run("replay") {
        bench_writer_and_replay(runs);
    }
}
