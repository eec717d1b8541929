//! Reading real-looking migration folders of every supported layout
//! (tests/fixtures/formats/<format>/), auto-detection, and the errors for bad folders.
//!
//! Independent values: sqlx checksums from `sha384sum`, Flyway checksums from Python's
//! `zlib.crc32` over the lines (and recomputed here with crc32fast), Sqitch change ids
//! from a separate implementation of Sqitch's `info`/`id` (and checked against the ids of
//! Sqitch's own tutorial in the unit tests), script hashes from `sha1sum`.

use std::fs;
use std::path::{Path, PathBuf};

use cutover::source::{
    checksum, read_folder, Folder, Format, Kind, ReadOptions, SourceError, TxMode,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/formats")
        .join(name)
}

fn auto(name: &str) -> Folder {
    read_folder(&fixture(name), &ReadOptions::default())
        .unwrap_or_else(|e| panic!("reading {name}: {e}"))
}

fn named(name: &str, format: Format) -> Folder {
    let opts = ReadOptions {
        format: Some(format),
        pattern: None,
    };
    read_folder(&fixture(name), &opts).unwrap_or_else(|e| panic!("reading {name}: {e}"))
}

fn versions(folder: &Folder) -> Vec<&str> {
    folder
        .migrations
        .iter()
        .map(|m| m.version.as_str())
        .collect()
}

fn names(folder: &Folder) -> Vec<&str> {
    folder.migrations.iter().map(|m| m.name.as_str()).collect()
}

fn assert_ordered(folder: &Folder) {
    for pair in folder.migrations.windows(2) {
        assert!(
            pair[0].version < pair[1].version,
            "{} before {}",
            pair[0].version,
            pair[1].version
        );
    }
    for m in &folder.migrations {
        assert_eq!(m.checksum, checksum(&m.up_sql), "{}", m.path.display());
        assert!(folder.dir.join(&m.path).is_file(), "{}", m.path.display());
        if let Some(down) = &m.down_path {
            assert!(folder.dir.join(down).is_file(), "{}", down.display());
        }
    }
}

#[test]
fn sqlx_folder() {
    let f = auto("sqlx");
    assert_eq!(f.format, Format::Sqlx);
    assert!(f.detected);
    assert_ordered(&f);
    assert_eq!(
        versions(&f),
        [
            "20220101000000",
            "20220102093000",
            "20220103000000",
            "20220105120000",
            "20220110000000"
        ]
    );
    assert_eq!(
        names(&f),
        [
            "create_users",
            "users_email_index",
            "orders",
            "touch_updated_at",
            "placeholder"
        ]
    );
    let m = &f.migrations;
    assert_eq!(m[0].tx, TxMode::Wrapped);
    assert!(matches!(&m[1].tx, TxMode::OptedOut(why) if why.contains("no-transaction")));
    assert_eq!(
        m[2].down_path.as_deref(),
        Some(Path::new("20220103000000_orders.down.sql"))
    );
    assert!(m[2]
        .down_sql
        .as_deref()
        .is_some_and(|d| d.contains("DROP TABLE orders")));
    assert!(m[0].down_sql.is_none());
    assert!(m[3].up_sql.contains("$$ LANGUAGE plpgsql"));
    assert_eq!(m[4].up_sql, "");
    assert_eq!(m[4].checksum, checksum(""));
    assert_eq!(m[0].native.version, "20220101000000");
    assert_eq!(m[0].native.description, "create users");
    assert_eq!(m[1].native.description, "users email index");
    assert_eq!(m[2].path, Path::new("20220103000000_orders.up.sql"));
    // sha384sum of the files.
    let expect = [
        "ee314ed8df021ccee7cc9dc85521de5eb4a9739f759377ccdf065a0a20d709ee458e75d97fb03fdfb4526ded6b58d6b5",
        "cfaaf6d8768d0378f9694cca0d52cd608800cb154d1cba4321e70be33bbb4c41655a9ff4e7020baee80d44b50cc0ecfc",
        "27774382b07f1247e011e3753084aecffa8ebea957870b122d74f8f3b254f06be35918ac3f78771d7ea8f83bebf5c02f",
        "3a77dbbb7a0ed7d0644902e5164346d0b4cd33e58e50e5dc26faa5c33296387e468e2b47cb127addf944315af0c22a4d",
        "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
    ];
    for (m, want) in m.iter().zip(expect) {
        assert_eq!(
            m.native
                .sqlx_checksum
                .as_deref()
                .map(hex::encode)
                .as_deref(),
            Some(want)
        );
    }
}

#[test]
fn diesel_folder() {
    let f = auto("diesel");
    assert_eq!(f.format, Format::Diesel);
    assert_ordered(&f);
    assert_eq!(
        versions(&f),
        [
            "00000000000000",
            "20200125033332",
            "20200210101010",
            "20200301000000"
        ]
    );
    assert_eq!(
        names(&f),
        [
            "diesel_initial_setup",
            "create_users",
            "create_posts",
            "add_posts_search_index"
        ]
    );
    let m = &f.migrations;
    assert_eq!(m[1].native.version, "20200125033332");
    assert_eq!(
        m[1].path,
        Path::new("2020-01-25-033332_create_users/up.sql")
    );
    assert_eq!(
        m[1].down_path.as_deref(),
        Some(Path::new("2020-01-25-033332_create_users/down.sql"))
    );
    assert!(m[0].up_sql.contains("$$ LANGUAGE plpgsql"));
    assert_eq!(m[3].down_sql.as_deref(), Some(""));
    assert!(matches!(&m[3].tx, TxMode::OptedOut(why) if why.contains("run_in_transaction")));
    assert_eq!(m[2].tx, TxMode::Wrapped);
}

#[test]
fn golang_migrate_folder() {
    let f = auto("golang-migrate");
    assert_eq!(f.format, Format::GolangMigrate);
    assert_ordered(&f);
    assert_eq!(versions(&f), ["000001", "000002", "000003", "000010"]);
    assert_eq!(
        names(&f),
        ["init_schema", "add_currency_type", "reserved", "add_gbp"]
    );
    let m = &f.migrations;
    assert!(m.iter().all(|m| m.tx == TxMode::FileManaged));
    assert_eq!(m[3].native.version, "10");
    assert!(m[0].up_sql.starts_with("BEGIN;") && m[0].up_sql.trim_end().ends_with("COMMIT;"));
    assert_eq!(m[2].up_sql, "");
    assert!(m[2].down_sql.is_none());
    assert_eq!(
        m[3].down_path.as_deref(),
        Some(Path::new("000010_add_gbp.down.sql"))
    );
}

#[test]
fn dbmate_folder() {
    let f = auto("dbmate");
    assert_eq!(f.format, Format::Dbmate);
    assert_ordered(&f);
    assert_eq!(
        versions(&f),
        [
            "20230101000000",
            "20230115093000",
            "20230201000000",
            "20230301000000"
        ]
    );
    assert_eq!(
        names(&f),
        [
            "create_users",
            "add_status_enum",
            "users_email_trgm_index",
            "placeholder"
        ]
    );
    let m = &f.migrations;
    assert_eq!(m[0].tx, TxMode::Wrapped);
    assert_eq!(
        m[0].up_sql,
        "-- migrate:up\ncreate table users (\n  id bigserial primary key,\n  email text not null unique,\n  status text not null default 'active'\n);\n\n"
    );
    assert_eq!(
        m[0].down_sql.as_deref(),
        Some("-- migrate:down\ndrop table users;\n")
    );
    // Two sections, each its own transaction in dbmate: up blocks and down blocks joined.
    assert!(
        matches!(&m[1].tx, TxMode::OptedOut(why) if why.contains("2 `-- migrate:up` sections"))
    );
    assert!(
        m[1].up_sql.contains("create type user_status")
            && m[1].up_sql.contains("add value 'suspended'")
    );
    assert!(!m[1].up_sql.contains("drop type"));
    assert!(m[1]
        .down_sql
        .as_deref()
        .is_some_and(|d| d.contains("drop type user_status")));
    assert!(matches!(&m[2].tx, TxMode::OptedOut(why) if why.contains("transaction:false")));
    assert_eq!(m[3].up_sql, "-- migrate:up\n\n");
    assert_eq!(
        m[2].path,
        Path::new("20230201000000_users_email_trgm_index.sql")
    );
    assert_eq!(m[2].down_path, Some(m[2].path.clone()));
    assert_eq!(m[0].native.version, "20230101000000");
}

/// Flyway's checksum recomputed here: CRC32 over each line's bytes, line endings out.
fn crc_over_lines(path: &Path) -> i32 {
    let text = fs::read_to_string(path).expect("read");
    let mut h = crc32fast::Hasher::new();
    for line in text.split('\n') {
        h.update(line.strip_suffix('\r').unwrap_or(line).as_bytes());
    }
    h.finalize() as i32
}

#[test]
fn flyway_folder() {
    let f = auto("flyway");
    assert_eq!(f.format, Format::Flyway);
    assert_ordered(&f);
    assert_eq!(
        versions(&f),
        [
            "1",
            "1.1",
            "1.2.9",
            "1.2.10",
            "2",
            "3",
            "R__audit_functions",
            "R__refresh_views"
        ]
    );
    let m = &f.migrations;
    assert_eq!(m[1].name, "Add_orders");
    assert_eq!(m[1].native.description, "Add orders");
    assert_eq!(m[1].native.version, "1.1");
    assert_eq!(m[1].native.script, "V1_1__Add_orders.sql");
    assert_eq!(
        m[1].down_path.as_deref(),
        Some(Path::new("U1_1__Add_orders.sql"))
    );
    assert!(m[0].down_sql.is_none());
    assert!(matches!(&m[4].tx, TxMode::OptedOut(why) if why.contains("executeInTransaction")));
    assert_eq!(m[3].tx, TxMode::Wrapped);
    assert_eq!(m[5].path, Path::new("2024").join("V3__archive_table.sql"));
    assert_eq!(m[5].native.script, "2024/V3__archive_table.sql");
    assert!(m[..6].iter().all(|m| m.kind == Kind::Versioned));
    assert!(m[6..].iter().all(|m| m.kind == Kind::Repeatable));
    assert_eq!(m[6].native.version, "");
    assert_eq!(m[6].native.description, "audit functions");
    // V1__init.sql has CRLF line endings: the checksum ignores them.
    assert!(m[0].up_sql.contains("\r\n"));
    let expect = [(0, -1220720248), (1, 1173401670), (6, -945284626)];
    for (i, want) in expect {
        assert_eq!(
            m[i].native.flyway_checksum,
            Some(want),
            "{}",
            m[i].path.display()
        );
    }
    for m in m {
        assert_eq!(
            m.native.flyway_checksum,
            Some(crc_over_lines(&f.dir.join(&m.path))),
            "{}",
            m.path.display()
        );
    }
}

#[test]
fn sqitch_folder() {
    let f = auto("sqitch");
    assert_eq!(f.format, Format::Sqitch);
    assert_ordered(&f);
    assert_eq!(
        versions(&f),
        [
            "appschema",
            "users",
            "insert_user@v1.1",
            "orders",
            "insert_user"
        ]
    );
    let m = &f.migrations;
    assert!(m.iter().all(|m| m.tx == TxMode::FileManaged));
    // The reworked change's first instance reads its `@v1.1` scripts.
    assert_eq!(m[2].path, Path::new("deploy/insert_user@v1.1.sql"));
    assert_eq!(
        m[2].down_path.as_deref(),
        Some(Path::new("revert/insert_user@v1.1.sql"))
    );
    assert_eq!(m[4].path, Path::new("deploy/insert_user.sql"));
    assert!(m[4].up_sql.contains("clock_timestamp()"));
    assert!(!m[2].up_sql.contains("clock_timestamp()"));
    assert!(m[1]
        .verify_sql
        .as_deref()
        .is_some_and(|v| v.trim_end().ends_with("ROLLBACK;")));
    assert!(m[3].verify_sql.is_none(), "orders has no verify script");
    assert!(m[0].up_sql.contains("BEGIN;") && m[0].up_sql.contains("COMMIT;"));

    let s: Vec<_> = m
        .iter()
        .map(|m| m.native.sqitch.clone().expect("sqitch"))
        .collect();
    assert_eq!(s[0].project, "shop");
    assert_eq!(s[1].requires, ["appschema"]);
    assert_eq!(s[2].requires, ["users", "appschema"]);
    assert_eq!(s[4].requires, ["insert_user@v1.1"]);
    assert!(s[4].conflicts.is_empty());
    assert_eq!(s[2].tags, ["@v1.0"]);
    assert_eq!(s[3].tags, ["@v1.1"]);
    assert_eq!(s[3].planner_name, "Grace Hopper");
    assert_eq!(s[3].planner_email, "grace@example.com");
    assert_eq!(s[3].planned_at, "2024-03-10T08:00:00Z");
    assert_eq!(s[3].note, "Creates the orders table.");
    assert_eq!(m[2].native.version, "insert_user");
    assert_eq!(s[2].change, "insert_user");
    let ids: Vec<_> = s.iter().map(|s| s.change_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "3155db7fa65eced8b75d24a72b5b105b9841f1f0",
            "6253cd1bdbfab050e6a98aa19d4d50d1a4b03a34",
            "8257d90c36714d44e3043284b93b7733ad195b34",
            "c91895c38519be7890c113a1d63875b6a5dd7dd9",
            "ed03717e6ff58b693cb571c1c386d96b5a11bb96",
        ]
    );
    let hashes: Vec<_> = s.iter().map(|s| s.script_hash.as_str()).collect();
    assert_eq!(
        hashes,
        [
            "ea5820aa0f5f1de9b35b8861da59e2fe029a4169",
            "aa6776c6f373b699c289d8b803627d9f14fe48b3",
            "6cbf9d01259a26df7a0fe05f1e38a55aa4ccae7e",
            "0e519e3f99f500bb713401c8566401f7b83d376e",
            "6a20ca64dcc4c0491245670854c3bab8180246b9",
        ]
    );
}

#[test]
fn sqitch_conf_top_dir() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    fs::create_dir_all(d.join("db/deploy")).expect("mkdir");
    fs::write(
        d.join("sqitch.conf"),
        "[core]\n\tengine = sqlite\n\ttop_dir = db\n[engine \"sqlite\"]\n\tdeploy_dir = db/deploy\n",
    )
    .expect("w");
    fs::write(
        d.join("db/sqitch.plan"),
        "%project=p\n\nusers 2024-01-01T00:00:00Z Ann <ann@example.com>\n",
    )
    .expect("w");
    fs::write(
        d.join("db/deploy/users.sql"),
        "CREATE TABLE users (id INTEGER);\n",
    )
    .expect("w");
    let f = read_folder(d, &ReadOptions::default()).expect("read");
    assert_eq!(f.format, Format::Sqitch);
    assert_eq!(f.migrations[0].path, Path::new("db/deploy/users.sql"));
    assert!(f.migrations[0].down_sql.is_none());
}

#[test]
fn custom_pattern() {
    let opts = ReadOptions {
        format: None,
        pattern: Some(r"^(?P<version>\d+)-(?P<name>.+)\.(?P<direction>up|down)\.sql$".into()),
    };
    let f = read_folder(&fixture("custom"), &opts).expect("read");
    assert_eq!(f.format, Format::Custom);
    assert!(!f.detected);
    assert_ordered(&f);
    assert_eq!(versions(&f), ["0001", "0002", "0010"]);
    assert_eq!(names(&f), ["create-users", "rebuild-users", "seed"]);
    let m = &f.migrations;
    assert_eq!(
        m[0].down_path.as_deref(),
        Some(Path::new("0001-create-users.down.sql"))
    );
    assert!(m[1].down_sql.is_none());
    assert!(matches!(&m[1].tx, TxMode::OptedOut(_)));
    assert_eq!(m[2].tx, TxMode::Wrapped);
    assert_eq!(m[2].native.version, "0010");

    // Without a direction group every matching file is an up.
    let opts = ReadOptions {
        format: None,
        pattern: Some(r"^(?P<version>\d+)-.+\.up\.sql$".into()),
    };
    let f = read_folder(&fixture("custom"), &opts).expect("read");
    assert_eq!(
        names(&f),
        [
            "0001-create-users.up",
            "0002-rebuild-users.up",
            "0010-seed.up"
        ]
    );
}

#[test]
fn natural_order_of_versions() {
    let dir = tempfile::tempdir().expect("tempdir");
    for v in ["1.2.10", "1.2.9", "2", "10", "1.10", "1.9"] {
        fs::write(dir.path().join(format!("{v}.sql")), "").expect("w");
    }
    let opts = ReadOptions {
        format: None,
        pattern: Some(r"^(?P<version>[\d.]+)\.sql$".into()),
    };
    let f = read_folder(dir.path(), &opts).expect("read");
    assert_eq!(versions(&f), ["1.2.9", "1.2.10", "1.9", "1.10", "2", "10"]);
}

#[test]
fn named_format_overrides_detection() {
    let f = named("golang-migrate", Format::Sqlx);
    assert_eq!(f.format, Format::Sqlx);
    assert!(!f.detected);
    assert_eq!(f.migrations[0].tx, TxMode::Wrapped);
    assert_eq!(f.migrations[0].native.description, "init schema");
}

#[test]
fn pairs_with_no_transaction_read_as_sqlx() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("1_init.up.sql"), "CREATE TABLE t (id INT);").expect("w");
    fs::write(dir.path().join("1_init.down.sql"), "DROP TABLE t;").expect("w");
    fs::write(
        dir.path().join("2_idx.up.sql"),
        "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON t (id);",
    )
    .expect("w");
    fs::write(dir.path().join("2_idx.down.sql"), "DROP INDEX i;").expect("w");
    let f = read_folder(dir.path(), &ReadOptions::default()).expect("read");
    assert_eq!(f.format, Format::Sqlx);
}

// ---------------------------------------------------------------- errors

fn error(name: &str, opts: &ReadOptions) -> String {
    match read_folder(&fixture(name), opts) {
        Ok(f) => panic!("{name}: expected an error, read {:?}", versions(&f)),
        Err(e) => e.to_string(),
    }
}

#[test]
fn duplicate_versions_name_both_files() {
    let msg = error("bad/duplicate_version", &ReadOptions::default());
    assert!(msg.contains("duplicate version"), "{msg}");
    assert!(
        msg.contains("1_create_a.sql") && msg.contains("01_create_b.sql"),
        "{msg}"
    );
}

#[test]
fn down_without_up() {
    let msg = error("bad/down_without_up", &ReadOptions::default());
    assert!(msg.contains("000002_users.down.sql"), "{msg}");
    assert!(msg.contains("000002_users.up.sql"), "{msg}");
}

#[test]
fn ambiguous_and_empty_folders() {
    let e = read_folder(&fixture("bad/ambiguous"), &ReadOptions::default()).expect_err("ambiguous");
    assert!(matches!(e, SourceError::Undetected { .. }));
    let msg = e.to_string();
    assert!(
        msg.contains("V1__init.sql") && msg.contains("2_users.sql"),
        "{msg}"
    );
    assert!(
        msg.contains("bad/ambiguous") && msg.contains("format ="),
        "{msg}"
    );

    let msg = error("bad/diesel_and_flat", &ReadOptions::default());
    assert!(
        msg.contains("diesel") && msg.contains("2_more.sql"),
        "{msg}"
    );

    let msg = error("bad/nothing", &ReadOptions::default());
    assert!(
        msg.contains("no migration files found") && msg.contains("bad/nothing"),
        "{msg}"
    );
}

#[test]
fn dbmate_without_down_block() {
    let msg = error("bad/dbmate_missing_down", &ReadOptions::default());
    assert!(
        msg.contains("20230101000000_create_t.sql") && msg.contains("migrate:down"),
        "{msg}"
    );
}

#[test]
fn sqitch_missing_deploy_script() {
    let msg = error("bad/sqitch_missing_deploy", &ReadOptions::default());
    assert!(
        msg.contains("deploy/widgets.sql") && msg.contains("widgets"),
        "{msg}"
    );
}

#[test]
fn not_utf8_names_file_and_offset() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("1_ok.sql"), "SELECT 1;").expect("w");
    fs::write(dir.path().join("2_latin1.sql"), b"SELECT 'caf\xe9';").expect("w");
    let e = read_folder(dir.path(), &ReadOptions::default()).expect_err("latin-1");
    match &e {
        SourceError::NotUtf8 { path, offset } => {
            assert!(path.ends_with("2_latin1.sql"));
            assert_eq!(*offset, 11);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(e.to_string().contains("2_latin1.sql"));
}

#[test]
fn unreadable_folder_and_bad_patterns() {
    let missing = fixture("no-such-folder");
    let e = read_folder(&missing, &ReadOptions::default()).expect_err("missing");
    assert!(matches!(e, SourceError::Unreadable { .. }));
    assert!(e.to_string().contains("no-such-folder"));

    let file = fixture("sqlx/README.md");
    let e = read_folder(&file, &ReadOptions::default()).expect_err("a file");
    assert!(matches!(e, SourceError::Unreadable { .. }));

    for pattern in ["(unclosed", r"^(?P<v>\d+)\.sql$"] {
        let opts = ReadOptions {
            format: None,
            pattern: Some(pattern.into()),
        };
        let e = read_folder(&fixture("custom"), &opts).expect_err(pattern);
        assert!(matches!(e, SourceError::Pattern(_)), "{e}");
    }
    let opts = ReadOptions {
        format: Some(Format::Custom),
        pattern: None,
    };
    assert!(matches!(
        read_folder(&fixture("custom"), &opts),
        Err(SourceError::Pattern(_))
    ));
}

#[test]
fn empty_files_are_noops_everywhere() {
    let f = auto("golang-migrate");
    assert!(f.migrations.iter().any(|m| m.up_sql.is_empty()));
    let f = auto("sqlx");
    assert!(f.migrations.iter().any(|m| m.up_sql.is_empty()));
}
