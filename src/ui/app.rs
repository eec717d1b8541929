//! The event loop: one `tokio::select!` over terminal input, engine events and a timer
//! armed only while something animates. Inputs fold into `State`; the screen is drawn
//! only when something changed, at most every `FRAME`; engine events are drained in
//! bulk so that a job streaming thousands of events a second never delays a key.

use super::keymap;
use super::state::{Action, Effect, Input, State};
use super::theme::Theme;
use super::view;
use crate::engine::{job, ApplyOptions, Emitter, Session, Workspace};
use crate::event::Stamped;
use crossterm::event::{Event as TermEvent, EventStream};
use futures_util::StreamExt;
use ratatui::backend::Backend;
use ratatui::Terminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The shortest time between two frames (a frame costs well under 1 ms).
const FRAME: Duration = Duration::from_millis(10);
/// How often a running job's clock and spinner move.
const ANIMATION: Duration = Duration::from_millis(250);
/// How many engine events one wake-up folds before the screen gets its turn.
const DRAIN: usize = 8192;

/// Commands from the cockpit to the engine worker.
#[derive(Debug)]
pub enum Command {
    Apply(ApplyOptions),
    Quit,
}

/// What the loop reads terminal input from: crossterm's stream in the cockpit, a channel
/// in benchmarks and tests.
pub trait InputSource: futures_util::Stream<Item = std::io::Result<TermEvent>> + Unpin {}
impl<T: futures_util::Stream<Item = std::io::Result<TermEvent>> + Unpin> InputSource for T {}

/// Runs the cockpit on a real terminal until the operator quits. The session is
/// already open (so a lock held elsewhere is refused before the screen is taken).
///
/// `em`/`rx` are the two ends of the engine's event channel; events emitted before
/// (while the session opened) show up first.
pub async fn run(
    ws: Arc<Workspace>,
    session: Session,
    theme: Theme,
    operator: String,
    em: Emitter,
    rx: mpsc::Receiver<Stamped>,
) -> std::io::Result<()> {
    let (cmd_tx, cmd_rx) = mpsc::channel::<Command>(16);
    let cancel = Arc::new(AtomicBool::new(false));
    let worker = tokio::spawn(worker(ws, session, em, cmd_rx, cancel.clone(), operator));

    let mut terminal = ratatui::init();
    let input = EventStream::new();
    let result = event_loop(
        &mut terminal,
        input,
        rx,
        &theme,
        &cmd_tx,
        &cancel,
        None,
        true,
    )
    .await;
    ratatui::restore();
    let _ = cmd_tx.send(Command::Quit).await;
    // The worker closes the session (locks, connection) once the current file is done.
    let _ = tokio::time::timeout(Duration::from_secs(30), worker).await;
    result
}

/// The engine side: owns the session, runs one job at a time.
async fn worker(
    ws: Arc<Workspace>,
    mut session: Session,
    em: Emitter,
    mut cmds: mpsc::Receiver<Command>,
    cancel: Arc<AtomicBool>,
    operator: String,
) {
    em.emit(job::plan_event(&ws, session.dialect())).await;
    match job::ledger_event(&mut session, &ws).await {
        Ok(ev) => em.emit(ev).await,
        Err(e) => em.log(crate::event::Level::Error, e.to_string()).await,
    }
    while let Some(cmd) = cmds.recv().await {
        match cmd {
            Command::Apply(mut opts) => {
                cancel.store(false, Ordering::SeqCst);
                opts.operator = operator.clone();
                job::run_apply(&mut session, &ws, &opts, &em, cancel.clone()).await;
            }
            Command::Quit => break,
        }
    }
    session.close(&em).await;
}

/// Signals that end the cockpit as a quit would (SIGTERM; Ctrl-C arrives as a key in
/// raw mode).
fn terminate_signal() -> Option<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok()
}

/// A hook called after every frame (benchmarks measure key-to-screen latency with it).
pub type DrawHook<'a> = &'a mut dyn FnMut(&State);

/// The loop proper, generic over the terminal backend and the input source.
#[allow(clippy::too_many_arguments)] // each is a distinct channel of the loop
pub async fn event_loop<B: Backend, I: InputSource>(
    terminal: &mut Terminal<B>,
    mut input: I,
    mut engine: mpsc::Receiver<Stamped>,
    theme: &Theme,
    commands: &mpsc::Sender<Command>,
    cancel: &AtomicBool,
    mut on_draw: Option<DrawHook<'_>>,
    sync_updates: bool,
) -> std::io::Result<()>
where
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let mut state = State::default();
    if let Ok(size) = terminal.size() {
        state.apply(
            &Input::Resize {
                width: size.width,
                height: size.height,
            },
            &mut Vec::new(),
        );
    }
    let mut effects = Vec::new();
    let mut batch = Vec::with_capacity(DRAIN);
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    let mut engine_open = true;
    // After a batch of engine events, the loop waits BATCH_PAUSE before taking the next
    // one (keys are served meanwhile): the job is not woken per event, and a stream of
    // events folds into one frame.
    let mut engine_ready_at = Instant::now();
    let mut term = terminate_signal();
    loop {
        let now = Instant::now();
        let can_draw = last_draw.is_none_or(|t| now.duration_since(t) >= FRAME);
        if dirty && can_draw {
            draw(terminal, &state, theme, sync_updates)?;
            if let Some(hook) = on_draw.as_mut() {
                hook(&state);
            }
            dirty = false;
            last_draw = Some(Instant::now());
        }
        if state.quitting && state.job.is_none() {
            return Ok(());
        }
        let draw_at = last_draw.map_or(now, |t| t + FRAME);
        let engine_paused = engine_ready_at > now;
        let tick_in = next_tick(&state);
        tokio::select! {
            biased;
            ev = input.next() => {
                match ev {
                    Some(Ok(TermEvent::Key(k))) => {
                        if let Some(a) = keymap::action_for(&k, &state) {
                            dirty |= state.apply(&Input::Action(a), &mut effects);
                        }
                    }
                    Some(Ok(TermEvent::Resize(w, h))) => {
                        // Lay out from the terminal's real size, not the event's numbers.
                        let size = terminal.size().unwrap_or(ratatui::layout::Size::new(w, h));
                        state.apply(&Input::Resize { width: size.width, height: size.height }, &mut effects);
                        terminal.autoresize().map_err(io_err)?;
                        // A resize always redraws: the terminal may have cleared the screen.
                        dirty = true;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e),
                    None => return Ok(()),
                }
            }
            n = engine.recv_many(&mut batch, DRAIN), if engine_open && !engine_paused => {
                if n == 0 {
                    engine_open = false;
                }
                for s in batch.drain(..) {
                    dirty |= state.apply(&Input::Engine(s), &mut effects);
                }
                engine_ready_at = Instant::now() + crate::engine::BATCH_PAUSE;
            }
            _ = tokio::time::sleep_until(engine_ready_at), if engine_open && engine_paused => {}
            _ = tokio::time::sleep_until(draw_at), if dirty && !can_draw => {}
            _ = tokio::time::sleep(tick_in.unwrap_or(Duration::MAX)), if tick_in.is_some() => {
                let at = chrono::Utc::now().timestamp_millis();
                dirty |= state.apply(&Input::Tick { at_ms: at }, &mut effects);
            }
            _ = recv_signal(&mut term) => {
                dirty |= state.apply(&Input::Action(Action::Quit), &mut effects);
                dirty |= state.apply(&Input::Action(Action::Yes), &mut effects);
            }
        }
        for e in effects.drain(..) {
            match e {
                Effect::ApplyTo(v) => {
                    let _ = commands
                        .send(Command::Apply(ApplyOptions {
                            to: Some(v),
                            ..Default::default()
                        }))
                        .await;
                }
                Effect::ApplyBatch(n) => {
                    let _ = commands
                        .send(Command::Apply(ApplyOptions {
                            batch: Some(n.to_string()),
                            ..Default::default()
                        }))
                        .await;
                }
                Effect::Pause => cancel.store(true, Ordering::SeqCst),
                Effect::Quit => {}
            }
        }
    }
}

async fn recv_signal(s: &mut Option<tokio::signal::unix::Signal>) {
    match s {
        Some(sig) => {
            sig.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}

/// How long until the clock on screen changes: every ANIMATION while a job runs, at
/// the next minute boundary otherwise (the idle clock shows minutes).
fn next_tick(s: &State) -> Option<Duration> {
    s.started_ms?;
    if s.animating() {
        return Some(ANIMATION);
    }
    let now = chrono::Utc::now().timestamp_millis();
    let into_minute = (now - s.started_ms.unwrap_or(now)).rem_euclid(60_000);
    Some(Duration::from_millis((60_000 - into_minute) as u64 + 5))
}

/// One frame, wrapped in a synchronized update so the terminal never shows half of it.
fn draw<B: Backend>(
    terminal: &mut Terminal<B>,
    state: &State,
    theme: &Theme,
    sync: bool,
) -> std::io::Result<()>
where
    B::Error: std::error::Error + Send + Sync + 'static,
{
    use std::io::Write;
    if !sync {
        return terminal
            .draw(|f| view::draw(f, state, theme))
            .map(|_| ())
            .map_err(io_err);
    }
    let mut out = std::io::stdout();
    let _ = crossterm::queue!(out, crossterm::terminal::BeginSynchronizedUpdate);
    let r = terminal.draw(|f| view::draw(f, state, theme)).map(|_| ());
    let _ = crossterm::queue!(out, crossterm::terminal::EndSynchronizedUpdate);
    let _ = out.flush();
    r.map_err(io_err)
}

fn io_err<E: std::error::Error + Send + Sync + 'static>(e: E) -> std::io::Error {
    std::io::Error::other(e)
}
