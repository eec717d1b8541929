//! Adopting the folder's own tool, run through the real binary on SQLite, PostgreSQL and
//! MariaDB: a database the tool migrated (its SQL run, its history rows written here as
//! the tool writes them) is picked up without running anything twice, and the tool's
//! history is kept current as cutover applies the rest.
//!
//! The tools' tables, rows and checksums below are written from the tools' sources (see
//! the research notes), independently of src/db/native: sqlx's SHA-384, Flyway's CRC-32
//! over lines, golang-migrate's lock key, Sqitch's script hash.

mod common;
use common::*;

use cutover::source::{read_folder, Format, Migration, ReadOptions};
use std::path::Path;

const USERS: &str =
    "CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL);\n";
const SEED: &str = "INSERT INTO users (id, name) VALUES (1, 'ann');\n";
const POSTS: &str =
    "CREATE TABLE posts (id INTEGER NOT NULL PRIMARY KEY, user_id INTEGER NOT NULL);\n";

fn apply(db: &TestDb) -> std::process::Output {
    cutover(db.dir.path(), &["apply", "--operator", "alice"])
}

fn plan(db: &TestDb, format: &str) {
    db.write_plan(&format!("format = \"{format}\"\n"));
}

/// Runs the first two files' SQL as the tool did.
fn pre_apply(db: &TestDb) {
    db.exec(USERS);
    db.exec(SEED);
}

/// The effects of the whole folder are there, and the pre-applied files ran once.
fn assert_applied_once(db: &TestDb, out: &std::process::Output, files: i64) {
    assert_eq!(out.status.code(), Some(0), "{}", text(out));
    assert_eq!(db.scalar("SELECT COUNT(*) FROM users"), 1, "seed ran once");
    assert!(db.has_table("posts"), "the third file ran");
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM cutover_history WHERE status = 'applied'"),
        files
    );
}

fn adopted_by(db: &TestDb, tool: &str) -> i64 {
    db.scalar(&format!(
        "SELECT COUNT(*) FROM cutover_history WHERE applied_by = '{tool} (adopted)'"
    ))
}

fn applied_by_alice(db: &TestDb) -> i64 {
    db.scalar("SELECT COUNT(*) FROM cutover_history WHERE applied_by = 'alice'")
}

/// A blob literal per backend.
fn blob(b: Backend, bytes: &[u8]) -> String {
    match b {
        Backend::Postgres => format!("decode('{}', 'hex')", hex::encode(bytes)),
        _ => format!("X'{}'", hex::encode(bytes)),
    }
}

/// A blob column as lowercase hex per backend.
fn hex_of(b: Backend, col: &str) -> String {
    match b {
        Backend::Postgres => format!("encode({col}, 'hex')"),
        _ => format!("lower(hex({col}))"),
    }
}

/// A query whose one integer column comes back as BIGINT on every backend.
fn big(b: Backend, sql: &str) -> String {
    match b {
        Backend::Postgres => format!("SELECT CAST(({sql}) AS BIGINT)"),
        Backend::Mysql => format!("SELECT CAST(({sql}) AS SIGNED)"),
        Backend::Sqlite => sql.to_string(),
    }
}

fn read(db: &TestDb, format: Format) -> Vec<Migration> {
    read_folder(
        &db.migrations_dir(),
        &ReadOptions {
            format: Some(format),
            pattern: None,
        },
    )
    .expect("folder reads")
    .migrations
}

/// Runs `f` on a connection of its own (the library side: native::open and friends).
fn with_conn<T>(db: &TestDb, f: impl AsyncFnOnce(&mut cutover::db::Conn) -> T) -> T {
    block_on(async {
        let (mut conn, _) = cutover::db::connect(&db.info()).await.expect("connect");
        let v = f(&mut conn).await;
        conn.close().await;
        v
    })
}

// ---------------------------------------------------------------------------------
// sqlx

fn sha384(s: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha384::digest(s.as_bytes()).to_vec()
}

const SQLX: &[(&str, &str)] = &[
    ("0001_users.sql", USERS),
    ("0002_seed_users.sql", SEED),
    ("0003_posts.sql", POSTS),
];

fn sqlx_table(db: &TestDb) {
    db.exec(match db.backend {
        Backend::Postgres => {
            "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
                version BIGINT PRIMARY KEY, description TEXT NOT NULL,
                installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL,
                checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL)"
        }
        _ => {
            "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
                version BIGINT PRIMARY KEY, description TEXT NOT NULL,
                installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL,
                checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)"
        }
    });
}

fn sqlx_row(db: &TestDb, version: i64, desc: &str, success: bool, checksum: &[u8]) {
    db.exec(&format!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES ({version}, '{desc}', {}, {}, 1234567)",
        if success { "TRUE" } else { "FALSE" },
        blob(db.backend, checksum)
    ));
}

/// `sqlx migrate run` applied 0001 and 0002.
fn sqlx_setup(db: &TestDb) {
    write_files(&db.migrations_dir(), SQLX);
    plan(db, "sqlx");
    pre_apply(db);
    sqlx_table(db);
    sqlx_row(db, 1, "users", true, &sha384(USERS));
    sqlx_row(db, 2, "seed users", true, &sha384(SEED));
}

on_all_backends!(sqlx_adopts_and_keeps_its_table, |b| {
    let Some(db) = TestDb::new(b, "sqlx_adopts") else {
        return;
    };
    sqlx_setup(&db);
    let out = apply(&db);
    assert_applied_once(&db, &out, 3);
    assert_eq!(adopted_by(&db, "sqlx"), 2);
    assert_eq!(applied_by_alice(&db), 1);
    assert_eq!(
        db.strings("SELECT version FROM cutover_history WHERE applied_by = 'alice'"),
        ["0003"]
    );
    // The row sqlx writes for 0003.
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success"),
        3
    );
    assert_eq!(
        db.strings("SELECT description FROM _sqlx_migrations WHERE version = 3"),
        ["posts"]
    );
    assert_eq!(
        db.strings(&format!(
            "SELECT {} FROM _sqlx_migrations WHERE version = 3",
            hex_of(b, "checksum")
        )),
        [hex::encode(sha384(POSTS))]
    );
    assert!(db.scalar("SELECT execution_time FROM _sqlx_migrations WHERE version = 3") > 0);

    let again = apply(&db);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(
        text(&again).contains("nothing to apply"),
        "{}",
        text(&again)
    );
    assert_eq!(db.scalar("SELECT COUNT(*) FROM _sqlx_migrations"), 3);

    // What `sqlx migrate revert` leaves: the row deleted.
    let migs = read(&db, Format::Sqlx);
    with_conn(&db, async |c| {
        let h = cutover::db::native::open(c, Format::Sqlx, &migs)
            .await
            .expect("open")
            .expect("sqlx history");
        assert!(!h.created);
        h.record_revert(c, &migs[2], &migs, "alice")
            .await
            .expect("revert");
        h.close(c).await;
    });
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE version = 3"),
        0
    );
});

on_all_backends!(sqlx_fresh_database_gets_its_table, |b| {
    let Some(db) = TestDb::new(b, "sqlx_fresh") else {
        return;
    };
    write_files(&db.migrations_dir(), SQLX);
    plan(&db, "sqlx");
    let out = apply(&db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("created sqlx's history (_sqlx_migrations)"),
        "{}",
        text(&out)
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success"),
        3
    );
    let hexes = db.strings(&format!(
        "SELECT {} FROM _sqlx_migrations ORDER BY version",
        hex_of(b, "checksum")
    ));
    assert_eq!(hexes, [USERS, SEED, POSTS].map(|s| hex::encode(sha384(s))));
    assert_eq!(
        db.strings("SELECT description FROM _sqlx_migrations ORDER BY version"),
        ["users", "seed users", "posts"]
    );
});

on_all_backends!(sqlx_dirty_row_stops_the_run, |b| {
    let Some(db) = TestDb::new(b, "sqlx_dirty") else {
        return;
    };
    write_files(&db.migrations_dir(), SQLX);
    plan(&db, "sqlx");
    db.exec(USERS);
    sqlx_table(&db);
    sqlx_row(&db, 1, "users", true, &sha384(USERS));
    sqlx_row(&db, 2, "seed users", false, &sha384(SEED));
    let out = apply(&db);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("version 2") && t.contains("_sqlx_migrations"),
        "{t}"
    );
    assert!(!db.has_table("posts"), "nothing ran");
});

on_all_backends!(sqlx_checksum_mismatch_is_drift, |b| {
    let Some(db) = TestDb::new(b, "sqlx_mismatch") else {
        return;
    };
    write_files(&db.migrations_dir(), SQLX);
    plan(&db, "sqlx");
    pre_apply(&db);
    sqlx_table(&db);
    // Applied from an earlier text of 0001 (CRLF endings: sqlx hashes the bytes).
    let earlier = USERS.replace('\n', "\r\n");
    sqlx_row(&db, 1, "users", true, &sha384(&earlier));
    sqlx_row(&db, 2, "seed users", true, &sha384(SEED));
    let out = apply(&db);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("0001_users.sql"), "names the file: {t}");
    assert!(t.contains(&hex::encode(sha384(&earlier))), "{t}");
    assert!(!db.has_table("posts"), "nothing ran");
});

// The lock sqlx takes: PostgreSQL advisory key from the database name, MySQL GET_LOCK.
on_all_backends!(sqlx_lock_held_by_sqlx_refuses, |b| {
    if b == Backend::Sqlite {
        return; // sqlx takes no lock on SQLite
    }
    let Some(db) = TestDb::new(b, "sqlx_lock") else {
        return;
    };
    write_files(&db.migrations_dir(), SQLX);
    plan(&db, "sqlx");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut conn = rt.block_on(async {
        let (mut c, _) = cutover::db::connect(&db.info()).await.expect("connect");
        let name = match b {
            Backend::Postgres => {
                c.column_strings("SELECT CAST(current_database() AS TEXT)")
                    .await
            }
            _ => c.column_strings("SELECT DATABASE()").await,
        }
        .expect("db name")
        .remove(0);
        let key = 0x3d32ad9e_i64 * i64::from(crc32fast::hash(name.as_bytes()));
        let sql = match b {
            Backend::Postgres => format!("SELECT pg_advisory_lock({key})"),
            _ => format!("SELECT GET_LOCK('{key:x}', 5)"),
        };
        c.execute(&sql).await.expect("take sqlx's lock");
        c
    });
    let out = apply(&db);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("sqlx's lock"), "{t}");
    assert!(!db.has_table("users"), "nothing ran");
    rt.block_on(async {
        conn.execute("SELECT 1").await.expect("still connected");
    });
    rt.block_on(conn.close());
    let out = apply(&db);
    assert_eq!(out.status.code(), Some(0), "after release: {}", text(&out));
});

// ---------------------------------------------------------------------------------
// diesel

const DIESEL: &[(&str, &str)] = &[
    ("2024-01-01-000000_create_users/up.sql", USERS),
    (
        "2024-01-01-000000_create_users/down.sql",
        "DROP TABLE users;\n",
    ),
    ("2024-01-02-000000_seed_users/up.sql", SEED),
    (
        "2024-01-02-000000_seed_users/down.sql",
        "DELETE FROM users;\n",
    ),
    ("2024-01-03-000000_create_posts/up.sql", POSTS),
    (
        "2024-01-03-000000_create_posts/down.sql",
        "DROP TABLE posts;\n",
    ),
];

on_all_backends!(diesel_adopts_and_keeps_its_table, |b| {
    let Some(db) = TestDb::new(b, "diesel_adopts") else {
        return;
    };
    write_files(&db.migrations_dir(), DIESEL);
    plan(&db, "diesel");
    pre_apply(&db);
    db.exec(
        "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
       version VARCHAR(50) PRIMARY KEY NOT NULL,
       run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
)",
    );
    db.exec("INSERT INTO __diesel_schema_migrations (version) VALUES ('20240101000000')");
    db.exec("INSERT INTO __diesel_schema_migrations (version) VALUES ('20240102000000')");
    let out = apply(&db);
    assert_applied_once(&db, &out, 3);
    assert_eq!(adopted_by(&db, "diesel"), 2);
    assert_eq!(applied_by_alice(&db), 1);
    assert_eq!(
        db.strings("SELECT version FROM __diesel_schema_migrations ORDER BY version"),
        ["20240101000000", "20240102000000", "20240103000000"]
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM __diesel_schema_migrations WHERE run_on IS NOT NULL"),
        3
    );

    let migs = read(&db, Format::Diesel);
    with_conn(&db, async |c| {
        let h = cutover::db::native::open(c, Format::Diesel, &migs)
            .await
            .expect("open")
            .expect("diesel history");
        h.record_revert(c, &migs[2], &migs, "alice")
            .await
            .expect("revert");
        h.close(c).await;
    });
    assert_eq!(
        db.strings("SELECT version FROM __diesel_schema_migrations ORDER BY version"),
        ["20240101000000", "20240102000000"]
    );
});

on_all_backends!(diesel_fresh_database_gets_its_table, |b| {
    let Some(db) = TestDb::new(b, "diesel_fresh") else {
        return;
    };
    write_files(&db.migrations_dir(), DIESEL);
    plan(&db, "diesel");
    let out = apply(&db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        db.strings("SELECT version FROM __diesel_schema_migrations ORDER BY version"),
        ["20240101000000", "20240102000000", "20240103000000"]
    );
});

// ---------------------------------------------------------------------------------
// golang-migrate

const GOLANG: &[(&str, &str)] = &[
    ("000001_users.up.sql", USERS),
    ("000001_users.down.sql", "DROP TABLE users;\n"),
    ("000002_seed_users.up.sql", SEED),
    ("000002_seed_users.down.sql", "DELETE FROM users;\n"),
    ("000003_posts.up.sql", POSTS),
    ("000003_posts.down.sql", "DROP TABLE posts;\n"),
];

fn golang_table(db: &TestDb) {
    match db.backend {
        Backend::Postgres => db.exec("CREATE TABLE IF NOT EXISTS \"public\".\"schema_migrations\" (version bigint not null primary key, dirty boolean not null)"),
        Backend::Mysql => db.exec("CREATE TABLE `schema_migrations` (version bigint not null primary key, dirty boolean not null)"),
        Backend::Sqlite => {
            db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version uint64,dirty bool);");
            db.exec("CREATE UNIQUE INDEX IF NOT EXISTS version_unique ON schema_migrations (version);");
        }
    }
}

/// `version:dirty` of golang-migrate's single row.
fn golang_row(db: &TestDb) -> Vec<(i64, i64)> {
    let v = db.scalar("SELECT COUNT(*) FROM schema_migrations");
    if v == 0 {
        return Vec::new();
    }
    let version = db.scalar("SELECT version FROM schema_migrations");
    let dirty = db.scalar(&big(
        db.backend,
        "SELECT CASE WHEN dirty THEN 1 ELSE 0 END FROM schema_migrations",
    ));
    vec![(version, dirty)]
}

on_all_backends!(golang_migrate_adopts_and_keeps_its_row, |b| {
    let Some(db) = TestDb::new(b, "golang_adopts") else {
        return;
    };
    write_files(&db.migrations_dir(), GOLANG);
    plan(&db, "golang-migrate");
    pre_apply(&db);
    golang_table(&db);
    db.exec("INSERT INTO schema_migrations (version, dirty) VALUES (2, FALSE)");
    let out = apply(&db);
    assert_applied_once(&db, &out, 3);
    assert_eq!(adopted_by(&db, "golang-migrate"), 2);
    assert_eq!(applied_by_alice(&db), 1);
    assert_eq!(golang_row(&db), [(3, 0)], "one row: the current version");

    // `migrate down 1` moves to the previous version; below the first, no row.
    let migs = read(&db, Format::GolangMigrate);
    with_conn(&db, async |c| {
        let h = cutover::db::native::open(c, Format::GolangMigrate, &migs)
            .await
            .expect("open")
            .expect("golang-migrate history");
        h.record_revert(c, &migs[2], &migs, "alice")
            .await
            .expect("revert");
        h.close(c).await;
    });
    assert_eq!(golang_row(&db), [(2, 0)]);
    with_conn(&db, async |c| {
        let h = cutover::db::native::open(c, Format::GolangMigrate, &migs)
            .await
            .expect("open")
            .expect("golang-migrate history");
        h.record_revert(c, &migs[0], &migs, "alice")
            .await
            .expect("revert");
        h.close(c).await;
    });
    assert_eq!(golang_row(&db), []);
});

on_all_backends!(golang_migrate_fresh_database_gets_its_table, |b| {
    let Some(db) = TestDb::new(b, "golang_fresh") else {
        return;
    };
    write_files(&db.migrations_dir(), GOLANG);
    plan(&db, "golang-migrate");
    let out = apply(&db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(db.has_table("schema_migrations"));
    assert_eq!(golang_row(&db), [(3, 0)]);
});

on_all_backends!(golang_migrate_dirty_stops_the_run, |b| {
    let Some(db) = TestDb::new(b, "golang_dirty") else {
        return;
    };
    write_files(&db.migrations_dir(), GOLANG);
    plan(&db, "golang-migrate");
    db.exec(USERS);
    golang_table(&db);
    db.exec("INSERT INTO schema_migrations (version, dirty) VALUES (2, TRUE)");
    let out = apply(&db);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("version 2") && t.contains("golang-migrate"),
        "{t}"
    );
    assert!(!db.has_table("posts"), "nothing ran");
});

/// golang-migrate's lock id: `uint32(crc32(S) * 1486364155)`.
fn golang_lock_id(s: &str) -> u32 {
    crc32fast::hash(s.as_bytes()).wrapping_mul(1486364155)
}

on_all_backends!(golang_migrate_lock_held_refuses, |b| {
    if b == Backend::Sqlite {
        return; // an in-process flag only on SQLite
    }
    let Some(db) = TestDb::new(b, "golang_lock") else {
        return;
    };
    write_files(&db.migrations_dir(), GOLANG);
    plan(&db, "golang-migrate");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let conn = rt.block_on(async {
        let (mut c, _) = cutover::db::connect(&db.info()).await.expect("connect");
        let sql = match b {
            Backend::Postgres => {
                let name = c
                    .column_strings("SELECT CAST(current_database() AS TEXT)")
                    .await
                    .expect("db")
                    .remove(0);
                // As `migrate -database postgres://.../db` (the URL path keeps its `/`).
                let key = golang_lock_id(&format!("public\0schema_migrations\0/{name}"));
                format!("SELECT pg_advisory_lock({key})")
            }
            _ => {
                let name = c
                    .column_strings("SELECT DATABASE()")
                    .await
                    .expect("db")
                    .remove(0);
                let key = golang_lock_id(&format!("{name}:schema_migrations"));
                format!("SELECT GET_LOCK('{key}', 5)")
            }
        };
        c.execute(&sql).await.expect("take golang-migrate's lock");
        c
    });
    let out = apply(&db);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("golang-migrate's lock"), "{t}");
    assert!(!db.has_table("users"), "nothing ran");
    rt.block_on(conn.close());
    let out = apply(&db);
    assert_eq!(out.status.code(), Some(0), "after release: {}", text(&out));
});

// ---------------------------------------------------------------------------------
// dbmate

fn dbmate_file(up: &str, down: &str) -> String {
    format!("-- migrate:up\n{up}\n-- migrate:down\n{down}\n")
}

fn dbmate_files() -> Vec<(String, String)> {
    vec![
        (
            "20240101000000_users.sql".into(),
            dbmate_file(USERS, "DROP TABLE users;"),
        ),
        (
            "20240102000000_seed_users.sql".into(),
            dbmate_file(SEED, "DELETE FROM users;"),
        ),
        (
            "20240103000000_posts.sql".into(),
            dbmate_file(POSTS, "DROP TABLE posts;"),
        ),
    ]
}

fn write_owned(dir: &Path, files: &[(String, String)]) {
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    write_files(dir, &refs);
}

on_all_backends!(dbmate_adopts_and_keeps_its_table, |b| {
    let Some(db) = TestDb::new(b, "dbmate_adopts") else {
        return;
    };
    write_owned(&db.migrations_dir(), &dbmate_files());
    plan(&db, "dbmate");
    pre_apply(&db);
    db.exec(match b {
        Backend::Postgres => {
            "create table if not exists public.schema_migrations (version varchar primary key)"
        }
        Backend::Mysql => {
            "create table if not exists `schema_migrations` (version varchar(128) primary key)"
        }
        Backend::Sqlite => {
            "create table if not exists \"schema_migrations\" (version varchar(128) primary key)"
        }
    });
    db.exec("insert into schema_migrations (version) values ('20240101000000')");
    db.exec("insert into schema_migrations (version) values ('20240102000000')");
    let out = apply(&db);
    assert_applied_once(&db, &out, 3);
    assert_eq!(adopted_by(&db, "dbmate"), 2);
    assert_eq!(applied_by_alice(&db), 1);
    assert_eq!(
        db.strings("select version from schema_migrations order by version"),
        ["20240101000000", "20240102000000", "20240103000000"]
    );

    let migs = read(&db, Format::Dbmate);
    with_conn(&db, async |c| {
        let h = cutover::db::native::open(c, Format::Dbmate, &migs)
            .await
            .expect("open")
            .expect("dbmate history");
        h.record_revert(c, &migs[2], &migs, "alice")
            .await
            .expect("rollback");
        h.close(c).await;
    });
    assert_eq!(
        db.strings("select version from schema_migrations order by version"),
        ["20240101000000", "20240102000000"]
    );
});

on_all_backends!(dbmate_fresh_database_gets_its_table, |b| {
    let Some(db) = TestDb::new(b, "dbmate_fresh") else {
        return;
    };
    write_owned(&db.migrations_dir(), &dbmate_files());
    plan(&db, "dbmate");
    let out = apply(&db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        db.strings("select version from schema_migrations order by version"),
        ["20240101000000", "20240102000000", "20240103000000"]
    );
});

// ---------------------------------------------------------------------------------
// Flyway

/// Flyway's checksum: CRC-32 over the lines without terminators, as a signed int.
fn flyway_crc(text: &str) -> i32 {
    let joined: String = text.lines().collect();
    crc32fast::hash(joined.as_bytes()) as i32
}

const VIEW: &str =
    "DROP VIEW IF EXISTS user_names;\nCREATE VIEW user_names AS SELECT name FROM users;\n";

const FLYWAY: &[(&str, &str)] = &[
    ("V1__users.sql", USERS),
    ("V2__seed_users.sql", SEED),
    ("V3__posts.sql", POSTS),
    ("U3__posts.sql", "DROP TABLE posts;\n"),
    ("R__user_names.sql", VIEW),
];

fn flyway_table(db: &TestDb) {
    match db.backend {
        Backend::Postgres => {
            db.exec(
                "CREATE TABLE \"public\".\"flyway_schema_history\" (
    \"installed_rank\" INT NOT NULL, \"version\" VARCHAR(50), \"description\" VARCHAR(200) NOT NULL,
    \"type\" VARCHAR(20) NOT NULL, \"script\" VARCHAR(1000) NOT NULL, \"checksum\" INTEGER,
    \"installed_by\" VARCHAR(100) NOT NULL, \"installed_on\" TIMESTAMP NOT NULL DEFAULT now(),
    \"execution_time\" INTEGER NOT NULL, \"success\" BOOLEAN NOT NULL)",
            );
            db.exec("ALTER TABLE \"public\".\"flyway_schema_history\" ADD CONSTRAINT \"flyway_schema_history_pk\" PRIMARY KEY (\"installed_rank\")");
            db.exec("CREATE INDEX \"flyway_schema_history_s_idx\" ON \"public\".\"flyway_schema_history\" (\"success\")");
        }
        Backend::Mysql => {
            db.exec(
                "CREATE TABLE `flyway_schema_history` (
    `installed_rank` INT NOT NULL, `version` VARCHAR(50), `description` VARCHAR(200) NOT NULL,
    `type` VARCHAR(20) NOT NULL, `script` VARCHAR(1000) NOT NULL, `checksum` INT,
    `installed_by` VARCHAR(100) NOT NULL, `installed_on` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    `execution_time` INT NOT NULL, `success` BOOL NOT NULL,
    CONSTRAINT `flyway_schema_history_pk` PRIMARY KEY (`installed_rank`)) ENGINE=InnoDB",
            );
            db.exec(
                "CREATE INDEX `flyway_schema_history_s_idx` ON `flyway_schema_history` (`success`)",
            );
        }
        Backend::Sqlite => {
            db.exec(
                "CREATE TABLE \"main\".\"flyway_schema_history\" (
    \"installed_rank\" INT NOT NULL PRIMARY KEY, \"version\" VARCHAR(50), \"description\" VARCHAR(200) NOT NULL,
    \"type\" VARCHAR(20) NOT NULL, \"script\" VARCHAR(1000) NOT NULL, \"checksum\" INT,
    \"installed_by\" VARCHAR(100) NOT NULL,
    \"installed_on\" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')),
    \"execution_time\" INT NOT NULL, \"success\" BOOLEAN NOT NULL)",
            );
            db.exec("CREATE INDEX \"main\".\"flyway_schema_history_s_idx\" ON \"flyway_schema_history\" (\"success\")");
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn flyway_row(
    db: &TestDb,
    rank: i64,
    version: Option<&str>,
    desc: &str,
    kind: &str,
    script: &str,
    checksum: Option<i32>,
    success: bool,
) {
    let v = version.map_or("NULL".to_string(), |v| format!("'{v}'"));
    let c = checksum.map_or("NULL".to_string(), |c| c.to_string());
    db.exec(&format!(
        "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES ({rank}, {v}, '{desc}', '{kind}', '{script}', {c}, 'flyway', 5, {})",
        if success { "TRUE" } else { "FALSE" }
    ));
}

/// `flyway migrate` applied V1, V2 and the repeatable.
fn flyway_setup(db: &TestDb) {
    write_files(&db.migrations_dir(), FLYWAY);
    plan(db, "flyway");
    pre_apply(db);
    db.exec("DROP VIEW IF EXISTS user_names");
    db.exec("CREATE VIEW user_names AS SELECT name FROM users");
    flyway_table(db);
    flyway_row(
        db,
        1,
        Some("1"),
        "users",
        "SQL",
        "V1__users.sql",
        Some(flyway_crc(USERS)),
        true,
    );
    flyway_row(
        db,
        2,
        Some("2"),
        "seed users",
        "SQL",
        "V2__seed_users.sql",
        Some(flyway_crc(SEED)),
        true,
    );
    flyway_row(
        db,
        3,
        None,
        "user names",
        "SQL",
        "R__user_names.sql",
        Some(flyway_crc(VIEW)),
        true,
    );
}

on_all_backends!(flyway_adopts_and_appends_to_its_history, |b| {
    let Some(db) = TestDb::new(b, "flyway_adopts") else {
        return;
    };
    flyway_setup(&db);
    let out = apply(&db);
    assert_applied_once(&db, &out, 4);
    assert_eq!(adopted_by(&db, "Flyway"), 3, "V1, V2 and the repeatable");
    assert_eq!(applied_by_alice(&db), 1, "only V3 ran: {}", text(&out));
    // The row Flyway appends for V3.
    assert_eq!(
        db.scalar(&big(
            b,
            "SELECT MAX(installed_rank) FROM flyway_schema_history"
        )),
        4
    );
    assert_eq!(
        db.strings("SELECT version FROM flyway_schema_history WHERE installed_rank = 4"),
        ["3"]
    );
    assert_eq!(
        db.strings(
            "SELECT description FROM flyway_schema_history WHERE installed_rank = 4 UNION ALL \
             SELECT type FROM flyway_schema_history WHERE installed_rank = 4 UNION ALL \
             SELECT script FROM flyway_schema_history WHERE installed_rank = 4 UNION ALL \
             SELECT installed_by FROM flyway_schema_history WHERE installed_rank = 4"
        ),
        ["posts", "SQL", "V3__posts.sql", "alice"]
    );
    assert_eq!(
        db.scalar(&big(
            b,
            "SELECT checksum FROM flyway_schema_history WHERE installed_rank = 4"
        )),
        i64::from(flyway_crc(POSTS))
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM flyway_schema_history WHERE success"),
        4
    );

    // A changed repeatable runs again and gets a new row.
    let view2 =
        "DROP VIEW IF EXISTS user_names;\nCREATE VIEW user_names AS SELECT id, name FROM users;\n";
    write_files(&db.migrations_dir(), &[("R__user_names.sql", view2)]);
    let out = apply(&db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        db.scalar(&big(
            b,
            "SELECT MAX(installed_rank) FROM flyway_schema_history"
        )),
        5
    );
    assert_eq!(
        db.scalar(&big(
            b,
            "SELECT checksum FROM flyway_schema_history WHERE installed_rank = 5"
        )),
        i64::from(flyway_crc(view2))
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM flyway_schema_history WHERE version IS NULL"),
        2
    );

    // `flyway undo` appends an UNDO_SQL row from the U script.
    let migs = read(&db, Format::Flyway);
    let v3 = migs
        .iter()
        .find(|m| m.native.version == "3")
        .expect("V3")
        .clone();
    with_conn(&db, async |c| {
        let h = cutover::db::native::open(c, Format::Flyway, &migs)
            .await
            .expect("open")
            .expect("Flyway history");
        h.record_revert(c, &v3, &migs, "alice").await.expect("undo");
        let rec = h.recorded(c, &migs).await.expect("recorded");
        assert!(
            !rec.applied.iter().any(|&i| migs[i].native.version == "3"),
            "an undone version is not applied"
        );
        h.close(c).await;
    });
    assert_eq!(
        db.strings(
            "SELECT type FROM flyway_schema_history WHERE installed_rank = 6 UNION ALL \
             SELECT version FROM flyway_schema_history WHERE installed_rank = 6 UNION ALL \
             SELECT script FROM flyway_schema_history WHERE installed_rank = 6"
        ),
        ["UNDO_SQL", "3", "U3__posts.sql"]
    );
    assert_eq!(
        db.scalar(&big(
            b,
            "SELECT checksum FROM flyway_schema_history WHERE installed_rank = 6"
        )),
        i64::from(flyway_crc("DROP TABLE posts;\n"))
    );
});

on_all_backends!(flyway_fresh_database_gets_its_table, |b| {
    let Some(db) = TestDb::new(b, "flyway_fresh") else {
        return;
    };
    write_files(&db.migrations_dir(), FLYWAY);
    plan(&db, "flyway");
    let out = apply(&db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        db.strings("SELECT script FROM flyway_schema_history ORDER BY installed_rank"),
        [
            "V1__users.sql",
            "V2__seed_users.sql",
            "V3__posts.sql",
            "R__user_names.sql"
        ]
    );
    assert_eq!(
        db.scalar(&big(b, "SELECT SUM(checksum) FROM flyway_schema_history")),
        [USERS, SEED, POSTS, VIEW]
            .iter()
            .map(|s| i64::from(flyway_crc(s)))
            .sum::<i64>()
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM flyway_schema_history WHERE success AND installed_by = 'alice' AND type = 'SQL'"),
        4
    );
});

on_all_backends!(flyway_failed_row_stops_the_run, |b| {
    let Some(db) = TestDb::new(b, "flyway_failed") else {
        return;
    };
    write_files(&db.migrations_dir(), FLYWAY);
    plan(&db, "flyway");
    db.exec(USERS);
    flyway_table(&db);
    flyway_row(
        &db,
        1,
        Some("1"),
        "users",
        "SQL",
        "V1__users.sql",
        Some(flyway_crc(USERS)),
        true,
    );
    flyway_row(
        &db,
        2,
        Some("2"),
        "seed users",
        "SQL",
        "V2__seed_users.sql",
        Some(flyway_crc(SEED)),
        false,
    );
    let out = apply(&db);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("version 2") && t.contains("flyway_schema_history"),
        "{t}"
    );
    assert!(!db.has_table("posts"), "nothing ran");
});

on_all_backends!(flyway_checksum_mismatch_is_drift, |b| {
    let Some(db) = TestDb::new(b, "flyway_mismatch") else {
        return;
    };
    write_files(&db.migrations_dir(), FLYWAY);
    plan(&db, "flyway");
    pre_apply(&db);
    flyway_table(&db);
    flyway_row(
        &db,
        1,
        Some("1"),
        "users",
        "SQL",
        "V1__users.sql",
        Some(-123456),
        true,
    );
    flyway_row(
        &db,
        2,
        Some("2"),
        "seed users",
        "SQL",
        "V2__seed_users.sql",
        Some(flyway_crc(SEED)),
        true,
    );
    let out = apply(&db);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("V1__users.sql") && t.contains("-123456"), "{t}");
    assert!(t.contains(&flyway_crc(USERS).to_string()), "{t}");
    assert!(!db.has_table("posts"), "nothing ran");
});

// ---------------------------------------------------------------------------------
// Sqitch

fn sqitch_project(b: Backend, tag: &str) -> String {
    format!(
        "adopt_{}_{}_{}",
        tag,
        format!("{b:?}").to_lowercase(),
        std::process::id()
    )
}

fn sqitch_files(project: &str) -> Vec<(String, String)> {
    let wrap = |s: &str| format!("BEGIN;\n{s}COMMIT;\n");
    vec![
        (
            "sqitch.plan".into(),
            format!(
                "%syntax-version=1.0.0\n%project={project}\n\n\
                 users 2024-01-01T00:00:00Z Ann Example <ann@example.com> # Users table.\n\
                 seed_users [users] 2024-01-02T00:00:00Z Ann Example <ann@example.com>\n\
                 @v1.0 2024-01-02T00:00:01Z Ann Example <ann@example.com> # First release.\n\
                 posts [users] 2024-01-03T00:00:00Z Ann Example <ann@example.com> # Posts.\n"
            ),
        ),
        ("deploy/users.sql".into(), wrap(USERS)),
        ("revert/users.sql".into(), wrap("DROP TABLE users;\n")),
        ("deploy/seed_users.sql".into(), wrap(SEED)),
        ("revert/seed_users.sql".into(), wrap("DELETE FROM users;\n")),
        ("deploy/posts.sql".into(), wrap(POSTS)),
        ("revert/posts.sql".into(), wrap("DROP TABLE posts;\n")),
    ]
}

/// Statements creating Sqitch's registry (v1.1 shape, from Sqitch's pg.sql, mysql.sql
/// and sqlite.sql; comments, triggers and table options left out).
fn sqitch_registry_ddl(b: Backend) -> Vec<String> {
    match b {
        Backend::Postgres => vec![
            "CREATE SCHEMA IF NOT EXISTS sqitch".into(),
            "CREATE TABLE sqitch.releases (version REAL PRIMARY KEY, installed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), installer_name TEXT NOT NULL, installer_email TEXT NOT NULL)".into(),
            "CREATE TABLE sqitch.projects (project TEXT PRIMARY KEY, uri TEXT NULL UNIQUE, created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), creator_name TEXT NOT NULL, creator_email TEXT NOT NULL)".into(),
            "CREATE TABLE sqitch.changes (change_id TEXT PRIMARY KEY, script_hash TEXT NULL, change TEXT NOT NULL, project TEXT NOT NULL REFERENCES sqitch.projects(project) ON UPDATE CASCADE, note TEXT NOT NULL DEFAULT '', committed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), committer_name TEXT NOT NULL, committer_email TEXT NOT NULL, planned_at TIMESTAMPTZ NOT NULL, planner_name TEXT NOT NULL, planner_email TEXT NOT NULL, UNIQUE(project, script_hash))".into(),
            "CREATE TABLE sqitch.tags (tag_id TEXT PRIMARY KEY, tag TEXT NOT NULL, project TEXT NOT NULL REFERENCES sqitch.projects(project) ON UPDATE CASCADE, change_id TEXT NOT NULL REFERENCES sqitch.changes(change_id) ON UPDATE CASCADE, note TEXT NOT NULL DEFAULT '', committed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), committer_name TEXT NOT NULL, committer_email TEXT NOT NULL, planned_at TIMESTAMPTZ NOT NULL, planner_name TEXT NOT NULL, planner_email TEXT NOT NULL, UNIQUE(project, tag))".into(),
            "CREATE TABLE sqitch.dependencies (change_id TEXT NOT NULL REFERENCES sqitch.changes(change_id) ON UPDATE CASCADE ON DELETE CASCADE, type TEXT NOT NULL, dependency TEXT NOT NULL, dependency_id TEXT NULL REFERENCES sqitch.changes(change_id) ON UPDATE CASCADE CONSTRAINT dependencies_check CHECK ((type = 'require' AND dependency_id IS NOT NULL) OR (type = 'conflict' AND dependency_id IS NULL)), PRIMARY KEY (change_id, dependency))".into(),
            "CREATE TABLE sqitch.events (event TEXT NOT NULL CONSTRAINT events_event_check CHECK (event IN ('deploy', 'revert', 'fail', 'merge')), change_id TEXT NOT NULL, change TEXT NOT NULL, project TEXT NOT NULL REFERENCES sqitch.projects(project) ON UPDATE CASCADE, note TEXT NOT NULL DEFAULT '', requires TEXT[] NOT NULL DEFAULT '{}', conflicts TEXT[] NOT NULL DEFAULT '{}', tags TEXT[] NOT NULL DEFAULT '{}', committed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), committer_name TEXT NOT NULL, committer_email TEXT NOT NULL, planned_at TIMESTAMPTZ NOT NULL, planner_name TEXT NOT NULL, planner_email TEXT NOT NULL, PRIMARY KEY (change_id, committed_at))".into(),
        ],
        Backend::Mysql => vec![
            "CREATE DATABASE IF NOT EXISTS sqitch".into(),
            "CREATE TABLE IF NOT EXISTS sqitch.releases (version FLOAT(4,1) PRIMARY KEY, installed_at DATETIME(6) NOT NULL, installer_name VARCHAR(255) NOT NULL, installer_email VARCHAR(255) NOT NULL) ENGINE InnoDB, CHARACTER SET 'utf8'".into(),
            "CREATE TABLE IF NOT EXISTS sqitch.projects (project VARCHAR(255) PRIMARY KEY, uri VARCHAR(255) NULL UNIQUE, created_at DATETIME(6) NOT NULL, creator_name VARCHAR(255) NOT NULL, creator_email VARCHAR(255) NOT NULL) ENGINE InnoDB, CHARACTER SET 'utf8'".into(),
            "CREATE TABLE IF NOT EXISTS sqitch.changes (change_id VARCHAR(40) PRIMARY KEY, script_hash VARCHAR(40) NULL, `change` VARCHAR(255) NOT NULL, project VARCHAR(255) NOT NULL REFERENCES sqitch.projects(project) ON UPDATE CASCADE, note TEXT NOT NULL, committed_at DATETIME(6) NOT NULL, committer_name VARCHAR(255) NOT NULL, committer_email VARCHAR(255) NOT NULL, planned_at DATETIME(6) NOT NULL, planner_name VARCHAR(255) NOT NULL, planner_email VARCHAR(255) NOT NULL, UNIQUE(project, script_hash)) ENGINE InnoDB, CHARACTER SET 'utf8'".into(),
            "CREATE TABLE IF NOT EXISTS sqitch.tags (tag_id VARCHAR(40) PRIMARY KEY, tag VARCHAR(255) NOT NULL, project VARCHAR(255) NOT NULL REFERENCES sqitch.projects(project) ON UPDATE CASCADE, change_id VARCHAR(40) NOT NULL REFERENCES sqitch.changes(change_id) ON UPDATE CASCADE, note VARCHAR(255) NOT NULL, committed_at DATETIME(6) NOT NULL, committer_name VARCHAR(255) NOT NULL, committer_email VARCHAR(255) NOT NULL, planned_at DATETIME(6) NOT NULL, planner_name VARCHAR(255) NOT NULL, planner_email VARCHAR(255) NOT NULL, UNIQUE(project, tag)) ENGINE InnoDB, CHARACTER SET 'utf8'".into(),
            "CREATE TABLE IF NOT EXISTS sqitch.dependencies (change_id VARCHAR(40) NOT NULL REFERENCES sqitch.changes(change_id) ON UPDATE CASCADE ON DELETE CASCADE, type VARCHAR(8) NOT NULL, dependency VARCHAR(255) NOT NULL, dependency_id VARCHAR(40) NULL REFERENCES sqitch.changes(change_id) ON UPDATE CASCADE, PRIMARY KEY (change_id, dependency)) ENGINE InnoDB, CHARACTER SET 'utf8'".into(),
            "CREATE TABLE IF NOT EXISTS sqitch.events (event ENUM ('deploy', 'fail', 'merge', 'revert') NOT NULL, change_id VARCHAR(40) NOT NULL, `change` VARCHAR(255) NOT NULL, project VARCHAR(255) NOT NULL REFERENCES sqitch.projects(project) ON UPDATE CASCADE, note TEXT NOT NULL, requires TEXT NOT NULL, conflicts TEXT NOT NULL, tags TEXT NOT NULL, committed_at DATETIME(6) NOT NULL, committer_name VARCHAR(255) NOT NULL, committer_email VARCHAR(255) NOT NULL, planned_at DATETIME(6) NOT NULL, planner_name VARCHAR(255) NOT NULL, planner_email VARCHAR(255) NOT NULL, PRIMARY KEY (change_id, committed_at)) ENGINE InnoDB, CHARACTER SET 'utf8'".into(),
        ],
        Backend::Sqlite => vec![
            "CREATE TABLE releases (version FLOAT PRIMARY KEY, installed_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, installer_name TEXT NOT NULL, installer_email TEXT NOT NULL)".into(),
            "CREATE TABLE projects (project TEXT PRIMARY KEY, uri TEXT NULL UNIQUE, created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, creator_name TEXT NOT NULL, creator_email TEXT NOT NULL)".into(),
            "CREATE TABLE changes (change_id TEXT PRIMARY KEY, script_hash TEXT NULL, change TEXT NOT NULL, project TEXT NOT NULL REFERENCES sqitch.projects(project) ON UPDATE CASCADE, note TEXT NOT NULL DEFAULT '', committed_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, committer_name TEXT NOT NULL, committer_email TEXT NOT NULL, planned_at DATETIME NOT NULL, planner_name TEXT NOT NULL, planner_email TEXT NOT NULL, UNIQUE(project, script_hash))".into(),
            "CREATE TABLE tags (tag_id TEXT PRIMARY KEY, tag TEXT NOT NULL, project TEXT NOT NULL REFERENCES sqitch.projects(project) ON UPDATE CASCADE, change_id TEXT NOT NULL REFERENCES sqitch.changes(change_id) ON UPDATE CASCADE, note TEXT NOT NULL DEFAULT '', committed_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, committer_name TEXT NOT NULL, committer_email TEXT NOT NULL, planned_at DATETIME NOT NULL, planner_name TEXT NOT NULL, planner_email TEXT NOT NULL, UNIQUE(project, tag))".into(),
            "CREATE TABLE dependencies (change_id TEXT NOT NULL REFERENCES sqitch.changes(change_id) ON UPDATE CASCADE ON DELETE CASCADE, type TEXT NOT NULL, dependency TEXT NOT NULL, dependency_id TEXT NULL REFERENCES sqitch.changes(change_id) ON UPDATE CASCADE, PRIMARY KEY (change_id, dependency))".into(),
            "CREATE TABLE events (event TEXT NOT NULL CHECK (event IN ('deploy', 'revert', 'fail')), change_id TEXT NOT NULL, change TEXT NOT NULL, project TEXT NOT NULL REFERENCES sqitch.projects(project) ON UPDATE CASCADE, note TEXT NOT NULL DEFAULT '', requires TEXT NOT NULL DEFAULT '', conflicts TEXT NOT NULL DEFAULT '', tags TEXT NOT NULL DEFAULT '', committed_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, committer_name TEXT NOT NULL, committer_email TEXT NOT NULL, planned_at DATETIME NOT NULL, planner_name TEXT NOT NULL, planner_email TEXT NOT NULL, PRIMARY KEY (change_id, committed_at))".into(),
        ],
    }
}

/// The Sqitch registry: on SQLite its own file beside the target, elsewhere `sqitch.*`.
struct Registry<'a> {
    db: &'a TestDb,
    sqlite: Option<TestDbFile>,
}

/// A plain SQLite file opened with the test harness's helpers.
struct TestDbFile {
    url: String,
}

impl Registry<'_> {
    fn new(db: &TestDb) -> Registry<'_> {
        let sqlite = (db.backend == Backend::Sqlite).then(|| TestDbFile {
            url: format!("sqlite://{}", db.dir.path().join("sqitch.db").display()),
        });
        Registry { db, sqlite }
    }

    fn sql(&self, sql: &str) -> String {
        if self.sqlite.is_some() {
            sql.replace("sqitch.", "")
        } else if self.db.backend == Backend::Mysql {
            sql.replace("\"change\"", "`change`")
        } else {
            sql.to_string()
        }
    }

    fn exec(&self, sql: &str) {
        let sql = self.sql(sql);
        match &self.sqlite {
            Some(f) => block_on(async {
                let (mut c, _) = cutover::db::connect(&info(&f.url)).await.expect("registry");
                c.execute(&sql)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {}", e.message));
                c.close().await;
            }),
            None => self.db.exec(&sql),
        }
    }

    fn strings(&self, sql: &str) -> Vec<String> {
        let sql = self.sql(sql);
        match &self.sqlite {
            Some(f) => block_on(async {
                let (mut c, _) = cutover::db::connect(&info(&f.url)).await.expect("registry");
                let v = c
                    .column_strings(&sql)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {}", e.message));
                c.close().await;
                v
            }),
            None => self.db.strings(&sql),
        }
    }

    /// The number of rows a query returns (its first column must not be NULL).
    fn count(&self, sql: &str) -> usize {
        self.strings(sql).len()
    }

    fn create(&self) {
        for s in sqitch_registry_ddl(self.db.backend) {
            self.exec(&s);
        }
    }

    fn now(&self) -> &'static str {
        match self.db.backend {
            Backend::Postgres => "clock_timestamp()",
            Backend::Mysql => "utc_timestamp(6)",
            Backend::Sqlite => "strftime('%Y-%m-%d %H:%M:%f','now')",
        }
    }

    /// Rows `sqitch deploy` writes for one change (changes, dependencies, event).
    fn deploy(&self, m: &Migration, requires: &[(&str, &str)]) {
        let c = m.native.sqitch.as_ref().expect("sqitch details");
        let planned = format!("'{}'", c.planned_at.trim_end_matches('Z').replace('T', " "));
        let now = self.now();
        self.exec(&format!(
            "INSERT INTO sqitch.changes (change_id, script_hash, \"change\", project, note, committer_name, committer_email, planned_at, planner_name, planner_email, committed_at) VALUES ('{}', '{}', '{}', '{}', '{}', 'sqitch', 'sqitch@example.com', {planned}, '{}', '{}', {now})",
            c.change_id, c.script_hash, c.change, c.project, c.note, c.planner_name, c.planner_email
        ));
        for (dep, id) in requires {
            self.exec(&format!(
                "INSERT INTO sqitch.dependencies (change_id, type, dependency, dependency_id) VALUES ('{}', 'require', '{dep}', '{id}')",
                c.change_id
            ));
        }
        let empty = if self.db.backend == Backend::Postgres {
            "'{}'"
        } else {
            "''"
        };
        self.exec(&format!(
            "INSERT INTO sqitch.events (event, change_id, \"change\", project, note, tags, requires, conflicts, committer_name, committer_email, planned_at, planner_name, planner_email, committed_at) VALUES ('deploy', '{}', '{}', '{}', '{}', {empty}, {empty}, {empty}, 'sqitch', 'sqitch@example.com', {planned}, '{}', '{}', {now})",
            c.change_id, c.change, c.project, c.note, c.planner_name, c.planner_email
        ));
    }

    fn register(&self, project: &str) {
        self.exec(&format!(
            "INSERT INTO sqitch.projects (project, uri, creator_name, creator_email, created_at) VALUES ('{project}', NULL, 'sqitch', 'sqitch@example.com', {})",
            self.now()
        ));
    }

    /// MySQL's registry is shared by every database on the server: leave no rows behind.
    fn cleanup(&self, project: &str) {
        if self.db.backend != Backend::Mysql {
            return;
        }
        for t in ["events", "dependencies", "tags"] {
            let _ = std::panic::catch_unwind(|| {
                self.exec(&format!(
                    "DELETE FROM sqitch.{t} WHERE change_id IN (SELECT change_id FROM (SELECT change_id FROM sqitch.changes WHERE project = '{project}') AS c)"
                ))
            });
        }
        let _ = std::panic::catch_unwind(|| {
            self.exec(&format!(
                "DELETE FROM sqitch.events WHERE project = '{project}'"
            ));
            self.exec(&format!(
                "DELETE FROM sqitch.changes WHERE project = '{project}'"
            ));
            self.exec(&format!(
                "DELETE FROM sqitch.projects WHERE project = '{project}'"
            ));
        });
    }
}

fn sha1_hex(s: &str) -> String {
    use sha1::Digest;
    hex::encode(sha1::Sha1::digest(s.as_bytes()))
}

on_all_backends!(sqitch_adopts_and_keeps_its_registry, |b| {
    let Some(db) = TestDb::new(b, "sqitch_adopts") else {
        return;
    };
    let project = sqitch_project(b, "keep");
    let files = sqitch_files(&project);
    write_owned(&db.migrations_dir(), &files);
    plan(&db, "sqitch");
    let migs = read(&db, Format::Sqitch);
    let ids: Vec<String> = migs
        .iter()
        .map(|m| m.native.sqitch.as_ref().expect("sqitch").change_id.clone())
        .collect();
    // `sqitch deploy --to seed_users` ran users and seed_users.
    pre_apply(&db);
    let reg = Registry::new(&db);
    reg.create();
    reg.register(&project);
    reg.deploy(&migs[0], &[]);
    reg.deploy(&migs[1], &[("users", &ids[0])]);

    let out = apply(&db);
    let result = std::panic::catch_unwind(|| {
        assert_applied_once(&db, &out, 3);
        assert_eq!(adopted_by(&db, "Sqitch"), 2);
        assert_eq!(applied_by_alice(&db), 1);
        let p = &project;
        assert_eq!(
            reg.strings(&format!(
                "SELECT change_id FROM sqitch.changes WHERE project = '{p}' ORDER BY committed_at"
            )),
            ids
        );
        // The row Sqitch writes for posts.
        assert_eq!(
            reg.strings(&format!(
                "SELECT script_hash FROM sqitch.changes WHERE change_id = '{}' UNION ALL \
                 SELECT committer_name FROM sqitch.changes WHERE change_id = '{}' UNION ALL \
                 SELECT planner_name FROM sqitch.changes WHERE change_id = '{}' UNION ALL \
                 SELECT note FROM sqitch.changes WHERE change_id = '{}'",
                ids[2], ids[2], ids[2], ids[2]
            )),
            [
                sha1_hex(&files[5].1),
                "alice".to_string(),
                "Ann Example".to_string(),
                "Posts.".to_string()
            ]
        );
        assert_eq!(
            reg.strings(&format!(
                "SELECT dependency_id FROM sqitch.dependencies WHERE change_id = '{}' AND type = 'require' AND dependency = 'users'",
                ids[2]
            )),
            [ids[0].clone()]
        );
        assert_eq!(
            reg.count(&format!(
                "SELECT change_id FROM sqitch.events WHERE change_id = '{}' AND event = 'deploy'",
                ids[2]
            )),
            1
        );
        let requires = match b {
            Backend::Postgres => format!(
                "SELECT array_to_string(requires, ',') FROM sqitch.events WHERE change_id = '{}'",
                ids[2]
            ),
            _ => format!(
                "SELECT requires FROM sqitch.events WHERE change_id = '{}'",
                ids[2]
            ),
        };
        assert_eq!(reg.strings(&requires), ["users"]);

        // `sqitch revert --to seed_users`: change and dependencies gone, a revert event.
        with_conn(&db, async |c| {
            let h = cutover::db::native::open(c, Format::Sqitch, &migs)
                .await
                .expect("open")
                .expect("Sqitch registry");
            assert!(!h.created);
            h.record_revert(c, &migs[2], &migs, "alice")
                .await
                .expect("revert");
            h.close(c).await;
        });
        assert_eq!(
            reg.count(&format!(
                "SELECT change_id FROM sqitch.changes WHERE change_id = '{}'",
                ids[2]
            )),
            0
        );
        assert_eq!(
            reg.count(&format!(
                "SELECT change_id FROM sqitch.dependencies WHERE change_id = '{}'",
                ids[2]
            )),
            0
        );
        assert_eq!(
            reg.strings(&format!(
                "SELECT event FROM sqitch.events WHERE change_id = '{}' ORDER BY committed_at",
                ids[2]
            )),
            ["deploy", "revert"]
        );
    });
    reg.cleanup(&project);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
});

on_all_backends!(sqitch_registry_without_the_project_registers_it, |b| {
    let Some(db) = TestDb::new(b, "sqitch_register") else {
        return;
    };
    let project = sqitch_project(b, "reg");
    write_owned(&db.migrations_dir(), &sqitch_files(&project));
    plan(&db, "sqitch");
    let reg = Registry::new(&db);
    reg.create();
    let out = apply(&db);
    let result = std::panic::catch_unwind(|| {
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert_eq!(
            reg.count(&format!(
                "SELECT project FROM sqitch.projects WHERE project = '{project}' AND uri IS NULL"
            )),
            1
        );
        assert_eq!(
            reg.strings(&format!(
                "SELECT \"change\" FROM sqitch.changes WHERE project = '{project}' ORDER BY committed_at"
            )),
            ["users", "seed_users", "posts"]
        );
        assert_eq!(
            reg.count(&format!(
                "SELECT change_id FROM sqitch.events WHERE project = '{project}' AND event = 'deploy'"
            )),
            3
        );
        let tags = match b {
            Backend::Postgres => format!(
                "SELECT array_to_string(tags, ' ') FROM sqitch.events WHERE project = '{project}' AND \"change\" = 'seed_users'"
            ),
            _ => format!(
                "SELECT tags FROM sqitch.events WHERE project = '{project}' AND \"change\" = 'seed_users'"
            ),
        };
        assert_eq!(reg.strings(&tags), ["@v1.0"]);
    });
    reg.cleanup(&project);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
});

on_all_backends!(sqitch_fresh_database_gets_its_registry, |b| {
    if b == Backend::Mysql {
        // cutover leaves MySQL's registry (a server-wide database with a function and
        // triggers) to Sqitch; and the other tests create it on this server anyway.
        return;
    }
    let Some(db) = TestDb::new(b, "sqitch_fresh") else {
        return;
    };
    let project = sqitch_project(b, "fresh");
    write_owned(&db.migrations_dir(), &sqitch_files(&project));
    plan(&db, "sqitch");
    let out = apply(&db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("created Sqitch's history (sqitch.changes)"),
        "{}",
        text(&out)
    );
    let reg = Registry::new(&db);
    assert_eq!(
        reg.strings(
            "SELECT CAST(ROUND(CAST(MAX(version) AS NUMERIC), 1) AS TEXT) FROM sqitch.releases"
        ),
        ["1.1"],
        "Sqitch reads its registry version so"
    );
    assert_eq!(
        reg.strings(&format!(
            "SELECT \"change\" FROM sqitch.changes WHERE project = '{project}' ORDER BY committed_at"
        )),
        ["users", "seed_users", "posts"]
    );
    assert_eq!(
        reg.count(&format!(
            "SELECT project FROM sqitch.projects WHERE project = '{project}'"
        )),
        1
    );
});

fn sqitch_files_with_uri(project: &str, uri: &str) -> Vec<(String, String)> {
    let mut files = sqitch_files(project);
    files[0].1 = files[0].1.replace(
        &format!("%project={project}\n"),
        &format!("%project={project}\n%uri={uri}\n"),
    );
    files
}

// Issue 6, item 4: with a `%uri` the registry used to be left unwritten, silently.
on_all_backends!(sqitch_plan_with_uri_is_registered_with_it, |b| {
    if b == Backend::Mysql {
        return; // the registry database is shared on the server (see above)
    }
    let Some(db) = TestDb::new(b, "sqitch_uri") else {
        return;
    };
    let project = sqitch_project(b, "uri");
    let uri = format!("https://example.com/{project}/");
    write_owned(&db.migrations_dir(), &sqitch_files_with_uri(&project, &uri));
    plan(&db, "sqitch");
    let out = apply(&db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(db.has_table("posts"));
    let reg = Registry::new(&db);
    assert_eq!(
        reg.strings(&format!(
            "SELECT uri FROM sqitch.projects WHERE project = '{project}'"
        )),
        [uri]
    );
    assert_eq!(
        reg.count(&format!(
            "SELECT change_id FROM sqitch.changes WHERE project = '{project}'"
        )),
        3
    );
});

// Sqitch's `register_project` refuses a project registered with another URI; so does
// cutover, before applying anything.
on_all_backends!(sqitch_registered_with_another_uri_is_refused, |b| {
    if b == Backend::Mysql {
        return; // the registry database is shared on the server (see above)
    }
    let Some(db) = TestDb::new(b, "sqitch_uri_mismatch") else {
        return;
    };
    let project = sqitch_project(b, "urimismatch");
    write_owned(
        &db.migrations_dir(),
        &sqitch_files_with_uri(&project, "https://example.com/new/"),
    );
    let reg = Registry::new(&db);
    reg.create();
    reg.register(&project); // with a NULL URI
    plan(&db, "sqitch");
    let out = apply(&db);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("https://example.com/new/") && t.contains("%uri"),
        "{t}"
    );
    assert!(!db.has_table("users"), "nothing applied: {t}");
});

// ---------------------------------------------------------------------------------
// The other tools' locks, held the way the tool holds them.

/// Java's `String.hashCode()`.
fn java_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// Holds a lock from a connection of the test's own while cutover runs, and checks
/// that cutover refuses, naming the tool, and runs once it is released.
fn refused_while_held(db: &TestDb, tool: &str, take: impl FnOnce(Backend, &str) -> Vec<String>) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let conn = rt.block_on(async {
        let (mut c, _) = cutover::db::connect(&db.info()).await.expect("connect");
        let name = match db.backend {
            Backend::Postgres => {
                c.column_strings("SELECT CAST(current_database() AS TEXT)")
                    .await
            }
            _ => c.column_strings("SELECT DATABASE()").await,
        }
        .expect("db name")
        .remove(0);
        for sql in take(db.backend, &name) {
            c.execute(&sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {}", e.message));
        }
        c
    });
    let out = apply(db);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains(&format!("{tool}'s lock")), "{t}");
    assert!(!db.has_table("users"), "nothing ran");
    rt.block_on(conn.close());
    let out = apply(db);
    assert_eq!(out.status.code(), Some(0), "after release: {}", text(&out));
}

on_all_backends!(flyway_lock_held_refuses, |b| {
    if b == Backend::Sqlite {
        return; // Flyway does not lock SQLite
    }
    let Some(db) = TestDb::new(b, "flyway_lock") else {
        return;
    };
    write_files(&db.migrations_dir(), FLYWAY);
    plan(&db, "flyway");
    refused_while_held(&db, "Flyway", |b, name| match b {
        // Flyway's default: a transaction-level advisory lock, inside its transaction.
        Backend::Postgres => {
            let key =
                0x466C_7977_6179_i64 + i64::from(java_hash("\"public\".\"flyway_schema_history\""));
            vec![
                "BEGIN".into(),
                format!("SELECT pg_advisory_xact_lock({key})"),
            ]
        }
        _ => vec![format!(
            "SELECT GET_LOCK('Flyway-{}', 10)",
            java_hash(&format!("`{name}`.`flyway_schema_history`"))
        )],
    });
});

on_all_backends!(sqitch_lock_held_refuses, |b| {
    if b == Backend::Sqlite {
        return; // Sqitch does not lock SQLite
    }
    let Some(db) = TestDb::new(b, "sqitch_lock") else {
        return;
    };
    let project = sqitch_project(b, "lock");
    write_owned(&db.migrations_dir(), &sqitch_files(&project));
    plan(&db, "sqitch");
    let reg = Registry::new(&db);
    if b == Backend::Mysql {
        reg.create();
    }
    refused_while_held(&db, "Sqitch", |b, name| match b {
        Backend::Postgres => vec!["SELECT pg_try_advisory_lock(75474063)".into()],
        _ => vec![format!("SELECT get_lock('sqitch working on {name}', 0)")],
    });
    reg.cleanup(&project);
});

// ---------------------------------------------------------------------------------
// Drift in files cutover applied: cutover's own check (with the diff) decides, and the
// tool's checksum follows an accepted change.

on_all_backends!(drift_in_cutover_applied_file_shows_the_diff, |b| {
    let Some(db) = TestDb::new(b, "native_drift") else {
        return;
    };
    write_files(&db.migrations_dir(), SQLX);
    plan(&db, "sqlx");
    let out = apply(&db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let edited = "CREATE TABLE posts (id INTEGER NOT NULL PRIMARY KEY, user_id BIGINT NOT NULL);\n";
    write_files(&db.migrations_dir(), &[("0003_posts.sql", edited)]);
    let out = apply(&db);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains(
            "-CREATE TABLE posts (id INTEGER NOT NULL PRIMARY KEY, user_id INTEGER NOT NULL);"
        ) && t.contains(
            "+CREATE TABLE posts (id INTEGER NOT NULL PRIMARY KEY, user_id BIGINT NOT NULL);"
        ),
        "cutover's diff, not only sqlx's checksums: {t}"
    );
    // What --accept-drift has the tool record (its checksum becomes the file's).
    let migs = read(&db, Format::Sqlx);
    with_conn(&db, async |c| {
        let h = cutover::db::native::open(c, Format::Sqlx, &migs)
            .await
            .expect("open")
            .expect("sqlx history");
        h.record_accept(c, &migs[2]).await.expect("accept");
        h.close(c).await;
    });
    assert_eq!(
        db.strings(&format!(
            "SELECT {} FROM _sqlx_migrations WHERE version = 3",
            hex_of(b, "checksum")
        )),
        [hex::encode(sha384(edited))]
    );
});

on_all_backends!(flyway_accept_repairs_the_checksum, |b| {
    let Some(db) = TestDb::new(b, "flyway_accept") else {
        return;
    };
    write_files(&db.migrations_dir(), FLYWAY);
    plan(&db, "flyway");
    let out = apply(&db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let edited = "CREATE TABLE posts (id INTEGER NOT NULL PRIMARY KEY, user_id BIGINT NOT NULL);\n";
    write_files(&db.migrations_dir(), &[("V3__posts.sql", edited)]);
    let migs = read(&db, Format::Flyway);
    let v3 = migs
        .iter()
        .find(|m| m.native.version == "3")
        .expect("V3")
        .clone();
    with_conn(&db, async |c| {
        let h = cutover::db::native::open(c, Format::Flyway, &migs)
            .await
            .expect("open")
            .expect("Flyway history");
        h.record_accept(c, &v3).await.expect("repair");
        h.close(c).await;
    });
    assert_eq!(
        db.scalar(&big(
            b,
            "SELECT checksum FROM flyway_schema_history WHERE version = '3'"
        )),
        i64::from(flyway_crc(edited))
    );
});
