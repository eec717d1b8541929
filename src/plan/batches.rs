//! Resolving `[[batch]]` file selectors against the migrations of a folder.

use super::{Batch, OnFailure, Plan, PlanError, Risk, Selector};
use crate::source::{Migration, Version};
use std::cmp::Ordering;
use std::path::PathBuf;

/// What one `files = [...]` entry means.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern<'a> {
    /// A version (`0003`), or a name written out in full.
    One(&'a str),
    /// `A..=B` (inclusive) or `A..B`; an empty end is open.
    Range {
        lo: &'a str,
        hi: &'a str,
        inclusive: bool,
    },
    /// `*` and `?` over file names.
    Glob(&'a str),
}

fn pattern(text: &str) -> Pattern<'_> {
    let text = text.trim();
    if let Some((lo, hi)) = text.split_once("..=") {
        return Pattern::Range {
            lo: lo.trim(),
            hi: hi.trim(),
            inclusive: true,
        };
    }
    if let Some((lo, hi)) = text.split_once("..") {
        return Pattern::Range {
            lo: lo.trim(),
            hi: hi.trim(),
            inclusive: false,
        };
    }
    if text.contains(['*', '?']) {
        return Pattern::Glob(text);
    }
    Pattern::One(text)
}

/// Order of two versions by their numeric parts only (`0010` equals `10`).
fn key_cmp(a: &Version, b: &Version) -> Ordering {
    if a.same_key(b) {
        Ordering::Equal
    } else {
        a.cmp(b)
    }
}

fn file_name(m: &Migration) -> String {
    m.path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| m.path.to_string_lossy().into_owned())
}

/// Whether a migration is the one a single selector names: same version in order, or
/// the version, name or file name written out exactly (Sqitch changes are named).
fn names(m: &Migration, sel: &str) -> bool {
    m.version.same_key(&Version::parse(sel))
        || m.version.as_str() == sel
        || m.name == sel
        || file_name(m) == sel
}

/// The version a range end stands for: a migration it names exactly (so that named
/// Sqitch changes work as ends), else the text read as a version.
fn range_end(migrations: &[Migration], end: &str) -> Version {
    migrations
        .iter()
        .find(|m| m.version.as_str() == end || m.name == end)
        .map(|m| m.version.clone())
        .unwrap_or_else(|| match migrations.first() {
            // Read as the folder's versions order (text for diesel and dbmate).
            Some(m) => m.version.parse_like(end),
            None => Version::parse(end),
        })
}

/// `*` any run of characters, `?` one character; everything else literal.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

struct Ctx<'a> {
    plan: &'a Plan,
    migrations: &'a [Migration],
}

impl Ctx<'_> {
    fn path(&self) -> PathBuf {
        self.plan
            .file
            .clone()
            .unwrap_or_else(|| self.plan.base_dir.clone())
    }

    fn at(&self, sel: &Selector, message: String, hint: Option<String>) -> PlanError {
        PlanError::At {
            path: self.path(),
            line: sel.line,
            column: sel.column,
            message,
            hint,
        }
    }

    /// "versions run from 0001 to 0011" or "the folder has no migrations".
    fn span_hint(&self) -> String {
        match (self.migrations.first(), self.migrations.last()) {
            (Some(a), Some(_)) if self.migrations.len() == 1 => {
                format!("the migrations folder holds one version: {}", a.version)
            }
            (Some(a), Some(b)) => format!(
                "the migrations folder's versions run from {} to {}",
                a.version, b.version
            ),
            _ => "the migrations folder holds no migrations".to_string(),
        }
    }

    fn nearest_hint(&self, sel: &str) -> String {
        let v = Version::parse(sel);
        let below = self
            .migrations
            .iter()
            .filter(|m| key_cmp(&m.version, &v) == Ordering::Less)
            .max_by(|a, b| key_cmp(&a.version, &b.version));
        let above = self
            .migrations
            .iter()
            .filter(|m| key_cmp(&m.version, &v) == Ordering::Greater)
            .min_by(|a, b| key_cmp(&a.version, &b.version));
        let near: Vec<String> = below
            .iter()
            .chain(above.iter())
            .map(|m| m.version.to_string())
            .collect();
        if near.is_empty() || self.migrations.is_empty() {
            self.span_hint()
        } else {
            format!(
                "nearest versions: {}; {}",
                near.join(", "),
                self.span_hint()
            )
        }
    }

    /// The migrations (indices) a selector picks, or why it picks none.
    fn select(&self, batch: &str, sel: &Selector) -> Result<Vec<usize>, PlanError> {
        let ms = self.migrations;
        let picked: Vec<usize> = match pattern(&sel.text) {
            Pattern::One(one) => {
                let picked: Vec<usize> = (0..ms.len()).filter(|&i| names(&ms[i], one)).collect();
                if picked.is_empty() {
                    return Err(self.at(
                        sel,
                        format!(
                            "batch '{batch}' names version {one}, but no migration file has it"
                        ),
                        Some(self.nearest_hint(one)),
                    ));
                }
                picked
            }
            Pattern::Range { lo, hi, inclusive } => {
                let lo_v = (!lo.is_empty()).then(|| range_end(ms, lo));
                let hi_v = (!hi.is_empty()).then(|| range_end(ms, hi));
                if let (Some(l), Some(h)) = (&lo_v, &hi_v) {
                    let reversed = match key_cmp(l, h) {
                        Ordering::Greater => true,
                        Ordering::Equal => !inclusive,
                        Ordering::Less => false,
                    };
                    if reversed {
                        return Err(self.at(
                            sel,
                            format!("batch '{batch}': the range {} is empty", sel.text),
                            Some(format!(
                                "write the lower version first: {lo}..={hi} includes both ends, {lo}..{hi} leaves out {hi}"
                            )),
                        ));
                    }
                }
                let picked: Vec<usize> = (0..ms.len())
                    .filter(|&i| {
                        let v = &ms[i].version;
                        let above = lo_v
                            .as_ref()
                            .is_none_or(|l| key_cmp(v, l) != Ordering::Less);
                        let below = hi_v.as_ref().is_none_or(|h| match key_cmp(v, h) {
                            Ordering::Less => true,
                            Ordering::Equal => inclusive,
                            Ordering::Greater => false,
                        });
                        above && below
                    })
                    .collect();
                if picked.is_empty() {
                    return Err(self.at(
                        sel,
                        format!(
                            "batch '{batch}' names versions {}, but no migration file is in that range",
                            sel.text
                        ),
                        Some(self.span_hint()),
                    ));
                }
                picked
            }
            Pattern::Glob(glob) => {
                let picked: Vec<usize> = (0..ms.len())
                    .filter(|&i| {
                        glob_match(glob, &file_name(&ms[i])) || glob_match(glob, &ms[i].name)
                    })
                    .collect();
                if picked.is_empty() {
                    let example = ms
                        .first()
                        .map(|m| format!(" such as {}", file_name(m)))
                        .unwrap_or_default();
                    return Err(self.at(
                        sel,
                        format!("batch '{batch}': `{glob}` matches no migration file"),
                        Some(format!(
                            "globs (* and ?) match file names{example} and migration names"
                        )),
                    ));
                }
                picked
            }
        };
        Ok(picked)
    }
}

/// Resolves the plan's batches against a folder's migrations (in apply order).
///
/// Each selector must match at least one migration and no migration may sit in two
/// batches. Batches apply in plan order, so each batch's files must come after the
/// files of the batches before it. Files no batch names form a final implicit batch,
/// `unbatched`; a plan without batches gets one implicit batch, `all`.
pub fn resolve_batches(plan: &Plan, migrations: &[Migration]) -> Result<Vec<Batch>, PlanError> {
    if plan.batches.is_empty() {
        if migrations.is_empty() {
            return Ok(Vec::new());
        }
        return Ok(vec![implicit(1, "all", (0..migrations.len()).collect())]);
    }
    let ctx = Ctx { plan, migrations };
    // For every migration: which batch claimed it, and through which selector.
    let mut owner: Vec<Option<(usize, &Selector)>> = vec![None; migrations.len()];
    let mut batches = Vec::with_capacity(plan.batches.len() + 1);
    for (b, spec) in plan.batches.iter().enumerate() {
        let mut mine = Vec::new();
        for sel in &spec.files {
            for i in ctx.select(&spec.name, sel)? {
                match owner[i] {
                    Some((other, _)) if other == b => {}
                    Some((other, _)) => {
                        let first = &plan.batches[other].name;
                        return Err(ctx.at(
                            sel,
                            format!(
                                "{} is in batch '{first}' and in batch '{}'",
                                migrations[i].path.display(),
                                spec.name
                            ),
                            Some(format!(
                                "a file belongs to one batch; take {} out of one of them",
                                migrations[i].version
                            )),
                        ));
                    }
                    None => {
                        owner[i] = Some((b, sel));
                        mine.push(i);
                    }
                }
            }
        }
        mine.sort_unstable();
        batches.push(Batch {
            number: b + 1,
            name: spec.name.clone(),
            risk: spec.risk,
            on_failure: spec.on_failure,
            migrations: mine,
            checks: spec.checks.clone(),
            benches: spec.benches.clone(),
            implicit: false,
        });
    }
    // Batches apply one after another: each must start after the previous one ends.
    let mut last: Option<(usize, usize)> = None; // (batch, highest migration index)
    for (b, batch) in batches.iter().enumerate() {
        if let (Some((pb, pmax)), Some(&first)) = (last, batch.migrations.first()) {
            if first < pmax {
                let (_, sel) = owner[first].unwrap_or((b, &plan.batches[b].files[0]));
                return Err(ctx.at(
                    sel,
                    format!(
                        "batch '{}' holds {}, which comes before {} in batch '{}': files apply in version order",
                        batch.name,
                        migrations[first].path.display(),
                        migrations[pmax].path.display(),
                        batches[pb].name
                    ),
                    Some("reorder the batches, or move files between them, so that each batch's versions come after the previous batch's".to_string()),
                ));
            }
        }
        if let Some(&max) = batch.migrations.last() {
            last = Some((b, max));
        }
    }
    let rest: Vec<usize> = (0..migrations.len())
        .filter(|&i| owner[i].is_none())
        .collect();
    if let (Some(&first), Some((pb, pmax))) = (rest.first(), last) {
        if first < pmax {
            // A file no batch names would run after files that come later: refuse.
            let stray: Vec<String> = rest
                .iter()
                .filter(|&&i| i < pmax)
                .map(|&i| migrations[i].version.to_string())
                .collect();
            let sel = &plan.batches[pb].files[0];
            return Err(PlanError::At {
                path: ctx.path(),
                line: sel.line,
                column: sel.column,
                message: format!(
                    "{} is in no batch, but comes before {} in batch '{}': files apply in version order",
                    migrations[first].path.display(),
                    migrations[pmax].path.display(),
                    batches[pb].name
                ),
                hint: Some(format!(
                    "add version{} {} to a batch (files already applied can go in a first batch of their own)",
                    if stray.len() == 1 { "" } else { "s" },
                    stray.join(", ")
                )),
            });
        }
    }
    if !rest.is_empty() {
        batches.push(implicit(batches.len() + 1, "unbatched", rest));
    }
    Ok(batches)
}

fn implicit(number: usize, name: &str, migrations: Vec<usize>) -> Batch {
    Batch {
        number,
        name: name.to_string(),
        risk: Risk::Low,
        on_failure: OnFailure::Stop,
        migrations,
        checks: Vec::new(),
        benches: Vec::new(),
        implicit: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert_eq!(pattern("0003"), Pattern::One("0003"));
        assert_eq!(pattern("1.2.10"), Pattern::One("1.2.10"));
        assert_eq!(
            pattern("0001..=0011"),
            Pattern::Range {
                lo: "0001",
                hi: "0011",
                inclusive: true
            }
        );
        assert_eq!(
            pattern("3..7"),
            Pattern::Range {
                lo: "3",
                hi: "7",
                inclusive: false
            }
        );
        assert_eq!(
            pattern("0005.."),
            Pattern::Range {
                lo: "0005",
                hi: "",
                inclusive: false
            }
        );
        assert_eq!(pattern("*_users*"), Pattern::Glob("*_users*"));
    }

    #[test]
    fn globs() {
        assert!(glob_match("*_users*", "0003_add_users.up.sql"));
        assert!(glob_match("000?_*", "0003_add_users.up.sql"));
        assert!(!glob_match("000?_*", "00003_add_users.up.sql"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
        assert!(glob_match("*.sql", "x.sql"));
        assert!(!glob_match("*.sql", "x.sqlite"));
    }
}
