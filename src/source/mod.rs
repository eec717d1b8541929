//! Migration folders: one file per format, each turning a folder into an ordered
//! `Vec<Migration>`. Formats and their exact conventions: shared/MIGRATION_FORMATS.md;
//! each reader's module documents what it follows and what it decides.

mod custom;
mod dbmate;
mod detect;
mod diesel;
mod drizzle;
mod files;
mod flyway;
mod golang_migrate;
mod goose;
mod prisma;
mod sqitch;
mod sqlx;
mod version;

pub use flyway::flyway_checksum;
pub use version::Version;

use crate::sql::{Dialect, Statement};
use std::path::{Path, PathBuf};

/// The folder layouts cutover reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Sqlx,
    Diesel,
    GolangMigrate,
    Dbmate,
    Flyway,
    Sqitch,
    Goose,
    /// `[migrations] pattern = '...'`
    Custom,
    /// `meta/_journal.json` + `<tag>.sql` (drizzle-kit).
    Drizzle,
    /// `migration_lock.toml` + `<name>/migration.sql` (Prisma Migrate).
    Prisma,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Sqlx => "sqlx",
            Format::Diesel => "diesel",
            Format::GolangMigrate => "golang-migrate",
            Format::Dbmate => "dbmate",
            Format::Flyway => "flyway",
            Format::Sqitch => "sqitch",
            Format::Goose => "goose",
            Format::Custom => "custom",
            Format::Drizzle => "drizzle",
            Format::Prisma => "prisma",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a migration runs once (versioned) or again whenever its text changes
/// (Flyway `R__` repeatable migrations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Versioned,
    Repeatable,
}

/// Why a file runs outside a transaction wrapper of ours.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TxMode {
    /// cutover wraps the file in one transaction (where the backend allows it).
    Wrapped,
    /// The file opts out (sqlx `-- no-transaction`, dbmate `transaction:false`, goose
    /// `-- +goose NO TRANSACTION`,
    /// diesel `run_in_transaction = false`, Flyway `executeInTransaction=false`).
    OptedOut(String),
    /// The format's own tool never wraps files: they carry their own BEGIN/COMMIT
    /// if they want one (golang-migrate, Sqitch).
    FileManaged,
}

/// Format-specific facts needed to adopt the folder's own tool and keep its history
/// table current (MIGRATION_FORMATS.md, "Native history tables").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Native {
    /// The version exactly as the native tool records it (diesel "20200125033332",
    /// Flyway "1.2.10", dbmate "20240101120000", Sqitch the change name).
    pub version: String,
    /// sqlx and Flyway: the description they store (DESC with `_` read as space).
    pub description: String,
    /// sqlx: SHA-384 of the up file's bytes.
    pub sqlx_checksum: Option<Vec<u8>>,
    /// Flyway: CRC32 over the file's lines, line endings excluded (as a signed i32).
    pub flyway_checksum: Option<i32>,
    /// Flyway: the script file name, e.g. `V1_2__add_users.sql` (with its sub-folder,
    /// `/`-separated, for scripts below the location's top).
    pub script: String,
    /// Sqitch: the plan line's fields.
    pub sqitch: Option<SqitchChange>,
    /// Drizzle: the journal entry's `when` (ms), which drizzle records as `created_at`.
    pub drizzle_when: Option<i64>,
}

/// One change line of a `sqitch.plan`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SqitchChange {
    pub project: String,
    /// The plan's `%uri`, as written (Sqitch stores it so in `projects.uri`).
    pub uri: Option<String>,
    pub change: String,
    /// The planned-at timestamp as written in the plan, e.g. `2013-12-31T10:26:59Z`.
    pub planned_at: String,
    pub planner_name: String,
    pub planner_email: String,
    pub note: String,
    pub requires: Vec<String>,
    pub conflicts: Vec<String>,
    /// Tags that follow this change in the plan (`@v1.0`).
    pub tags: Vec<String>,
    /// The change id Sqitch derives (SHA-1 of its canonical change info).
    pub change_id: String,
    /// SHA-1 of the deploy script's bytes.
    pub script_hash: String,
}

/// One migration: a versioned unit of up SQL with its optional down and verify SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub version: Version,
    pub name: String,
    pub kind: Kind,
    /// The up file (for display and error messages), relative to the migrations dir.
    pub path: PathBuf,
    pub up_sql: String,
    pub down_sql: Option<String>,
    pub down_path: Option<PathBuf>,
    pub verify_sql: Option<String>,
    pub tx: TxMode,
    /// sha256 (hex) of the up SQL: what the ledger compares to detect drift.
    pub checksum: String,
    pub native: Native,
}

/// The migrations of one folder, in apply order.
#[derive(Debug, Clone)]
pub struct Folder {
    pub dir: PathBuf,
    pub format: Format,
    /// True when the format was detected rather than named in the plan.
    pub detected: bool,
    pub migrations: Vec<Migration>,
    /// What the reader noticed and the operator should hear (files the format's tool
    /// does not read, orders it would not follow), said in the log when a session opens.
    pub notes: Vec<String>,
    /// `.sql` files at the top of the folder that the format does not read: the operator
    /// is warned about them (a detected flat format refuses them instead).
    pub unread: Vec<PathBuf>,
}

/// What went wrong reading a folder. Every message names the path and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read migrations folder {path}: {source}\n  hint: check [migrations] dir in the plan; relative paths start at the plan file's folder")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not valid UTF-8 (byte {offset})\n  hint: save the file as UTF-8")]
    NotUtf8 { path: PathBuf, offset: usize },
    #[error("duplicate version {version}: {first} and {second}\n  hint: every migration needs its own version; rename one of them")]
    DuplicateVersion {
        version: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("{path}: {what}")]
    Invalid { path: PathBuf, what: String },
    #[error("cannot tell the format of {path}: {why}\n  hint: set [migrations] format = \"sqlx\" | \"diesel\" | \"golang-migrate\" | \"dbmate\" | \"flyway\" | \"sqitch\" | \"goose\" | \"drizzle\" | \"prisma\", or a pattern")]
    Undetected { path: PathBuf, why: String },
    #[error("invalid [migrations] pattern: {0}\n  hint: a regular expression with named groups (?P<version>...), optional (?P<name>...) and (?P<direction>up|down)")]
    Pattern(String),
}

/// How the plan asks for a folder to be read.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// None means `auto`.
    pub format: Option<Format>,
    /// `[migrations] pattern`, implies `Format::Custom`.
    pub pattern: Option<String>,
}

/// Reads a migrations folder into its migrations, in apply order.
///
/// With `opts.pattern` the folder is read with the custom pattern; with `opts.format`
/// by that format's reader; otherwise the format is detected (`Folder.detected`).
pub fn read_folder(dir: &Path, opts: &ReadOptions) -> Result<Folder, SourceError> {
    let meta = std::fs::metadata(dir).map_err(|source| SourceError::Unreadable {
        path: dir.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(SourceError::Unreadable {
            path: dir.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
        });
    }
    let (format, detected) = match (&opts.pattern, opts.format) {
        (Some(_), _) => (Format::Custom, false),
        (None, Some(Format::Custom)) => {
            return Err(SourceError::Pattern(
                "format = \"custom\" needs a pattern".to_string(),
            ))
        }
        (None, Some(format)) => (format, false),
        (None, None) => (detect::detect(dir)?, true),
    };
    let mut notes = Vec::new();
    let migrations = match format {
        Format::Sqlx => sqlx::read(dir)?,
        Format::Diesel => diesel::read(dir)?,
        Format::GolangMigrate => golang_migrate::read(dir)?,
        Format::Dbmate => dbmate::read(dir)?,
        Format::Flyway => flyway::read(dir)?,
        Format::Sqitch => sqitch::read(dir)?,
        Format::Goose => goose::read(dir)?,
        Format::Custom => custom::read(dir, opts.pattern.as_deref().unwrap_or_default())?,
        Format::Drizzle => with_notes(drizzle::read(dir)?, &mut notes),
        Format::Prisma => with_notes(prisma::read(dir)?, &mut notes),
    };
    // Drizzle's and Prisma's readers say themselves which files they leave out (notes).
    let unread = match format {
        Format::Drizzle | Format::Prisma => Vec::new(),
        _ => detect::unread(dir, &migrations)?,
    };
    // Detected flat layouts read every `.sql` file beside them or say they cannot: a
    // file left out may be one the team means to run.
    let flat = matches!(
        format,
        Format::Sqlx | Format::GolangMigrate | Format::Dbmate | Format::Flyway | Format::Goose
    );
    // Flyway callbacks (`beforeMigrate.sql`, `afterEachMigrate__x.sql`, ...) are Flyway's
    // own kind of file, not an unknown one: they are warned about, not refused.
    let refused: Vec<&PathBuf> = unread
        .iter()
        .filter(|p| {
            let name = p.to_string_lossy();
            !(format == Format::Flyway && (name.starts_with("before") || name.starts_with("after")))
        })
        .collect();
    if detected && flat && !refused.is_empty() {
        let names: Vec<String> = refused
            .iter()
            .map(|p| format!("`{}`", p.display()))
            .collect();
        return Err(SourceError::Undetected {
            path: dir.to_path_buf(),
            why: format!(
                "it reads as {format}, but {format} would not read {}",
                names.join(", ")
            ),
        });
    }
    Ok(Folder {
        dir: dir.to_path_buf(),
        format,
        detected,
        migrations,
        notes,
        unread,
    })
}

fn with_notes(read: (Vec<Migration>, Vec<String>), notes: &mut Vec<String>) -> Vec<Migration> {
    notes.extend(read.1);
    read.0
}

impl Migration {
    /// The statements of the up SQL as they are sent, for a folder of `format`: the
    /// dialect's splitter, and for Drizzle its `--> statement-breakpoint` markers first.
    pub fn statements(&self, format: Format, dialect: Dialect) -> Vec<Statement> {
        match format {
            Format::Drizzle => drizzle::statements(&self.up_sql, dialect),
            _ => crate::sql::split(&self.up_sql, dialect),
        }
    }
}

/// sha256 hex of a text, the checksum the ledger keeps.
pub fn checksum(sql: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(sql.as_bytes()))
}
