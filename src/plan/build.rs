//! From the plan as written (`raw`) to a validated `Plan`: env expansion, defaults,
//! enum values, paths resolved against the plan's folder.

use super::expand::expand;
use super::raw::{RawBatch, RawCheck, RawDb, RawPlan};
use super::span::{error_at, from_toml};
use super::urls::{is_supported, resolve_sqlite, scheme_of};
use super::{
    BackupPolicy, BatchSpec, CheckSpec, CheckpointSpec, MigrationsSpec, OnFailure, Plan, PlanError,
    Risk, Selector, Target,
};
use crate::source::Format;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use toml::Spanned;

pub const DEFAULT_CHECKSUM_ROW_LIMIT: u64 = 1_000_000;

const URL_HINT: &str = "use a sqlite:, postgres:, postgresql:, mysql: or mariadb: URL, e.g. sqlite://app.db or postgres://user@host:5432/db";

const FORMATS: &[(&str, Option<Format>)] = &[
    ("auto", None),
    ("sqlx", Some(Format::Sqlx)),
    ("diesel", Some(Format::Diesel)),
    ("golang-migrate", Some(Format::GolangMigrate)),
    ("dbmate", Some(Format::Dbmate)),
    ("flyway", Some(Format::Flyway)),
    ("sqitch", Some(Format::Sqitch)),
    ("goose", Some(Format::Goose)),
    ("drizzle", Some(Format::Drizzle)),
    ("prisma", Some(Format::Prisma)),
];

const BACKUPS: &[(&str, BackupPolicy)] = &[
    ("per-file", BackupPolicy::PerFile),
    ("per-batch", BackupPolicy::PerBatch),
    ("session", BackupPolicy::Session),
    ("none", BackupPolicy::None),
];

const RISKS: &[(&str, Risk)] = &[
    ("low", Risk::Low),
    ("medium", Risk::Medium),
    ("high", Risk::High),
];

const ON_FAILURE: &[(&str, OnFailure)] = &[
    ("stop", OnFailure::Stop),
    ("rollback-file", OnFailure::RollbackFile),
    ("rollback-batch", OnFailure::RollbackBatch),
];

struct Cx<'a> {
    path: &'a Path,
    text: &'a str,
    env: &'a dyn Fn(&str) -> Option<String>,
    base_dir: PathBuf,
}

pub fn build(
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Plan, PlanError> {
    let raw: RawPlan = toml::from_str(text).map_err(|e| from_toml(path, text, &e))?;
    let cx = Cx {
        path,
        text,
        env,
        base_dir: base_dir_of(path),
    };

    let (name, theme) = match raw.plan {
        Some(p) => {
            let name = match p.name {
                Some(n) if n.get_ref().trim().is_empty() => {
                    return Err(cx.at(
                        &n,
                        "[plan] name is empty",
                        Some(
                            "give the plan a name, or leave name out to use the file's name".into(),
                        ),
                    ));
                }
                Some(n) => Some(n.into_inner()),
                None => None,
            };
            (name, p.theme)
        }
        None => (None, None),
    };
    let name = name.unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "cutover".to_string())
    });

    let target = cx.target(raw.target.as_ref())?;
    let source = match &raw.source {
        Some(s) => Some(cx.source(s)?),
        None => None,
    };
    let migrations = cx.migrations(raw.migrations.as_ref())?;
    let checkpoints = match &raw.checkpoints {
        Some(c) => CheckpointSpec {
            backup: match &c.backup {
                Some(b) => cx.choice(b, "backup", "[checkpoints]", BACKUPS)?,
                None => BackupPolicy::Session,
            },
            checksum_row_limit: c.checksum_row_limit.unwrap_or(DEFAULT_CHECKSUM_ROW_LIMIT),
        },
        None => CheckpointSpec {
            backup: BackupPolicy::Session,
            checksum_row_limit: DEFAULT_CHECKSUM_ROW_LIMIT,
        },
    };
    let batches = cx.batches(raw.batch, raw.source.is_some())?;

    Ok(Plan {
        file: Some(path.to_path_buf()),
        base_dir: cx.base_dir,
        sha256: hex::encode(Sha256::digest(text.as_bytes())),
        name,
        target,
        source,
        migrations,
        checkpoints,
        batches,
        theme,
    })
}

/// No plan file: DATABASE_URL, `./migrations`, auto format, no batches.
pub fn defaults(cwd: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Plan, PlanError> {
    let base_dir = std::path::absolute(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    let Some(url) = env("DATABASE_URL")
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
    else {
        return Err(PlanError::NotFound(format!(
            "no {} in {} and DATABASE_URL is not set\n  hint: pass -p PLAN (or set CUTOVER_PLAN) to name a plan file, or set DATABASE_URL to the target database",
            super::DEFAULT_PLAN,
            base_dir.display()
        )));
    };
    check_env_url(Path::new("DATABASE_URL"), &url)?;
    Ok(Plan {
        file: None,
        sha256: String::new(),
        name: base_dir
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "cutover".to_string()),
        target: Target {
            url: resolve_sqlite(&url, &base_dir),
            init_sql: Vec::new(),
        },
        source: None,
        migrations: MigrationsSpec {
            dir: base_dir.join("migrations"),
            format: None,
            pattern: None,
        },
        checkpoints: CheckpointSpec {
            backup: BackupPolicy::Session,
            checksum_row_limit: DEFAULT_CHECKSUM_ROW_LIMIT,
        },
        batches: Vec::new(),
        theme: None,
        base_dir,
    })
}

fn check_env_url(path: &Path, url: &str) -> Result<(), PlanError> {
    let what = match scheme_of(url) {
        Some(s) if is_supported(s) => return Ok(()),
        Some(s) => format!("an unsupported database URL scheme `{s}:`"),
        None => "no URL scheme".to_string(),
    };
    Err(PlanError::Invalid {
        path: path.to_path_buf(),
        message: format!("DATABASE_URL holds {what}\n  hint: {URL_HINT}"),
    })
}

/// The plan's folder, absolute. `cutover.toml` has the current folder.
fn base_dir_of(path: &Path) -> PathBuf {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::path::absolute(parent).unwrap_or_else(|_| parent.to_path_buf())
}

/// `base/rel` without `.` components; absolute `rel` stays as it is.
fn join_clean(base: &Path, rel: &Path) -> PathBuf {
    let mut out = if rel.is_absolute() {
        PathBuf::new()
    } else {
        base.to_path_buf()
    };
    for c in rel.components() {
        if c != Component::CurDir {
            out.push(c);
        }
    }
    out
}

impl Cx<'_> {
    fn at<T>(&self, s: &Spanned<T>, message: impl Into<String>, hint: Option<String>) -> PlanError {
        error_at(self.path, self.text, s.span().start, message, hint)
    }

    /// Expands `${VAR}`s in a string value; an error points at the reference itself
    /// when the string is written without escapes, else at the string.
    fn expand(&self, s: &Spanned<String>) -> Result<String, PlanError> {
        expand(s.get_ref(), self.env).map_err(|e| {
            let span = s.span();
            let written = self.text.get(span.clone()).unwrap_or_default();
            let inner = ['"', '\''].iter().find_map(|q| {
                let triple: String = std::iter::repeat_n(*q, 3).collect();
                if written.starts_with(&triple) {
                    return None;
                }
                written.strip_prefix(*q)?.strip_suffix(*q)
            });
            let offset = match inner {
                Some(inner) if inner == s.get_ref() => span.start + 1 + e.at,
                _ => span.start,
            };
            error_at(self.path, self.text, offset, e.message, Some(e.hint))
        })
    }

    fn choice<T: Copy>(
        &self,
        s: &Spanned<String>,
        key: &str,
        table: &str,
        options: &[(&str, T)],
    ) -> Result<T, PlanError> {
        let value = s.get_ref().trim();
        options
            .iter()
            .find(|(name, _)| *name == value)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
                self.at(
                    s,
                    format!("invalid {key} `{value}` in {table}"),
                    Some(format!("expected one of: {}", names.join(", "))),
                )
            })
    }

    /// A database URL: expanded, checked, SQLite paths made absolute.
    fn url(&self, s: &Spanned<String>, table: &str) -> Result<String, PlanError> {
        let url = self.expand(s)?.trim().to_string();
        if url.is_empty() {
            return Err(self.at(
                s,
                format!("url in {table} is empty"),
                Some(URL_HINT.to_string()),
            ));
        }
        match scheme_of(&url) {
            Some(scheme) if is_supported(scheme) => Ok(resolve_sqlite(&url, &self.base_dir)),
            // Only the scheme: what follows may be a password in the wrong place.
            Some(scheme) => Err(self.at(
                s,
                format!("unsupported database URL scheme `{scheme}:` in {table}"),
                Some(URL_HINT.to_string()),
            )),
            None => Err(self.at(
                s,
                format!("url in {table} is not a URL: it has no scheme"),
                Some(URL_HINT.to_string()),
            )),
        }
    }

    fn init_sql(&self, db: Option<&RawDb>) -> Result<Vec<String>, PlanError> {
        db.map(|d| d.init_sql.iter().map(|s| self.expand(s)).collect())
            .unwrap_or_else(|| Ok(Vec::new()))
    }

    fn target(&self, raw: Option<&Spanned<RawDb>>) -> Result<Target, PlanError> {
        let init_sql = self.init_sql(raw.map(|r| r.get_ref()))?;
        if let Some(url) = raw.and_then(|r| r.get_ref().url.as_ref()) {
            return Ok(Target {
                url: self.url(url, "[target]")?,
                init_sql,
            });
        }
        let from_env = (self.env)("DATABASE_URL")
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty());
        match (from_env, raw) {
            (Some(url), _) => {
                check_env_url(self.path, &url)?;
                Ok(Target {
                    url: resolve_sqlite(&url, &self.base_dir),
                    init_sql,
                })
            }
            (None, Some(table)) => Err(self.at(
                table,
                "[target] has no url, and DATABASE_URL is not set",
                Some("set url = \"postgres://...\" in [target] (\"${VAR}\" reads the environment), or set DATABASE_URL".to_string()),
            )),
            (None, None) => Err(PlanError::Invalid {
                path: self.path.to_path_buf(),
                message: "no target database: the plan has no [target] url, and DATABASE_URL is not set\n  hint: add [target] with url = \"postgres://...\" (\"${VAR}\" reads the environment), or set DATABASE_URL".to_string(),
            }),
        }
    }

    fn source(&self, raw: &Spanned<RawDb>) -> Result<Target, PlanError> {
        let init_sql = self.init_sql(Some(raw.get_ref()))?;
        match &raw.get_ref().url {
            Some(url) => Ok(Target {
                url: self.url(url, "[source]")?,
                init_sql,
            }),
            None => Err(self.at(
                raw,
                "missing key `url` in [source]",
                Some(
                    "add url = \"...\" naming the database to compare with, or remove [source]"
                        .to_string(),
                ),
            )),
        }
    }

    fn migrations(
        &self,
        raw: Option<&super::raw::RawMigrations>,
    ) -> Result<MigrationsSpec, PlanError> {
        let Some(raw) = raw else {
            return Ok(MigrationsSpec {
                dir: self.base_dir.join("migrations"),
                format: None,
                pattern: None,
            });
        };
        let dir = match &raw.dir {
            Some(d) => {
                let dir = self.expand(d)?;
                if dir.trim().is_empty() {
                    return Err(self.at(
                        d,
                        "dir in [migrations] is empty",
                        Some(
                            "name the migrations folder, relative to the plan file's folder".into(),
                        ),
                    ));
                }
                join_clean(&self.base_dir, Path::new(&dir))
            }
            None => self.base_dir.join("migrations"),
        };
        let mut format = match &raw.format {
            Some(f) if f.get_ref().trim() == "custom" && raw.pattern.is_some() => {
                Some(Format::Custom)
            }
            Some(f) => self.choice(f, "format", "[migrations]", FORMATS)?,
            None => None,
        };
        let pattern = match &raw.pattern {
            Some(p) => {
                if let (Some(named), Some(f)) = (format, &raw.format) {
                    if named != Format::Custom {
                        return Err(self.at(
                            p,
                            format!("pattern in [migrations] cannot be combined with format = \"{}\"", f.get_ref().trim()),
                            Some("a pattern describes a layout of its own: remove format (or set it to \"auto\"), or remove the pattern".to_string()),
                        ));
                    }
                }
                self.check_pattern(p)?;
                format = Some(Format::Custom);
                Some(p.get_ref().clone())
            }
            None => None,
        };
        Ok(MigrationsSpec {
            dir,
            format,
            pattern,
        })
    }

    fn check_pattern(&self, p: &Spanned<String>) -> Result<(), PlanError> {
        const HINT: &str = "a regular expression with named groups (?P<version>...), optional (?P<name>...) and (?P<direction>up|down), e.g. '^(?P<version>\\d+)-(?P<name>.+)\\.(?P<direction>up|down)\\.sql$'";
        match regex::Regex::new(p.get_ref()) {
            Err(e) => {
                let text = e.to_string();
                let why = text
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or(&text)
                    .trim()
                    .trim_start_matches("error: ")
                    .to_string();
                Err(self.at(
                    p,
                    format!("invalid pattern in [migrations]: {why}"),
                    Some(HINT.to_string()),
                ))
            }
            Ok(re) if !re.capture_names().any(|n| n == Some("version")) => Err(self.at(
                p,
                "pattern in [migrations] has no (?P<version>...) group",
                Some(HINT.to_string()),
            )),
            Ok(_) => Ok(()),
        }
    }

    fn batches(&self, raw: Vec<RawBatch>, has_source: bool) -> Result<Vec<BatchSpec>, PlanError> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut out = Vec::with_capacity(raw.len());
        for b in raw {
            let name = b.name.get_ref().trim().to_string();
            if name.is_empty() {
                return Err(self.at(
                    &b.name,
                    "batch name is empty",
                    Some("give every [[batch]] a name; --batch takes it".to_string()),
                ));
            }
            if name.chars().all(|c| c.is_ascii_digit()) {
                return Err(self.at(
                    &b.name,
                    format!("batch name `{name}` is a number"),
                    Some("--batch N takes numbers as positions (1 is the first batch); give the batch a name with a letter in it".to_string()),
                ));
            }
            if name == "unbatched" {
                return Err(self.at(
                    &b.name,
                    "batch name `unbatched` is reserved",
                    Some(
                        "cutover gives that name to the files no batch names; choose another"
                            .to_string(),
                    ),
                ));
            }
            if let Some(first) = seen.get(&name) {
                let (line, _) = super::line_col(self.text, *first);
                return Err(self.at(
                    &b.name,
                    format!("duplicate batch name `{name}`"),
                    Some(format!("the name is first used on line {line}; batch names must be unique, as --batch takes them")),
                ));
            }
            seen.insert(name.clone(), b.name.span().start);

            if b.files.get_ref().is_empty() {
                return Err(self.at(
                    &b.files,
                    format!("batch '{name}' has no files"),
                    Some("list versions, version ranges or globs: files = [\"0001..=0003\", \"0007\", \"*_orders*\"]".to_string()),
                ));
            }
            let mut files = Vec::with_capacity(b.files.get_ref().len());
            for sel in b.files.get_ref() {
                files.push(self.selector(&name, sel)?);
            }
            let mut checks = Vec::with_capacity(b.check.len());
            for c in &b.check {
                checks.push(self.check(&name, c, has_source)?);
            }
            out.push(BatchSpec {
                risk: match &b.risk {
                    Some(r) => self.choice(r, "risk", "[[batch]]", RISKS)?,
                    None => Risk::Low,
                },
                on_failure: match &b.on_failure {
                    Some(f) => self.choice(f, "on_failure", "[[batch]]", ON_FAILURE)?,
                    None => OnFailure::Stop,
                },
                name,
                files,
                checks,
                benches: b.bench,
            });
        }
        Ok(out)
    }

    /// A `[[batch.check]]`: a known kind and severity, what the kind needs, a `compare`
    /// it understands (and a `[source]` when it compares with one).
    fn check(&self, batch: &str, c: &RawCheck, has_source: bool) -> Result<CheckSpec, PlanError> {
        use crate::check::{compare_of, missing, Compare, COMPARE_HINT, KINDS};
        let spec = c.spec();
        if !KINDS.contains(&spec.kind.as_str()) {
            return Err(self.at(
                &c.kind,
                format!("unknown check kind `{}` in batch '{batch}'", spec.kind),
                Some(format!("expected one of: {}", KINDS.join(", "))),
            ));
        }
        if let Some(s) = &c.severity {
            if crate::event::Severity::parse(s.get_ref().trim()).is_none() {
                return Err(self.at(
                    s,
                    format!(
                        "invalid severity `{}` in batch '{batch}'",
                        s.get_ref().trim()
                    ),
                    Some("expected one of: critical, error, warning, info".to_string()),
                ));
            }
        }
        if let Some(m) = missing(&spec) {
            return Err(self.at(
                &c.kind,
                format!("{m} in batch '{batch}'"),
                Some(format!(
                    "add the missing key to this [[batch.check]] of kind {}",
                    spec.kind
                )),
            ));
        }
        if let Some(cmp) = &c.compare {
            if !matches!(spec.kind.as_str(), "row_count" | "checksum") {
                return Err(self.at(
                    cmp,
                    format!("a {} check takes no compare (batch '{batch}')", spec.kind),
                    Some("compare is for row_count and checksum checks".to_string()),
                ));
            }
            match compare_of(cmp.get_ref(), &spec.kind) {
                Err(e) => {
                    return Err(self.at(
                        cmp,
                        format!("{e} in batch '{batch}'"),
                        Some(COMPARE_HINT.to_string()),
                    ))
                }
                Ok(Compare::Source) if !has_source => {
                    return Err(self.at(
                        cmp,
                        format!("compare = \"source\" in batch '{batch}', but the plan has no [source]"),
                        Some("add [source] with url = \"...\" naming the database to compare with, or compare with \"checkpoint\"".to_string()),
                    ))
                }
                Ok(_) => {}
            }
        }
        Ok(spec)
    }

    fn selector(&self, batch: &str, s: &Spanned<String>) -> Result<Selector, PlanError> {
        let text = s.get_ref().trim();
        let bad = |message: String, hint: &str| Err(self.at(s, message, Some(hint.to_string())));
        const HINT: &str = "a selector is a version (\"0003\"), a range (\"0001..=0011\" includes 0011, \"0001..0011\" does not), or a glob over file names (\"*_orders*\")";
        if text.is_empty() {
            return bad(format!("batch '{batch}' has an empty file selector"), HINT);
        }
        if let Some((lo, hi)) = text.split_once("..") {
            let hi = hi.strip_prefix('=').unwrap_or(hi);
            if lo.contains(['*', '?']) || hi.contains(['*', '?']) {
                return bad(
                    format!("batch '{batch}': `{text}` mixes a range and a glob"),
                    HINT,
                );
            }
            if hi.contains("..") {
                return bad(format!("batch '{batch}': `{text}` is not a range"), HINT);
            }
            if text.contains("..=") && hi.trim().is_empty() {
                return bad(format!("batch '{batch}': `{text}` has no upper end"), HINT);
            }
        }
        let (line, column) = super::line_col(self.text, s.span().start);
        Ok(Selector {
            text: text.to_string(),
            line,
            column,
        })
    }
}
