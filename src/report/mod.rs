//! Reports (JSON now; JUnit XML later) and the process exit codes.

pub mod exit;
pub mod json;
