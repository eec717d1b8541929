//! The cockpit: `state` (a pure reducer), `view` (drawing from state), `keymap`,
//! `theme`, `record` (the one input stream: header, inputs, recorder), `app` (the
//! event loop that ties them to the terminal and the engine), `replay` (a recorded
//! session on screen again) and `cast` (a recorded session as an asciicast).

pub mod app;
pub mod cast;
pub mod keymap;
pub mod record;
pub mod replay;
pub mod state;
pub mod theme;
pub mod view;
