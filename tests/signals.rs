//! Real signals sent to the real binary during a headless apply: SIGHUP (a dropped SSH
//! session) stops after the current file, as SIGTERM does; a second Ctrl-C cancels a
//! statement stuck behind a row lock that another connection of this test holds.

mod common;
use common::*;
use cutover::db;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// `cutover apply` running in `dir`, its stdout read line by line.
struct Running {
    child: Child,
    lines: Receiver<String>,
    stdout: JoinHandle<String>,
}

impl Running {
    fn start(dir: &std::path::Path) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cutover"))
            .arg("apply")
            .current_dir(dir)
            .env_remove("CUTOVER_PLAN")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let out = child.stdout.take().expect("stdout");
        let (tx, lines) = std::sync::mpsc::channel::<String>();
        let stdout = std::thread::spawn(move || {
            let mut all = String::new();
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line.clone());
                all.push_str(&line);
                all.push('\n');
            }
            all
        });
        Running {
            child,
            lines,
            stdout,
        }
    }

    fn wait_line(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return,
                Ok(_) => {}
                Err(e) => panic!("never saw {needle:?}: {e}"),
            }
        }
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(ok.success());
    }

    fn still_running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// Waits for the exit (with a deadline); returns the code and stdout + stderr.
    fn finish(mut self) -> (Option<i32>, String) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.still_running() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("cutover did not exit after the signals");
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let out = self.child.wait_with_output().expect("wait");
        let text = format!(
            "{}{}",
            self.stdout.join().expect("reader"),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    }
}

#[test]
fn sighup_stops_after_the_current_file_and_records_it() {
    let Some(db) = TestDb::new(Backend::Sqlite, "sighup") else {
        return;
    };
    // Outside a transaction: before the fix a hangup killed it mid-file, leaving `running`.
    let slow = "-- no-transaction\nCREATE TABLE s (id INTEGER);\nWITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 6000000) SELECT COUNT(*) FROM c;\n";
    db.write_slow_then_t(slow);
    let run = Running::start(db.dir.path());
    run.wait_line("applying 0001_slow.sql");
    run.signal("-HUP");
    let (code, t) = run.finish();
    assert_eq!(code, Some(130), "{t}");
    assert!(
        t.contains("SIGHUP") && t.contains("stopping after the current file"),
        "{t}"
    );
    assert_eq!(
        db.strings("SELECT status FROM cutover_history ORDER BY version"),
        ["applied"],
        "the running file finished and was recorded; no `running` row is left"
    );
    assert!(!db.has_table("t"), "no file started after the hangup");
}

/// A table with one row, and a connection of the test holding that row's lock (an open
/// transaction that updated it), on its own runtime so the connection stays usable.
struct RowLock {
    rt: tokio::runtime::Runtime,
    conn: Option<db::Conn>,
}

impl RowLock {
    fn hold(db: &TestDb) -> RowLock {
        db.exec("CREATE TABLE held_row (id INTEGER NOT NULL PRIMARY KEY, v INTEGER NOT NULL)");
        db.exec("INSERT INTO held_row (id, v) VALUES (1, 0)");
        db.exec("CREATE TABLE marks (id INTEGER NOT NULL)");
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let mut conn = rt.block_on(db::connect(&db.info())).expect("connect").0;
        rt.block_on(async {
            conn.begin().await.expect("begin");
            conn.execute("UPDATE held_row SET v = 9 WHERE id = 1")
                .await
                .expect("take the row lock");
        });
        RowLock {
            rt,
            conn: Some(conn),
        }
    }

    fn release(mut self) {
        if let Some(mut c) = self.conn.take() {
            self.rt.block_on(async {
                c.rollback_quietly().await;
                c.close().await;
            });
        }
    }
}

/// How many statements of this test's database wait for a row lock now.
fn waiting(db: &TestDb) -> i64 {
    match db.backend {
        Backend::Postgres => db.scalar(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        ),
        // MariaDB's innodb_trx thread ids do not match processlist ids (seen on 10.11), so
        // the two are not joined: a transaction waits for a lock on the server, and this
        // database's UPDATE of the file (not this query, whose text holds it too) is in
        // progress, sent as a query or a prepared statement.
        _ => db.scalar(
            "SELECT COUNT(*) FROM information_schema.processlist p WHERE p.db = DATABASE() AND p.id <> CONNECTION_ID() AND p.command IN ('Query', 'Execute') AND p.info LIKE '%UPDATE held_row SET v = 2%' AND EXISTS (SELECT 1 FROM information_schema.innodb_trx x WHERE x.trx_state = 'LOCK WAIT')",
        ),
    }
}

fn wait_until_blocked(db: &TestDb) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while waiting(db) == 0 {
        if Instant::now() >= deadline {
            let seen = match db.backend {
                Backend::Postgres => db.strings("SELECT CONCAT(state, ' ', wait_event_type, ' ', query) FROM pg_stat_activity WHERE datname = current_database()"),
                _ => db.strings("SELECT CONCAT_WS(' | ', id, db, command, state, info) FROM information_schema.processlist"),
            };
            panic!("the file never waited on the lock; sessions: {seen:#?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// First Ctrl-C: the stuck statement keeps waiting. Second: it is cancelled, the run
/// stops with 130, and the ledger says what the file is now.
fn second_interrupt_cancels(backend: Backend, no_transaction: bool) {
    let name = format!("second_interrupt_{no_transaction}");
    let Some(db) = TestDb::new(backend, &name) else {
        return;
    };
    let head = if no_transaction {
        "-- no-transaction\n"
    } else {
        ""
    };
    write_files(
        &db.migrations_dir(),
        &[
            (
                "0001_wait.sql",
                &format!("{head}INSERT INTO marks (id) VALUES (1);\nUPDATE held_row SET v = 2 WHERE id = 1;\n"),
            ),
            ("0002_t.sql", "CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY);\n"),
        ],
    );
    db.write_plan("");
    let lock = RowLock::hold(&db);
    let mut run = Running::start(db.dir.path());
    run.wait_line("applying 0001_wait.sql");
    wait_until_blocked(&db);

    run.signal("-INT");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(run.still_running(), "the first Ctrl-C waits for the file");
    assert_eq!(waiting(&db), 1, "still waiting on the row lock");

    run.signal("-INT");
    let (code, t) = run.finish();
    lock.release();
    assert_eq!(code, Some(130), "{t}");
    assert!(t.contains("cancelled by the operator"), "{t}");
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM held_row WHERE v = 0"),
        1,
        "the update never happened"
    );
    assert!(!db.has_table("t"), "nothing ran after the cancelled file");
    if no_transaction {
        assert!(
            t.contains("marked partial") && t.contains("--resolve 0001="),
            "{t}"
        );
        assert_eq!(
            db.strings("SELECT status FROM cutover_history WHERE version = '0001'"),
            ["partial"]
        );
        assert_eq!(
            db.scalar("SELECT COUNT(*) FROM marks"),
            1,
            "its first statement remains"
        );
    } else {
        assert!(t.contains("stays pending"), "{t}");
        assert_eq!(
            db.scalar("SELECT COUNT(*) FROM cutover_history WHERE version = '0001'"),
            0,
            "pending: no row"
        );
        assert_eq!(db.scalar("SELECT COUNT(*) FROM marks"), 0, "rolled back");
        // It runs again, completely, once nothing holds the row.
        let out = cutover(db.dir.path(), &["apply"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert_eq!(db.scalar("SELECT COUNT(*) FROM held_row WHERE v = 2"), 1);
    }
}

#[test]
fn postgres_second_interrupt_cancels_a_transactional_file() {
    second_interrupt_cancels(Backend::Postgres, false);
}

#[test]
fn postgres_second_interrupt_leaves_a_no_transaction_file_partial() {
    second_interrupt_cancels(Backend::Postgres, true);
}

#[test]
fn mariadb_second_interrupt_cancels_a_transactional_file() {
    second_interrupt_cancels(Backend::Mysql, false);
}

#[test]
fn mariadb_second_interrupt_leaves_a_no_transaction_file_partial() {
    second_interrupt_cancels(Backend::Mysql, true);
}

#[test]
fn sqlite_second_interrupt_interrupts_a_long_statement() {
    let Some(db) = TestDb::new(Backend::Sqlite, "sqlite_second_interrupt") else {
        return;
    };
    // Long enough that only an interrupt ends it within the test's deadline.
    let slow = "CREATE TABLE s (id INTEGER);\nWITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500000000) SELECT COUNT(*) FROM c;\n";
    db.write_slow_then_t(slow);
    let mut run = Running::start(db.dir.path());
    run.wait_line("applying 0001_slow.sql");
    run.signal("-INT");
    std::thread::sleep(Duration::from_millis(500));
    assert!(run.still_running(), "the first Ctrl-C waits for the file");
    run.signal("-INT");
    let (code, t) = run.finish();
    assert_eq!(code, Some(130), "{t}");
    assert!(
        t.contains("interrupted") && t.contains("stays pending"),
        "{t}"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM cutover_history"),
        0,
        "rolled back: pending, no row"
    );
    assert!(!db.has_table("s") && !db.has_table("t"));
}
