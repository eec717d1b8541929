//! The plan: plan.toml model (serde), loading with `${VAR}` expansion, validation,
//! and resolution of batches against the migrations of a folder.

mod model;

pub use model::*;
