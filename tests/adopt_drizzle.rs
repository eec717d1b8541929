//! Drizzle folders through the real binary on SQLite, PostgreSQL and MariaDB: read in
//! journal order with `--> statement-breakpoint` honoured and unlisted files left alone,
//! `__drizzle_migrations` written as drizzle-orm's migrator writes it, and a history
//! drizzle wrote adopted as drizzle decides (by the last row's `created_at`).
//!
//! The table and rows below follow drizzle-orm's `{pg,mysql,sqlite}-core/dialect.ts`
//! `migrate()` and `migrator.ts` `readMigrationFiles` (sha256 hex of the file's text),
//! written here independently of src/db/native/drizzle.rs.

mod common;
use common::*;

use cutover::source::{read_folder, Format, ReadOptions};

// The first file's two statements are separated only by the breakpoint (no `;`), as a
// hand-edited drizzle file can be: without the breakpoint they would be one statement.
const USERS: &str = "CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL)\n--> statement-breakpoint\nCREATE TABLE teams (id INTEGER NOT NULL PRIMARY KEY);\n";
const SEED: &str = "INSERT INTO users (id, name) VALUES (1, 'ann');";
const POSTS: &str =
    "CREATE TABLE posts (id INTEGER NOT NULL PRIMARY KEY, user_id INTEGER NOT NULL);\n--> statement-breakpoint\nINSERT INTO posts (id, user_id) VALUES (1, 1);\n";
/// In the folder but not in the journal: drizzle never runs it.
const DRAFT: &str = "DROP TABLE users;\n";

const WHEN: [i64; 3] = [1728598022383, 1730207363999, 1730725226313];
const TAGS: [&str; 3] = ["0000_keen_devos", "0001_seed", "0002_posts"];

fn journal() -> String {
    let entries: Vec<String> = TAGS
        .iter()
        .zip(WHEN)
        .enumerate()
        .map(|(i, (tag, when))| {
            format!("    {{\n      \"idx\": {i},\n      \"version\": \"7\",\n      \"when\": {when},\n      \"tag\": \"{tag}\",\n      \"breakpoints\": true\n    }}")
        })
        .collect();
    format!(
        "{{\n  \"version\": \"7\",\n  \"dialect\": \"postgresql\",\n  \"entries\": [\n{}\n  ]\n}}",
        entries.join(",\n")
    )
}

fn write_folder(db: &TestDb) {
    let j = journal();
    write_files(
        &db.migrations_dir(),
        &[
            ("meta/_journal.json", j.as_str()),
            ("0000_keen_devos.sql", USERS),
            ("0001_seed.sql", SEED),
            ("0002_posts.sql", POSTS),
            ("0003_draft.sql", DRAFT),
        ],
    );
    // `format = "auto"`: the journal decides the format before any file is looked at.
    db.write_plan("");
}

fn sha256(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

fn table(b: Backend) -> &'static str {
    match b {
        Backend::Postgres => "drizzle.__drizzle_migrations",
        _ => "__drizzle_migrations",
    }
}

/// drizzle's own DDL per backend.
fn create_table(db: &TestDb) {
    match db.backend {
        Backend::Postgres => {
            db.exec("CREATE SCHEMA IF NOT EXISTS \"drizzle\"");
            db.exec("CREATE TABLE IF NOT EXISTS \"drizzle\".\"__drizzle_migrations\" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)");
        }
        Backend::Mysql => db.exec("create table if not exists `__drizzle_migrations` (id serial primary key, hash text not null, created_at bigint)"),
        Backend::Sqlite => db.exec("CREATE TABLE IF NOT EXISTS \"__drizzle_migrations\" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)"),
    }
}

/// The row drizzle inserts after a file.
fn drizzle_row(db: &TestDb, sql: &str, when: i64) {
    db.exec(&format!(
        "INSERT INTO {} (hash, created_at) VALUES ('{}', {when})",
        table(db.backend),
        sha256(sql)
    ));
}

fn rows(db: &TestDb) -> Vec<String> {
    let sql = match db.backend {
        Backend::Mysql => format!(
            "SELECT CAST(CONCAT(hash, ' ', created_at) AS CHAR) FROM {} ORDER BY created_at",
            table(db.backend)
        ),
        _ => format!(
            "SELECT hash || ' ' || CAST(created_at AS TEXT) FROM {} ORDER BY created_at",
            table(db.backend)
        ),
    };
    db.strings(&sql)
}

fn expected_rows(n: usize) -> Vec<String> {
    [USERS, SEED, POSTS]
        .iter()
        .zip(WHEN)
        .take(n)
        .map(|(sql, when)| format!("{} {when}", sha256(sql)))
        .collect()
}

fn apply(db: &TestDb) -> std::process::Output {
    cutover(db.dir.path(), &["apply", "--operator", "alice"])
}

#[test]
fn reads_in_journal_order_and_leaves_unlisted_files_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = journal().replace("0000_keen_devos", "0009_last").replace(
        &format!("\"when\": {}", WHEN[0]),
        &format!("\"when\": {}", WHEN[2] + 1),
    );
    // The journal lists 0009_last first by position; it stays first.
    write_files(
        dir.path(),
        &[
            ("meta/_journal.json", j.as_str()),
            ("0009_last.sql", USERS),
            ("0001_seed.sql", SEED),
            ("0002_posts.sql", POSTS),
            ("0003_draft.sql", DRAFT),
        ],
    );
    let f = read_folder(dir.path(), &ReadOptions::default()).expect("reads");
    assert_eq!(f.format, Format::Drizzle);
    assert!(f.detected);
    let tags: Vec<&str> = f.migrations.iter().map(|m| m.version.as_str()).collect();
    assert_eq!(tags, ["0009_last", "0001_seed", "0002_posts"]);
    assert!(
        f.notes.iter().any(|n| n.contains("0003_draft.sql")),
        "{:?}",
        f.notes
    );
    // 0001 is not newer than 0009 before it: drizzle would skip it once 0009 is applied.
    assert!(
        f.notes.iter().any(|n| n.contains("`0001_seed`")),
        "{:?}",
        f.notes
    );
    let st = f.migrations[0].statements(f.format, cutover::sql::Dialect::Sqlite);
    assert_eq!(st.len(), 2, "{st:?}");
    assert_eq!(
        (st[1].line, st[1].sql.as_str()),
        (3, "CREATE TABLE teams (id INTEGER NOT NULL PRIMARY KEY)")
    );
    assert_eq!(f.migrations[0].checksum, sha256(USERS));
}

on_all_backends!(drizzle_fresh_database_gets_drizzles_rows, |b| {
    let Some(db) = TestDb::new(b, "drizzle_fresh") else {
        return;
    };
    write_folder(&db);
    let out = apply(&db);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("drizzle format (detected)"), "{t}");
    assert!(
        t.contains("0003_draft.sql is not listed in meta/_journal.json"),
        "{t}"
    );
    assert!(
        db.has_table("teams"),
        "the statement after the breakpoint ran"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM users"),
        1,
        "the draft never ran"
    );
    assert_eq!(db.scalar("SELECT COUNT(*) FROM posts"), 1);
    assert_eq!(rows(&db), expected_rows(3));
    if b == Backend::Sqlite {
        // `id SERIAL PRIMARY KEY` is no rowid alias in SQLite: drizzle's ids are NULL too.
        assert_eq!(
            db.scalar("SELECT COUNT(*) FROM __drizzle_migrations WHERE id IS NULL"),
            3
        );
    } else {
        let text = if b == Backend::Mysql { "CHAR" } else { "TEXT" };
        assert_eq!(
            db.strings(&format!(
                "SELECT CAST(id AS {text}) FROM {} ORDER BY id",
                table(b)
            )),
            ["1", "2", "3"]
        );
    }

    let again = apply(&db);
    let t = text(&again);
    assert_eq!(again.status.code(), Some(0), "{t}");
    assert!(t.contains("nothing to apply"), "{t}");
    assert_eq!(rows(&db), expected_rows(3));
});

on_all_backends!(drizzle_history_is_adopted, |b| {
    let Some(db) = TestDb::new(b, "drizzle_adopt") else {
        return;
    };
    write_folder(&db);
    // What drizzle's migrator left: the first two files run, their rows written.
    for sql in [USERS, SEED] {
        for stmt in sql.split("--> statement-breakpoint") {
            db.exec(stmt);
        }
    }
    create_table(&db);
    drizzle_row(&db, USERS, WHEN[0]);
    drizzle_row(&db, SEED, WHEN[1]);

    // A dry run reads drizzle's table (in its schema on PostgreSQL) and writes nothing.
    let dry = cutover(db.dir.path(), &["apply", "--dry-run"]);
    let t = text(&dry);
    assert_eq!(dry.status.code(), Some(0), "{t}");
    assert!(t.contains("0002_posts") && !t.contains("0001_seed"), "{t}");
    assert!(t.contains("0003_draft.sql is not listed"), "{t}");
    assert_eq!(rows(&db), expected_rows(2), "a dry run writes nothing");

    let out = apply(&db);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("adopted 2 version(s) Drizzle had applied"),
        "{t}"
    );
    assert_eq!(db.scalar("SELECT COUNT(*) FROM users"), 1, "seed ran once");
    assert_eq!(
        db.strings("SELECT version FROM cutover_history WHERE applied_by = 'alice'"),
        ["0002_posts"]
    );
    assert_eq!(rows(&db), expected_rows(3));
});

on_all_backends!(drizzle_counts_what_its_last_row_covers, |b| {
    let Some(db) = TestDb::new(b, "drizzle_last_row") else {
        return;
    };
    write_folder(&db);
    for sql in [USERS, SEED] {
        for stmt in sql.split("--> statement-breakpoint") {
            db.exec(stmt);
        }
    }
    create_table(&db);
    // Only the second file's row: drizzle reads the last row and runs only newer entries,
    // so the first file counts as applied too.
    drizzle_row(&db, SEED, WHEN[1]);
    let out = apply(&db);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("adopted 2 version(s)"), "{t}");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM users"), 1);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM posts"), 1);
    assert_eq!(
        db.scalar(&format!("SELECT COUNT(*) FROM {}", table(b))),
        2,
        "one row added, for 0002"
    );
});

on_all_backends!(drizzle_hash_mismatch_is_drift, |b| {
    let Some(db) = TestDb::new(b, "drizzle_drift") else {
        return;
    };
    write_folder(&db);
    for stmt in USERS.split("--> statement-breakpoint") {
        db.exec(stmt);
    }
    create_table(&db);
    let earlier = USERS.replace("name VARCHAR(50)", "name VARCHAR(40)");
    drizzle_row(&db, &earlier, WHEN[0]);
    let out = apply(&db);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("0000_keen_devos.sql") && t.contains(&sha256(&earlier)),
        "{t}"
    );
    assert_eq!(db.scalar("SELECT COUNT(*) FROM users"), 0, "nothing ran");
});

/// The node_modules folder holding `drizzle-orm` and `pg` for drizzle's own migrator, named
/// by CUTOVER_TEST_NODE_MODULES (`npm install --prefix DIR drizzle-orm pg`, then
/// DIR/node_modules); None after saying the test was skipped.
fn node_modules(test: &str) -> Option<String> {
    let found = std::env::var("CUTOVER_TEST_NODE_MODULES")
        .ok()
        .filter(|s| !s.is_empty());
    if found.is_none() {
        skipped(&format!(
            "{test}: set CUTOVER_TEST_NODE_MODULES to a node_modules holding drizzle-orm and pg"
        ));
    }
    found
}

/// Runs drizzle-orm's migrator (tests/tools/drizzle-migrate.cjs) on `dir`; None when
/// node cannot be run (after saying so).
fn drizzle_migrate(
    db: &TestDb,
    modules: &str,
    dir: &std::path::Path,
) -> Option<std::process::Output> {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/drizzle-migrate.cjs");
    match std::process::Command::new("node")
        .arg(&script)
        .arg(&db.url)
        .arg(dir)
        .env("NODE_PATH", modules)
        .output()
    {
        Ok(o) => Some(o),
        Err(e) => {
            skipped(&format!("drizzle's migrator: cannot run node: {e}"));
            None
        }
    }
}

/// drizzle-orm's own migrator, run after cutover, finds nothing to do: it runs no file
/// again (0000 would fail: its table exists) and adds no row.
#[test]
fn drizzles_own_migrator_agrees_after_cutover() {
    let Some(modules) = node_modules("drizzles_own_migrator_agrees_after_cutover") else {
        return;
    };
    let Some(db) = TestDb::new(Backend::Postgres, "drizzle_own_migrator") else {
        return;
    };
    write_folder(&db);
    let out = apply(&db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let Some(node) = drizzle_migrate(&db, &modules, &db.migrations_dir()) else {
        return;
    };
    assert!(
        node.status.success(),
        "drizzle's migrator failed: {}",
        text(&node)
    );
    assert_eq!(rows(&db), expected_rows(3), "drizzle added no row");
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM posts"),
        1,
        "nothing ran twice"
    );
}

/// A database drizzle-orm's own migrator migrated (its rows, not ours) is adopted whole:
/// nothing runs again.
#[test]
fn history_written_by_drizzles_migrator_is_adopted() {
    let Some(modules) = node_modules("history_written_by_drizzles_migrator_is_adopted") else {
        return;
    };
    let Some(db) = TestDb::new(Backend::Postgres, "drizzle_migrator_first") else {
        return;
    };
    write_folder(&db);
    let Some(node) = drizzle_migrate(&db, &modules, &db.migrations_dir()) else {
        return;
    };
    assert!(
        node.status.success(),
        "drizzle's migrator failed: {}",
        text(&node)
    );
    assert_eq!(
        rows(&db),
        expected_rows(3),
        "drizzle's rows are the ones cutover writes"
    );
    let out = apply(&db);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("adopted 3 version(s) Drizzle had applied"),
        "{t}"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM posts"),
        1,
        "nothing ran twice"
    );
    assert_eq!(rows(&db), expected_rows(3));
}
