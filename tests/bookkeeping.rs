//! Bookkeeping that holds whatever the files do to their session (search_path, USE),
//! durations that cover the whole file, the truth after a lost connection, a logs
//! folder that cannot be made, through the real binary.

mod common;
use common::*;

use std::process::Stdio;
use std::time::{Duration, Instant};

/// A pg_dump header empties the search path for the rest of the session.
const PG_DUMP_HEADER: &str = "SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\nSET check_function_bodies = false;\nCREATE TABLE public.users (id integer NOT NULL);\n";
/// A file that moves the search path elsewhere for the files after it.
const MOVES_SEARCH_PATH: &str =
    "CREATE SCHEMA elsewhere;\nSET search_path TO elsewhere;\nCREATE TABLE t2 (id integer);\n";
const AFTER: &str = "CREATE TABLE t3 (id integer);\n";

/// The three files above laid out as `format` lays out a folder, and its history table.
fn folder(format: &str) -> (Vec<(String, String)>, &'static str) {
    let bodies = [PG_DUMP_HEADER, MOVES_SEARCH_PATH, AFTER];
    let mut files = Vec::new();
    for (n, body) in bodies.iter().enumerate() {
        let v = n + 1;
        let f = |name: String, text: String| (name, text);
        match format {
            "dbmate" => files.push(f(
                format!("2024010100000{v}_step.sql"),
                format!("-- migrate:up\n{body}\n-- migrate:down\nSELECT 1;\n"),
            )),
            "sqlx" => files.push(f(format!("000{v}_step.sql"), body.to_string())),
            "diesel" => {
                files.push(f(
                    format!("2024-01-0{v}-000000_step/up.sql"),
                    body.to_string(),
                ));
                files.push(f(
                    format!("2024-01-0{v}-000000_step/down.sql"),
                    "SELECT 1;\n".into(),
                ));
            }
            "golang-migrate" => {
                files.push(f(format!("00000{v}_step.up.sql"), body.to_string()));
                files.push(f(format!("00000{v}_step.down.sql"), "SELECT 1;\n".into()));
            }
            "flyway" => files.push(f(format!("V{v}__step.sql"), body.to_string())),
            _ => unreachable!("no such format in this test"),
        }
    }
    let table = match format {
        "dbmate" | "golang-migrate" => "schema_migrations",
        "sqlx" => "_sqlx_migrations",
        "diesel" => "__diesel_schema_migrations",
        _ => "flyway_schema_history",
    };
    (files, table)
}

fn pg_bookkeeping_ignores_the_files_search_path(format: &str) {
    let Some(db) = TestDb::new(Backend::Postgres, &format!("search_path_{format}")) else {
        return;
    };
    let (files, table) = folder(format);
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    write_files(&db.migrations_dir(), &files);
    db.write_plan(&format!("format = \"{format}\"\n"));
    let out = cutover(db.dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{format}: {t}");
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM public.cutover_history WHERE status = 'applied'"),
        3,
        "{format}: cutover's rows in the schema resolved when connecting"
    );
    assert!(
        db.scalar(&format!("SELECT COUNT(*) FROM public.{table}")) >= 1,
        "{format}: the tool's rows too"
    );
    assert_eq!(
        db.strings("SELECT CAST(table_name AS TEXT) FROM information_schema.tables WHERE table_schema = 'elsewhere' ORDER BY 1"),
        ["t2", "t3"],
        "{format}: no bookkeeping followed the file's search_path"
    );
    let again = cutover(db.dir.path(), &["apply"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(
        text(&again).contains("nothing to apply"),
        "{}",
        text(&again)
    );
}

#[test]
fn dbmate_with_a_pg_dump_header() {
    pg_bookkeeping_ignores_the_files_search_path("dbmate");
}

#[test]
fn sqlx_with_a_pg_dump_header() {
    pg_bookkeeping_ignores_the_files_search_path("sqlx");
}

#[test]
fn diesel_with_a_search_path_set_in_a_file() {
    pg_bookkeeping_ignores_the_files_search_path("diesel");
}

#[test]
fn golang_migrate_with_a_search_path_set_in_a_file() {
    pg_bookkeeping_ignores_the_files_search_path("golang-migrate");
}

#[test]
fn flyway_with_a_search_path_set_in_a_file() {
    pg_bookkeeping_ignores_the_files_search_path("flyway");
}

/// dbmate's `?search_path=` URL option places its table (and so cutover's) and is the
/// files' search path, as with dbmate itself.
#[test]
fn the_url_search_path_places_the_bookkeeping() {
    let Some(db) = TestDb::new(Backend::Postgres, "url_search_path") else {
        return;
    };
    db.exec("CREATE SCHEMA app");
    write_files(
        &db.migrations_dir(),
        &[(
            "20240101000001_users.sql",
            "-- migrate:up\nCREATE TABLE users (id integer);\n-- migrate:down\nDROP TABLE users;\n",
        )],
    );
    let url = format!("{}?search_path=app", db.url);
    std::fs::write(
        db.dir.path().join("cutover.toml"),
        format!("[plan]\nname = \"t\"\n\n[target]\nurl = \"{url}\"\n\n[migrations]\ndir = \"migrations\"\nformat = \"dbmate\"\n"),
    )
    .expect("plan");
    let out = cutover(db.dir.path(), &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(db.scalar("SELECT COUNT(*) FROM app.users"), 0);
    assert_eq!(
        db.strings("SELECT version FROM app.schema_migrations"),
        ["20240101000001"]
    );
    assert_eq!(db.scalar("SELECT COUNT(*) FROM app.cutover_history"), 1);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"),
        0,
        "nothing in public"
    );
}

/// MySQL: a file's `USE` does not move the bookkeeping out of the URL's database.
#[test]
fn mysql_use_in_a_file_does_not_move_the_bookkeeping() {
    let Some(db) = TestDb::new(Backend::Mysql, "mysql_use") else {
        return;
    };
    let name = db.url.rsplit('/').next().expect("db name").to_string();
    let other = format!("{name}_other");
    write_files(
        &db.migrations_dir(),
        &[
            (
                "0001_elsewhere.sql",
                &format!("CREATE DATABASE {other};\nUSE {other};\nCREATE TABLE t2 (id INT);\n"),
            ),
            ("0002_after.sql", "CREATE TABLE t3 (id INT);\n"),
        ],
    );
    db.write_plan("");
    let out = cutover(db.dir.path(), &["apply"]);
    let in_other = db.scalar(&format!(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '{other}' AND table_name LIKE '%migrations' OR table_schema = '{other}' AND table_name LIKE 'cutover%'"
    ));
    db.exec(&format!("DROP DATABASE IF EXISTS {other}"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM cutover_history WHERE status = 'applied'"),
        2
    );
    assert_eq!(db.scalar("SELECT COUNT(*) FROM _sqlx_migrations"), 2);
    assert_eq!(in_other, 0, "no bookkeeping in the database the file USEd");
}

/// A deferred trigger that sleeps at COMMIT: the file's time is mostly its commit.
const SLOW_COMMIT: &str = "CREATE TABLE slow (id integer);
CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_sleep(1.2);
  RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER slow_on_commit AFTER INSERT ON slow
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit();
INSERT INTO slow VALUES (1);
";

#[test]
fn durations_cover_the_commit_and_the_summary_shows_wall_time() {
    let Some(db) = TestDb::new(Backend::Postgres, "durations") else {
        return;
    };
    write_files(
        &db.migrations_dir(),
        &[
            ("0001_slow.sql", SLOW_COMMIT),
            ("0002_quick.sql", "CREATE TABLE quick (id integer);\n"),
        ],
    );
    db.write_plan("");
    let json = db.dir.path().join("report.json");
    let json_arg = json.display().to_string();
    let began = Instant::now();
    let out = cutover(db.dir.path(), &["apply", "--json", &json_arg]);
    let outside = began.elapsed();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let ledger = db.scalar("SELECT duration_ms FROM cutover_history WHERE version = '0001'");
    assert!(
        ledger >= 1200,
        "the ledger's duration covers the COMMIT: {ledger} ms"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("report")).expect("json");
    let files = report["files"].as_array().expect("files");
    let per_file: Vec<i64> = files
        .iter()
        .map(|f| f["duration_ms"].as_i64().expect("duration_ms"))
        .collect();
    assert!(per_file[0] >= 1200, "the report's too: {per_file:?}");
    assert_eq!(
        per_file[0], ledger,
        "the ledger holds the same duration as the report"
    );
    let wall = report["wall_ms"].as_i64().expect("wall_ms");
    assert!(
        wall >= per_file.iter().sum::<i64>(),
        "wall {wall} ms >= the files' {per_file:?}"
    );
    assert!(
        u128::from(wall as u64) <= outside.as_millis(),
        "wall time is real"
    );
    // The summary shows the command's wall time (>= 1.2 s), not the statements' sum.
    let line = t
        .lines()
        .find(|l| l.starts_with("applied 2 file(s) in "))
        .unwrap_or_else(|| panic!("summary: {t}"));
    let secs: f64 = line
        .trim_start_matches("applied 2 file(s) in ")
        .trim_end_matches(" s")
        .parse()
        .unwrap_or_else(|_| panic!("seconds in {line:?}"));
    assert!(secs >= 1.2, "{line}");
}

/// Starts `cutover apply` and cuts its connection with `pg_terminate_backend` from
/// another one while it runs `SELECT pg_sleep(4)`; returns its output.
fn apply_and_cut_the_connection(db: &TestDb) -> std::process::Output {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(["apply"])
        .current_dir(db.dir.path())
        .env_remove("CUTOVER_PLAN")
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cutover");
    let name = db.url.rsplit('/').next().expect("db name").to_string();
    let find = format!(
        "SELECT CAST(COALESCE(MAX(pid), 0) AS BIGINT) FROM pg_stat_activity WHERE datname = '{name}' AND state = 'active' AND query LIKE 'SELECT pg_sleep(4)%'"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let pid = loop {
        let pid = db.scalar(&find);
        if pid != 0 {
            break pid;
        }
        assert!(Instant::now() < deadline, "the file never started");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        db.scalar(&format!(
            "SELECT CASE WHEN pg_terminate_backend({pid}) THEN 1::bigint ELSE 0::bigint END"
        )),
        1
    );
    child.wait_with_output().expect("cutover ends")
}

#[test]
fn a_lost_connection_in_a_transactional_file_leaves_it_pending_and_says_so() {
    let Some(db) = TestDb::new(Backend::Postgres, "lost_tx") else {
        return;
    };
    write_files(
        &db.migrations_dir(),
        &[
            ("0001_a.sql", "CREATE TABLE a (id integer);\n"),
            (
                "0002_wait.sql",
                "INSERT INTO a VALUES (1);\nSELECT pg_sleep(4);\n",
            ),
        ],
    );
    db.write_plan("");
    let out = apply_and_cut_the_connection(&db);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("connection to the target was lost") && t.contains("it is still pending"),
        "{t}"
    );
    assert!(
        t.contains("the file itself may be fine"),
        "no `fix the file`: {t}"
    );
    assert!(!t.contains("fix the file"), "{t}");
    assert!(!t.contains("taking the target lock"), "{t}");
    assert!(
        t.contains("the target lock (and the tool's) went with it"),
        "{t}"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM cutover_history WHERE version = '0002'"),
        0,
        "no row: it is pending"
    );
    assert_eq!(db.scalar("SELECT COUNT(*) FROM a"), 0, "rolled back");
    // The file was fine: it applies as it is.
    let out = cutover(db.dir.path(), &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(db.scalar("SELECT COUNT(*) FROM a"), 1);
}

#[test]
fn a_lost_connection_outside_a_transaction_says_what_the_ledger_holds() {
    let Some(db) = TestDb::new(Backend::Postgres, "lost_no_tx") else {
        return;
    };
    write_files(
        &db.migrations_dir(),
        &[
            ("0001_a.sql", "CREATE TABLE a (id integer);\n"),
            (
                "0002_wait.sql",
                "-- no-transaction\nINSERT INTO a VALUES (1);\nSELECT pg_sleep(4);\n",
            ),
        ],
    );
    db.write_plan("");
    let out = apply_and_cut_the_connection(&db);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    let status = db.strings("SELECT status FROM cutover_history WHERE version = '0002'");
    assert_eq!(status, ["running"], "the failure could not be recorded");
    assert!(
        t.contains("connection to the target was lost")
            && t.contains("still marks it `running`")
            && t.contains("--resolve 0002=applied"),
        "{t}"
    );
    assert!(
        !t.contains("marked `partial`") && !t.contains("marked partial"),
        "{t}"
    );
    assert!(!t.contains("fix the file"), "{t}");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM a"), 1, "its INSERT stayed");
}

#[test]
fn a_logs_folder_that_cannot_be_made_is_said_once() {
    let Some(db) = TestDb::new(Backend::Sqlite, "logs_dir") else {
        return;
    };
    write_files(
        &db.migrations_dir(),
        &[("0001_a.sql", "CREATE TABLE a (id integer);\n")],
    );
    db.write_plan("");
    // A file where the logs folder should be.
    std::fs::create_dir_all(db.dir.path().join(".cutover")).expect("mkdir");
    std::fs::write(db.dir.path().join(".cutover").join("logs"), "not a folder").expect("file");
    let out = cutover(db.dir.path(), &["apply"]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        err.matches("logging is off for this run").count(),
        1,
        "said once: {err}"
    );
    assert!(
        err.contains(&format!(
            "cannot create {}",
            db.dir.path().join(".cutover").join("logs").display()
        )),
        "names the folder: {err}"
    );
    assert!(db.has_table("a"), "the work goes on");
}
