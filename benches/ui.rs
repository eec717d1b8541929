//! Cockpit performance, `cargo bench --bench ui`:
//!
//! - draw: one full 200x60 frame with 1,000 files and 10,000 log lines (target: median < 1 ms)
//! - reducer: events folded per second (target: >= 1M/s)
//! - key latency: a key press until the frame showing it, while a job streams 100k events/s
//!   through the real event loop (target: < 50 ms); and again recording every input to a
//!   real session journal while the job streams 200k events/s (issue: the journal writer
//!   sustains 200k inputs/s without the key-to-frame latency passing 50 ms)
//! - idle: CPU used by the real `cutover demo` cockpit doing nothing, in a pseudo-terminal
//!   (target: < 1% of one core)

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use cutover::event::{Event, FileStatus, Level, PlanBatch, PlanFile, Stamped};
use cutover::ui::app::{event_loop, event_loop_recorded, Record};
use cutover::ui::record::{JournalRecorder, SessionInfo};
use cutover::ui::state::{Input, State};
use cutover::ui::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const T0: i64 = 1_795_000_000_000;

fn big_state() -> State {
    let mut s = State::default();
    let mut fx = Vec::new();
    let files = (0..1000)
        .map(|i| PlanFile {
            version: format!("{i:04}"),
            name: format!("migration number {i} with a longer name"),
            file: format!("{i:04}_migration.sql"),
            sql: "CREATE TABLE t (id INT);".into(),
            note: None,
        })
        .collect();
    let ev = |e| {
        Input::Engine(Stamped {
            at_ms: T0,
            event: e,
        })
    };
    s.apply(
        &ev(Event::SessionStarted {
            plan: "bench".into(),
            target: "sqlite://bench.db".into(),
            operator: "bench".into(),
            host: "h".into(),
            version: "0".into(),
        }),
        &mut fx,
    );
    s.apply(
        &ev(Event::PlanLoaded {
            batches: vec![PlanBatch {
                name: "all".into(),
                risk: "high".into(),
                files,
            }],
        }),
        &mut fx,
    );
    for i in 0..10_000 {
        s.apply(
            &ev(Event::Log {
                level: Level::Info,
                text: format!("log line {i}: something happened to a file"),
            }),
            &mut fx,
        );
    }
    for i in 0..500 {
        s.apply(
            &ev(Event::FileStatus {
                version: format!("{i:04}"),
                status: FileStatus::Applied,
                detail: None,
            }),
            &mut fx,
        );
    }
    s.selected_file = 700;
    s
}

/// Lines in a file.
fn count_lines(p: &std::path::Path) -> usize {
    std::fs::read(p).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn bench_draw() {
    let s = big_state();
    let theme = Theme::load(
        None,
        std::path::Path::new("."),
        cutover::ui::theme::Depth::TrueColor,
    )
    .expect("theme");
    let mut term = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    let mut times = Vec::new();
    for i in 0..400 {
        // Alternate the selection so every frame has something to change.
        let mut st = s.clone();
        st.selected_file = 600 + i % 50;
        let t = Instant::now();
        term.draw(|f| cutover::ui::view::draw(f, &st, &theme))
            .expect("draw");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let m = median(&mut times[50..]);
    println!("draw 200x60, 1,000 files, 10,000 log lines: median {m:.3} ms/frame (target < 1 ms)");
}

fn bench_reducer() {
    let mut s = big_state();
    let n = 2_000_000;
    let inputs: Vec<Input> = (0..n)
        .map(|i| {
            Input::Engine(Stamped {
                at_ms: T0 + i as i64,
                event: Event::StatementStarted {
                    version: format!("{:04}", 500 + i % 400),
                    index: i % 7 + 1,
                    total: 7,
                    line: 3,
                },
            })
        })
        .collect();
    let mut fx = Vec::new();
    let t = Instant::now();
    for inp in &inputs {
        s.apply(inp, &mut fx);
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "reducer: {:.2}M events/s (target >= 1M/s)",
        n as f64 / secs / 1e6
    );
}

fn bench_key_latency(journal: bool) {
    let rate = if journal { 200_000.0 } else { 100_000.0 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        let (etx, mut erx) = tokio::sync::mpsc::channel::<Stamped>(4096);
        let (ktx, krx) = tokio::sync::mpsc::unbounded_channel::<std::io::Result<TermEvent>>();
        let (ctx, _crx) = cutover::engine::Commands::channel();
        let stop = Arc::new(AtomicBool::new(false));
        // Plan first, then a producer at 100k events/s in 1 ms bursts.
        for e in [
            Event::SessionStarted { plan: "bench".into(), target: "t".into(), operator: "o".into(), host: "h".into(), version: "0".into() },
            Event::PlanLoaded { batches: vec![PlanBatch { name: "all".into(), risk: "low".into(), files: (0..1000).map(|i| PlanFile { version: format!("{i:04}"), name: format!("m{i}"), file: format!("{i:04}.sql"), sql: String::new(), note: None }).collect() }] },
            Event::JobStarted { job: "apply".into() },
        ] {
            etx.send(Stamped { at_ms: T0, event: e }).await.expect("send");
        }
        let producer = {
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut i = 0usize;
                let mut sent = 0u64;
                let start = Instant::now();
                // Paced by the clock: catch up to 100k events per elapsed second, then
                // sleep a little (tokio's sleeps run long, so a fixed burst undershoots).
                while !stop.load(Ordering::Relaxed) {
                    let due = (start.elapsed().as_secs_f64() * rate) as u64;
                    while sent < due {
                        let ev = Event::StatementStarted { version: format!("{:04}", i % 1000), index: i % 9 + 1, total: 9, line: 1 };
                        if etx.send(Stamped { at_ms: T0, event: ev }).await.is_err() {
                            return sent as f64 / start.elapsed().as_secs_f64();
                        }
                        i += 1;
                        sent += 1;
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                sent as f64 / start.elapsed().as_secs_f64()
            })
        };
        // Keys: 'j' moves the file cursor; the draw hook sees when the frame shows it.
        let pressed: Arc<Mutex<Option<(Instant, usize)>>> = Arc::new(Mutex::new(None));
        let samples: Arc<Mutex<Vec<f64>>> = Arc::new(Mutex::new(Vec::new()));
        let keys = {
            let pressed = pressed.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                // Focus the files panel, then press j every 40 ms.
                let _ = ktx.send(Ok(TermEvent::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE))));
                tokio::time::sleep(Duration::from_millis(50)).await;
                for n in 1..=100usize {
                    *pressed.lock().expect("lock") = Some((Instant::now(), n));
                    let _ = ktx.send(Ok(TermEvent::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE))));
                    tokio::time::sleep(Duration::from_millis(40)).await;
                }
                let _ = ktx.send(Ok(TermEvent::Key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE))));
                stop.store(true, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            })
        };
        let input = futures_util::stream::unfold(krx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) });
        let input = Box::pin(input);
        let mut term = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
        let theme = Theme::monochrome();
        let mut signals = cutover::signals::Signals::register_without_interrupt();
        let mut hook = |s: &State| {
            let mut p = pressed.lock().expect("lock");
            if let Some((t, n)) = *p {
                if s.selected_file >= n {
                    samples.lock().expect("lock").push(t.elapsed().as_secs_f64() * 1000.0);
                    *p = None;
                }
            }
        };
        // The job never finishes, so 'q' would ask; end the loop when the keys are done.
        let tmp = tempfile::tempdir().expect("tmp");
        let mut rec = JournalRecorder::new(tmp.path().join("sessions"), T0, None);
        if journal {
            let record = Record { session: SessionInfo::default(), recorder: &mut rec };
            let lp = event_loop_recorded(&mut term, input, &mut erx, &theme, &ctx, &mut signals, Some(&mut hook), false, record);
            let _ = tokio::time::timeout(Duration::from_secs(10), lp).await;
        } else {
            let lp = event_loop(&mut term, input, &mut erx, &theme, &ctx, &mut signals, Some(&mut hook), false);
            let _ = tokio::time::timeout(Duration::from_secs(10), lp).await;
        }
        let path = rec.path();
        let _ = rec.finish();
        let lines = path.map(|p| count_lines(&p));
        stop.store(true, Ordering::Relaxed);
        let _ = keys.await;
        let rate = producer.await.unwrap_or(0.0);
        let mut v = samples.lock().expect("lock").clone();
        let n = v.len();
        let m = median(&mut v);
        let max = v.last().copied().unwrap_or(f64::NAN);
        let recording = match lines {
            Some(l) => format!(", every input journaled ({l} lines)"),
            None => String::new(),
        };
        println!(
            "key to screen while streaming {:.0}k events/s{recording}: median {m:.2} ms, max {max:.2} ms over {n} keys (target < 50 ms)",
            rate / 1000.0
        );
    });
}

fn bench_idle() {
    use portable_pty::{native_pty_system, CommandBuilder, PtySize};
    use std::io::Read;
    let tmp = tempfile::tempdir().expect("tempdir");
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("pty");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_cutover"));
    cmd.args(["demo", "--dir"]);
    cmd.arg(tmp.path().join("demo"));
    cmd.env("TERM", "xterm-256color");
    let mut child = pty.slave.spawn_command(cmd).expect("spawn");
    let mut reader = pty.master.try_clone_reader().expect("reader");
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while matches!(reader.read(&mut buf), Ok(n) if n > 0) {}
    });
    let Some(pid) = child.process_id() else {
        return;
    };
    let ticks = || -> Option<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let after = stat.rsplit_once(')')?.1;
        let f: Vec<&str> = after.split_whitespace().collect();
        Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
    };
    std::thread::sleep(Duration::from_secs(3));
    let (a, t) = (ticks(), Instant::now());
    std::thread::sleep(Duration::from_secs(20));
    let (b, secs) = (ticks(), t.elapsed().as_secs_f64());
    let _ = child.kill();
    if let (Some(a), Some(b)) = (a, b) {
        // /proc counts in clock ticks of 1/100 s on Linux.
        let pct = (b - a) as f64 / 100.0 / secs * 100.0;
        println!(
            "idle cockpit: {pct:.2}% of one core over {secs:.0} s ({} ticks; target < 1%)",
            b - a
        );
    }
}

fn main() {
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let run = |name: &str| only.as_deref().is_none_or(|o| name.contains(o));
    if run("draw") {
        bench_draw();
    }
    if run("reducer") {
        bench_reducer();
    }
    if run("latency") {
        bench_key_latency(false);
    }
    if run("journal") {
        bench_key_latency(true);
    }
    if run("idle") {
        bench_idle();
    }
}
