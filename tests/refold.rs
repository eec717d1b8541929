//! The cockpit's one input stream, proved: a session on the demo plan is driven through
//! the real event loop (keys, a real apply of the demo's first file on SQLite, a help
//! dialog, a resize), its inputs are recorded, and folding the recording again into a
//! fresh state drawn on a fresh terminal of the same size gives the same screen, cell
//! for cell (styles included).

mod common;
use common::TestDb;
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use cutover::command::Command;
use cutover::db::ConnectInfo;
use cutover::engine::{Sessions, Setup, Workspace};
use cutover::event::{Event, FileStatus, Stamped};
use cutover::ui::app::{event_loop_recorded, Exit, Record};
use cutover::ui::record::{refold, Recording, SessionInfo};
use cutover::ui::state::{Input, State};
use cutover::ui::theme::{Depth, Theme};
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use ratatui::Terminal;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// A `TestBackend` whose size the test changes from outside, as a window manager
/// changes a real terminal's: the loop reads the new size when the resize event comes.
struct Resizable {
    inner: TestBackend,
    size: Arc<Mutex<(u16, u16)>>,
}

impl Resizable {
    fn wanted(&self) -> (u16, u16) {
        *self.size.lock().expect("size")
    }

    /// Gives the inner backend the size the "window" has now.
    fn sync(&mut self) {
        let (w, h) = self.wanted();
        let now = self.inner.buffer().area;
        if (now.width, now.height) != (w, h) {
            self.inner.resize(w, h);
        }
    }
}

impl Backend for Resizable {
    type Error = std::convert::Infallible;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.sync();
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, p: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(p)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.sync();
        self.inner.clear()
    }
    fn clear_region(&mut self, t: ClearType) -> Result<(), Self::Error> {
        self.sync();
        self.inner.clear_region(t)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        let (w, h) = self.wanted();
        Ok(Size::new(w, h))
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.sync();
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()
    }
}

fn workspace(plan_path: &Path) -> (Workspace, ConnectInfo) {
    let plan = cutover::plan::load(plan_path).expect("plan");
    let opts = cutover::source::ReadOptions {
        format: plan.migrations.format,
        pattern: plan.migrations.pattern.clone(),
    };
    let folder = cutover::source::read_folder(&plan.migrations.dir, &opts).expect("folder");
    let batches = cutover::plan::resolve_batches(&plan, &folder.migrations).expect("batches");
    let target = ConnectInfo {
        url: plan.target.url.clone(),
        display: cutover::plan::redacted_url(&plan.target.url),
        init_sql: plan.target.init_sql.clone(),
        create_missing: true,
    };
    let ws = Workspace {
        plan,
        folder,
        batches,
    };
    (ws, target)
}

/// What the last frame showed, for the driver to wait on.
#[derive(Debug, Clone, Default)]
struct Seen {
    files: usize,
    applied: usize,
    job: bool,
    width: u16,
}

fn seen(s: &State) -> Seen {
    Seen {
        files: s.files.len(),
        applied: s
            .files
            .iter()
            // Applied, then validated once its checks after the file passed.
            .filter(|f| matches!(f.status, FileStatus::Applied | FileStatus::Validated))
            .count(),
        job: s.job.is_some(),
        width: s.width,
    }
}

type Keys = mpsc::UnboundedSender<std::io::Result<TermEvent>>;

fn press(keys: &Keys, code: KeyCode) {
    let k = KeyEvent::new(code, KeyModifiers::NONE);
    keys.send(Ok(TermEvent::Key(k))).expect("loop reads keys");
}

async fn until(screen: &mut watch::Receiver<Seen>, what: &str, ok: impl Fn(&Seen) -> bool) {
    let wait = tokio::time::timeout(Duration::from_secs(60), screen.wait_for(|s| ok(s)))
        .await
        .map(|r| r.is_ok());
    match wait {
        Ok(true) => {}
        _ => panic!("the screen never showed {what}: {:?}", *screen.borrow()),
    }
}

/// The operator: looks around, applies the next file, reads help, resizes, quits.
async fn operator(keys: Keys, mut screen: watch::Receiver<Seen>, size: Arc<Mutex<(u16, u16)>>) {
    until(&mut screen, "the plan", |s| s.files == 10).await;
    press(&keys, KeyCode::Char('j'));
    press(&keys, KeyCode::Tab);
    press(&keys, KeyCode::Char('j'));
    press(&keys, KeyCode::Char('a'));
    until(&mut screen, "the first file applied", |s| {
        s.applied == 1 && !s.job
    })
    .await;
    press(&keys, KeyCode::Char('?'));
    press(&keys, KeyCode::Esc);
    press(&keys, KeyCode::Char('k'));
    *size.lock().expect("size") = (120, 40);
    keys.send(Ok(TermEvent::Resize(120, 40))).expect("resize");
    until(&mut screen, "the new size", |s| s.width == 120).await;
    press(&keys, KeyCode::Char('q'));
}

#[test]
fn a_recorded_cockpit_session_refolds_into_the_same_screen_cell_for_cell() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("demo");
    let (ws, target) = workspace(&cutover::cli::prepare_demo(&dir).expect("the demo's files"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let theme = Theme::load(None, &dir, Depth::TrueColor).expect("theme");
    let (recording, live) = rt.block_on(async {
        let info = SessionInfo {
            plan: ws.plan.name.clone(),
            target: target.display.clone(),
            operator: "ana".into(),
            host: cutover::engine::host(),
            version: env!("CARGO_PKG_VERSION").into(),
        };
        // The engine as the cockpit starts it: one held session, the plan and the ledger
        // first, then one job per command.
        let setup = Setup {
            ws: Arc::new(ws),
            target,
            operator: "ana".into(),
            warnings: Vec::new(),
        };
        let handle = cutover::engine::start(setup, Sessions::Held)
            .await
            .expect("the engine starts");
        let (commands, mut erx, engine) = (handle.commands, handle.events, handle.worker);

        let (ktx, krx) = mpsc::unbounded_channel::<std::io::Result<TermEvent>>();
        let input = Box::pin(futures_util::stream::unfold(krx, |mut rx| async move {
            rx.recv().await.map(|e| (e, rx))
        }));
        let size = Arc::new(Mutex::new((100u16, 30u16)));
        let backend = Resizable {
            inner: TestBackend::new(100, 30),
            size: size.clone(),
        };
        let mut term = Terminal::new(backend).expect("terminal");
        let (stx, srx) = watch::channel(Seen::default());
        let driver = tokio::spawn(operator(ktx, srx, size));
        let mut hook = |s: &State| {
            stx.send_replace(seen(s));
        };
        let mut signals = cutover::signals::Signals::register_without_interrupt();
        let mut recording = Recording::default();
        let rec = Record {
            session: info,
            recorder: &mut recording,
        };
        let lp = event_loop_recorded(
            &mut term,
            input,
            &mut erx,
            &theme,
            &commands,
            &mut signals,
            Some(&mut hook),
            false,
            rec,
        );
        let exit = tokio::time::timeout(Duration::from_secs(120), lp)
            .await
            .expect("the session ends in time")
            .expect("the loop runs");
        assert_eq!(exit, Exit::Quit);
        driver.await.expect("operator");
        commands.send(Command::Quit);
        let drain = async { while erx.recv().await.is_some() {} };
        let (_, done) = tokio::join!(drain, engine.wait());
        done.expect("engine");
        (recording, term.backend().inner.buffer().clone())
    });

    // It was a real apply: the table is in the database, and the recording holds it.
    let db = TestDb::sqlite_at(&dir.join("shop.db"));
    assert!(db.scalar("SELECT COUNT(*) FROM customers") > 0);
    let applied = |i: &Input| matches!(i, Input::Engine(Stamped { event: Event::FileApplied { version, .. }, .. }) if version == "0001");
    assert!(recording.inputs.iter().any(applied));
    assert!(recording
        .inputs
        .iter()
        .any(|i| matches!(i, Input::Resize { width: 120, .. })));
    assert!(recording
        .inputs
        .iter()
        .any(|i| matches!(i, Input::Action { key: Some(k), .. } if k == "a")));

    // Through the journal's form (one JSON line per input), into a fresh state.
    let header = recording.header.expect("a header");
    assert_eq!(
        (header.width, header.height, header.depth),
        (100, 30, Depth::TrueColor)
    );
    assert_eq!(header.session.operator, "ana");
    let lines: Vec<String> = recording
        .inputs
        .iter()
        .map(|i| serde_json::to_string(i).expect("serialize"))
        .collect();
    let inputs: Vec<Input> = lines
        .iter()
        .map(|l| serde_json::from_str(l).expect("parse"))
        .collect();
    let state = refold(&inputs);
    let theme = Theme::load(Some(&header.theme), &dir, header.depth).expect("the header's theme");
    let mut replay =
        Terminal::new(TestBackend::new(live.area.width, live.area.height)).expect("terminal");
    replay
        .draw(|f| cutover::ui::view::draw(f, &state, &theme))
        .expect("draw");
    let again = replay.backend().buffer();
    assert_eq!((live.area.width, live.area.height), (120, 40));
    for y in 0..live.area.height {
        for x in 0..live.area.width {
            assert_eq!(live[(x, y)], again[(x, y)], "cell {x},{y} differs");
        }
    }
    assert_eq!(&live, again);
}
