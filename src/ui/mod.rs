//! The cockpit: `state` (a pure reducer), `view` (drawing from state), `keymap`,
//! `theme`, `record` (the one input stream: header, inputs, recorder), and `app` (the
//! event loop that ties them to the terminal and the engine).

pub mod app;
pub mod keymap;
pub mod record;
pub mod state;
pub mod theme;
pub mod view;
