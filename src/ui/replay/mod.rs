//! `cutover replay`: a recorded session on screen again. The journal's inputs fold
//! through the same reducer the live cockpit used (`record::refold_from`), so the screen
//! at any position is the one the operator saw; `screen` draws the final frame as text,
//! `player` moves through the inputs at the recorded pace, `bar` marks the screen as a
//! replay, and `run` is the terminal loop (its action keys disabled).

mod bar;
pub mod player;
mod run;
pub mod screen;

pub use player::Player;
pub use run::run;
pub use screen::{final_size, final_state, render, rows, theme_for};
