//! The event loop: one `tokio::select!` over terminal input, engine events and a timer
//! armed only while something animates. Inputs fold into `State`; the screen is drawn
//! only when something changed, at most every `FRAME`; engine events are drained in
//! bulk so that a job streaming thousands of events a second never delays a key.

use super::keymap;
use super::record::{fold, initial, NoRecorder, Recorder, SessionHeader, SessionInfo};
use super::state::{Effect, Input, State};
use super::theme::Theme;
use super::view;
use crate::command::{ApplyRequest, Command};
use crate::engine::{Commands, Handle, Worker};
use crate::event::Stamped;
use crate::signals::{Sig, Signals};
use crossterm::event::{Event as TermEvent, EventStream};
use futures_util::StreamExt;
use ratatui::backend::Backend;
use ratatui::Terminal;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The shortest time between two frames (a frame costs well under 1 ms).
const FRAME: Duration = Duration::from_millis(10);
/// How often a running job's clock and spinner move.
const ANIMATION: Duration = Duration::from_millis(250);
/// How many engine events one wake-up folds before the screen gets its turn.
const DRAIN: usize = 8192;

/// How the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The operator quit (after any running job ended).
    Quit,
    /// SIGTERM or SIGHUP: the screen must be given back at once, the job stopped after
    /// its current file.
    Signal(Sig),
}

/// What the loop reads terminal input from: crossterm's stream in the cockpit, a channel
/// in benchmarks and tests.
pub trait InputSource: futures_util::Stream<Item = std::io::Result<TermEvent>> + Unpin {}
impl<T: futures_util::Stream<Item = std::io::Result<TermEvent>> + Unpin> InputSource for T {}

/// Runs the cockpit on a real terminal until the operator quits, or a signal (SIGTERM,
/// SIGHUP) ends it: the terminal is restored at once, the running job stops after its
/// current file, and `Ok(Some(signal))` says so. The engine's session is already open
/// (so a lock held elsewhere is refused before the screen is taken); the events it
/// emitted while opening show up first.
pub async fn run<R: Recorder>(
    engine: Handle,
    theme: Theme,
    session: SessionInfo,
    recorder: &mut R,
) -> std::io::Result<Option<Sig>> {
    let Handle {
        commands,
        mut events,
        worker,
    } = engine;
    // Registered before the screen is taken, so a signal is never missed.
    let mut signals = Signals::register_without_interrupt();

    let mut terminal = ratatui::init();
    let input = EventStream::new();
    // The one input stream goes to the recorder (the session journal).
    let rec = Record {
        session,
        recorder: &mut *recorder,
    };
    let result = event_loop_recorded(
        &mut terminal,
        input,
        &mut events,
        &theme,
        &commands,
        &mut signals,
        None,
        true,
        rec,
    )
    .await;
    ratatui::restore();
    commands.send(Command::Quit);
    let exit = match &result {
        Ok(Exit::Quit) => None,
        Ok(Exit::Signal(sig)) => Some(*sig),
        Err(_) => None,
    };
    // The job may be mid-file: it finishes that file and stops.
    if (result.is_err() || exit.is_some()) && commands.send(Command::Pause) {
        let why = exit.map_or("the terminal failed", Sig::name);
        errln(&format!("{why}: stopping after the current file (a file is never left half-done); Ctrl-C cancels its running statement"));
    }
    finish(worker, events, &mut signals, &commands, recorder).await;
    result.map(|_| exit)
}

/// Waits for the worker to end (it closes the session once the current file is done),
/// reading its events so it never blocks on a full channel; they are recorded as
/// unseen (no screen shows them). Out of raw mode, Ctrl-C arrives as a signal again:
/// it cancels the running statement.
async fn finish<R: Recorder>(
    worker: Worker,
    mut events: mpsc::Receiver<Stamped>,
    signals: &mut Signals,
    commands: &Commands,
    recorder: &mut R,
) {
    signals.add_interrupt();
    let drain = async {
        let mut failed = false;
        while let Some(s) = events.recv().await {
            if !failed {
                if let Err(e) = recorder.record(Input::Unseen(s)) {
                    errln(&format!("error: {e}"));
                    failed = true;
                }
            }
        }
    };
    let signalled = async {
        loop {
            if signals.next().await == Sig::Interrupt && commands.send(Command::CancelStatement) {
                errln("interrupt: cancelling the running statement (a file in one transaction rolls back and stays pending; one outside a transaction is left partial)");
            }
        }
    };
    tokio::select! {
        _ = async { tokio::join!(drain, worker.wait()) } => {}
        _ = signalled => {}
    }
}

fn errln(text: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// A hook called after every frame (benchmarks measure key-to-screen latency with it).
pub type DrawHook<'a> = &'a mut dyn FnMut(&State);

/// The loop proper, generic over the terminal backend and the input source. SIGTERM and
/// SIGHUP (`signals`; Ctrl-C arrives as a key in raw mode) end it at once: the caller
/// gives the terminal back and lets the job finish its current file. Records nothing;
/// `event_loop_recorded` hands its inputs to a recorder.
#[allow(clippy::too_many_arguments)] // each is a distinct channel of the loop
pub async fn event_loop<B: Backend, I: InputSource>(
    terminal: &mut Terminal<B>,
    input: I,
    engine: &mut mpsc::Receiver<Stamped>,
    theme: &Theme,
    commands: &Commands,
    signals: &mut Signals,
    on_draw: Option<DrawHook<'_>>,
    sync_updates: bool,
) -> std::io::Result<Exit>
where
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let rec = Record {
        session: SessionInfo::default(),
        recorder: &mut NoRecorder,
    };
    event_loop_recorded(
        terminal,
        input,
        engine,
        theme,
        commands,
        signals,
        on_draw,
        sync_updates,
        rec,
    )
    .await
}

/// What the loop records, and where: the session's header fields (the loop adds the
/// terminal size and theme) and the recorder every input goes to before it is folded.
pub struct Record<'a, R: Recorder> {
    pub session: SessionInfo,
    pub recorder: &'a mut R,
}

/// `event_loop`, handing the session header and then every input it folds, in order,
/// to `rec.recorder`: folding that recording again (`record::refold`) gives the state
/// the last frame showed.
#[allow(clippy::too_many_arguments)] // each is a distinct channel of the loop
pub async fn event_loop_recorded<B: Backend, I: InputSource, R: Recorder>(
    terminal: &mut Terminal<B>,
    mut input: I,
    engine: &mut mpsc::Receiver<Stamped>,
    theme: &Theme,
    commands: &Commands,
    signals: &mut Signals,
    mut on_draw: Option<DrawHook<'_>>,
    sync_updates: bool,
    rec: Record<'_, R>,
) -> std::io::Result<Exit>
where
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let recorder = rec.recorder;
    let mut effects = Vec::new();
    let size = terminal.size().ok();
    let blank = State::default();
    let (width, height) = size.map_or((blank.width, blank.height), |s| (s.width, s.height));
    let mut header = SessionHeader::new(width, height, theme, rec.session);
    header.recording = recorder.keeps();
    recorder.start(&header)?;
    let mut state = initial(&header);
    if size.is_some() {
        let at_ms = chrono::Utc::now().timestamp_millis();
        let first = Input::Resize {
            width,
            height,
            at_ms,
        };
        fold(&mut state, recorder, first, &mut effects)?;
    }
    let mut batch = Vec::with_capacity(DRAIN);
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    let mut engine_open = true;
    // After a batch of engine events, the loop waits BATCH_PAUSE before taking the next
    // one (keys are served meanwhile): the job is not woken per event, and a stream of
    // events folds into one frame.
    let mut engine_ready_at = Instant::now();
    loop {
        let now = Instant::now();
        let can_draw = last_draw.is_none_or(|t| now.duration_since(t) >= FRAME);
        let quit = state.quitting && state.job.is_none();
        // The last frame shows every input folded: a replay of the recording ends on it.
        if dirty && (can_draw || quit) {
            draw(terminal, &state, theme, sync_updates)?;
            if let Some(hook) = on_draw.as_mut() {
                hook(&state);
            }
            dirty = false;
            last_draw = Some(Instant::now());
        }
        if quit {
            return Ok(Exit::Quit);
        }
        let draw_at = last_draw.map_or(now, |t| t + FRAME);
        let engine_paused = engine_ready_at > now;
        let tick_in = next_tick(&state);
        tokio::select! {
            biased;
            sig = signals.next() => return Ok(Exit::Signal(sig)),
            ev = input.next() => {
                let Some(ev) = ev else {
                    // The terminal is gone (its input closed): as a hangup.
                    return Ok(Exit::Signal(Sig::Hangup));
                };
                dirty |= on_terminal(ev?, terminal, &mut state, recorder, &mut effects)?;
            }
            n = engine.recv_many(&mut batch, DRAIN), if engine_open && !engine_paused => {
                if n == 0 {
                    engine_open = false;
                }
                for s in batch.drain(..) {
                    dirty |= fold(&mut state, recorder, Input::Engine(s), &mut effects)?;
                }
                engine_ready_at = Instant::now() + crate::event::BATCH_PAUSE;
            }
            _ = tokio::time::sleep_until(engine_ready_at), if engine_open && engine_paused => {}
            _ = tokio::time::sleep_until(draw_at), if dirty && !can_draw => {}
            _ = tokio::time::sleep(tick_in.unwrap_or(Duration::MAX)), if tick_in.is_some() => {
                let at_ms = chrono::Utc::now().timestamp_millis();
                dirty |= fold(&mut state, recorder, Input::Tick { at_ms }, &mut effects)?;
            }
        }
        carry_out(&mut effects, commands);
    }
}

/// Folds one terminal event (a key the keymap understands, or a resize). Returns
/// whether the screen must be drawn again.
fn on_terminal<B: Backend, R: Recorder>(
    ev: TermEvent,
    terminal: &mut Terminal<B>,
    state: &mut State,
    recorder: &mut R,
    effects: &mut Vec<Effect>,
) -> std::io::Result<bool>
where
    B::Error: std::error::Error + Send + Sync + 'static,
{
    match ev {
        TermEvent::Key(k) => {
            let Some(action) = keymap::action_for(&k, state) else {
                return Ok(false);
            };
            // The key's own time: the reducer never reads the clock.
            let at_ms = chrono::Utc::now().timestamp_millis();
            let key = Some(keymap::key_name(&k));
            fold(
                state,
                recorder,
                Input::Action { action, key, at_ms },
                effects,
            )
        }
        TermEvent::Resize(w, h) => {
            // Lay out from the terminal's real size, not the event's numbers.
            let size = terminal.size().unwrap_or(ratatui::layout::Size::new(w, h));
            let at_ms = chrono::Utc::now().timestamp_millis();
            let (width, height) = (size.width, size.height);
            fold(
                state,
                recorder,
                Input::Resize {
                    width,
                    height,
                    at_ms,
                },
                effects,
            )?;
            terminal.autoresize().map_err(io_err)?;
            // A resize always redraws: the terminal may have cleared the screen.
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Carries out what the reducer asked for: each effect becomes a command to the engine
/// (pause and cancel take effect at once, even mid-job).
fn carry_out(effects: &mut Vec<Effect>, commands: &Commands) {
    for e in effects.drain(..) {
        if let Some(cmd) = command_for(e) {
            commands.send(cmd);
        }
    }
}

/// What the engine is asked to do for an effect of the reducer.
fn command_for(effect: Effect) -> Option<Command> {
    let apply = |req| Some(Command::Apply(req));
    match effect {
        Effect::ApplyTo(v) => apply(ApplyRequest {
            to: Some(v),
            ..Default::default()
        }),
        Effect::ApplyBatch(n) => apply(ApplyRequest {
            batch: Some(n.to_string()),
            ..Default::default()
        }),
        Effect::Pause => Some(Command::Pause),
        Effect::CancelStatement => Some(Command::CancelStatement),
        Effect::Resolve { version, how } => Some(Command::Resolve { version, how }),
        Effect::PreviewRollback(scope) => Some(Command::PreviewRollback(scope)),
        Effect::PreviewRestore(scope) => Some(Command::PreviewRestore(scope)),
        Effect::Rollback { scope, restore } => Some(Command::Rollback { scope, restore }),
        Effect::Rehearse(batch) => Some(Command::Rehearse {
            batch: Some(batch.to_string()),
        }),
        Effect::ApplyForced { to, batch, reason } => apply(ApplyRequest {
            to,
            batch: batch.map(|n| n.to_string()),
            force_progress: Some(reason),
            ..Default::default()
        }),
        Effect::Validate(batch) => Some(Command::Validate {
            batch: batch.map(|n| n.to_string()),
        }),
        Effect::Bench(batch) => Some(Command::Bench {
            batch: batch.map(|n| n.to_string()),
            baseline: false,
        }),
        Effect::Quit | Effect::Note(_) => None,
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
