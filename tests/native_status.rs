//! The folder's own tool agrees with cutover: after cutover applies a folder, the real
//! `dbmate status`, `sqitch status` and `sqlx migrate info` (installed by .ci/run) report every migration
//! applied and nothing pending, on each backend the tool supports. And the adoption
//! round trip: the tool applies the first part of the folder, cutover the rest, the
//! tool again sees everything applied (and its own next run has nothing to do).
//!
//! A tool that is not installed skips its tests (`skipped: <tool> not installed`),
//! unless CUTOVER_REQUIRE_SERVERS=1, where it fails them.

mod common;
use common::*;
use std::path::Path;
use std::process::{Command, Output};

/// Whether `tool` is on PATH; says it was skipped (or fails, when servers and tools are
/// required) when it is not.
fn installed(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        let required = std::env::var("CUTOVER_REQUIRE_SERVERS").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "CUTOVER_REQUIRE_SERVERS=1 but {tool} is not installed (.ci/run installs it)"
        );
        skipped(&format!("{tool} not installed"));
    }
    found
}

fn run(cwd: &Path, program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(cwd)
        .env("SQITCH_FULLNAME", "Tool Runner")
        .env("SQITCH_EMAIL", "tool@example.com")
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"))
}

fn apply_with_cutover(db: &TestDb, format: &str) -> String {
    db.write_plan(&format!("format = \"{format}\"\n"));
    let out = cutover(db.dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "cutover apply: {t}");
    t
}

// ---------------------------------------------------------------- dbmate

fn dbmate_file(up: &str, down: &str) -> String {
    format!("-- migrate:up\n{up}\n\n-- migrate:down\n{down}\n")
}

const DBMATE: [(&str, &str, &str); 3] = [
    (
        "20240101000000_users.sql",
        "CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(100));",
        "DROP TABLE users;",
    ),
    (
        "20240102000000_seed.sql",
        "INSERT INTO users (id, email) VALUES (1, 'a@example.com');",
        "DELETE FROM users;",
    ),
    (
        "20240103000000_posts.sql",
        "CREATE TABLE posts (id INT PRIMARY KEY, user_id INT);",
        "DROP TABLE posts;",
    ),
];

fn write_dbmate(db: &TestDb, files: &[(&str, &str, &str)]) {
    let dir = db.migrations_dir();
    for (name, up, down) in files {
        std::fs::write(dir.join(name), dbmate_file(up, down)).expect("write");
    }
}

/// The database URL as dbmate reads it.
fn dbmate_url(db: &TestDb) -> String {
    match db.backend {
        Backend::Sqlite => db.url.replacen("sqlite://", "sqlite:", 1),
        Backend::Postgres => format!("{}?sslmode=disable", db.url),
        Backend::Mysql => db.url.clone(),
    }
}

fn dbmate(db: &TestDb, cmd: &str) -> Output {
    let url = dbmate_url(db);
    let dir = db.migrations_dir();
    run(
        db.dir.path(),
        "dbmate",
        &[
            "--url",
            &url,
            "--migrations-dir",
            dir.to_str().expect("utf8"),
            "--no-dump-schema",
            cmd,
        ],
    )
}

/// `dbmate status --exit-code` says all files applied and none pending.
fn assert_dbmate_agrees(db: &TestDb) {
    let out = dbmate(db, "status");
    let t = text(&out);
    assert!(out.status.success(), "dbmate status: {t}");
    assert!(t.contains("Applied: 3") && t.contains("Pending: 0"), "{t}");
    for (name, _, _) in DBMATE {
        assert!(t.contains(&format!("[X] {name}")), "{name}: {t}");
    }
    let out = run(
        db.dir.path(),
        "dbmate",
        &[
            "--url",
            &dbmate_url(db),
            "--migrations-dir",
            db.migrations_dir().to_str().expect("utf8"),
            "status",
            "--exit-code",
        ],
    );
    assert!(out.status.success(), "pending per dbmate: {}", text(&out));
}

on_all_backends!(dbmate_status_agrees_after_cutover, |b| {
    if !installed("dbmate") {
        return;
    }
    let Some(db) = TestDb::new(b, "dbmate_status_agrees_after_cutover") else {
        return;
    };
    write_dbmate(&db, &DBMATE);
    apply_with_cutover(&db, "dbmate");
    assert_dbmate_agrees(&db);
});

on_all_backends!(dbmate_then_cutover_then_dbmate, |b| {
    if !installed("dbmate") {
        return;
    }
    let Some(db) = TestDb::new(b, "dbmate_then_cutover_then_dbmate") else {
        return;
    };
    // dbmate applies the first file (it has no "up to"; the folder holds only that one).
    write_dbmate(&db, &DBMATE[..1]);
    let out = dbmate(&db, "up");
    assert!(out.status.success(), "dbmate up: {}", text(&out));
    write_dbmate(&db, &DBMATE[1..]);
    let t = apply_with_cutover(&db, "dbmate");
    assert!(
        t.contains("20240102000000"),
        "cutover applies the rest: {t}"
    );
    assert_eq!(db.scalar("SELECT COUNT(*) FROM users"), 1, "seed ran once");
    assert_dbmate_agrees(&db);
    // dbmate's next run has nothing to do (it would fail creating `posts` again).
    let out = dbmate(&db, "up");
    assert!(out.status.success(), "dbmate up again: {}", text(&out));
    assert_eq!(db.scalar("SELECT COUNT(*) FROM users"), 1);
});

// ---------------------------------------------------------------- sqitch

/// The plan's `%uri`: one per project, as Sqitch refuses a URI registered for another.
fn uri(project: &str) -> String {
    format!("https://example.com/cutover/{project}/")
}

/// A Sqitch project with a `%uri` (issue 6, item 4: the registry was not written then).
fn write_sqitch(db: &TestDb, project: &str) {
    let wrap = |s: &str| format!("BEGIN;\n{s}\nCOMMIT;\n");
    let dir = db.migrations_dir();
    let files = [
        (
            "sqitch.plan".to_string(),
            format!(
                "%syntax-version=1.0.0\n%project={project}\n%uri={}\n\n\
                 users 2024-01-01T00:00:00Z Ann Example <ann@example.com> # Users table.\n\
                 seed [users] 2024-01-02T00:00:00Z Ann Example <ann@example.com>\n\
                 posts [users] 2024-01-03T00:00:00Z Ann Example <ann@example.com> # Posts.\n",
                uri(project)
            ),
        ),
        (
            "deploy/users.sql".into(),
            wrap("CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(100));"),
        ),
        ("revert/users.sql".into(), wrap("DROP TABLE users;")),
        (
            "deploy/seed.sql".into(),
            wrap("INSERT INTO users (id, email) VALUES (1, 'a@example.com');"),
        ),
        ("revert/seed.sql".into(), wrap("DELETE FROM users;")),
        (
            "deploy/posts.sql".into(),
            wrap("CREATE TABLE posts (id INT PRIMARY KEY, user_id INT);"),
        ),
        ("revert/posts.sql".into(), wrap("DROP TABLE posts;")),
    ];
    for (name, body) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, body).expect("write");
    }
}

/// A project name of its own: on MariaDB the registry (database `sqitch`) is shared.
fn sqitch_project(b: Backend, tag: &str) -> String {
    format!(
        "native_{tag}_{}_{}",
        format!("{b:?}").to_lowercase(),
        std::process::id()
    )
}

/// The target as Sqitch reads it.
fn sqitch_target(db: &TestDb) -> String {
    match db.backend {
        Backend::Sqlite => db.url.replacen("sqlite://", "db:sqlite:", 1),
        Backend::Postgres | Backend::Mysql => format!("db:{}", db.url),
    }
}

fn sqitch(db: &TestDb, args: &[&str]) -> Output {
    let target = sqitch_target(db);
    let mut all: Vec<&str> = args.to_vec();
    all.push(&target);
    run(&db.migrations_dir(), "sqitch", &all)
}

/// `sqitch status` reports the last change deployed and nothing to deploy, and the
/// project row carries the plan's %uri.
fn assert_sqitch_agrees(db: &TestDb, project: &str) {
    let out = sqitch(db, &["status"]);
    let t = text(&out);
    assert!(out.status.success(), "sqitch status: {t}");
    assert!(t.contains(&format!("# Project:  {project}")), "{t}");
    assert!(t.contains("# Name:     posts"), "{t}");
    assert!(t.contains("Nothing to deploy (up-to-date)"), "{t}");
    let registry = match db.backend {
        Backend::Sqlite => TestDb::sqlite_at(&db.dir.path().join("sqitch.db")),
        _ => TestDb::sqlite_at(Path::new("/unused")),
    };
    let sql =
        format!("SELECT COALESCE(uri, 'NULL') FROM sqitch.projects WHERE project = '{project}'");
    let uris = match db.backend {
        Backend::Sqlite => registry.strings(&sql.replace("sqitch.", "")),
        _ => db.strings(&sql),
    };
    assert_eq!(uris, [uri(project)], "projects.uri as Sqitch writes it");
    // Sqitch's own deploy compares the registered URI and has nothing to run.
    let out = sqitch(db, &["deploy"]);
    let t = text(&out);
    assert!(out.status.success(), "sqitch deploy after cutover: {t}");
    assert!(t.contains("Nothing to deploy"), "{t}");
    forget_project(db, project);
}

/// On MariaDB the registry is the server's database `sqitch`, shared by every test:
/// the project's rows go once checked.
fn forget_project(db: &TestDb, project: &str) {
    if db.backend != Backend::Mysql {
        return;
    }
    let by_change = "change_id IN (SELECT change_id FROM sqitch.changes WHERE project = '{p}')";
    for sql in [
        "DELETE FROM sqitch.events WHERE project = '{p}'".to_string(),
        format!("DELETE FROM sqitch.dependencies WHERE {by_change}"),
        "DELETE FROM sqitch.tags WHERE project = '{p}'".to_string(),
        "DELETE FROM sqitch.changes WHERE project = '{p}'".to_string(),
        "DELETE FROM sqitch.projects WHERE project = '{p}'".to_string(),
    ] {
        db.exec(&sql.replace("{p}", project));
    }
}

/// On MariaDB cutover does not create Sqitch's registry: when it is absent the run
/// says so and names the command, which the team runs.
fn follow_the_log_only_advice(db: &TestDb, cutover_output: &str) {
    if db.backend == Backend::Mysql && cutover_output.contains("--log-only") {
        let out = sqitch(db, &["deploy", "--log-only"]);
        assert!(
            out.status.success(),
            "sqitch deploy --log-only: {}",
            text(&out)
        );
    } else {
        assert!(
            !cutover_output.contains("registry is not written"),
            "{cutover_output}"
        );
    }
}

/// Sqitch's MariaDB registry is one database for the whole server, and two Sqitch runs
/// creating it at once race (its upgrade reads a half-made `releases`): the Sqitch tests
/// of this file take turns.
static SQITCH_REGISTRY: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// On MariaDB the registry outlives every test database, and other test files leave
/// registries that real Sqitch reads as an old release (no `releases` row) and fails to
/// upgrade: each Sqitch test here starts from none, as on a server Sqitch never used.
fn fresh_sqitch_registry(b: Backend) {
    if b != Backend::Mysql {
        return;
    }
    if let Some(admin) = TestDb::new(b, "sqitch_registry_reset") {
        admin.exec("DROP DATABASE IF EXISTS sqitch");
    }
}

on_all_backends!(sqitch_status_agrees_after_cutover, |b| {
    if !installed("sqitch") {
        return;
    }
    let _turn = SQITCH_REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    fresh_sqitch_registry(b);
    let Some(db) = TestDb::new(b, "sqitch_status_agrees_after_cutover") else {
        return;
    };
    let project = sqitch_project(b, "all");
    write_sqitch(&db, &project);
    let t = apply_with_cutover(&db, "sqitch");
    follow_the_log_only_advice(&db, &t);
    assert_sqitch_agrees(&db, &project);
});

on_all_backends!(sqitch_then_cutover_then_sqitch, |b| {
    if !installed("sqitch") {
        return;
    }
    let _turn = SQITCH_REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    fresh_sqitch_registry(b);
    let Some(db) = TestDb::new(b, "sqitch_then_cutover_then_sqitch") else {
        return;
    };
    let project = sqitch_project(b, "half");
    write_sqitch(&db, &project);
    let out = sqitch(&db, &["deploy", "--to", "users"]);
    assert!(
        out.status.success(),
        "sqitch deploy --to users: {}",
        text(&out)
    );
    let t = apply_with_cutover(&db, "sqitch");
    assert!(!t.contains("registry is not written"), "{t}");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM users"), 1, "seed ran once");
    assert_sqitch_agrees(&db, &project);
});

// ---------------------------------------------------------------- sqlx-cli

/// A plain file, an up/down pair and a `-- no-transaction` file, as sqlx projects have.
fn write_sqlx(db: &TestDb) {
    let dir = db.migrations_dir();
    let files = [
        (
            "20240101000000_users.sql",
            "CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(100));\n",
        ),
        (
            "20240102000000_seed.up.sql",
            "INSERT INTO users (id, email) VALUES (1, 'a@example.com');\n",
        ),
        ("20240102000000_seed.down.sql", "DELETE FROM users;\n"),
        (
            "20240103000000_posts.sql",
            "-- no-transaction\nCREATE TABLE posts (id INT PRIMARY KEY, user_id INT);\n",
        ),
    ];
    for (name, sql) in files {
        std::fs::write(dir.join(name), sql).expect("write");
    }
}

fn sqlx_cli(db: &TestDb, args: &[&str]) -> Output {
    let dir = db.migrations_dir();
    let mut all = vec!["migrate"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--source", dir.to_str().expect("utf8"), "-D", &db.url]);
    run(db.dir.path(), "sqlx", &all)
}

/// `sqlx migrate info` lists every version installed, none pending, no checksum
/// mismatch; `sqlx migrate run` then has nothing to apply.
fn assert_sqlx_agrees(db: &TestDb) {
    let out = sqlx_cli(db, &["info"]);
    let t = text(&out);
    assert!(out.status.success(), "sqlx migrate info: {t}");
    for v in ["20240101000000", "20240102000000", "20240103000000"] {
        assert!(t.contains(&format!("{v}/installed")), "{v}: {t}");
    }
    assert!(
        !t.contains("pending") && !t.contains("different checksum"),
        "{t}"
    );
    let out = sqlx_cli(db, &["run"]);
    let t = text(&out);
    assert!(out.status.success(), "sqlx migrate run: {t}");
    assert!(!t.contains("Applied"), "sqlx applied again: {t}");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM users"), 1, "seed ran once");
}

/// sqlx-cli as .ci/run installs it reaches SQLite and PostgreSQL.
fn sqlx_backends(b: Backend) -> bool {
    if b == Backend::Mysql {
        skipped("sqlx-cli is installed for SQLite and PostgreSQL only (.ci/run)");
        return false;
    }
    installed("sqlx")
}

on_all_backends!(sqlx_info_agrees_after_cutover, |b| {
    if !sqlx_backends(b) {
        return;
    }
    let Some(db) = TestDb::new(b, "sqlx_info_agrees_after_cutover") else {
        return;
    };
    write_sqlx(&db);
    apply_with_cutover(&db, "sqlx");
    assert_sqlx_agrees(&db);
});

on_all_backends!(sqlx_then_cutover_then_sqlx, |b| {
    if !sqlx_backends(b) {
        return;
    }
    let Some(db) = TestDb::new(b, "sqlx_then_cutover_then_sqlx") else {
        return;
    };
    write_sqlx(&db);
    // As a team starts: sqlx makes the database (a SQLite file) before its first run.
    let out = run(
        db.dir.path(),
        "sqlx",
        &["database", "create", "-D", &db.url],
    );
    assert!(out.status.success(), "sqlx database create: {}", text(&out));
    let out = sqlx_cli(&db, &["run", "--target-version", "20240101000000"]);
    assert!(out.status.success(), "sqlx migrate run: {}", text(&out));
    let t = apply_with_cutover(&db, "sqlx");
    assert!(
        t.contains("20240102000000"),
        "cutover applied the rest: {t}"
    );
    assert_sqlx_agrees(&db);
});
