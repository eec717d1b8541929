//! The dump and load tools a server's scratch copy is made with, run as one pipe (no
//! dump file on disk): `pg_dump | psql` and `mariadb-dump | mariadb`.
//!
//! The connection goes to the tools as separate parts: PostgreSQL's through libpq's
//! environment (`PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGSSLMODE`), MySQL's as
//! `--host/--port/--user` arguments; the password always and only through the
//! environment (`PGPASSWORD`, `MYSQL_PWD`), never an argument that `ps` would show.

use crate::checkpoint::CheckpointError;
use crate::db;
use crate::sql::Dialect;
use std::process::Stdio;
use tokio::process::Command;

/// The two programs of the pipe, as found on PATH.
#[derive(Debug, Clone)]
pub struct Tools {
    pub dump: &'static str,
    pub load: &'static str,
    dialect: Dialect,
}

/// The tools for a server, or an error naming what to install.
pub fn tools_for(dialect: Dialect) -> Result<Tools, CheckpointError> {
    let (dumps, loads, package): (&[&'static str], &[&'static str], &str) = match dialect {
        Dialect::Postgres => (&["pg_dump"], &["psql"], "postgresql-client"),
        _ => (
            &["mariadb-dump", "mysqldump"],
            &["mariadb", "mysql"],
            "mariadb-client (or mysql-client)",
        ),
    };
    let find = |names: &[&'static str]| names.iter().copied().find(|n| on_path(n));
    match (find(dumps), find(loads)) {
        (Some(dump), Some(load)) => Ok(Tools {
            dump,
            load,
            dialect,
        }),
        (d, _) => {
            let missing = if d.is_none() { dumps } else { loads };
            Err(CheckpointError::MissingTool(format!(
                "{} is not on PATH: a scratch copy of the target is made with it\n  hint: install it (Debian/Ubuntu: apt-get install {package})",
                missing.join(" or ")
            )))
        }
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| {
            std::fs::metadata(dir.join(program)).is_ok_and(|m| {
                use std::os::unix::fs::PermissionsExt;
                m.is_file() && m.permissions().mode() & 0o111 != 0
            })
        })
    })
}

/// Where the server is and who connects, read from the target's URL.
#[derive(Clone)]
pub struct Server {
    host: String,
    port: Option<u16>,
    user: Option<String>,
    password: Option<String>,
    sslmode: Option<String>,
    /// The URL, kept only to scrub the password from the tools' messages.
    url: String,
}

impl Server {
    pub fn from_url(url: &str, dialect: Dialect) -> Result<Server, CheckpointError> {
        let u = url::Url::parse(&url.replacen("mariadb:", "mysql:", 1)).map_err(|e| {
            CheckpointError::Backup(format!("cannot read the target URL for the tools: {e}"))
        })?;
        let sslmode = u
            .query_pairs()
            .find(|(k, _)| k == "sslmode" || (dialect == Dialect::Mysql && k == "ssl-mode"))
            .map(|(_, v)| v.into_owned());
        Ok(Server {
            host: u.host_str().unwrap_or("localhost").to_string(),
            port: u.port(),
            user: Some(db::percent_decoded(u.username())).filter(|s| !s.is_empty()),
            password: u.password().map(db::percent_decoded),
            sslmode,
            url: url.to_string(),
        })
    }

    /// Points a tool at `database` on this server.
    fn apply(&self, cmd: &mut Command, dialect: Dialect, database: &str) {
        match dialect {
            Dialect::Postgres => {
                cmd.env("PGHOST", &self.host).env("PGDATABASE", database);
                if let Some(p) = self.port {
                    cmd.env("PGPORT", p.to_string());
                }
                if let Some(u) = &self.user {
                    cmd.env("PGUSER", u);
                }
                if let Some(s) = &self.sslmode {
                    cmd.env("PGSSLMODE", s);
                }
                match &self.password {
                    Some(pw) => cmd.env("PGPASSWORD", pw),
                    None => cmd.env_remove("PGPASSWORD"),
                };
            }
            _ => {
                // TCP as sqlx connects, even to `localhost` (the client would take the
                // socket, perhaps of another server).
                cmd.arg(format!("--host={}", self.host))
                    .arg("--protocol=TCP");
                if let Some(p) = self.port {
                    cmd.arg(format!("--port={p}"));
                }
                if let Some(u) = &self.user {
                    cmd.arg(format!("--user={u}"));
                }
                match &self.password {
                    Some(pw) => cmd.env("MYSQL_PWD", pw),
                    None => cmd.env_remove("MYSQL_PWD"),
                };
            }
        }
    }
}

fn command(program: &str) -> Command {
    let mut c = Command::new(program);
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    c
}

/// Dumps `source` and loads it into `scratch` (an empty database), through a pipe.
pub async fn pipe(
    tools: &Tools,
    server: &Server,
    source: &str,
    scratch: &str,
) -> Result<(), CheckpointError> {
    let mut dump = command(tools.dump);
    let mut load = command(tools.load);
    match tools.dialect {
        Dialect::Postgres => {
            // Owners and grants name roles a scratch copy need not have.
            dump.args(["--no-owner", "--no-privileges", "--format=plain"]);
            load.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction"]);
            server.apply(&mut dump, tools.dialect, source);
            server.apply(&mut load, tools.dialect, scratch);
        }
        _ => {
            server.apply(&mut dump, tools.dialect, source);
            dump.args([
                "--single-transaction",
                "--routines",
                "--triggers",
                "--skip-comments",
            ]);
            // The database alone (no --databases): no CREATE DATABASE or USE naming the
            // target in the dump, so it loads into the scratch schema.
            dump.arg(source);
            server.apply(&mut load, tools.dialect, scratch);
            load.arg(scratch);
        }
    }
    let spawn_error =
        |p: &str, e: std::io::Error| CheckpointError::Backup(format!("cannot start {p}: {e}"));
    let mut dumping = dump.spawn().map_err(|e| spawn_error(tools.dump, e))?;
    let out = dumping
        .stdout
        .take()
        .ok_or_else(|| CheckpointError::Backup(format!("{}: no output pipe", tools.dump)))?;
    let out: Stdio = out.try_into().map_err(|e| spawn_error(tools.dump, e))?;
    load.stdin(out);
    let loading = load.spawn().map_err(|e| spawn_error(tools.load, e))?;
    let (d, l) = tokio::join!(dumping.wait_with_output(), loading.wait_with_output());
    let d = d.map_err(|e| spawn_error(tools.dump, e))?;
    let l = l.map_err(|e| spawn_error(tools.load, e))?;
    for (program, o) in [(tools.dump, &d), (tools.load, &l)] {
        if !o.status.success() {
            let said = String::from_utf8_lossy(&o.stderr);
            let said: Vec<&str> = said.lines().rev().take(6).collect();
            let said: Vec<&str> = said.into_iter().rev().collect();
            return Err(CheckpointError::Backup(format!(
                "{program} failed ({}): {}",
                o.status,
                db::scrub(&said.join("\n  "), &server.url)
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_goes_to_the_environment_only() {
        let s = Server::from_url("mysql://app:p%40ss@db.example:3307/shop", Dialect::Mysql)
            .expect("url");
        let mut c = Command::new("true");
        s.apply(&mut c, Dialect::Mysql, "shop");
        let std = c.as_std();
        let args: Vec<String> = std
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(args.iter().all(|a| !a.contains("p@ss")), "{args:?}");
        assert!(args.contains(&"--user=app".to_string()), "{args:?}");
        assert!(args.contains(&"--port=3307".to_string()), "{args:?}");
        let pw = std
            .get_envs()
            .find(|(k, _)| *k == "MYSQL_PWD")
            .and_then(|(_, v)| v.map(|v| v.to_string_lossy().into_owned()));
        assert_eq!(pw.as_deref(), Some("p@ss"));
    }
}
