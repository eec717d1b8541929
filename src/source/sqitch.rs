//! Sqitch: a `sqitch.plan` and `deploy/`, `revert/`, `verify/` scripts named after the
//! changes of the plan. The order is the plan's, not the file names'.
//!
//! Plan grammar (App::Sqitch::Plan): pragmas (`%syntax-version=...`, `%project=...`,
//! `%uri=...`) up to the first blank line; then change lines
//! `name [dep !conflict proj:dep dep@tag] 2013-12-31T10:26:59Z Planner Name <email> # note`
//! and tag lines `@tag 2013-12-31T10:26:59Z Planner Name <email> # note`; `#` starts a
//! comment (on a change or tag line: its note). A change may appear again after a tag:
//! it has been reworked. The earlier instance's scripts are then named
//! `<change>@<tag>.sql`, where the tag is the first of Sqitch's rework tags whose deploy
//! script exists: the tags between the earlier instance and the rework, latest change
//! first, then the earlier instance's own tags (`sqitch rework` copies the scripts under
//! the last tag before the rework; e.g. the tutorial's `userflips@v1.0.0-dev2.sql`).
//! Reworked scripts live in the reworked dirs (default: the same dirs).
//!
//! `sqitch.conf` (git-config syntax) is honoured for `top_dir`, `plan_file`,
//! `deploy_dir`, `revert_dir`, `verify_dir`, `reworked_dir`, `reworked_*_dir` and
//! `extension`, looked up in `[engine "<core.engine>"]` then `[core]`; relative paths
//! start at the migrations folder (where Sqitch runs). User and system configs are not
//! read.
//!
//! Change ids are Sqitch's: SHA-1 of `"change <len>\0<info>"` where info is
//! `project`, `uri` (if any), `change`, `parent` (the id of the previous change in the
//! plan, if any), `planner`, `date`, `requires`/`conflicts` lists and the note, one per
//! line. `script_hash` is SHA-1 of the deploy script's bytes.
//!
//! Each migration's version is `Version::ordinal(name, position)` (`name@tag` for the
//! earlier instances of reworked changes); Sqitch scripts manage their own transactions
//! (`TxMode::FileManaged`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use sha1::{Digest, Sha1};

use super::files;
use super::{Migration, Native, SourceError, SqitchChange, TxMode, Version};

/// Where a Sqitch project keeps its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    pub plan_file: PathBuf,
    pub deploy_dir: PathBuf,
    pub revert_dir: PathBuf,
    pub verify_dir: PathBuf,
    pub reworked_deploy_dir: PathBuf,
    pub reworked_revert_dir: PathBuf,
    pub reworked_verify_dir: PathBuf,
    pub extension: String,
}

/// Parses git-config style text into `section[.subsection].key` -> value (section and key
/// lowercased, as git-config compares them).
fn parse_ini(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(inner) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let inner = inner.trim();
            section = match inner.split_once(char::is_whitespace) {
                Some((name, sub)) => {
                    let sub = sub.trim().trim_matches('"');
                    format!("{}.{}", name.to_lowercase(), sub)
                }
                None => inner.to_lowercase(),
            };
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k.trim(), config_value(v)),
            None => (line, "true".to_string()),
        };
        out.insert(format!("{section}.{}", key.to_lowercase()), value);
    }
    out
}

/// A git-config value: quotes removed, an unquoted `#` or `;` starts a comment.
fn config_value(raw: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    let mut chars = raw.trim().chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => {
                if let Some(n) = chars.next() {
                    out.push(match n {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                }
            }
            '#' | ';' if !quoted => break,
            c => out.push(c),
        }
    }
    out.trim_end().to_string()
}

/// The project layout, from `sqitch.conf` if present.
pub(crate) fn layout(dir: &Path) -> Result<Layout, SourceError> {
    let conf_path = dir.join("sqitch.conf");
    let conf = if conf_path.is_file() {
        parse_ini(&files::read_text(&conf_path)?)
    } else {
        HashMap::new()
    };
    let engine = conf.get("core.engine").cloned();
    let get = |key: &str| -> Option<String> {
        let from_engine = engine.as_ref().and_then(|e| {
            conf.get(&format!("engine.{e}.{key}"))
                .or_else(|| conf.get(&format!("core.{e}.{key}")))
        });
        from_engine
            .or_else(|| conf.get(&format!("core.{key}")))
            .filter(|v| !v.is_empty())
            .cloned()
    };
    let path = |p: String| dir.join(p);
    let top = get("top_dir")
        .map(path)
        .unwrap_or_else(|| dir.to_path_buf());
    let reworked = get("reworked_dir").map(path).unwrap_or_else(|| top.clone());
    let sub = |key: &str, base: &Path, name: &str| -> PathBuf {
        get(key)
            .map(|p| dir.join(p))
            .unwrap_or_else(|| base.join(name))
    };
    Ok(Layout {
        plan_file: get("plan_file")
            .map(path)
            .unwrap_or_else(|| top.join("sqitch.plan")),
        deploy_dir: sub("deploy_dir", &top, "deploy"),
        revert_dir: sub("revert_dir", &top, "revert"),
        verify_dir: sub("verify_dir", &top, "verify"),
        reworked_deploy_dir: sub("reworked_deploy_dir", &reworked, "deploy"),
        reworked_revert_dir: sub("reworked_revert_dir", &reworked, "revert"),
        reworked_verify_dir: sub("reworked_verify_dir", &reworked, "verify"),
        extension: get("extension").unwrap_or_else(|| "sql".to_string()),
    })
}

/// True when `dir` is a Sqitch project (detection): a plan file, or a `sqitch.conf`.
pub(crate) fn is_project(dir: &Path) -> bool {
    dir.join("sqitch.plan").is_file() || dir.join("sqitch.conf").is_file()
}

/// One change line of the plan, with what Sqitch derives from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlanChange {
    pub name: String,
    pub line: usize,
    pub requires: Vec<String>,
    pub conflicts: Vec<String>,
    pub planned_at: String,
    pub planner_name: String,
    pub planner_email: String,
    pub note: String,
    /// Tags following this change (`@v1.0`).
    pub tags: Vec<String>,
    /// Set when the change is reworked later: candidate file-name suffixes (`@v1.0`).
    pub rework_tags: Vec<String>,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub project: String,
    pub uri: Option<String>,
    pub changes: Vec<PlanChange>,
}

static PRAGMA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[ \t]*%[ \t]*([^ \t=]+)(?:[ \t]*=[ \t]*(.+))?$").expect("static regex")
});
static LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^[ \t]*(?:(?P<tag>@)|(?P<op>[+-])[ \t]*)?",
        r"(?P<name>[^ \t:@#\[\]]+)[ \t]*",
        r"(?:\[(?P<deps>[^\]]+)\][ \t]*)?",
        r"(?:(?P<ts>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)[ \t]*)?",
        r"(?:(?P<pname>[^<]+)[ \t]+<(?P<pemail>[^>]+)>)?$",
    ))
    .expect("static regex")
});
static DEP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^(?P<neg>!?)(?:(?P<proj>[^ \t:@#!]+):)?",
        r"(?:(?P<id>[0-9a-f]{40})|(?P<change>[^ \t:@#]+)(?:@(?P<ctag>[^ \t:@#]+))?|@(?P<tag>[^ \t:@#]+))$",
    ))
    .expect("static regex")
});

/// A plan line without its note: (content, note).
fn split_note(line: &str) -> (&str, Option<&str>) {
    match line.find('#') {
        Some(i) => (
            line[..i].trim_end_matches([' ', '\t']),
            Some(line[i + 1..].trim_start_matches([' ', '\t'])),
        ),
        None => (line.trim_end_matches([' ', '\t']), None),
    }
}

/// Sqitch's note clean-up: vertical space trimmed at both ends, `\\`, `\n`, `\r` unescaped.
fn clean_note(note: &str) -> String {
    let vertical = ['\n', '\r', '\x0b', '\x0c', '\u{85}', '\u{2028}', '\u{2029}'];
    let note = note.trim_start_matches(vertical).trim_end_matches(vertical);
    let mut out = String::with_capacity(note.len());
    let mut chars = note.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some('\\') => {
                    chars.next();
                    out.push('\\');
                    continue;
                }
                Some('n') => {
                    chars.next();
                    out.push('\n');
                    continue;
                }
                Some('r') => {
                    chars.next();
                    out.push('\r');
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

/// What Perl's `URI->canonical` does to the usual project URIs: scheme and host
/// lowercased, default port dropped, an empty http(s) path read as `/`.
fn canonical_uri(uri: &str) -> String {
    let Some((scheme, rest)) = uri.split_once("://") else {
        return match uri.split_once(':') {
            Some((s, r))
                if !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
            {
                format!("{}:{r}", s.to_ascii_lowercase())
            }
            _ => uri.to_string(),
        };
    };
    let scheme = scheme.to_ascii_lowercase();
    let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(split);
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let mut host = hostport.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => Some(":80"),
        "https" => Some(":443"),
        _ => None,
    };
    if let Some(p) = default_port {
        if let Some(h) = host.strip_suffix(p) {
            host = h.to_string();
        }
    }
    if let Some(h) = host.strip_suffix(':') {
        host = h.to_string();
    }
    let tail = if tail.is_empty() && default_port.is_some() {
        "/"
    } else {
        tail
    };
    match userinfo {
        Some(u) => format!("{scheme}://{u}@{host}{tail}"),
        None => format!("{scheme}://{host}{tail}"),
    }
}

/// Sqitch's change id.
pub(crate) fn change_id(
    project: &str,
    uri: Option<&str>,
    change: &PlanChange,
    parent: Option<&str>,
) -> String {
    let mut lines = vec![format!("project {project}")];
    if let Some(uri) = uri {
        lines.push(format!("uri {}", canonical_uri(uri)));
    }
    lines.push(format!("change {}", change.name));
    if let Some(parent) = parent {
        lines.push(format!("parent {parent}"));
    }
    lines.push(format!(
        "planner {} <{}>",
        change.planner_name, change.planner_email
    ));
    lines.push(format!("date {}", change.planned_at));
    if !change.requires.is_empty() {
        lines.push(format!("requires\n  + {}", change.requires.join("\n  + ")));
    }
    if !change.conflicts.is_empty() {
        lines.push(format!(
            "conflicts\n  - {}",
            change.conflicts.join("\n  - ")
        ));
    }
    // Perl truthiness: an empty note or "0" is left out.
    if !change.note.is_empty() && change.note != "0" {
        lines.push(String::new());
        lines.push(change.note.clone());
    }
    let info = lines.join("\n");
    let mut sha = Sha1::new();
    sha.update(format!("change {}\0", info.len()).as_bytes());
    sha.update(info.as_bytes());
    hex::encode(sha.finalize())
}

/// Parses a plan; errors name the plan file and line.
pub(crate) fn parse_plan(text: &str, path: &Path) -> Result<Plan, SourceError> {
    let err = |line: usize, what: String| SourceError::Invalid {
        path: path.to_path_buf(),
        what: format!("line {line}: {what}"),
    };
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let is_blank = |l: &str| {
        let t = l.trim_start_matches([' ', '\t']);
        t.is_empty() || t.starts_with('#')
    };

    // Pragmas, up to the first blank line.
    let mut pragmas: HashMap<String, String> = HashMap::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if is_blank(line) {
            if line.trim().is_empty() {
                break;
            }
            continue;
        }
        let (content, _) = split_note(line);
        let Some(caps) = PRAGMA.captures(content) else {
            return Err(err(
                i,
                "Invalid pragma; a blank line must come between pragmas and changes".to_string(),
            ));
        };
        let value = caps
            .get(2)
            .map(|m| m.as_str().to_string())
            .unwrap_or_else(|| "1".to_string());
        pragmas.insert(caps[1].to_string(), value);
    }
    let Some(project) = pragmas.get("project").cloned() else {
        return Err(SourceError::Invalid {
            path: path.to_path_buf(),
            what: "missing %project pragma\n  hint: a Sqitch plan starts with `%project=<name>` and a blank line".to_string(),
        });
    };
    let uri = pragmas.get("uri").cloned();

    let mut changes: Vec<PlanChange> = Vec::new();
    let mut latest_named: HashMap<String, usize> = HashMap::new();
    let mut since_tag: HashMap<String, usize> = HashMap::new();
    let mut tag_lines: HashMap<String, usize> = HashMap::new();
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        let lineno = i;
        if is_blank(line) {
            continue;
        }
        let (content, note) = split_note(line);
        let Some(caps) = LINE.captures(content) else {
            return Err(err(
                lineno,
                format!("cannot read `{content}`: expected `name [dependencies] <timestamp> <planner> <<email>> # note` or `@tag <timestamp> <planner> <<email>>`"),
            ));
        };
        let name = caps["name"].to_string();
        let (planned_at, planner_name, planner_email) =
            match (caps.name("ts"), caps.name("pname"), caps.name("pemail")) {
                (Some(ts), Some(n), Some(e)) => (
                    ts.as_str().to_string(),
                    n.as_str().to_string(),
                    e.as_str().to_string(),
                ),
                (None, None, _) => {
                    return Err(err(
                        lineno,
                        "Missing timestamp and planner name and email".into(),
                    ))
                }
                (None, _, _) => return Err(err(lineno, "Missing timestamp".into())),
                _ => return Err(err(lineno, "Missing planner name and email".into())),
            };
        let note = clean_note(note.unwrap_or(""));

        if caps.name("tag").is_some() {
            let Some(last) = changes.last_mut() else {
                return Err(err(
                    lineno,
                    format!("Tag \"{name}\" declared without a preceding change"),
                ));
            };
            if caps.name("deps").is_some() {
                return Err(err(lineno, "Tags may not specify dependencies".into()));
            }
            let key = format!("@{name}");
            if let Some(at) = tag_lines.get(&key) {
                return Err(err(
                    lineno,
                    format!("Tag \"{name}\" duplicates earlier declaration on line {at}"),
                ));
            }
            tag_lines.insert(key.clone(), lineno);
            last.tags.push(key);
            since_tag.clear();
            continue;
        }

        if caps.name("op").is_some_and(|m| m.as_str() == "-") {
            return Err(err(
                lineno,
                format!("`-{name}` (a planned revert) is not supported by cutover\n  hint: remove the revert entry and the change from the plan instead"),
            ));
        }
        if let Some(at) = since_tag.get(&name) {
            return Err(err(
                lineno,
                format!("Change \"{name}\" duplicates earlier declaration on line {at}"),
            ));
        }

        let mut requires = Vec::new();
        let mut conflicts = Vec::new();
        if let Some(deps) = caps.name("deps") {
            for dep in deps.as_str().split([' ', '\t']).filter(|d| !d.is_empty()) {
                let Some(d) = DEP.captures(dep) else {
                    return Err(err(
                        lineno,
                        format!("\"{dep}\" is not a valid dependency specification"),
                    ));
                };
                let key = match (
                    d.name("id"),
                    d.name("change"),
                    d.name("ctag"),
                    d.name("tag"),
                ) {
                    (Some(id), ..) => id.as_str().to_string(),
                    (None, Some(c), Some(t), _) => format!("{}@{}", c.as_str(), t.as_str()),
                    (None, Some(c), None, _) => c.as_str().to_string(),
                    (None, None, _, Some(t)) => format!("@{}", t.as_str()),
                    _ => dep.to_string(),
                };
                let internal = d.name("proj").is_none_or(|p| p.as_str() == project);
                // Sqitch's check_changes: a local requirement must come earlier in the plan.
                if internal && d["neg"].is_empty() && d.name("id").is_none() {
                    let known = match key.split_once('@') {
                        Some(("", _)) => tag_lines.contains_key(&key),
                        Some((change, tag)) => {
                            tag_lines.contains_key(&format!("@{tag}"))
                                && latest_named.contains_key(change)
                        }
                        None => latest_named.contains_key(&key),
                    };
                    if !known {
                        let what = if key == name {
                            format!("Change \"{name}\" cannot require itself")
                        } else {
                            format!("Unknown change \"{key}\" required by change \"{name}\" (a requirement must come earlier in the plan)")
                        };
                        return Err(err(lineno, what));
                    }
                }
                let as_string = match d.name("proj") {
                    Some(p) if p.as_str() != project => format!("{}:{key}", p.as_str()),
                    _ => key,
                };
                if d["neg"].is_empty() {
                    requires.push(as_string);
                } else {
                    conflicts.push(as_string);
                }
            }
        }

        if let Some(&dup) = latest_named.get(&name) {
            // Sqitch: tags from the latest change back to the reworked one, then its own.
            let mut rework_tags = Vec::new();
            for c in changes[dup + 1..].iter().rev() {
                rework_tags.extend(c.tags.iter().cloned());
            }
            rework_tags.extend(changes[dup].tags.iter().cloned());
            changes[dup].rework_tags.extend(rework_tags);
        }

        let mut change = PlanChange {
            name: name.clone(),
            line: lineno,
            requires,
            conflicts,
            planned_at,
            planner_name,
            planner_email,
            note,
            tags: Vec::new(),
            rework_tags: Vec::new(),
            id: String::new(),
        };
        let parent = changes.last().map(|c| c.id.as_str());
        change.id = change_id(&project, uri.as_deref(), &change, parent);
        since_tag.insert(name.clone(), lineno);
        latest_named.insert(name, changes.len());
        changes.push(change);
    }
    Ok(Plan {
        project,
        uri,
        changes,
    })
}

/// `dir` joined with the change name's segments and `suffix` + extension.
fn script(dir: &Path, name: &str, suffix: &str, ext: &str) -> PathBuf {
    let mut path = dir.to_path_buf();
    let mut segments: Vec<&str> = name.split('/').collect();
    let last = segments.pop().unwrap_or(name);
    for s in segments {
        path.push(s);
    }
    path.push(format!("{last}{suffix}.{ext}"));
    path
}

pub(crate) fn read(dir: &Path) -> Result<Vec<Migration>, SourceError> {
    let layout = layout(dir)?;
    if !layout.plan_file.is_file() {
        return Err(SourceError::Invalid {
            path: layout.plan_file.clone(),
            what: "Sqitch plan file not found\n  hint: check `plan_file`/`top_dir` in sqitch.conf, or point [migrations] dir at the Sqitch project".to_string(),
        });
    }
    let plan = parse_plan(&files::read_text(&layout.plan_file)?, &layout.plan_file)?;
    let ext = layout.extension.as_str();

    let mut migrations = Vec::with_capacity(plan.changes.len());
    let mut raws = HashSet::new();
    for (position, change) in plan.changes.iter().enumerate() {
        let (deploy_dir, revert_dir, verify_dir) = if change.rework_tags.is_empty() {
            (&layout.deploy_dir, &layout.revert_dir, &layout.verify_dir)
        } else {
            (
                &layout.reworked_deploy_dir,
                &layout.reworked_revert_dir,
                &layout.reworked_verify_dir,
            )
        };
        let suffix = change
            .rework_tags
            .iter()
            .find(|t| script(deploy_dir, &change.name, t, ext).is_file())
            .or(change.rework_tags.first())
            .cloned()
            .unwrap_or_default();
        let deploy = script(deploy_dir, &change.name, &suffix, ext);
        if !deploy.is_file() {
            return Err(SourceError::Invalid {
                path: deploy.clone(),
                what: format!(
                    "deploy script of change \"{}\" (sqitch.plan line {}) not found",
                    change.name, change.line
                ),
            });
        }
        let bytes = files::read_bytes(&deploy)?;
        let script_hash = hex::encode(Sha1::digest(&bytes));
        let up_sql = files::utf8(&deploy, bytes)?;
        let raw = format!("{}{suffix}", change.name);
        raws.insert(raw.clone());

        let native = Native {
            version: change.name.clone(),
            sqitch: Some(SqitchChange {
                project: plan.project.clone(),
                uri: plan.uri.clone(),
                change: change.name.clone(),
                planned_at: change.planned_at.clone(),
                planner_name: change.planner_name.clone(),
                planner_email: change.planner_email.clone(),
                note: change.note.clone(),
                requires: change.requires.clone(),
                conflicts: change.conflicts.clone(),
                tags: change.tags.clone(),
                change_id: change.id.clone(),
                script_hash,
            }),
            ..Native::default()
        };
        let mut m = files::migration(
            Version::ordinal(&raw, position + 1),
            change.name.clone(),
            files::relative(dir, &deploy),
            up_sql,
            TxMode::FileManaged,
            native,
        );
        let revert = script(revert_dir, &change.name, &suffix, ext);
        if revert.is_file() {
            m.down_sql = Some(files::read_text(&revert)?);
            m.down_path = Some(files::relative(dir, &revert));
        }
        let verify = script(verify_dir, &change.name, &suffix, ext);
        if verify.is_file() {
            m.verify_sql = Some(files::read_text(&verify)?);
        }
        migrations.push(m);
    }
    Ok(migrations)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The plan of Sqitch's SQLite tutorial (sqitchtutorial-sqlite.pod) and the change ids
    // that tutorial shows `sqitch status` reporting for it: an independent check of the
    // id algorithm (project, uri, parent, planner, date, requires, note).
    const TUTORIAL: &str = "%syntax-version=1.0.0-b2
%project=flipr
%uri=https://github.com/theory/sqitch-sqlite-intro/

users 2013-04-05T20:15:55Z Marge N. O’Vera <marge@example.com> # Creates table to track our users.
flips [users] 2013-04-05T20:21:23Z Marge N. O’Vera <marge@example.com> # Adds table for storing flips.
userflips [users flips] 2013-04-05T20:28:13Z Marge N. O’Vera <marge@example.com> # Creates the userflips view.
@v1.0.0-dev1 2013-04-05T20:36:13Z Marge N. O’Vera <marge@example.com> # Tag v1.0.0-dev1.
";

    #[test]
    fn change_ids_match_sqitch() {
        let plan = parse_plan(TUTORIAL, Path::new("sqitch.plan")).expect("plan");
        assert_eq!(plan.project, "flipr");
        let ids: Vec<_> = plan.changes.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "5f102a2fcb29a16d1fb958439aac5bacbeac89ac",
                "12a3622b0b54c628de33c40512c049a3ad570ef4",
                "e98e18dced32f7ee090ea368510f923e538e719a",
            ]
        );
        assert_eq!(plan.changes[1].requires, ["users"]);
        assert_eq!(plan.changes[2].tags, ["@v1.0.0-dev1"]);
        assert_eq!(plan.changes[0].planner_name, "Marge N. O’Vera");
        assert_eq!(plan.changes[0].note, "Creates table to track our users.");
    }

    #[test]
    fn rework_tags_latest_first() {
        let text = "%project=p

a 2020-01-01T00:00:00Z Ann <a@x> # one
@t1 2020-01-01T00:00:01Z Ann <a@x>
b 2020-01-01T00:00:02Z Ann <a@x>
@t2 2020-01-01T00:00:03Z Ann <a@x>
@t3 2020-01-01T00:00:04Z Ann <a@x>
a [a@t3] 2020-01-01T00:00:05Z Ann <a@x> # two
";
        let plan = parse_plan(text, Path::new("sqitch.plan")).expect("plan");
        assert_eq!(plan.changes[0].rework_tags, ["@t2", "@t3", "@t1"]);
        assert!(plan.changes[2].rework_tags.is_empty());
        assert_eq!(plan.changes[2].requires, ["a@t3"]);
    }

    #[test]
    fn plan_errors_name_line() {
        let bad = [
            ("%project=p\n\na 2020-01-01T00:00:00Z\n", "Missing planner"),
            ("%project=p\n\na Ann <a@x>\n", "Missing timestamp"),
            ("%project=p\n\n@t 2020-01-01T00:00:00Z Ann <a@x>\n", "without a preceding change"),
            ("%project=p\n\na [b] 2020-01-01T00:00:00Z Ann <a@x>\n", "Unknown change \"b\""),
            (
                "%project=p\n\na 2020-01-01T00:00:00Z Ann <a@x>\na 2020-01-01T00:00:00Z Ann <a@x>\n",
                "duplicates earlier",
            ),
            ("a 2020-01-01T00:00:00Z Ann <a@x>\n", "Invalid pragma"),
            ("%syntax-version=1.0.0\n\n", "missing %project"),
        ];
        for (text, want) in bad {
            let err = parse_plan(text, Path::new("db/sqitch.plan")).expect_err(text);
            let msg = err.to_string();
            assert!(
                msg.contains(want) && msg.contains("db/sqitch.plan"),
                "{msg}"
            );
        }
    }

    #[test]
    fn notes_deps_and_uri() {
        assert_eq!(clean_note("a\\nb\\\\n"), "a\nb\\n");
        assert_eq!(
            canonical_uri("HTTPS://GitHub.com:443"),
            "https://github.com/"
        );
        assert_eq!(
            canonical_uri("https://github.com/x/"),
            "https://github.com/x/"
        );
        let text = "%project=p\n\na 2020-01-01T00:00:00Z Ann <a@x>\nb [a !c other:d p:a] 2020-01-01T00:00:00Z Ann <a@x>\n";
        let plan = parse_plan(text, Path::new("sqitch.plan")).expect("plan");
        assert_eq!(plan.changes[1].requires, ["a", "other:d", "a"]);
        assert_eq!(plan.changes[1].conflicts, ["c"]);
        // No note, no uri: the info has neither.
        let c = &plan.changes[0];
        let info = "project p\nchange a\nplanner Ann <a@x>\ndate 2020-01-01T00:00:00Z";
        let mut sha = Sha1::new();
        sha.update(format!("change {}\0{info}", info.len()).as_bytes());
        assert_eq!(c.id, hex::encode(sha.finalize()));
    }

    #[test]
    fn ini() {
        let conf = parse_ini(
            "[core]\n\tengine = pg\n\ttop_dir = db # comment\n[engine \"pg\"]\n\tdeploy_dir = \"db/dep loy\"\n",
        );
        assert_eq!(conf.get("core.engine").map(String::as_str), Some("pg"));
        assert_eq!(conf.get("core.top_dir").map(String::as_str), Some("db"));
        assert_eq!(
            conf.get("engine.pg.deploy_dir").map(String::as_str),
            Some("db/dep loy")
        );
    }
}
