//! A plan's `[[batch.check]]` as a typed check. The plan module already refused what is
//! malformed (unknown kind or severity, a missing field) with its line and column.

use crate::event::Severity;
use crate::plan::CheckSpec;

/// One check, ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// What people call it (the plan's `name`, or one made from kind and table).
    pub name: String,
    pub severity: Severity,
    pub(crate) spec: CheckSpec,
}

/// The typed check for a plan entry.
pub fn parse(spec: &CheckSpec) -> Result<Check, String> {
    let _ = spec;
    todo!("issue 9: check::parse")
}
