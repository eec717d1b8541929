//! Reports (JSON, JUnit XML, terminal summaries) and the process exit codes.

pub mod exit;
pub mod json;
pub mod validation;
