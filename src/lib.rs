//! cutover: a terminal cockpit and headless engine for database migration windows.
//!
//! Dependencies point one way: `cli -> engine -> {check, bench, checkpoint} -> db -> sql`; `plan` and `source`
//! feed the engine; `event` and `command` (the engine's vocabulary, out and in)
//! depend on nothing of ours; `emit` (the events' sending end) only on `event`.

pub mod bench;
pub mod check;
pub mod checkpoint;
pub mod cli;
pub mod command;
pub mod db;
pub mod emit;
pub mod engine;
pub mod event;
pub mod journal;
pub mod logging;
pub mod plan;
pub mod private;
pub mod report;
pub mod signals;
pub mod source;
pub mod sql;
pub mod text;
pub mod ui;
