//! The replay on a terminal: one `tokio::select!` over keys, signals and the time the
//! next recorded input is due (no timer at all while paused). The screen is drawn only
//! when the position, the speed or the bar's note changed, at most every `FRAME`.

use super::{bar, render, Player};
use crate::signals::{Sig, Signals};
use crate::ui::theme::Theme;
use crossterm::event::{Event as TermEvent, EventStream, KeyCode, KeyEventKind, KeyModifiers};
use futures_util::StreamExt;
use ratatui::backend::Backend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;
use std::time::{Duration, Instant};

const FRAME: Duration = Duration::from_millis(10);
pub const DISABLED: &str = "replay: action keys are disabled";

/// What a key did to the replay.
enum Key {
    Quit,
    Changed,
    Nothing,
}

/// Plays `player` on the terminal until `q`; `Ok(Some(sig))` when SIGTERM or SIGHUP
/// ended it.
pub async fn run(player: &mut Player, theme: &Theme) -> std::io::Result<Option<Sig>> {
    let mut signals = Signals::register_without_interrupt();
    let mut terminal = ratatui::init();
    let r = event_loop(
        &mut terminal,
        EventStream::new(),
        player,
        theme,
        &mut signals,
    )
    .await;
    ratatui::restore();
    r
}

async fn event_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    mut input: EventStream,
    p: &mut Player,
    theme: &Theme,
    signals: &mut Signals,
) -> std::io::Result<Option<Sig>>
where
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let mut note: Option<&'static str> = None;
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    // The recorded screen at the current position, drawn once per position.
    let mut shot: Option<(usize, Buffer)> = None;
    loop {
        let now = Instant::now();
        dirty |= p.advance(now);
        let can_draw = last_draw.is_none_or(|t| now.duration_since(t) >= FRAME);
        if dirty && can_draw {
            if shot.as_ref().is_none_or(|(pos, _)| *pos != p.pos()) {
                let (w, h) = p.size();
                shot = Some((p.pos(), render(p.state(), theme, w, h)));
            }
            if let Some((_, buf)) = &shot {
                draw(terminal, |f| bar::draw(f, buf, p, theme, note))?;
            }
            dirty = false;
            last_draw = Some(now);
        }
        let wake = if dirty {
            last_draw.map(|t| t + FRAME)
        } else {
            p.next_due()
        };
        let wake = wake.map(tokio::time::Instant::from_std);
        tokio::select! {
            biased;
            sig = signals.next() => return Ok(Some(sig)),
            ev = input.next() => {
                let Some(ev) = ev else { return Ok(Some(Sig::Hangup)) };
                match ev? {
                    TermEvent::Key(k) if k.kind != KeyEventKind::Release => {
                        match on_key(k.code, k.modifiers, p, &mut note) {
                            Key::Quit => return Ok(None),
                            Key::Changed => dirty = true,
                            Key::Nothing => {}
                        }
                    }
                    // The frame is laid out from the terminal's new size when drawn.
                    TermEvent::Resize(..) => dirty = true,
                    _ => {}
                }
            }
            _ = tokio::time::sleep_until(wake.unwrap_or_else(tokio::time::Instant::now)), if wake.is_some() => {}
        }
    }
}

/// One frame, in a synchronized update so the terminal never shows half of it.
fn draw<B: Backend>(
    terminal: &mut Terminal<B>,
    frame: impl FnOnce(&mut ratatui::Frame),
) -> std::io::Result<()>
where
    B::Error: std::error::Error + Send + Sync + 'static,
{
    use std::io::Write;
    let mut out = std::io::stdout();
    let _ = crossterm::queue!(out, crossterm::terminal::BeginSynchronizedUpdate);
    let r = terminal.draw(frame).map(|_| ());
    let _ = crossterm::queue!(out, crossterm::terminal::EndSynchronizedUpdate);
    let _ = out.flush();
    r.map_err(std::io::Error::other)
}

/// The replay's keys; every other key is one of the cockpit's, disabled here.
fn on_key(code: KeyCode, mods: KeyModifiers, p: &mut Player, note: &mut Option<&str>) -> Key {
    let now = Instant::now();
    let was = *note;
    *note = None;
    match code {
        KeyCode::Char('c') if mods.contains(KeyModifiers::CONTROL) => return Key::Quit,
        KeyCode::Char('q') | KeyCode::Esc => return Key::Quit,
        KeyCode::Char(' ') => p.toggle(now),
        KeyCode::Right | KeyCode::Char('l') => p.step(true),
        KeyCode::Left | KeyCode::Char('h') => p.step(false),
        KeyCode::Char('g') | KeyCode::Home => p.jump(false),
        KeyCode::Char('G') | KeyCode::End => p.jump(true),
        KeyCode::Char('+' | '=' | ']') => p.change_speed(true, now),
        KeyCode::Char('-' | '_' | '[') => p.change_speed(false, now),
        _ => {
            *note = Some(DISABLED);
            return if was == *note {
                Key::Nothing
            } else {
                Key::Changed
            };
        }
    }
    Key::Changed
}
