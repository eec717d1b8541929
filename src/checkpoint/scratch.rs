//! Scratch copies of a target, for a rehearsal or a dry run: work that must never touch
//! the real database runs on one, and it is dropped afterwards.
//!
//! - SQLite: `VACUUM INTO` a file in a fresh temporary folder. It reads the target in
//!   one read transaction (a consistent copy while others write) and writes nothing to it.
//! - PostgreSQL: a new database on the same server, loaded from a dump of the target's
//!   schema: the checkpoints' own `take_backup` (`pg_dump -Fc`) into the scratch folder,
//!   then their `restore` (`pg_restore`, one transaction) onto the new database.
//!   `CREATE DATABASE ... TEMPLATE` would be faster but fails whenever anyone else is
//!   connected to the target, which is the normal state of a production database: the
//!   dump always works.
//! - MySQL/MariaDB: a new schema on the same server with the target's character set and
//!   collation, loaded the same way (`mariadb-dump --single-transaction`, then the
//!   `mariadb` client).
//!
//! The scratch name carries a fresh uuid, so two runs never collide. The tools get the
//! password through the environment only (see `tools`), and the scratch's display form
//! has none. The dump file lives in the scratch folder and goes with it.

use super::CheckpointError;
use crate::db::{self, ConnectInfo};
use crate::sql::Dialect;
use std::path::PathBuf;

/// A scratch copy of a target. Call `drop_now` when done (also after a failure):
/// a server database is not dropped by `Drop`, which cannot wait for the server.
#[derive(Debug)]
pub struct Scratch {
    /// How to connect to the copy (its URL holds the target's password; never print it).
    pub info: ConnectInfo,
    /// What made it, for people: `VACUUM INTO`, `pg_dump | psql`, `mariadb-dump | mariadb`.
    pub method: String,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// The temporary folder holding the copy.
    Sqlite(PathBuf),
    /// The database made on the target's server, dropped through a connection to the
    /// target itself (the one database we know we may connect to); and the temporary
    /// folder its dump went through.
    Server {
        name: String,
        target: ConnectInfo,
        dir: PathBuf,
    },
}

/// A name no other run uses: `cutover_scratch_` and a uuid without dashes (49
/// characters, under PostgreSQL's 63 and MySQL's 64).
fn fresh_name() -> String {
    format!("cutover_scratch_{}", uuid::Uuid::new_v4().simple())
}

impl Scratch {
    /// Copies the target. `progress` hears what is being done (no password in it).
    pub async fn create(
        target: &ConnectInfo,
        progress: &mut (dyn FnMut(String) + Send),
    ) -> Result<Scratch, CheckpointError> {
        let dialect = db::dialect_of(&target.url).ok_or_else(|| {
            CheckpointError::Backup(format!("{}: unknown URL scheme", target.display))
        })?;
        match dialect {
            Dialect::Sqlite => sqlite_copy(target, progress).await,
            Dialect::Postgres | Dialect::Mysql => server_copy(target, dialect, progress).await,
        }
    }

    /// The copy as people see it: a path, or the server URL naming the scratch database
    /// (no password).
    pub fn display(&self) -> &str {
        &self.info.display
    }

    /// Drops the copy: removes the SQLite folder, or drops the scratch database.
    pub async fn drop_now(self) -> Result<(), CheckpointError> {
        match self.kind {
            Kind::Sqlite(dir) => std::fs::remove_dir_all(&dir).map_err(|e| {
                CheckpointError::Backup(format!(
                    "cannot remove the scratch copy {}: {e}\n  hint: remove it by hand",
                    dir.display()
                ))
            }),
            Kind::Server { name, target, dir } => {
                let _ = std::fs::remove_dir_all(&dir);
                drop_database(&target, &name).await
            }
        }
    }
}

/// A fresh folder under the system's temporary folder.
fn scratch_dir(name: &str) -> Result<PathBuf, CheckpointError> {
    let dir = std::env::temp_dir().join(name);
    std::fs::create_dir_all(&dir).map_err(|e| {
        CheckpointError::Backup(format!(
            "cannot create a scratch folder {}: {e}\n  hint: check TMPDIR, or free space there",
            dir.display()
        ))
    })?;
    Ok(dir)
}

async fn sqlite_copy(
    target: &ConnectInfo,
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<Scratch, CheckpointError> {
    let dir = scratch_dir(&fresh_name())?;
    let file = dir.join("scratch.db");
    let info = ConnectInfo {
        url: format!("sqlite://{}", file.display()),
        display: file.display().to_string(),
        init_sql: target.init_sql.clone(),
        create_missing: true,
    };
    let scratch = Scratch {
        info,
        method: "VACUUM INTO".into(),
        kind: Kind::Sqlite(dir),
    };
    let source = ConnectInfo {
        create_missing: false,
        init_sql: Vec::new(),
        ..target.clone()
    };
    let copied = match db::connect(&source).await {
        Ok((mut conn, _)) => {
            progress(format!(
                "copying {} to {} (VACUUM INTO)",
                target.display,
                file.display()
            ));
            let quoted = file.display().to_string().replace('\'', "''");
            let r = conn.execute(&format!("VACUUM INTO '{quoted}'")).await;
            conn.close().await;
            r.map(|_| ()).map_err(|f| {
                CheckpointError::Backup(format!(
                    "cannot copy {} to a scratch file: {}",
                    target.display, f.message
                ))
            })
        }
        // Nothing to copy: the files run on an empty database, as on the target.
        Err(db::DbError::Missing { .. }) => {
            progress(format!(
                "{} does not exist yet: the scratch copy starts empty",
                target.display
            ));
            Ok(())
        }
        Err(e) => Err(CheckpointError::Backup(e.to_string())),
    };
    match copied {
        Ok(()) => Ok(scratch),
        Err(e) => {
            let _ = scratch.drop_now().await;
            Err(e)
        }
    }
}

/// The target's URL with another database (path) in it.
fn with_database(url: &str, name: &str) -> Result<String, CheckpointError> {
    let mut u = url::Url::parse(url)
        .map_err(|e| CheckpointError::Backup(format!("cannot read the target URL: {e}")))?;
    u.set_path(&format!("/{name}"));
    Ok(u.to_string())
}

async fn server_copy(
    target: &ConnectInfo,
    dialect: Dialect,
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<Scratch, CheckpointError> {
    let name = fresh_name();
    let url = with_database(&target.url, &name)?;
    let display = crate::plan::redacted_url(&url);
    let failed = |e: db::DbError| CheckpointError::Backup(e.to_string());
    let (mut conn, _) = db::connect(target).await.map_err(failed)?;
    let schema = conn.schema().unwrap_or("public").to_string();
    let create = match dialect {
        Dialect::Postgres => format!("CREATE DATABASE \"{name}\""),
        _ => mysql_create(&mut conn, &name).await,
    };
    let made = conn.execute(&create).await;
    if let Err(f) = made {
        conn.close().await;
        return Err(CheckpointError::Backup(format!(
            "cannot create the scratch database {name}: {}\n  hint: the target's user needs the right to create databases ({})",
            f.message,
            match dialect {
                Dialect::Postgres => "CREATEDB",
                _ => "CREATE on *.*",
            }
        )));
    }
    let scratch = Scratch {
        info: ConnectInfo {
            url,
            display,
            init_sql: target.init_sql.clone(),
            create_missing: false,
        },
        method: match dialect {
            Dialect::Postgres => "pg_dump, pg_restore".into(),
            _ => "mariadb-dump, mariadb".into(),
        },
        kind: Kind::Server {
            name: name.clone(),
            target: target.clone(),
            dir: std::env::temp_dir().join(&name),
        },
    };
    progress(format!(
        "copying {} to scratch database {name} ({})",
        target.display, scratch.method
    ));
    conn.close().await;
    match load(target, &scratch, &schema, &name).await {
        Ok(()) => Ok(scratch),
        Err(e) => {
            let _ = scratch.drop_now().await;
            Err(e)
        }
    }
}

/// Dumps the target with the checkpoints' backup and restores it onto the scratch
/// database, through a dump file in the scratch folder (removed at once).
async fn load(
    target: &ConnectInfo,
    scratch: &Scratch,
    schema: &str,
    name: &str,
) -> Result<(), CheckpointError> {
    let dir = scratch_dir(name)?;
    let r = dump_and_restore(target, &scratch.info, schema, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    r
}

async fn dump_and_restore(
    target: &ConnectInfo,
    copy: &ConnectInfo,
    schema: &str,
    dir: &std::path::Path,
) -> Result<(), CheckpointError> {
    let failed = |e: db::DbError| CheckpointError::Backup(e.to_string());
    let (mut conn, _) = db::connect(target).await.map_err(failed)?;
    let dump = super::take_backup(&mut conn, &target.url, &dir.join("copy"), 0, &mut |_| {}).await;
    let dialect = conn.dialect;
    conn.close().await;
    let dump = dump?;
    // The dump restores into the target's schema, which a new PostgreSQL database has
    // only when it is `public`.
    if dialect == Dialect::Postgres && schema != "public" {
        let (mut c, _) = db::connect(copy).await.map_err(failed)?;
        let made = c
            .execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {}",
                db::names::quote_ident(Dialect::Postgres, schema)
            ))
            .await;
        c.close().await;
        made.map_err(|f| CheckpointError::Backup(f.message))?;
    }
    super::restore(&copy.url, &dump, &mut |_| {}).await
}

/// `CREATE DATABASE` with the target's character set and collation, so tables the files
/// create on the copy get the defaults they would get on the target.
async fn mysql_create(conn: &mut db::Conn, name: &str) -> String {
    let defaults = conn
        .column_strings(
            "SELECT CONCAT(DEFAULT_CHARACTER_SET_NAME, ' ', DEFAULT_COLLATION_NAME) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()",
        )
        .await
        .ok()
        .and_then(|v| v.into_iter().next());
    match defaults.as_deref().and_then(|d| d.split_once(' ')) {
        Some((cs, coll)) if is_word(cs) && is_word(coll) => {
            format!("CREATE DATABASE `{name}` CHARACTER SET {cs} COLLATE {coll}")
        }
        _ => format!("CREATE DATABASE `{name}`"),
    }
}

fn is_word(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

async fn drop_database(target: &ConnectInfo, name: &str) -> Result<(), CheckpointError> {
    let dialect = db::dialect_of(&target.url);
    let failed = |m: String| {
        CheckpointError::Backup(format!(
            "cannot drop the scratch database {name}: {m}\n  hint: drop it by hand: DROP DATABASE {name}"
        ))
    };
    let (mut conn, _) = db::connect(target)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let r = match dialect {
        // FORCE ends sessions a cancelled job may have left on the copy (PostgreSQL 13+).
        Some(Dialect::Postgres) => {
            match conn
                .execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await
            {
                Ok(n) => Ok(n),
                Err(_) => {
                    conn.execute(&format!("DROP DATABASE IF EXISTS \"{name}\""))
                        .await
                }
            }
        }
        _ => {
            conn.execute(&format!("DROP DATABASE IF EXISTS `{name}`"))
                .await
        }
    };
    conn.close().await;
    r.map(|_| ()).map_err(|f| failed(f.message))
}

#[cfg(test)]
mod tests {
    #[test]
    fn scratch_names_are_fresh_and_short_enough() {
        let (a, b) = (super::fresh_name(), super::fresh_name());
        assert_ne!(a, b);
        assert!(a.len() <= 63, "{a}");
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    }

    #[test]
    fn the_copy_url_names_the_scratch_database() {
        let u =
            super::with_database("postgres://u:pw@h:5432/shop?sslmode=disable", "s1").expect("url");
        assert_eq!(u, "postgres://u:pw@h:5432/s1?sslmode=disable");
    }
}
