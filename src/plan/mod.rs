//! The plan: plan.toml model (serde), loading with `${VAR}` expansion, validation,
//! and resolution of batches against the migrations of a folder.

mod batches;
mod build;
mod expand;
mod model;
mod raw;
mod span;
mod urls;

#[cfg(test)]
mod tests;

pub use batches::resolve_batches;
pub use model::*;
pub use span::line_col;
pub use urls::{ambiguous_userinfo, redacted_url, SCHEMES};

use std::path::{Path, PathBuf};

/// The plan file's name when none is given.
pub const DEFAULT_PLAN: &str = "cutover.toml";

/// Finds the plan: `explicit` (from `-p PLAN` or `CUTOVER_PLAN`) if given, else
/// `./cutover.toml` if it exists, else None (the caller falls back to
/// [`from_env_defaults`]). An explicit folder means the `cutover.toml` inside it.
pub fn locate(explicit: Option<&Path>) -> Result<Option<PathBuf>, PlanError> {
    match explicit {
        Some(path) if path.is_dir() => {
            let inside = path.join(DEFAULT_PLAN);
            if inside.is_file() {
                Ok(Some(inside))
            } else {
                Err(PlanError::NotFound(format!(
                    "{} is a folder without a {DEFAULT_PLAN}\n  hint: pass the plan file itself with -p (or CUTOVER_PLAN)",
                    path.display()
                )))
            }
        }
        Some(path) if path.exists() => Ok(Some(path.to_path_buf())),
        Some(path) => Err(PlanError::NotFound(format!(
            "{} does not exist\n  hint: check the path given with -p or CUTOVER_PLAN; without either, cutover reads ./{DEFAULT_PLAN}",
            path.display()
        ))),
        None => {
            let default = PathBuf::from(DEFAULT_PLAN);
            Ok(default.is_file().then_some(default))
        }
    }
}

/// Reads and validates a plan file, expanding `${VAR}`s from the process environment.
pub fn load(path: &Path) -> Result<Plan, PlanError> {
    let bytes = std::fs::read(path).map_err(|source| PlanError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_col(
            &String::from_utf8_lossy(e.as_bytes()),
            e.utf8_error().valid_up_to(),
        );
        PlanError::At {
            path: path.to_path_buf(),
            line,
            column,
            message: "the plan is not valid UTF-8".to_string(),
            hint: Some("save the file as UTF-8".to_string()),
        }
    })?;
    parse(&text, path, &|name| std::env::var(name).ok())
}

/// Parses and validates plan text as if read from `path` (which names the file in
/// errors and whose folder relative paths start from), reading `${VAR}`s through `env`.
pub fn parse(
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Plan, PlanError> {
    build::build(text, path, env)
}

/// The plan used when there is no plan file: the target from `DATABASE_URL`,
/// migrations in `./migrations` in whatever format they are, no batches.
pub fn from_env_defaults(cwd: &Path) -> Result<Plan, PlanError> {
    build::defaults(cwd, &|name| std::env::var(name).ok())
}
