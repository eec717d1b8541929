//! Drift: an applied file whose text on disk no longer matches what was applied.

/// One drifted file, with a unified diff of the applied text against the disk text.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Drift {
    pub version: String,
    pub file: String,
    pub applied_checksum: String,
    pub disk_checksum: String,
    pub diff: String,
}

impl Drift {
    pub fn new(version: &str, file: &str, applied: (&str, &str), disk: (&str, &str)) -> Drift {
        let diff = similar::TextDiff::from_lines(applied.1, disk.1)
            .unified_diff()
            .context_radius(3)
            .header(&format!("{file} (applied)"), &format!("{file} (on disk)"))
            .to_string();
        Drift {
            version: version.to_string(),
            file: file.to_string(),
            applied_checksum: applied.0.to_string(),
            disk_checksum: disk.0.to_string(),
            diff,
        }
    }
}

pub(super) fn describe(items: &[Drift]) -> String {
    let mut out = format!(
        "drift: {} applied file{} changed on disk since {} applied; nothing was applied\n",
        items.len(),
        if items.len() == 1 { "" } else { "s" },
        if items.len() == 1 {
            "it was"
        } else {
            "they were"
        }
    );
    for d in items {
        out.push_str(&format!(
            "\n{} (version {}): applied sha256 {}, on disk {}\n{}",
            d.file,
            d.version,
            short(&d.applied_checksum),
            short(&d.disk_checksum),
            d.diff
        ));
    }
    out.push_str("\n  hint: restore the applied text, or record that you accept the new text with `cutover apply --accept-drift VERSION`");
    out
}

fn short(s: &str) -> &str {
    s.get(..12).unwrap_or(s)
}
