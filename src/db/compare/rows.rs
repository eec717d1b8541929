//! Differing rows of a small segment: both sides' rows, matched by key, compared column
//! by column in canonical text (the text that was hashed, so a difference found by the
//! checksums is a difference here too).

use super::reader::{Plan, Values};
use crate::event::{ColumnDiff, RowDiff, RowDiffKind};
use std::collections::HashMap;

/// Appends the differences between `source` and `target` rows (all columns of `plan`,
/// in column order) to `out`: source order first, then rows only the target has.
pub(crate) fn diff(plan: &Plan, source: &[Values], target: &[Values], out: &mut Vec<RowDiff>) {
    let key = |row: &Values| -> Vec<Option<String>> {
        plan.key
            .iter()
            .map(|&i| row.get(i).cloned().flatten())
            .collect()
    };
    let mut theirs: HashMap<Vec<Option<String>>, &Values> =
        target.iter().map(|r| (key(r), r)).collect();
    for row in source {
        let k = key(row);
        match theirs.remove(&k) {
            None => out.push(RowDiff {
                key: key_text(plan, &k),
                kind: RowDiffKind::MissingInTarget,
                columns: Vec::new(),
            }),
            Some(other) if other != row => {
                let columns = plan
                    .cols
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| row.get(*i) != other.get(*i))
                    .map(|(i, c)| ColumnDiff {
                        column: c.name.clone(),
                        source: row.get(i).cloned().flatten(),
                        target: other.get(i).cloned().flatten(),
                    })
                    .collect();
                out.push(RowDiff {
                    key: key_text(plan, &k),
                    kind: RowDiffKind::Changed,
                    columns,
                });
            }
            Some(_) => {}
        }
    }
    for row in target {
        let k = key(row);
        if theirs.remove(&k).is_some() {
            out.push(RowDiff {
                key: key_text(plan, &k),
                kind: RowDiffKind::MissingInSource,
                columns: Vec::new(),
            });
        }
    }
}

/// `col=value[, col=value]`, NULL spelled out.
fn key_text(plan: &Plan, key: &[Option<String>]) -> String {
    plan.key
        .iter()
        .zip(key)
        .map(|(&i, v)| format!("{}={}", plan.cols[i].name, v.as_deref().unwrap_or("NULL")))
        .collect::<Vec<_>>()
        .join(", ")
}
