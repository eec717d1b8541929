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

/// Records `--accept-drift` decisions: the ledger (and the folder's own tool) take the
/// file on disk as the applied text. Returns what was recorded, for the report.
pub(super) async fn accept_drift(
    conn: &mut crate::db::Conn,
    ws: &super::Workspace,
    opts: &super::ApplyOptions,
    native: Option<&crate::db::native::History>,
    entries: &mut std::collections::HashMap<String, crate::db::ledger::Entry>,
    em: &super::Emitter,
) -> Result<Vec<String>, super::EngineError> {
    use crate::db::ledger;
    use crate::event::Level;
    let migs = &ws.folder.migrations;
    let mut recorded = Vec::new();
    for v in &opts.accept_drift {
        let (Some(e), Some(m)) = (
            entries.get_mut(v),
            migs.iter().find(|m| m.version.as_str() == v),
        ) else {
            return Err(super::EngineError::Selection(format!(
                "--accept-drift {v}: no applied file has that version"
            )));
        };
        if e.checksum == m.checksum {
            em.log(
                Level::Info,
                format!("--accept-drift {v}: no drift to accept"),
            )
            .await;
            continue;
        }
        ledger::accept_drift(
            conn,
            v,
            &m.checksum,
            &m.up_sql,
            &opts.operator,
            &super::run_file::now(),
            &e.checksum,
        )
        .await?;
        // The folder's own tool must see the new text as applied too.
        if let Some(n) = native {
            n.record_accept(conn, m).await?;
        }
        let what = format!("{}: drift accepted by {}", m.path.display(), opts.operator);
        em.log(Level::Warn, what.clone()).await;
        recorded.push(what);
        e.checksum = m.checksum.clone();
        e.sql_text = m.up_sql.clone();
    }
    Ok(recorded)
}
