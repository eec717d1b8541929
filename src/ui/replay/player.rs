//! Where a replay stands: how many of the journal's inputs are folded, the state they
//! give, and the clock that plays them at the recorded pace times the speed. Pure but
//! for the `Instant`s it is handed: the loop owns the real clock.

use crate::ui::record::{initial, SessionHeader};
use crate::ui::state::{Input, State};
use std::time::{Duration, Instant};

/// A copy of the state is kept every this many inputs at least: stepping back refolds
/// from the nearest one instead of from the start.
const SNAPSHOT_EVERY: usize = 10_000;
/// At most this many copies (a state holds up to 10,000 log lines, ~1 MB): a 1M-input
/// journal keeps one every 62,500 inputs, a step back refolds at most that many.
const MAX_SNAPSHOTS: usize = 16;
pub const MIN_SPEED: f64 = 0.5;
pub const MAX_SPEED: f64 = 64.0;

/// One journal input and its time since the session started.
#[derive(Debug, Clone)]
pub struct Step {
    pub t_ms: i64,
    pub input: Input,
}

#[derive(Debug, Clone, Copy)]
enum Clock {
    /// Stopped at this recorded time.
    Paused { at_t: i64 },
    /// Recorded time `from_t` was at `since`; it runs `speed` times faster than real time.
    Playing { since: Instant, from_t: i64 },
}

#[derive(Clone)]
struct Snapshot {
    pos: usize,
    state: State,
    size: (u16, u16),
}

pub struct Player {
    steps: Vec<Step>,
    /// How many steps are folded into `state`.
    pos: usize,
    state: State,
    /// The size the session's terminal had at `pos`.
    size: (u16, u16),
    snapshots: Vec<Snapshot>,
    snapshot_every: usize,
    speed: f64,
    clock: Clock,
}

impl Player {
    /// At the start of the recording, playing from `now` at `speed` (clamped).
    pub fn new(header: &SessionHeader, steps: Vec<Step>, speed: f64, now: Instant) -> Player {
        let start = Snapshot {
            pos: 0,
            state: initial(header),
            size: (header.width, header.height),
        };
        let snapshot_every = SNAPSHOT_EVERY.max(steps.len().div_ceil(MAX_SNAPSHOTS));
        Player {
            snapshot_every,
            steps,
            pos: 0,
            state: start.state.clone(),
            size: start.size,
            snapshots: vec![start],
            speed: clamp_speed(speed),
            clock: Clock::Playing {
                since: now,
                from_t: 0,
            },
        }
    }

    pub fn state(&self) -> &State {
        &self.state
    }
    pub fn size(&self) -> (u16, u16) {
        self.size
    }
    pub fn pos(&self) -> usize {
        self.pos
    }
    pub fn len(&self) -> usize {
        self.steps.len()
    }
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
    pub fn speed(&self) -> f64 {
        self.speed
    }
    pub fn paused(&self) -> bool {
        matches!(self.clock, Clock::Paused { .. })
    }
    /// The recorded time of the last folded input (0 at the start).
    pub fn at_ms(&self) -> i64 {
        self.pos
            .checked_sub(1)
            .map_or(0, |i| self.steps[i].t_ms.max(0))
    }
    /// The recorded time of the last input.
    pub fn total_ms(&self) -> i64 {
        self.steps.last().map_or(0, |s| s.t_ms.max(0))
    }

    /// The recorded time the clock shows at `now`.
    fn clock_t(&self, now: Instant) -> i64 {
        match self.clock {
            Clock::Paused { at_t } => at_t,
            Clock::Playing { since, from_t } => {
                let real = now.saturating_duration_since(since).as_secs_f64() * 1000.0;
                from_t + (real * self.speed) as i64
            }
        }
    }

    /// Folds every input due by `now` while playing; at the end the clock stops.
    /// Returns whether the position moved.
    pub fn advance(&mut self, now: Instant) -> bool {
        if self.paused() {
            return false;
        }
        let t = self.clock_t(now);
        let before = self.pos;
        while self.pos < self.steps.len() && self.steps[self.pos].t_ms <= t {
            self.fold_next();
        }
        if self.pos == self.steps.len() {
            self.clock = Clock::Paused { at_t: self.at_ms() };
        }
        self.pos != before
    }

    /// When the next input is due, while playing.
    pub fn next_due(&self) -> Option<Instant> {
        let Clock::Playing { since, from_t } = self.clock else {
            return None;
        };
        let next = self.steps.get(self.pos)?;
        let wait_ms = ((next.t_ms - from_t).max(0) as f64) / self.speed;
        Some(since + Duration::from_secs_f64(wait_ms / 1000.0))
    }

    /// Space: pause, or play on from here (from the start again once at the end).
    pub fn toggle(&mut self, now: Instant) {
        self.clock = match self.clock {
            Clock::Playing { .. } => Clock::Paused {
                at_t: self.clock_t(now),
            },
            Clock::Paused { at_t } => {
                if self.pos == self.steps.len() && !self.steps.is_empty() {
                    self.seek(0);
                }
                let from_t = if self.pos == 0 {
                    0
                } else {
                    at_t.max(self.at_ms())
                };
                Clock::Playing { since: now, from_t }
            }
        };
    }

    /// Faster (`up`) or slower by a factor of two, within x0.5..x64; the clock keeps
    /// its place.
    pub fn change_speed(&mut self, up: bool, now: Instant) {
        let t = self.clock_t(now);
        self.speed = clamp_speed(if up {
            self.speed * 2.0
        } else {
            self.speed / 2.0
        });
        if let Clock::Playing { .. } = self.clock {
            self.clock = Clock::Playing {
                since: now,
                from_t: t,
            };
        }
    }

    /// One input forward or back; pauses there.
    pub fn step(&mut self, forward: bool) {
        let to = if forward {
            (self.pos + 1).min(self.steps.len())
        } else {
            self.pos.saturating_sub(1)
        };
        self.seek(to);
        self.clock = Clock::Paused { at_t: self.at_ms() };
    }

    /// To the start (paused) or the end.
    pub fn jump(&mut self, end: bool) {
        self.seek(if end { self.steps.len() } else { 0 });
        self.clock = Clock::Paused { at_t: self.at_ms() };
    }

    /// Moves to position `to`: forward by folding, back from the nearest snapshot.
    pub fn seek(&mut self, to: usize) {
        let to = to.min(self.steps.len());
        if to < self.pos {
            let snap = self
                .snapshots
                .iter()
                .rev()
                .find(|s| s.pos <= to)
                .unwrap_or(&self.snapshots[0])
                .clone();
            self.pos = snap.pos;
            self.state = snap.state;
            self.size = snap.size;
        }
        while self.pos < to {
            self.fold_next();
        }
    }

    fn fold_next(&mut self) {
        let step = &self.steps[self.pos];
        let mut effects = Vec::new();
        // Folded as the live loop folded it; effects dropped (what the engine did about
        // them is in the journal already).
        self.state.apply(&step.input, &mut effects);
        if let Input::Resize { width, height, .. } = step.input {
            self.size = (width, height);
        }
        self.pos += 1;
        let known = self.snapshots.last().map_or(0, |s| s.pos);
        if self.pos.is_multiple_of(self.snapshot_every) && self.pos > known {
            self.snapshots.push(Snapshot {
                pos: self.pos,
                state: self.state.clone(),
                size: self.size,
            });
        }
    }
}

fn clamp_speed(s: f64) -> f64 {
    if s.is_finite() {
        s.clamp(MIN_SPEED, MAX_SPEED)
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::record::{refold_from, SessionInfo};
    use crate::ui::state::Action;
    use crate::ui::theme::Theme;

    fn header() -> SessionHeader {
        SessionHeader::new(100, 30, &Theme::monochrome(), SessionInfo::default())
    }

    fn steps(n: usize) -> Vec<Step> {
        (0..n)
            .map(|i| {
                let input = match i % 3 {
                    0 => Input::Resize {
                        width: 80 + (i % 50) as u16,
                        height: 24,
                        at_ms: i as i64,
                    },
                    1 => Input::action(Action::Down, i as i64),
                    _ => Input::Tick { at_ms: i as i64 },
                };
                Step {
                    t_ms: (i * 100) as i64,
                    input,
                }
            })
            .collect()
    }

    #[test]
    fn stepping_back_and_forth_gives_the_state_of_a_fold_from_the_start() {
        let all = steps(25_000);
        assert_eq!(
            Player::new(&header(), steps(1_000_000), 1.0, Instant::now()).snapshot_every,
            62_500
        );
        let now = Instant::now();
        let mut p = Player::new(&header(), all.clone(), 1.0, now);
        p.jump(true);
        for to in [24_999, 20_001, 10_000, 9_999, 3, 0, 17_500] {
            p.seek(to);
            let inputs: Vec<_> = all[..to].iter().map(|s| s.input.clone()).collect();
            assert_eq!(
                p.state(),
                &refold_from(initial(&header()), &inputs),
                "at {to}"
            );
            assert_eq!(p.pos(), to);
        }
        p.step(false);
        assert_eq!((p.pos(), p.paused()), (17_499, true));
        p.step(true);
        p.step(true);
        assert_eq!(p.pos(), 17_501);
    }

    #[test]
    fn plays_at_the_recorded_pace_times_the_speed() {
        let now = Instant::now();
        let mut p = Player::new(&header(), steps(10), 2.0, now);
        // Inputs every 100 ms of recorded time: at x2, 250 ms of real time reach 500.
        assert!(p.advance(now + Duration::from_millis(250)));
        assert_eq!(p.pos(), 6);
        assert_eq!(p.next_due(), Some(now + Duration::from_millis(300)));
        p.toggle(now + Duration::from_millis(250));
        assert!(p.paused());
        assert!(
            !p.advance(now + Duration::from_secs(60)),
            "paused stays put"
        );
        assert_eq!(p.next_due(), None);
        for _ in 0..10 {
            p.change_speed(true, now);
        }
        assert_eq!(p.speed(), MAX_SPEED);
        for _ in 0..10 {
            p.change_speed(false, now);
        }
        assert_eq!(p.speed(), MIN_SPEED);
        p.toggle(now);
        assert!(p.advance(now + Duration::from_secs(60)));
        assert_eq!((p.pos(), p.paused()), (10, true), "the end stops the clock");
    }
}
