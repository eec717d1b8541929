//! Auto-detection never guesses, through the real binary: folders that no format reads
//! completely, layouts cutover does not read (Ory popx, sql-migrate) and mixed markers are
//! refused with exit 2, naming what was seen and asking for `format` or `pattern`; files an
//! explicit format leaves out are named in a warning.

mod common;
use common::*;

fn refused(files: &[(&str, &str)], plan: &str, expect: &[&str]) -> TestDb {
    let db = TestDb::new(Backend::Sqlite, "detect").expect("sqlite always runs");
    write_files(&db.migrations_dir(), files);
    db.write_plan(plan);
    let out = cutover(db.dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    for e in expect {
        assert!(t.contains(e), "missing {e:?} in:\n{t}");
    }
    assert!(t.contains("format = "), "asks for a format: {t}");
    assert!(!db.has_table("t"), "nothing ran: {t}");
    db
}

#[test]
fn popx_folder_is_refused_not_up_to_date() {
    let up = "CREATE TABLE t (x INTEGER);";
    refused(
        &[
            ("20210100000001000000_networks.postgres.up.sql", up),
            ("20210100000001000000_networks.sqlite3.up.sql", up),
            ("20210100000001000000_networks.up.sql", up),
            ("20210100000001000000_networks.down.sql", "DROP TABLE t;"),
        ],
        "",
        &["popx", "20210100000001000000_networks"],
    );
}

#[test]
fn sql_migrate_folder_is_refused() {
    refused(
        &[(
            "1_init.sql",
            "-- +migrate Up\nCREATE TABLE t (x INTEGER);\n-- +migrate Down\nDROP TABLE t;\n",
        )],
        "",
        &["sql-migrate", "1_init.sql"],
    );
}

#[test]
fn sql_files_no_format_reads_are_refused() {
    refused(
        &[
            ("schema.sql", "CREATE TABLE t (x INTEGER);"),
            ("0001-seed.sql", "INSERT INTO t VALUES (1);"),
        ],
        "",
        &["schema.sql", "0001-seed.sql", "fit no layout"],
    );
}

#[test]
fn a_file_the_detected_format_leaves_out_is_refused() {
    refused(
        &[
            ("1_create.sql", "CREATE TABLE t (x INTEGER);"),
            ("schema.sql", "CREATE TABLE s (x INTEGER);"),
        ],
        "",
        &["reads as sqlx", "schema.sql"],
    );
}

#[test]
fn goose_and_dbmate_markers_together_are_refused() {
    refused(
        &[
            (
                "1_a.sql",
                "-- +goose Up\nCREATE TABLE t (x INTEGER);\n-- +goose Down\nDROP TABLE t;\n",
            ),
            (
                "2_b.sql",
                "-- migrate:up\nCREATE TABLE u (x INTEGER);\n-- migrate:down\nDROP TABLE u;\n",
            ),
        ],
        "",
        &["1_a.sql", "2_b.sql", "goose", "dbmate"],
    );
}

#[test]
fn goose_file_beside_an_unmarked_one_is_refused() {
    refused(
        &[
            (
                "1_a.sql",
                "-- +goose Up\nCREATE TABLE t (x INTEGER);\n-- +goose Down\nDROP TABLE t;\n",
            ),
            ("2_b.sql", "CREATE TABLE u (x INTEGER);"),
        ],
        "",
        &["1_a.sql", "2_b.sql", "do not"],
    );
}

#[test]
fn explicit_format_warns_about_files_it_leaves_out() {
    let db = TestDb::new(Backend::Sqlite, "detect_warn").expect("sqlite");
    write_files(
        &db.migrations_dir(),
        &[
            ("1_create.sql", "CREATE TABLE t (x INTEGER);"),
            ("schema.sql", "CREATE TABLE s (x INTEGER);"),
        ],
    );
    db.write_plan("format = \"sqlx\"\n");
    let out = cutover(db.dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("sqlx does not read schema.sql"), "{t}");
    assert!(db.has_table("t") && !db.has_table("s"));
}
