//! The external tools backups need (`pg_dump`, `pg_restore`, `psql`; `mariadb-dump` or
//! `mysqldump`, `mariadb` or `mysql`), found on PATH, and how they are told where the
//! target is: host, port, user and database as arguments, the password only through the
//! environment (`PGPASSWORD`, `MYSQL_PWD`), so it never shows in `ps` or in a log.

use super::CheckpointError;
use crate::plan::BackupPolicy;
use crate::sql::Dialect;
use std::path::{Path, PathBuf};

/// A tool to run: its program, arguments and environment (which may hold a password:
/// never print `env`).
#[derive(Clone)]
pub struct ToolCommand {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

impl std::fmt::Debug for ToolCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolCommand")
            .field("program", &self.program)
            .field("args", &self.args)
            .field("env", &self.env.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .finish()
    }
}

impl ToolCommand {
    /// The command line as people read it (no environment, so no password).
    pub fn display(&self) -> String {
        let name = self
            .program
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        std::iter::once(name)
            .chain(self.args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn command(&self) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(&self.program);
        c.args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        c
    }
}

/// The first of `names` found on PATH.
pub fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| is_executable(p))
    })
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// One role a backup needs a tool for, with the names that fill it.
struct Need {
    role: &'static str,
    names: &'static [&'static str],
}

const PG_DUMP: Need = Need {
    role: "pg_dump",
    names: &["pg_dump"],
};
const PG_RESTORE: Need = Need {
    role: "pg_restore",
    names: &["pg_restore"],
};
const PSQL: Need = Need {
    role: "psql",
    names: &["psql"],
};
const MY_DUMP: Need = Need {
    role: "mariadb-dump (or mysqldump)",
    names: &["mariadb-dump", "mysqldump"],
};
const MY_CLIENT: Need = Need {
    role: "mariadb (or mysql)",
    names: &["mariadb", "mysql"],
};

fn needs(dialect: Dialect) -> &'static [Need] {
    match dialect {
        Dialect::Sqlite => &[],
        Dialect::Postgres => &[PG_DUMP, PG_RESTORE, PSQL],
        Dialect::Mysql => &[MY_DUMP, MY_CLIENT],
    }
}

/// Refuses a policy that needs a tool this machine lacks, naming it and how to install
/// it. Said before the window starts, so nothing runs without its backup.
pub fn require(policy: BackupPolicy, dialect: Dialect) -> Result<(), CheckpointError> {
    if policy == BackupPolicy::None {
        return Ok(());
    }
    let missing: Vec<&str> = needs(dialect)
        .iter()
        .filter(|n| find(n.names).is_none())
        .map(|n| n.role)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let package = match dialect {
        Dialect::Postgres => "postgresql-client",
        _ => "mariadb-client",
    };
    Err(CheckpointError::MissingTool(format!(
        "the plan's backup policy ({}) needs {} to back up and restore this target, and it is not on PATH\n  hint: install it (Debian/Ubuntu: `apt-get install {package}`; macOS: `brew install {}`), or set `backup = \"none\"` under [checkpoints] to go on without backups (a file without down SQL then cannot be undone)",
        policy_name(policy),
        missing.join(", "),
        if dialect == Dialect::Postgres { "libpq" } else { "mariadb" },
    )))
}

pub fn policy_name(p: BackupPolicy) -> &'static str {
    match p {
        BackupPolicy::PerFile => "per-file",
        BackupPolicy::PerBatch => "per-batch",
        BackupPolicy::Session => "session",
        BackupPolicy::None => "none",
    }
}

fn tool(need: &Need) -> Result<PathBuf, CheckpointError> {
    find(need.names).ok_or_else(|| {
        CheckpointError::MissingTool(format!(
            "{} is not on PATH\n  hint: install the database's client tools (Debian: postgresql-client or mariadb-client)",
            need.role
        ))
    })
}

/// Where a server target is, read from its URL; the password kept apart.
struct Endpoint {
    host: Option<String>,
    port: Option<u16>,
    user: Option<String>,
    password: Option<String>,
    database: Option<String>,
    params: Vec<(String, String)>,
}

fn endpoint(url: &str) -> Result<Endpoint, CheckpointError> {
    let u = url::Url::parse(url).map_err(|e| {
        CheckpointError::Backup(format!(
            "the target URL does not parse ({e})\n  hint: check [target] url"
        ))
    })?;
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Endpoint {
        host: u
            .host_str()
            .filter(|h| !h.is_empty())
            .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string()),
        port: u.port(),
        user: Some(decode(u.username())).filter(|s| !s.is_empty()),
        password: u.password().map(decode),
        database: Some(decode(u.path().trim_start_matches('/'))).filter(|s| !s.is_empty()),
        params: u
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    })
}

/// A libpq tool (`pg_dump`, `pg_restore`, `psql`) pointed at the target: connection
/// by arguments, password and TLS settings by environment.
fn pg(need: &Need, url: &str) -> Result<ToolCommand, CheckpointError> {
    let e = endpoint(url)?;
    let mut args = Vec::new();
    if let Some(h) = &e.host {
        args.extend(["-h".to_string(), h.clone()]);
    }
    if let Some(p) = e.port {
        args.extend(["-p".to_string(), p.to_string()]);
    }
    if let Some(u) = &e.user {
        args.extend(["-U".to_string(), u.clone()]);
    }
    // Never prompt: a missing password fails at once instead of hanging the window.
    args.push("-w".to_string());
    let mut env = Vec::new();
    if let Some(pw) = e.password {
        env.push(("PGPASSWORD".to_string(), pw));
    }
    for (k, v) in &e.params {
        let var = match k.as_str() {
            "sslmode" => "PGSSLMODE",
            "sslrootcert" => "PGSSLROOTCERT",
            "sslcert" => "PGSSLCERT",
            "sslkey" => "PGSSLKEY",
            "application_name" => "PGAPPNAME",
            "options" => "PGOPTIONS",
            _ => continue,
        };
        env.push((var.to_string(), v.clone()));
    }
    // The database goes last, as `-d`, after the tool's own options.
    env.push((
        "PGDATABASE".to_string(),
        e.database.clone().unwrap_or_else(|| "postgres".to_string()),
    ));
    Ok(ToolCommand {
        program: tool(need)?,
        args,
        env,
    })
}

pub(super) fn pg_dump(url: &str) -> Result<ToolCommand, CheckpointError> {
    pg(&PG_DUMP, url)
}

pub(super) fn pg_restore(url: &str) -> Result<ToolCommand, CheckpointError> {
    let mut c = pg(&PG_RESTORE, url)?;
    // pg_restore writes SQL to stdout here (`-f -`): no connection options.
    c.args.clear();
    c.env.retain(|(k, _)| k != "PGPASSWORD");
    Ok(c)
}

pub(super) fn psql(url: &str) -> Result<ToolCommand, CheckpointError> {
    pg(&PSQL, url)
}

/// A MariaDB/MySQL client tool pointed at the target (TCP, as the driver connects).
fn my(need: &Need, url: &str) -> Result<(ToolCommand, Option<String>), CheckpointError> {
    let e = endpoint(url)?;
    let mut args = Vec::new();
    if let Some(sock) = e.params.iter().find(|(k, _)| k == "socket").map(|(_, v)| v) {
        args.push(format!("--socket={sock}"));
    } else {
        args.push("--protocol=TCP".to_string());
        args.push(format!(
            "--host={}",
            e.host.clone().unwrap_or_else(|| "localhost".to_string())
        ));
        args.push(format!("--port={}", e.port.unwrap_or(3306)));
    }
    if let Some(u) = &e.user {
        args.push(format!("--user={u}"));
    }
    let mut env = Vec::new();
    if let Some(pw) = e.password {
        env.push(("MYSQL_PWD".to_string(), pw));
    }
    Ok((
        ToolCommand {
            program: tool(need)?,
            args,
            env,
        },
        e.database,
    ))
}

pub(super) fn my_dump(url: &str) -> Result<(ToolCommand, Option<String>), CheckpointError> {
    my(&MY_DUMP, url)
}

pub(super) fn my_client(url: &str) -> Result<(ToolCommand, Option<String>), CheckpointError> {
    my(&MY_CLIENT, url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_goes_by_environment_never_argv() {
        let Ok(c) = pg(
            &PSQL,
            "postgres://alice:s3cr%40t@db.example:6432/shop?sslmode=require",
        ) else {
            return; // psql not installed here: nothing to build
        };
        let line = c.display();
        assert!(!line.contains("s3cr"), "{line}");
        assert!(
            line.contains("-h db.example") && line.contains("-p 6432") && line.contains("-U alice"),
            "{line}"
        );
        assert!(c.env.contains(&("PGPASSWORD".into(), "s3cr@t".into())));
        assert!(c.env.contains(&("PGDATABASE".into(), "shop".into())));
        assert!(c.env.contains(&("PGSSLMODE".into(), "require".into())));
        assert!(!format!("{c:?}").contains("s3cr"));
    }

    #[test]
    fn mysql_password_by_environment() {
        let Ok((c, db)) = my(&MY_CLIENT, "mysql://root:pa%2Fss@127.0.0.1:3307/shop") else {
            return;
        };
        assert_eq!(db.as_deref(), Some("shop"));
        assert!(!c.display().contains("pa"), "{}", c.display());
        assert!(c.env.contains(&("MYSQL_PWD".into(), "pa/ss".into())));
        assert!(c.args.contains(&"--port=3307".to_string()));
    }
}
