use super::*;
use std::fs;

fn err(text: &str) -> (usize, String) {
    parse(text).expect_err("must fail")
}

#[test]
fn sections() {
    let p = parse(
        "-- a header\n\n-- +goose Up\nCREATE TABLE t (id int);\n-- +goose Down\nDROP TABLE t;\n",
    )
    .expect("parse");
    assert_eq!(p.up, "CREATE TABLE t (id int);\n");
    assert_eq!(p.down.as_deref(), Some("DROP TABLE t;\n"));
    assert!(p.use_tx);
    // No Down section: no down SQL.
    let p = parse("-- +goose Up\nSELECT 1;\n").expect("parse");
    assert_eq!(p.down, None);
}

#[test]
fn blocks_and_no_transaction() {
    let text = "-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int AS '\nBEGIN\n  RETURN 1;\nEND;\n' LANGUAGE plpgsql;\n-- +goose StatementEnd\nCREATE INDEX CONCURRENTLY i ON t (x);\n-- +goose Down\n-- +goose StatementBegin\nDROP FUNCTION f;\n-- +goose StatementEnd\n";
    let p = parse(text).expect("parse");
    assert!(!p.use_tx);
    assert!(p
        .up
        .starts_with("-- +goose StatementBegin\nCREATE FUNCTION"));
    assert!(!p.up.contains("DROP FUNCTION"));
    let st = crate::sql::split(&p.up, crate::sql::Dialect::Postgres);
    assert_eq!(st.len(), 2, "{st:?}");
    assert!(st[0].sql.contains("RETURN 1;\nEND;"));
    assert_eq!(st[1].sql, "CREATE INDEX CONCURRENTLY i ON t (x)");
}

#[test]
fn annotations_are_case_insensitive_like_goose() {
    let p = parse("--+goose up\nSELECT 1;\n-- +goose DOWN\nSELECT 2;\n").expect("parse");
    assert_eq!(p.up, "SELECT 1;\n");
    let p = parse("-- +goose Up\n-- +goose no transaction\nSELECT 1;\n").expect("parse");
    assert!(!p.use_tx);
}

#[test]
fn goose_errors_with_lines() {
    assert_eq!(err("CREATE TABLE t (x int);\n").0, 1);
    assert!(err("").1.contains("no `-- +goose Up`"));
    let (line, what) = err("-- +goose Up\nCREATE TABLE t (\n  x int\n)\n-- +goose Down\n");
    assert_eq!(line, 2);
    assert!(what.contains("missing semicolon"), "{what}");
    assert!(err("-- +goose Up\nSELECT 1\n")
        .1
        .contains("missing semicolon"));
    assert!(err("-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n")
        .1
        .contains("StatementEnd"));
    assert!(err("-- +goose Up\n-- +goose StatementEnd\n")
        .1
        .contains("without"));
    assert!(err("-- +goose Down\n").1.contains("must follow"));
    assert!(err("-- +goose Up\n-- +goose Up\n").1.contains("second"));
    assert!(err("-- +goose Up\n -- +goose StatementBegin\n")
        .1
        .contains("beginning of its line"));
    assert!(err("-- +goose Up\n-- +goose Sideways\n")
        .1
        .contains("Sideways"));
    let (line, what) = err("-- +goose Up\n-- +goose ENVSUB ON\nSELECT '${X}';\n");
    assert_eq!(line, 2);
    assert!(what.contains("environment variables"), "{what}");
    // An unfinished Down section does not stop `goose up` (it parses one direction).
    let p = parse("-- +goose Up\nSELECT 1;\n-- +goose Down\nDROP TABLE a\nDROP TABLE b\n")
        .expect("parse");
    assert_eq!(p.down.as_deref(), Some("DROP TABLE a\nDROP TABLE b\n"));
    // A comment that ends in a semicolon does not end a statement; one after it does.
    assert!(parse("-- +goose Up\nSELECT 1 -- x;\n;\n").is_ok());
}

#[test]
fn versions_like_numeric_component() {
    assert_eq!(version_of("00001_init.sql"), Some(Ok(1)));
    assert_eq!(version_of("20240101120000_x.sql"), Some(Ok(20240101120000)));
    assert_eq!(version_of("init.sql"), None);
    assert_eq!(version_of("v1_init.sql"), None);
    assert!(matches!(version_of("0_init.sql"), Some(Err(_))));
    assert!(matches!(
        version_of("99999999999999999999_big.sql"),
        Some(Err(e)) if e.contains("64-bit")
    ));
}

#[test]
fn folder_order_and_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let body = "-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n";
    for name in [
        "10_c.sql",
        "9_b.sql",
        "00001_a.sql",
        "README.md",
        "notes.sql",
    ] {
        fs::write(d.join(name), body).expect("w");
    }
    let ms = read(d).expect("read");
    let v: Vec<&str> = ms.iter().map(|m| m.version.as_str()).collect();
    assert_eq!(v, ["00001", "9", "10"]);
    assert_eq!(ms[0].native.version, "1");
    assert_eq!(ms[0].name, "a");
    assert_eq!(ms[0].down_sql.as_deref(), Some("SELECT 2;\n"));
    fs::write(d.join("1_dup.sql"), body).expect("w");
    assert!(matches!(read(d), Err(SourceError::DuplicateVersion { .. })));
    fs::remove_file(d.join("1_dup.sql")).expect("rm");
    fs::write(d.join("00002_go.go"), "package x").expect("w");
    let e = read(d).expect_err("go migration");
    assert!(e.to_string().contains("Go migration"), "{e}");
    fs::remove_file(d.join("00002_go.go")).expect("rm");
    fs::write(d.join("3_bad.sql"), "-- +goose Up\nSELECT 1\n").expect("w");
    let e = read(d).expect_err("bad file");
    assert!(e.to_string().contains("3_bad.sql"), "{e}");
    assert!(e.to_string().contains("line 2"), "{e}");
}
