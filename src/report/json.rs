//! Writing a report as JSON to a file (`--json FILE`).

use std::path::Path;

/// Writes `value` as pretty JSON, creating or replacing the file.
pub fn write(path: &Path, value: &serde_json::Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n")
        .map_err(|e| format!("cannot write report {}: {e}", path.display()))
}
