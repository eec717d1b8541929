//! Folders applied in their own tool's order, through the real binary: diesel compares
//! its version strings as text, dbmate sorts its file names as text. Each folder below
//! fails in numeric order ("no such table") and applies in the tool's.

mod common;
use common::*;

fn apply(db: &TestDb) -> std::process::Output {
    cutover(db.dir.path(), &["apply"])
}

#[test]
fn diesel_hand_named_folder_runs_where_diesel_runs_it() {
    let Some(db) = TestDb::new(Backend::Sqlite, "diesel_text_order") else {
        return;
    };
    // `2024-03-13_170000_...` has version `20240313` (up to the first `_`), which diesel
    // runs after `20240306170000` and before `20240320090000`.
    write_files(
        &db.migrations_dir(),
        &[
            (
                "2024-03-06-170000_create_t/up.sql",
                "CREATE TABLE t (x INTEGER);",
            ),
            ("2024-03-06-170000_create_t/down.sql", "DROP TABLE t;"),
            (
                "2024-03-13_170000_add_y/up.sql",
                "ALTER TABLE t ADD COLUMN y INTEGER;",
            ),
            ("2024-03-13_170000_add_y/down.sql", ""),
            (
                "2024-03-20-090000_index_y/up.sql",
                "CREATE INDEX t_y ON t (y);",
            ),
            ("2024-03-20-090000_index_y/down.sql", "DROP INDEX t_y;"),
        ],
    );
    db.write_plan("format = \"diesel\"\n");
    let out = apply(&db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        db.strings("SELECT version FROM __diesel_schema_migrations ORDER BY version"),
        ["20240306170000", "20240313", "20240320090000"]
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 't_y'"),
        1
    );
}

#[test]
fn dbmate_files_run_in_file_name_order() {
    let Some(db) = TestDb::new(Backend::Sqlite, "dbmate_text_order") else {
        return;
    };
    // As text `10000000000000_...` sorts before `100000022_...`; as numbers after.
    write_files(
        &db.migrations_dir(),
        &[
            (
                "10000000000000_create_t.sql",
                "-- migrate:up\nCREATE TABLE t (x INTEGER);\n-- migrate:down\nDROP TABLE t;\n",
            ),
            (
                "100000022_add_y.sql",
                "-- migrate:up\nALTER TABLE t ADD COLUMN y INTEGER;\n-- migrate:down\n",
            ),
        ],
    );
    db.write_plan("");
    let out = apply(&db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        db.strings("SELECT version FROM schema_migrations ORDER BY version"),
        ["10000000000000", "100000022"]
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM cutover_history WHERE status = 'applied'"),
        2
    );
}
