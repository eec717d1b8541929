//! Source versus target (`db::compare`) against real databases: equal data gives equal
//! checksums across backends for every value class; a changed value, missing rows on
//! either side, skewed keys, composite keys, tables without a key, a missing table and
//! differing columns each come out as they should.

mod common;

use common::{block_on, Backend, TestDb};
use cutover::db::compare::{compare_table, CompareOptions, Comparison};
use cutover::emit::Emitter;
use cutover::event::{Event, RowDiffKind};

/// Runs statements in order on one connection (MySQL session settings carry over).
fn run(db: &TestDb, stmts: &[String]) {
    block_on(async {
        let mut c = cutover::db::connect(&db.info()).await.expect("connect").0;
        for s in stmts {
            c.execute(s)
                .await
                .unwrap_or_else(|f| panic!("{s}: {}", f.message));
        }
        c.close().await;
    })
}

/// Compares `table` and returns the comparison and how many progress events came.
fn compare(src: &TestDb, tgt: &TestDb, table: &str, max: usize) -> (Comparison, usize) {
    block_on(async {
        let mut s = cutover::db::connect(&src.info()).await.expect("connect").0;
        let mut t = cutover::db::connect(&tgt.info()).await.expect("connect").0;
        let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
        let em = Emitter::new(tx);
        let opts = CompareOptions {
            max_differences: max,
            checksum: true,
        };
        let cmp = compare_table(&mut s, &mut t, table, &opts, &em)
            .await
            .expect("compare");
        drop(em);
        let mut progress = 0;
        while let Some(e) = rx.recv().await {
            if matches!(e.event, Event::CompareProgress(_)) {
                progress += 1;
            }
        }
        s.close().await;
        t.close().await;
        (cmp, progress)
    })
}

fn pair(a: Backend, b: Backend, test: &str) -> Option<(TestDb, TestDb)> {
    Some((TestDb::new(a, test)?, TestDb::new(b, test)?))
}

/// A table holding every value class, declared in each backend's own types.
fn all_classes_ddl(b: Backend) -> String {
    let cols = match b {
        Backend::Sqlite => {
            "id INTEGER PRIMARY KEY, i BIGINT, d DECIMAL(20,4), f DOUBLE, \
             t TEXT, bin BLOB, flag BOOLEAN, day DATE, ts TIMESTAMP, tstz TIMESTAMPTZ"
        }
        Backend::Postgres => {
            "id integer PRIMARY KEY, i bigint, d numeric(20,4), \
             f double precision, t text, bin bytea, flag boolean, day date, ts timestamp(6), \
             tstz timestamptz"
        }
        Backend::Mysql => {
            "id int PRIMARY KEY, i bigint, d decimal(20,4), f double, \
             t varchar(100) CHARACTER SET utf8mb4, bin blob, flag tinyint(1), day date, \
             ts datetime(6), tstz timestamp(6) NULL"
        }
    };
    format!("CREATE TABLE vals ({cols})")
}

/// The same rows in each backend's literals. Timestamps with a zone are written at
/// +02:00 where the backend keeps zones (the canonical form is UTC).
fn all_classes_rows(b: Backend) -> Vec<String> {
    let blob = |hex: &str| match b {
        Backend::Postgres => format!("'\\x{hex}'::bytea"),
        _ => format!("x'{hex}'"),
    };
    let tz = |utc: &str, plus2: &str| match b {
        Backend::Mysql => format!("'{utc}'"),
        _ => format!("'{plus2}+02:00'"),
    };
    let controls = match b {
        Backend::Postgres => r"E'a\tb\\c\nd\re'",
        Backend::Mysql => r"'a\tb\\c\nd\re'",
        Backend::Sqlite => r"'a' || char(9) || 'b\c' || char(10) || 'd' || char(13) || 'e'",
    };
    let rows = [
        format!(
            "(1, 9007199254740993, 12.5, 0.1, '', {}, TRUE, '2024-02-29', '2024-03-01 10:20:30.12', {})",
            blob("00ff"),
            tz("2024-03-01 10:20:30.5", "2024-03-01 12:20:30.5")
        ),
        format!(
            "(2, -5, -12345678901.1234, 0.0000001, NULL, NULL, FALSE, '1999-12-31', '2024-03-01 10:20:30', {})",
            tz("2024-01-01 00:00:00", "2024-01-01 02:00:00")
        ),
        format!(
            "(3, NULL, 0, -2.5, 'héllo ✓ it''s', {}, NULL, NULL, NULL, NULL)",
            blob("")
        ),
        format!(
            "(4, 0, 100, 1234.5678, 'NULL', {}, TRUE, '2000-01-01', '2000-01-01 00:00:00.000001', {})",
            blob("61"),
            tz("2000-01-01 00:00:00.25", "2000-01-01 02:00:00.25")
        ),
        "(5, 1, -0.5, 1e20, 'N', NULL, FALSE, NULL, NULL, NULL)".to_string(),
        // Control characters and a backslash: text that streams escape (PostgreSQL's COPY).
        format!("(6, 7, 1.25, 3.5, {controls}, NULL, TRUE, NULL, NULL, NULL)"),
    ];
    let mut out = Vec::new();
    if b == Backend::Mysql {
        out.push("SET time_zone = '+00:00'".to_string());
    }
    out.push(all_classes_ddl(b));
    out.push(format!(
        "INSERT INTO vals (id, i, d, f, t, bin, flag, day, ts, tstz) VALUES {}",
        rows.join(", ")
    ));
    out
}

fn equal_across(a: Backend, b: Backend, test: &str) {
    let Some((src, tgt)) = pair(a, b, test) else {
        return;
    };
    run(&src, &all_classes_rows(a));
    run(&tgt, &all_classes_rows(b));
    let (cmp, progress) = compare(&src, &tgt, "vals", 20);
    assert_eq!(cmp.differences, vec![], "{a:?} -> {b:?}: {cmp:?}");
    assert!(cmp.equal, "{cmp:?}");
    assert_eq!(cmp.source_rows, 6);
    assert_eq!(cmp.target_rows, 6);
    assert_eq!(cmp.source_checksum, cmp.target_checksum);
    assert!(cmp.source_checksum.is_some());
    assert!(progress >= 2, "progress events: {progress}");

    // One changed value: found with its key, its column and both values.
    let change = match b {
        Backend::Postgres => "UPDATE vals SET t = 'hello' WHERE id = 3",
        _ => "UPDATE vals SET t = 'hello' WHERE id = 3",
    };
    run(&tgt, &[change.to_string()]);
    let (cmp, _) = compare(&src, &tgt, "vals", 20);
    assert!(!cmp.equal);
    assert_ne!(cmp.source_checksum, cmp.target_checksum);
    assert_eq!(cmp.differences.len(), 1, "{cmp:?}");
    let d = &cmp.differences[0];
    assert_eq!(d.key, "id=3");
    assert_eq!(d.kind, RowDiffKind::Changed);
    assert_eq!(d.columns.len(), 1, "{d:?}");
    assert_eq!(d.columns[0].column, "t");
    assert_eq!(d.columns[0].source.as_deref(), Some("héllo ✓ it's"));
    assert_eq!(d.columns[0].target.as_deref(), Some("hello"));

    // NULL against '' is a difference.
    run(&tgt, &["UPDATE vals SET t = NULL WHERE id = 1".to_string()]);
    let (cmp, _) = compare(&src, &tgt, "vals", 20);
    let d = cmp
        .differences
        .iter()
        .find(|d| d.key == "id=1")
        .expect("id=1");
    assert_eq!(d.columns[0].source.as_deref(), Some(""));
    assert_eq!(d.columns[0].target, None);
}

#[test]
fn sqlite_to_postgres_equal_data_equal_checksums() {
    equal_across(
        Backend::Sqlite,
        Backend::Postgres,
        "compare sqlite->postgres",
    );
}

#[test]
fn postgres_to_mariadb_equal_data_equal_checksums() {
    equal_across(
        Backend::Postgres,
        Backend::Mysql,
        "compare postgres->mariadb",
    );
}

#[test]
fn sqlite_to_mariadb_equal_data_equal_checksums() {
    equal_across(Backend::Sqlite, Backend::Mysql, "compare sqlite->mariadb");
}

#[test]
fn postgres_to_postgres_equal_data_equal_checksums() {
    equal_across(
        Backend::Postgres,
        Backend::Postgres,
        "compare postgres->postgres",
    );
}

#[test]
fn large_and_negative_decimals_compare_between_servers() {
    let Some((src, tgt)) = pair(Backend::Postgres, Backend::Mysql, "compare decimals") else {
        return;
    };
    let rows = "INSERT INTO n VALUES (1, 12345678901234567890123456.1234567890), \
                (2, -98765432109876543210.5), (3, 0.0000000001), (4, -0.0000000000), (5, 10)";
    run(
        &src,
        &[
            "CREATE TABLE n (id int PRIMARY KEY, v numeric(38,10))".into(),
            rows.into(),
        ],
    );
    run(
        &tgt,
        &[
            "CREATE TABLE n (id int PRIMARY KEY, v decimal(38,10))".into(),
            rows.into(),
        ],
    );
    let (cmp, _) = compare(&src, &tgt, "n", 20);
    assert!(cmp.equal, "{cmp:?}");
}

/// `rows` keys with gaps and skew: a dense run, a sparse run far away, a few outliers.
fn skewed_sql(b: Backend, table: &str) -> Vec<String> {
    let mut out = Vec::new();
    if b == Backend::Mysql {
        out.push("SET max_recursive_iterations = 1000000".into());
    }
    out.push(format!(
        "CREATE TABLE {table} (id BIGINT PRIMARY KEY, a INT, b VARCHAR(40), c INT)"
    ));
    let series = |n: u32, key: &str| {
        format!(
            "INSERT INTO {table} (id, a, b, c) WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL \
             SELECT x + 1 FROM s WHERE x < {n}) SELECT {key}, x % 97, 'row ' || x, x * 7 FROM s"
        )
    };
    let concat = |sql: String| match b {
        // MariaDB's || is OR unless PIPES_AS_CONCAT.
        Backend::Mysql => sql.replace("'row ' || x", "CONCAT('row ', x)"),
        _ => sql,
    };
    out.push(concat(series(12_000, "x")));
    out.push(concat(series(3_000, "1000000000 + x * 1000")));
    out.push(format!(
        "INSERT INTO {table} VALUES (9000000000000, 1, 'far', 1), (9000000000001, 2, 'farther', 2)"
    ));
    out
}

#[test]
fn skewed_keys_changed_and_missing_rows_are_located() {
    let Some((src, tgt)) = pair(Backend::Sqlite, Backend::Postgres, "compare skewed") else {
        return;
    };
    run(&src, &skewed_sql(Backend::Sqlite, "big"));
    run(&tgt, &skewed_sql(Backend::Postgres, "big"));
    let (cmp, _) = compare(&src, &tgt, "big", 20);
    assert!(cmp.equal, "{cmp:?}");
    assert_eq!(cmp.source_rows, 15_002);
    run(
        &tgt,
        &[
            "UPDATE big SET c = -1 WHERE id = 7777".into(),
            "DELETE FROM big WHERE id = 1000002000".into(),
            "INSERT INTO big VALUES (500000, 0, 'extra', 0)".into(),
            "DELETE FROM big WHERE id = 9000000000001".into(),
        ],
    );
    let (cmp, _) = compare(&src, &tgt, "big", 20);
    assert!(!cmp.equal);
    let mut found: Vec<(String, RowDiffKind)> = cmp
        .differences
        .iter()
        .map(|d| (d.key.clone(), d.kind))
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        found,
        vec![
            ("id=1000002000".to_string(), RowDiffKind::MissingInTarget),
            ("id=500000".to_string(), RowDiffKind::MissingInSource),
            ("id=7777".to_string(), RowDiffKind::Changed),
            ("id=9000000000001".to_string(), RowDiffKind::MissingInTarget),
        ],
        "{cmp:?}"
    );
    let changed = cmp
        .differences
        .iter()
        .find(|d| d.key == "id=7777")
        .expect("7777");
    assert_eq!(changed.columns.len(), 1);
    assert_eq!(changed.columns[0].column, "c");
    assert_eq!(changed.columns[0].source.as_deref(), Some("54439"));
    assert_eq!(changed.columns[0].target.as_deref(), Some("-1"));

    // A limit: fewer listed, and said so.
    let (cmp, _) = compare(&src, &tgt, "big", 2);
    assert_eq!(cmp.differences.len(), 2);
    assert!(cmp.truncated);
}

#[test]
fn many_rows_between_postgres_and_mariadb() {
    let Some((src, tgt)) = pair(Backend::Postgres, Backend::Mysql, "compare pg->mariadb big")
    else {
        return;
    };
    run(&src, &skewed_sql(Backend::Postgres, "big"));
    run(&tgt, &skewed_sql(Backend::Mysql, "big"));
    run(
        &tgt,
        &["UPDATE big SET b = 'changed' WHERE id = 1000001000".into()],
    );
    let (cmp, _) = compare(&src, &tgt, "big", 20);
    assert_eq!(cmp.differences.len(), 1, "{cmp:?}");
    assert_eq!(cmp.differences[0].key, "id=1000001000");
    assert_eq!(
        cmp.differences[0].columns[0].source.as_deref(),
        Some("row 1")
    );
}

#[test]
fn composite_keys_are_compared_as_row_values() {
    let Some((src, tgt)) = pair(Backend::Sqlite, Backend::Mysql, "compare composite") else {
        return;
    };
    let ddl = "CREATE TABLE stock (region VARCHAR(10), n INT, qty INT, PRIMARY KEY (region, n))";
    let mut rows = Vec::new();
    for r in ["eu", "US", "apac", "Éire"] {
        for n in 0..2500 {
            rows.push(format!("('{r}', {n}, {})", n % 13));
        }
    }
    let insert = format!("INSERT INTO stock VALUES {}", rows.join(", "));
    run(&src, &[ddl.into(), insert.clone()]);
    run(&tgt, &[ddl.into(), insert]);
    let (cmp, _) = compare(&src, &tgt, "stock", 20);
    assert!(cmp.equal, "{cmp:?}");
    run(
        &tgt,
        &["UPDATE stock SET qty = 99 WHERE region = 'US' AND n = 1234".into()],
    );
    let (cmp, _) = compare(&src, &tgt, "stock", 20);
    assert_eq!(cmp.differences.len(), 1, "{cmp:?}");
    assert_eq!(cmp.differences[0].key, "region=US, n=1234");
}

/// Column names that differ only in case (Chinook's `AlbumId` in SQLite, `albumid` where
/// a loader folded them in PostgreSQL) are the same columns, read under each side's own
/// name: PostgreSQL's quoted names do not ignore case.
#[test]
fn columns_named_in_another_case_are_read_under_each_sides_name() {
    for (a, b, test) in [
        (Backend::Sqlite, Backend::Postgres, "compare case lite"),
        (Backend::Postgres, Backend::Postgres, "compare case pg"),
    ] {
        let Some((src, tgt)) = pair(a, b, test) else {
            return;
        };
        let rows: Vec<String> = (1..=300).map(|i| format!("({i}, 'album {i}')")).collect();
        let values = rows.join(", ");
        run(
            &src,
            &[
                "CREATE TABLE album (\"AlbumId\" INTEGER PRIMARY KEY, \"Title\" VARCHAR(40))"
                    .into(),
                format!("INSERT INTO album VALUES {values}"),
            ],
        );
        run(
            &tgt,
            &[
                "CREATE TABLE album (albumid INTEGER PRIMARY KEY, title VARCHAR(40))".into(),
                format!("INSERT INTO album VALUES {values}"),
            ],
        );
        let (cmp, _) = compare(&src, &tgt, "album", 20);
        assert!(cmp.equal && cmp.note.is_none(), "{test}: {cmp:?}");
        run(
            &tgt,
            &["UPDATE album SET title = 'x' WHERE albumid = 123".into()],
        );
        let (cmp, _) = compare(&src, &tgt, "album", 20);
        assert_eq!(cmp.differences.len(), 1, "{test}: {cmp:?}");
        assert_eq!(cmp.differences[0].key, "AlbumId=123", "{test}");
    }
}

#[test]
fn a_table_without_key_gets_counts_and_checksums_and_a_note() {
    let Some((src, tgt)) = pair(Backend::Postgres, Backend::Sqlite, "compare no key") else {
        return;
    };
    for db in [&src, &tgt] {
        run(
            db,
            &[
                "CREATE TABLE log (at TEXT, msg TEXT)".into(),
                "INSERT INTO log VALUES ('a', 'x'), ('b', NULL), ('b', NULL)".into(),
            ],
        );
    }
    let (cmp, _) = compare(&src, &tgt, "log", 20);
    assert!(cmp.equal, "{cmp:?}");
    assert!(cmp
        .note
        .as_deref()
        .unwrap_or("")
        .contains("no usable primary key"));
    run(&tgt, &["UPDATE log SET msg = 'y' WHERE at = 'a'".into()]);
    let (cmp, _) = compare(&src, &tgt, "log", 20);
    assert!(!cmp.equal);
    assert!(cmp.differences.is_empty());
}

#[test]
fn a_missing_table_and_differing_columns_are_findings() {
    let Some((src, tgt)) = pair(Backend::Sqlite, Backend::Postgres, "compare odd input") else {
        return;
    };
    run(
        &src,
        &[
            "CREATE TABLE only_here (id INTEGER PRIMARY KEY)".into(),
            "INSERT INTO only_here VALUES (1), (2)".into(),
            "CREATE TABLE w (id INTEGER PRIMARY KEY, a TEXT, gone TEXT, odd POINTLESS)".into(),
            "INSERT INTO w VALUES (1, 'x', 'g', 'p')".into(),
        ],
    );
    run(
        &tgt,
        &[
            "CREATE TABLE w (id integer PRIMARY KEY, a text, added int, odd point)".into(),
            "INSERT INTO w VALUES (1, 'x', 5, NULL)".into(),
        ],
    );
    let (cmp, _) = compare(&src, &tgt, "only_here", 20);
    assert!(!cmp.equal);
    assert_eq!(cmp.source_rows, 2);
    assert_eq!(
        cmp.note.as_deref(),
        Some("table only_here does not exist in the target")
    );
    let (cmp, _) = compare(&src, &tgt, "w", 20);
    let note = cmp.note.clone().unwrap_or_default();
    assert!(
        note.contains("only in the source (not compared): gone"),
        "{note}"
    );
    assert!(
        note.contains("only in the target (not compared): added"),
        "{note}"
    );
    // `odd` has an unsupported type on the target: compared as text, and it differs.
    assert!(!cmp.equal);
    assert_eq!(cmp.differences.len(), 1, "{cmp:?}");
    assert_eq!(cmp.differences[0].columns[0].column, "odd");
}
