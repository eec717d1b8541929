//! Bad input never panics: each case gets a message saying what, where and what to
//! do, a documented exit code, and nothing lost. Passwords never appear in output.

mod common;
use common::*;

fn plan_dir(plan: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("cutover.toml"), plan).expect("plan");
    let mig = dir.path().join("migrations");
    std::fs::create_dir_all(&mig).expect("mkdir");
    write_files(&mig, files);
    dir
}

fn no_panic(t: &str) {
    assert!(
        !t.contains("panicked") && !t.contains("RUST_BACKTRACE"),
        "{t}"
    );
}

#[test]
fn malformed_plan_names_file_line_and_column() {
    let dir = plan_dir(
        "[target]\nurl = \"sqlite://x.db\"\n[migrations]\ndir = \"migrations\"\nformat = 7\n",
        &[],
    );
    let out = cutover(dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("cutover.toml:5:"), "{t}");
    assert!(t.contains("format"), "{t}");
    no_panic(&t);
    assert!(!dir.path().join("x.db").exists(), "nothing touched");
}

#[test]
fn toml_syntax_error_and_unknown_key() {
    let dir = plan_dir("[target\nurl = 1\n", &[]);
    let out = cutover(dir.path(), &["status"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("cutover.toml:1:"), "{}", text(&out));

    let dir = plan_dir("[target]\nurl = \"sqlite://x.db\"\nurl_typo = 1\n", &[]);
    let out = cutover(dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("cutover.toml:3:1") && t.contains("url_typo"),
        "{t}"
    );
}

#[test]
fn batch_naming_a_missing_version() {
    let dir = plan_dir(
        "[target]\nurl = \"sqlite://x.db\"\n\n[[batch]]\nname = \"one\"\nfiles = [\"0001\", \"0042\"]\n",
        &[("0001_a.sql", "CREATE TABLE a (id INT);")],
    );
    let out = cutover(dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("cutover.toml:6:") && t.contains("0042"), "{t}");
}

#[test]
fn missing_migrations_folder_and_non_utf8_file() {
    let dir = plan_dir(
        "[target]\nurl = \"sqlite://x.db\"\n[migrations]\ndir = \"nope\"\n",
        &[],
    );
    let out = cutover(dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("nope"), "{t}");

    let dir = plan_dir(
        "[target]\nurl = \"sqlite://x.db\"\n[migrations]\nformat = \"sqlx\"\n",
        &[("0001_a.sql", "SELECT 1;")],
    );
    std::fs::write(
        dir.path().join("migrations/0002_bad.sql"),
        b"SELECT '\xff\xfe';",
    )
    .expect("write");
    let out = cutover(dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("0002_bad.sql") && t.contains("UTF-8"), "{t}");
    no_panic(&t);
}

#[test]
fn no_plan_and_no_database_url() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = cutover(dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("DATABASE_URL"), "says what to do: {t}");
}

#[test]
fn database_url_without_a_plan() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_files(
        &dir.path().join("migrations"),
        &[("1_a.sql", "CREATE TABLE a (id INT);")],
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .arg("apply")
        .current_dir(dir.path())
        .env_remove("CUTOVER_PLAN")
        .env("DATABASE_URL", "sqlite://app.db")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(dir.path().join("app.db").exists());
}

#[test]
fn unreachable_server() {
    let dir = plan_dir(
        "[target]\nurl = \"postgres://postgres:pw-unreachable@127.0.0.1:1/x\"\n",
        &[("1_a.sql", "SELECT 1;")],
    );
    let out = cutover(dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("cannot connect") && t.contains("running"), "{t}");
    assert!(!t.contains("pw-unreachable"), "password leaked: {t}");
}

#[test]
fn unknown_scheme_does_not_echo_the_url() {
    let dir = plan_dir(
        "[target]\nurl = \"oracle://scott:tiger-secret@db/orcl\"\n",
        &[],
    );
    let out = cutover(dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(!t.contains("tiger-secret"), "{t}");
}

#[test]
fn wrong_password_on_mariadb() {
    let Some(server) = server_url("CUTOVER_TEST_MYSQL_URL", "wrong_password_on_mariadb") else {
        return;
    };
    let mut u = url::Url::parse(&server).expect("url");
    u.set_password(Some("Wr0ng-S3cret")).expect("password");
    let dir = plan_dir(
        &format!("[target]\nurl = \"{u}\"\n"),
        &[("1_a.sql", "SELECT 1;")],
    );
    let out = cutover(dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("password"), "says what to check: {t}");
    assert!(!t.contains("Wr0ng-S3cret"), "password leaked: {t}");
}

#[test]
fn password_never_reaches_output_reports_or_the_ledger() {
    if server_url("CUTOVER_TEST_PG_URL", "password_never_reaches_output").is_none() {
        return;
    }
    let Some(db) = TestDb::new(Backend::Postgres, "password_never_leaks") else {
        return;
    };
    // Trust authentication accepts any password: the run succeeds, carrying one.
    let mut u = url::Url::parse(&db.url).expect("url");
    u.set_password(Some("hunter2-s3cret")).expect("password");
    write_files(
        &db.migrations_dir(),
        &[("1_a.sql", "CREATE TABLE a (id INT);")],
    );
    std::fs::write(
        db.dir.path().join("cutover.toml"),
        format!("[target]\nurl = \"{u}\"\n"),
    )
    .expect("plan");
    let report = db.dir.path().join("r.json");
    let out = cutover(
        db.dir.path(),
        &["apply", "--json", report.to_str().expect("utf8")],
    );
    let status = cutover(db.dir.path(), &["status", "--json"]);
    for t in [
        text(&out),
        text(&status),
        std::fs::read_to_string(&report).expect("report"),
    ] {
        assert!(!t.contains("hunter2-s3cret"), "{t}");
        assert!(
            t.contains("***") || t.contains("postgres://postgres@"),
            "{t}"
        );
    }
    assert_eq!(out.status.code(), Some(0));
    let rows =
        db.strings("SELECT CONCAT(version, name, applied_by, sql_text) FROM cutover_history");
    assert!(rows.iter().all(|r| !r.contains("hunter2-s3cret")));
}

#[test]
fn selections_that_do_not_exist() {
    let dir = plan_dir(
        "[target]\nurl = \"sqlite://x.db\"\n",
        &[("1_a.sql", "CREATE TABLE a (id INT);")],
    );
    for args in [
        &["apply", "--batch", "9"][..],
        &["apply", "--to", "77"],
        &["apply", "--accept-drift", "5"],
    ] {
        let out = cutover(dir.path(), args);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {t}");
        assert!(
            t.contains("hint") || t.contains("no applied file"),
            "{args:?}: {t}"
        );
    }
}

#[test]
fn out_of_order_and_missing_files_refuse() {
    let dir = plan_dir(
        "[target]\nurl = \"sqlite://x.db\"\n",
        &[
            ("1_a.sql", "CREATE TABLE a (id INT);"),
            ("3_c.sql", "CREATE TABLE c (id INT);"),
        ],
    );
    assert_eq!(cutover(dir.path(), &["apply"]).status.code(), Some(0));
    write_files(
        &dir.path().join("migrations"),
        &[("2_b.sql", "CREATE TABLE b (id INT);")],
    );
    let out = cutover(dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("out of order") && t.contains('2'), "{t}");

    std::fs::remove_file(dir.path().join("migrations/2_b.sql")).expect("rm");
    std::fs::remove_file(dir.path().join("migrations/3_c.sql")).expect("rm");
    let out = cutover(dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("missing") && t.contains('3'), "{t}");
}

#[test]
fn report_that_cannot_be_written_is_an_error() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    let dir = plan_dir(
        "[target]\nurl = \"sqlite://x.db\"\n",
        &[("1_a.sql", "CREATE TABLE a (id INT);")],
    );
    let out = cutover(dir.path(), &["apply", "--json", "/dev/full"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("/dev/full"), "{t}");
}

#[test]
fn malformed_theme_names_file_and_line() {
    let dir = plan_dir(
        "[target]\nurl = \"sqlite://x.db\"\n",
        &[("1_a.sql", "SELECT 1;")],
    );
    std::fs::write(
        dir.path().join("mine.toml"),
        "[colors]\nok = \"not-a-colour\"\n",
    )
    .expect("theme");
    let out = cutover(dir.path(), &["--theme", "mine.toml"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("mine.toml:2:6") && t.contains("not-a-colour"),
        "{t}"
    );
    let out = cutover(dir.path(), &["--theme", "nope"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("dark, light, high-contrast"), "{t}");
}

#[test]
fn cockpit_without_a_terminal_says_what_to_use() {
    let dir = plan_dir(
        "[target]\nurl = \"sqlite://x.db\"\n",
        &[("1_a.sql", "SELECT 1;")],
    );
    let out = cutover(dir.path(), &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("needs a terminal") && t.contains("cutover apply"),
        "{t}"
    );
}

#[test]
fn a_closed_output_pipe_neither_panics_nor_stops_the_work() {
    let dir = plan_dir(
        "[target]\nurl = \"sqlite://x.db\"\n",
        &[
            ("1_a.sql", "CREATE TABLE a (id INT);"),
            ("2_b.sql", "CREATE TABLE b (id INT);"),
        ],
    );
    for args in [&["apply"][..], &["status"]] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("CUTOVER_PLAN")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        // Nobody reads the output: the pipe is closed before the first line.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
    let db = TestDb::sqlite_at(&dir.path().join("x.db"));
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM cutover_history WHERE status = 'applied'"),
        2,
        "the migration ran to the end"
    );
}

#[test]
fn mariadb_url_without_a_database_says_so() {
    let Some(server) = server_url("CUTOVER_TEST_MYSQL_URL", "mariadb_url_without_a_database")
    else {
        return;
    };
    let mut u = url::Url::parse(&server).expect("url");
    u.set_path("");
    let dir = plan_dir(
        &format!("[target]\nurl = \"{u}\"\n"),
        &[("1_a.sql", "SELECT 1;")],
    );
    let out = cutover(dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("names no database") && !t.contains("locked by another"),
        "{t}"
    );
}

#[test]
fn version_too_large_for_the_tools_integer_names_the_file() {
    // sqlx keeps versions as i64; golang-migrate reads u64 but records a signed bigint.
    let limit = "9223372036854775807";
    for (format, small, file) in [
        ("sqlx", "1_small.sql", "9223372036854775808_big.sql"),
        (
            "golang-migrate",
            "1_small.up.sql",
            "18446744073709551616_big.up.sql",
        ),
        (
            "golang-migrate",
            "1_small.up.sql",
            "9223372036854775808_big.up.sql",
        ),
    ] {
        let dir = plan_dir(
            &format!(
                "[target]\nurl = \"sqlite://x.db\"\n[migrations]\ndir = \"migrations\"\nformat = \"{format}\"\n"
            ),
            &[(small, "CREATE TABLE a (id INT);"), (file, "CREATE TABLE b (id INT);")],
        );
        let out = cutover(dir.path(), &["apply"]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{format} {file}: {t}");
        assert!(t.contains(file), "names the file: {t}");
        assert!(t.contains(limit), "names the limit: {t}");
        no_panic(&t);
        assert!(!dir.path().join("x.db").exists(), "nothing applied: {t}");
    }
}
