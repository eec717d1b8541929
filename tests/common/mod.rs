//! Shared by the integration tests: a fresh database per test on each backend, the
//! real `cutover` binary, and fixture folders written to temporary directories.
//!
//! PostgreSQL and MariaDB tests use `CUTOVER_TEST_PG_URL` / `CUTOVER_TEST_MYSQL_URL`
//! (a server URL whose database part is replaced by a fresh one). Without them the
//! tests print that they were skipped; with `CUTOVER_REQUIRE_SERVERS=1` a missing or
//! unreachable server fails them.
#![allow(dead_code)]

use cutover::db::{self, Conn, ConnectInfo};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

/// Says that a test was skipped, past libtest's output capture (which would hide an
/// `eprintln!` of a passing test), so `cargo test` shows it.
pub fn skipped(msg: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {msg}");
}

/// The server URL in `var`, or None after saying the test was skipped. With
/// `CUTOVER_REQUIRE_SERVERS=1` a missing URL fails the test instead.
pub fn server_url(var: &str, test: &str) -> Option<String> {
    match std::env::var(var).ok().filter(|s| !s.is_empty()) {
        Some(url) => Some(url),
        None => {
            let required = std::env::var("CUTOVER_REQUIRE_SERVERS").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "{test}: CUTOVER_REQUIRE_SERVERS=1 but {var} is not set"
            );
            skipped(&format!("{test}: set {var} to run it"));
            None
        }
    }
}

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// A database made for one test and dropped after it.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    admin_url: Option<String>,
    name: String,
    pub dir: tempfile::TempDir,
}

fn unique_name() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "cutover_t_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        chrono::Utc::now().timestamp_micros() % 1_000_000
    )
}

fn with_database(server_url: &str, db: &str) -> String {
    let mut u = url::Url::parse(server_url).expect("test server URL parses");
    u.set_path(&format!("/{db}"));
    u.to_string()
}

impl TestDb {
    /// A fresh database, or None (after printing why) when the backend's server is not
    /// configured and not required.
    pub fn new(backend: Backend, test: &str) -> Option<TestDb> {
        let dir = tempfile::tempdir().expect("tempdir");
        let name = unique_name();
        let var = match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("target.db").display());
                return Some(TestDb {
                    backend,
                    url,
                    admin_url: None,
                    name,
                    dir,
                });
            }
            Backend::Postgres => "CUTOVER_TEST_PG_URL",
            Backend::Mysql => "CUTOVER_TEST_MYSQL_URL",
        };
        let required = std::env::var("CUTOVER_REQUIRE_SERVERS").is_ok_and(|v| v == "1");
        let Some(server) = std::env::var(var).ok().filter(|s| !s.is_empty()) else {
            assert!(
                !required,
                "{test}: CUTOVER_REQUIRE_SERVERS=1 but {var} is not set"
            );
            skipped(&format!("{test} on {backend:?}: set {var} to run it"));
            return None;
        };
        let created = block_on(async {
            let (mut admin, _) = db::connect(&info(&server)).await?;
            admin
                .execute(&format!("CREATE DATABASE {name}"))
                .await
                .map_err(|f| anyhow::anyhow!(f.message))?;
            admin.close().await;
            Ok::<_, anyhow::Error>(())
        });
        if let Err(e) = created {
            assert!(!required, "{test}: {var} server unusable: {e}");
            skipped(&format!("{test} on {backend:?}: server unusable: {e}"));
            return None;
        }
        let url = with_database(&server, &name);
        Some(TestDb {
            backend,
            url,
            admin_url: Some(server),
            name,
            dir,
        })
    }

    /// An existing SQLite file (made by the binary under test) to check afterwards.
    pub fn sqlite_at(file: &Path) -> TestDb {
        TestDb {
            backend: Backend::Sqlite,
            url: format!("sqlite://{}", file.display()),
            admin_url: None,
            name: String::new(),
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn info(&self) -> ConnectInfo {
        info(&self.url)
    }

    pub fn connect(&self) -> Conn {
        block_on(db::connect(&self.info()))
            .expect("test connects")
            .0
    }

    /// Runs a query returning one integer.
    pub fn scalar(&self, sql: &str) -> i64 {
        block_on(async {
            let mut c = db::connect(&self.info()).await.expect("connect").0;
            let v = c.scalar_i64(sql).await;
            c.close().await;
            v.unwrap_or_else(|f| panic!("{sql}: {}", f.message))
        })
    }

    pub fn strings(&self, sql: &str) -> Vec<String> {
        block_on(async {
            let mut c = db::connect(&self.info()).await.expect("connect").0;
            let v = c.column_strings(sql).await;
            c.close().await;
            v.unwrap_or_else(|f| panic!("{sql}: {}", f.message))
        })
    }

    pub fn exec(&self, sql: &str) {
        block_on(async {
            let mut c = db::connect(&self.info()).await.expect("connect").0;
            c.execute(sql)
                .await
                .unwrap_or_else(|f| panic!("{sql}: {}", f.message));
            c.close().await;
        })
    }

    /// Whether a table exists in the test database.
    pub fn has_table(&self, table: &str) -> bool {
        block_on(async {
            let mut c = db::connect(&self.info()).await.expect("connect").0;
            let v = db::ledger::table_exists(&mut c, table)
                .await
                .expect("table_exists");
            c.close().await;
            v
        })
    }

    /// Writes a plan at `<dir>/cutover.toml` pointing at this database and `migrations`.
    pub fn write_plan(&self, extra: &str) -> PathBuf {
        let plan = self.dir.path().join("cutover.toml");
        std::fs::write(
            &plan,
            format!(
                "[plan]\nname = \"test\"\n\n[target]\nurl = \"{}\"\n\n[migrations]\ndir = \"migrations\"\n{extra}",
                self.url
            ),
        )
        .expect("write plan");
        plan
    }

    /// The interrupt scenarios' folder: `0001_slow.sql` (the given SQL, long enough to be
    /// signalled while it runs), then `0002_t.sql`, which creates table `t` only if the
    /// run went on after the slow file; and a plan with no batches.
    pub fn write_slow_then_t(&self, slow: &str) {
        write_files(
            &self.migrations_dir(),
            &[
                ("0001_slow.sql", slow),
                (
                    "0002_t.sql",
                    "CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY);\n",
                ),
            ],
        );
        self.write_plan("");
    }

    pub fn migrations_dir(&self) -> PathBuf {
        let d = self.dir.path().join("migrations");
        std::fs::create_dir_all(&d).expect("mkdir");
        d
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(admin) = self.admin_url.clone() else {
            return;
        };
        let sql = match self.backend {
            Backend::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            _ => format!("DROP DATABASE IF EXISTS {}", self.name),
        };
        block_on(async {
            if let Ok((mut c, _)) = db::connect(&info(&admin)).await {
                let _ = c.execute(&sql).await;
                c.close().await;
            }
        });
    }
}

pub fn info(url: &str) -> ConnectInfo {
    ConnectInfo {
        url: url.to_string(),
        display: cutover::plan::redacted_url(url),
        init_sql: Vec::new(),
        create_missing: true,
    }
}

/// Writes `files` (name, content) into `dir`.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (name, content) in files {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, content).expect("write fixture");
    }
}

/// Runs the real binary with `args`, in `cwd`, with a clean environment for the plan.
pub fn cutover(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(args)
        .current_dir(cwd)
        .env_remove("CUTOVER_PLAN")
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .output()
        .expect("run cutover")
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Generates one test per backend from a body taking `Backend`.
#[macro_export]
macro_rules! on_all_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[test]
            fn sqlite() {
                ($body)(Backend::Sqlite)
            }
            #[test]
            fn postgres() {
                ($body)(Backend::Postgres)
            }
            #[test]
            fn mysql() {
                ($body)(Backend::Mysql)
            }
        }
    };
}
