//! Tests of the statement splitter (examples per dialect, then properties).

use super::split::split_spans;
use super::{split, Dialect, Statement};
use Dialect::{Mysql, Postgres, Sqlite};

const ALL: [Dialect; 3] = [Sqlite, Postgres, Mysql];

/// (line, text) pairs, for compact assertions.
fn parts(sql: &str, d: Dialect) -> Vec<(usize, String)> {
    split(sql, d).into_iter().map(|s| (s.line, s.sql)).collect()
}

fn p(line: usize, text: &str) -> (usize, String) {
    (line, text.to_string())
}

// --- generic ----------------------------------------------------------------

#[test]
fn empty_and_comment_only_inputs_give_no_statements() {
    for d in ALL {
        for s in [
            "",
            "   \n\t\n",
            "-- just a comment\n",
            "/* block */",
            ";",
            " ; ;\n;",
            "-- a\n;\n/* b */;\n",
            "/* unterminated comment ; SELECT 1;",
        ] {
            assert_eq!(split(s, d), Vec::<Statement>::new(), "{s:?} {d:?}");
        }
    }
    assert!(split("# mysql comment\n# another;\n", Mysql).is_empty());
}

#[test]
fn simple_statements_with_lines() {
    let sql = "-- create the table\nCREATE TABLE users (id INT);\n\n  INSERT INTO users VALUES (1);  INSERT INTO users VALUES (2);\nSELECT 1";
    for d in ALL {
        assert_eq!(
            parts(sql, d),
            vec![
                p(2, "CREATE TABLE users (id INT)"),
                p(4, "INSERT INTO users VALUES (1)"),
                p(4, "INSERT INTO users VALUES (2)"),
                p(5, "SELECT 1"),
            ],
            "{d:?}"
        );
    }
}

#[test]
fn line_is_first_significant_char_after_comments() {
    let sql = "SELECT 1; -- trailing note\n/* multi\nline\ncomment */\n\n  UPDATE t SET a = 1;";
    for d in ALL {
        assert_eq!(
            parts(sql, d),
            vec![p(1, "SELECT 1"), p(6, "UPDATE t SET a = 1")],
            "{d:?}"
        );
    }
}

#[test]
fn comments_inside_a_statement_are_kept() {
    let sql = "SELECT a, -- the a column\n  b /* and b; */\nFROM t;";
    for d in ALL {
        assert_eq!(
            parts(sql, d),
            vec![p(1, "SELECT a, -- the a column\n  b /* and b; */\nFROM t")],
            "{d:?}"
        );
    }
}

#[test]
fn semicolons_in_strings_and_comments() {
    let sql = "INSERT INTO t VALUES ('a;b', 'it''s; fine');\n-- ; not here\n/* ; nor here */ SELECT \"odd;name\" FROM t;";
    for d in ALL {
        assert_eq!(
            parts(sql, d),
            vec![
                p(1, "INSERT INTO t VALUES ('a;b', 'it''s; fine')"),
                p(3, "SELECT \"odd;name\" FROM t"),
            ],
            "{d:?}"
        );
    }
}

#[test]
fn crlf_line_endings() {
    let sql = "SELECT 1;\r\n\r\nSELECT 2;\r\n";
    for d in ALL {
        assert_eq!(parts(sql, d), vec![p(1, "SELECT 1"), p(3, "SELECT 2")]);
    }
}

#[test]
fn unterminated_constructs_extend_to_the_end() {
    for d in ALL {
        assert_eq!(
            parts("SELECT 1;\nSELECT 'abc; def", d),
            vec![p(1, "SELECT 1"), p(2, "SELECT 'abc; def")]
        );
        assert_eq!(
            parts("SELECT 1 /* open; SELECT 2;", d),
            vec![p(1, "SELECT 1")],
            "{d:?}"
        );
    }
    assert_eq!(
        parts("SELECT $$ never closed; SELECT 2;", Postgres),
        vec![p(1, "SELECT $$ never closed; SELECT 2;")]
    );
}

#[test]
fn unicode_text_is_sliced_safely() {
    let sql = "INSERT INTO t VALUES ('héllo; wörld');\n-- 日本語 ;\nSELECT '🦀'; SELECT ünïcode_col FROM tàble";
    for d in ALL {
        assert_eq!(
            parts(sql, d),
            vec![
                p(1, "INSERT INTO t VALUES ('héllo; wörld')"),
                p(3, "SELECT '🦀'"),
                p(3, "SELECT ünïcode_col FROM tàble"),
            ]
        );
    }
    // Non-ASCII whitespace is trimmed like ASCII whitespace.
    assert_eq!(
        parts("\u{3000}SELECT 1\u{a0};", Postgres),
        vec![p(1, "SELECT 1")]
    );
}

#[test]
fn many_statements_keep_their_lines() {
    let mut sql = String::new();
    for i in 0..5000 {
        sql.push_str(&format!("-- row {i}\nINSERT INTO t VALUES ({i}, 'x;y');\n"));
    }
    for d in ALL {
        let stmts = split(&sql, d);
        assert_eq!(stmts.len(), 5000);
        for (i, s) in stmts.iter().enumerate() {
            assert_eq!(s.line, 2 * i + 2);
            assert_eq!(s.sql, format!("INSERT INTO t VALUES ({i}, 'x;y')"));
        }
    }
}

#[test]
fn dash_dash_comments_per_dialect() {
    // MySQL needs whitespace after `--`; elsewhere `--` always opens a comment.
    assert_eq!(
        parts("SELECT 5--1;\nSELECT 2;", Mysql),
        vec![p(1, "SELECT 5--1"), p(2, "SELECT 2")]
    );
    assert_eq!(
        parts("SELECT 5--1;\nSELECT 2;", Postgres),
        vec![p(1, "SELECT 5--1;\nSELECT 2")]
    );
    assert_eq!(
        parts("SELECT 1 --\t;\n;SELECT 2", Mysql),
        vec![p(1, "SELECT 1"), p(2, "SELECT 2")]
    );
    assert_eq!(
        parts("SELECT 1 # it's a comment;\n, 2;", Mysql),
        vec![p(1, "SELECT 1 # it's a comment;\n, 2")]
    );
    // `#` is not a comment outside MySQL.
    assert_eq!(
        parts("SELECT '{}'::jsonb #> '{a}'; SELECT 2", Postgres).len(),
        2
    );
}

// --- PostgreSQL ---------------------------------------------------------------

#[test]
fn postgres_plpgsql_function_with_dollar_quotes() {
    let sql = r#"-- audit trigger
CREATE OR REPLACE FUNCTION audit() RETURNS trigger AS $$
BEGIN
  IF NEW.name = 'it''s; here' THEN
    RAISE NOTICE 'changed; %', NEW.id;
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER t_audit BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION audit();
"#;
    let got = parts(sql, Postgres);
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(got[0].0, 2);
    assert!(got[0].1.starts_with("CREATE OR REPLACE FUNCTION audit()"));
    assert!(got[0].1.ends_with("$$ LANGUAGE plpgsql"));
    assert!(got[0].1.contains("RETURN NEW;\nEND;\n$$"));
    assert_eq!(
        got[1],
        p(
            11,
            "CREATE TRIGGER t_audit BEFORE UPDATE ON users\n  FOR EACH ROW EXECUTE FUNCTION audit()"
        )
    );
}

#[test]
fn postgres_tagged_dollar_quotes() {
    let sql = "CREATE FUNCTION f() RETURNS text AS $body$\n  SELECT $$inner; $$ || 'x;';\n$body$ LANGUAGE sql;\nDO $do$ BEGIN PERFORM 1; END $do$;\nSELECT 1;";
    assert_eq!(
        parts(sql, Postgres),
        vec![
            p(
                1,
                "CREATE FUNCTION f() RETURNS text AS $body$\n  SELECT $$inner; $$ || 'x;';\n$body$ LANGUAGE sql"
            ),
            p(4, "DO $do$ BEGIN PERFORM 1; END $do$"),
            p(5, "SELECT 1"),
        ]
    );
    // A different tag does not close the quote.
    assert_eq!(
        parts("SELECT $a$ x; $b$ y; $a$; SELECT 2", Postgres),
        vec![p(1, "SELECT $a$ x; $b$ y; $a$"), p(1, "SELECT 2")]
    );
}

#[test]
fn postgres_positional_parameters_are_not_dollar_quotes() {
    let sql = "PREPARE q (int, int) AS SELECT $1 + $2;\nEXECUTE q(1, 2);\nSELECT price$ FROM t;SELECT a$b$c FROM t;";
    assert_eq!(
        parts(sql, Postgres),
        vec![
            p(1, "PREPARE q (int, int) AS SELECT $1 + $2"),
            p(2, "EXECUTE q(1, 2)"),
            p(3, "SELECT price$ FROM t"),
            p(3, "SELECT a$b$c FROM t"),
        ]
    );
}

#[test]
fn postgres_nested_block_comments() {
    let sql = "/* outer /* inner; */ still comment; */ SELECT 1;\nSELECT /* a /* b */ c; */ 2;";
    assert_eq!(
        parts(sql, Postgres),
        vec![p(1, "SELECT 1"), p(2, "SELECT /* a /* b */ c; */ 2")]
    );
    // SQLite and MySQL do not nest: the first `*/` closes.
    assert_eq!(
        parts("/* a /* b */ SELECT 1; */", Sqlite),
        vec![p(1, "SELECT 1"), p(1, "*/")]
    );
}

#[test]
fn postgres_escape_strings() {
    let sql = "INSERT INTO t VALUES (E'it\\'s; ok', e'\\\\');\nSELECT 'plain\\';\nSELECT 3;";
    assert_eq!(
        parts(sql, Postgres),
        vec![
            p(1, "INSERT INTO t VALUES (E'it\\'s; ok', e'\\\\')"),
            p(2, "SELECT 'plain\\'"),
            p(3, "SELECT 3"),
        ]
    );
}

#[test]
fn postgres_quoted_identifiers() {
    assert_eq!(
        parts(
            "CREATE TABLE \"we\"\"ird;\" (a int);SELECT `x;y`;",
            Postgres
        ),
        vec![
            p(1, "CREATE TABLE \"we\"\"ird;\" (a int)"),
            p(1, "SELECT `x"),
            p(1, "y`")
        ]
    );
}

#[test]
fn postgres_begin_atomic_bodies() {
    let sql = "CREATE PROCEDURE insert_data(a integer, b integer)\nLANGUAGE SQL\nBEGIN ATOMIC\n  INSERT INTO tbl VALUES (a);\n  INSERT INTO tbl VALUES (CASE WHEN b > 0 THEN b ELSE 0 END);\nEND;\nCALL insert_data(1, 2);\nCREATE OR REPLACE FUNCTION g(x int) RETURNS int LANGUAGE sql RETURN CASE WHEN x > 0 THEN 1 ELSE 0 END;\nSELECT g(1);";
    let got = parts(sql, Postgres);
    assert_eq!(got.len(), 4, "{got:#?}");
    assert_eq!(got[0].0, 1);
    assert!(got[0].1.ends_with("ELSE 0 END);\nEND"));
    assert_eq!(got[1], p(7, "CALL insert_data(1, 2)"));
    assert_eq!(got[2].0, 8);
    assert!(got[2].1.ends_with("ELSE 0 END"));
    assert_eq!(got[3], p(9, "SELECT g(1)"));
}

#[test]
fn postgres_transaction_blocks_are_plain_statements() {
    let sql =
        "BEGIN;\nCREATE TABLE a (id int);\nEND;\nBEGIN ISOLATION LEVEL SERIALIZABLE;\nCOMMIT;";
    assert_eq!(
        parts(sql, Postgres),
        vec![
            p(1, "BEGIN"),
            p(2, "CREATE TABLE a (id int)"),
            p(3, "END"),
            p(4, "BEGIN ISOLATION LEVEL SERIALIZABLE"),
            p(5, "COMMIT"),
        ]
    );
}

#[test]
fn postgres_semicolons_inside_parentheses_like_psql() {
    let sql = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO log VALUES (1); INSERT INTO log VALUES (2));\nSELECT 1;";
    assert_eq!(
        parts(sql, Postgres),
        vec![
            p(
                1,
                "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO log VALUES (1); INSERT INTO log VALUES (2))"
            ),
            p(2, "SELECT 1"),
        ]
    );
    // A stray `)` does not break anything.
    assert_eq!(
        parts("SELECT 1);\nSELECT 2;", Postgres),
        vec![p(1, "SELECT 1)"), p(2, "SELECT 2")]
    );
}

// --- SQLite ---------------------------------------------------------------------

#[test]
fn sqlite_trigger_with_case_in_body() {
    let sql = "CREATE TABLE t (a INTEGER, label TEXT);\n\nCREATE TRIGGER IF NOT EXISTS t_label AFTER INSERT ON t\nWHEN NEW.a IS NOT NULL\nBEGIN\n  UPDATE t SET label = CASE WHEN NEW.a > 0 THEN 'pos;' ELSE 'neg' END WHERE rowid = NEW.rowid;\n  INSERT INTO log(msg) VALUES ('inserted; ' || NEW.a);\nEND;\nINSERT INTO t (a) VALUES (1);";
    let got = parts(sql, Sqlite);
    assert_eq!(got.len(), 3, "{got:#?}");
    assert_eq!(got[0], p(1, "CREATE TABLE t (a INTEGER, label TEXT)"));
    assert_eq!(got[1].0, 3);
    assert!(got[1].1.starts_with("CREATE TRIGGER IF NOT EXISTS t_label"));
    assert!(got[1].1.ends_with("NEW.a);\nEND"));
    assert_eq!(got[2], p(9, "INSERT INTO t (a) VALUES (1)"));
}

#[test]
fn sqlite_temp_trigger_and_case_before_begin() {
    let sql = "create temp trigger tr before delete on t when case when old.a > 1 then 1 else 0 end begin select raise(abort, 'no;'); end;\nselect 1;";
    assert_eq!(
        parts(sql, Sqlite),
        vec![
            p(
                1,
                "create temp trigger tr before delete on t when case when old.a > 1 then 1 else 0 end begin select raise(abort, 'no;'); end"
            ),
            p(2, "select 1"),
        ]
    );
}

#[test]
fn sqlite_begin_end_outside_triggers_are_transactions() {
    let sql = "BEGIN;\nCREATE TABLE a (x);\nEND;\nBEGIN IMMEDIATE;\nSELECT CASE WHEN 1 THEN 2 END;\nCOMMIT;";
    assert_eq!(
        parts(sql, Sqlite),
        vec![
            p(1, "BEGIN"),
            p(2, "CREATE TABLE a (x)"),
            p(3, "END"),
            p(4, "BEGIN IMMEDIATE"),
            p(5, "SELECT CASE WHEN 1 THEN 2 END"),
            p(6, "COMMIT"),
        ]
    );
}

#[test]
fn sqlite_identifier_quotes() {
    let sql = "CREATE TABLE [odd;name] (`a;b` INT, \"c;d\" TEXT);\nSELECT 1;";
    assert_eq!(
        parts(sql, Sqlite),
        vec![
            p(1, "CREATE TABLE [odd;name] (`a;b` INT, \"c;d\" TEXT)"),
            p(2, "SELECT 1"),
        ]
    );
}

#[test]
fn sqlite_qualified_end_column_does_not_close_trigger() {
    let sql = "CREATE TRIGGER tr AFTER UPDATE ON ev BEGIN\n  UPDATE ev SET dur = NEW.\"end\" - NEW.start;\n  UPDATE ev2 SET x = NEW.end;\nEND;\nSELECT 2;";
    let got = parts(sql, Sqlite);
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(got[1], p(5, "SELECT 2"));
}

#[test]
fn sqlite_pragma_and_backslashes() {
    // SQLite strings have no backslash escapes.
    let sql = "PRAGMA foreign_keys=off;\nINSERT INTO t VALUES ('C:\\');\nSELECT 1;";
    assert_eq!(
        parts(sql, Sqlite),
        vec![
            p(1, "PRAGMA foreign_keys=off"),
            p(2, "INSERT INTO t VALUES ('C:\\')"),
            p(3, "SELECT 1"),
        ]
    );
}

// --- MySQL ----------------------------------------------------------------------

#[test]
fn mysql_backslash_escapes_and_double_quoted_strings() {
    let sql = "INSERT INTO t VALUES ('it\\'s; fine', \"say \\\"hi;\\\"\", 'C:\\\\');\nSELECT `we``ird;` FROM t;";
    assert_eq!(
        parts(sql, Mysql),
        vec![
            p(
                1,
                "INSERT INTO t VALUES ('it\\'s; fine', \"say \\\"hi;\\\"\", 'C:\\\\')"
            ),
            p(2, "SELECT `we``ird;` FROM t"),
        ]
    );
    // Without backslash escapes (PostgreSQL), `'it\'` ends the string there.
    assert_eq!(
        parts("SELECT 'a\\'; SELECT 2", Postgres),
        vec![p(1, "SELECT 'a\\'"), p(1, "SELECT 2")]
    );
}

const MYSQL_PROCEDURE: &str = "CREATE PROCEDURE add_email_if_missing()
BEGIN
  DECLARE i INT DEFAULT 0;
  DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN SET i = -1; END;
  IF NOT EXISTS (SELECT * FROM information_schema.columns
                 WHERE table_name = 'users' AND column_name = 'email') THEN
    ALTER TABLE users ADD COLUMN email VARCHAR(255);
  ELSEIF (SELECT COUNT(*) FROM users) > 10 THEN
    SELECT 'big; table';
  ELSE
    BEGIN
      DECLARE x INT;
      SET x = IF(i > 0, 1, 2);
      DROP TABLE IF EXISTS tmp_users;
    END;
  END IF;
  WHILE i < 3 DO
    SET i = i + 1;
    IF i = 2 THEN ITERATE_LABEL: LOOP LEAVE ITERATE_LABEL; END LOOP ITERATE_LABEL; END IF;
  END WHILE;
  REPEAT SET i = i - 1; UNTIL i <= 0 END REPEAT;
  SET @s = REPEAT('ab', 3);
  CASE i WHEN 0 THEN SELECT CASE WHEN i = 0 THEN 'zero' ELSE 'other' END; ELSE BEGIN END; END CASE;
END";

#[test]
fn mysql_procedure_without_delimiter() {
    let sql = format!(
        "DROP PROCEDURE IF EXISTS add_email_if_missing;\n{MYSQL_PROCEDURE};\nCALL add_email_if_missing();\nDROP PROCEDURE add_email_if_missing;\n"
    );
    let got = parts(&sql, Mysql);
    assert_eq!(
        got,
        vec![
            p(1, "DROP PROCEDURE IF EXISTS add_email_if_missing"),
            p(2, MYSQL_PROCEDURE),
            p(26, "CALL add_email_if_missing()"),
            p(27, "DROP PROCEDURE add_email_if_missing"),
        ]
    );
}

#[test]
fn mysql_procedure_with_delimiter() {
    let sql = format!(
        "DROP PROCEDURE IF EXISTS add_email_if_missing;\nDELIMITER $$\n{MYSQL_PROCEDURE}$$\nDELIMITER ;\nCALL add_email_if_missing();\n"
    );
    assert_eq!(
        parts(&sql, Mysql),
        vec![
            p(1, "DROP PROCEDURE IF EXISTS add_email_if_missing"),
            p(3, MYSQL_PROCEDURE),
            p(28, "CALL add_email_if_missing()"),
        ]
    );
    let sql = format!("delimiter //\n{MYSQL_PROCEDURE} //\ndelimiter ;\nSELECT 1;");
    assert_eq!(
        parts(&sql, Mysql),
        vec![p(2, MYSQL_PROCEDURE), p(27, "SELECT 1")]
    );
}

#[test]
fn mysql_delimiter_splits_several_statements() {
    let sql = "DELIMITER //\nSELECT 1; SELECT 2 //\n-- comment //\nSELECT 3//SELECT 4//\nDELIMITER ;\nSELECT 5;\nDELIMITER ;;\nSELECT 6;;\n";
    assert_eq!(
        parts(sql, Mysql),
        vec![
            p(2, "SELECT 1; SELECT 2"),
            p(4, "SELECT 3"),
            p(4, "SELECT 4"),
            p(6, "SELECT 5"),
            p(8, "SELECT 6"),
        ]
    );
    // Only MySQL knows DELIMITER.
    assert_eq!(parts("DELIMITER $$\nSELECT 1$$", Postgres).len(), 1);
    // Inside strings and comments the custom delimiter means nothing.
    assert_eq!(
        parts("DELIMITER $$\nSELECT '$$', /* $$ */ 1$$\n", Mysql),
        vec![p(2, "SELECT '$$', /* $$ */ 1")]
    );
}

#[test]
fn mysql_trigger_and_event_without_delimiter() {
    let sql = "CREATE DEFINER=`root`@`localhost` TRIGGER trg BEFORE INSERT ON t FOR EACH ROW
BEGIN
  IF NEW.qty < 0 THEN
    SET NEW.qty = 0;
  END IF;
END;
CREATE TRIGGER trg2 BEFORE UPDATE ON t FOR EACH ROW IF NEW.a IS NULL THEN SET NEW.a = 1; END IF;
CREATE TRIGGER trg3 BEFORE UPDATE ON t FOR EACH ROW SET NEW.b = IF(NEW.a > 1, 1, 0);
CREATE EVENT purge ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM log WHERE ts < NOW() - INTERVAL 7 DAY; DELETE FROM tmp; END;
CREATE DEFINER = 'admin'@'%' FUNCTION f(x INT) RETURNS INT DETERMINISTIC
BEGIN
  DECLARE y INT;
  SET y = CASE WHEN x > 0 THEN x ELSE 0 END;
  RETURN y;
END;
SELECT f(1);";
    let got = parts(sql, Mysql);
    let lines: Vec<usize> = got.iter().map(|s| s.0).collect();
    assert_eq!(lines, vec![1, 7, 8, 9, 10, 16], "{got:#?}");
    assert!(got[0].1.ends_with("END IF;\nEND"));
    assert!(got[1].1.ends_with("END IF"));
    assert!(got[2].1.ends_with("IF(NEW.a > 1, 1, 0)"));
    assert!(got[3].1.ends_with("DELETE FROM tmp; END"));
    assert!(got[4].1.ends_with("RETURN y;\nEND"));
}

#[test]
fn mysql_begin_work_and_transactions() {
    let sql = "BEGIN;\nINSERT INTO t VALUES (1);\nCOMMIT;\nBEGIN WORK;\nROLLBACK;\nSTART TRANSACTION;\nCOMMIT;";
    assert_eq!(parts(sql, Mysql).len(), 7);
}

#[test]
fn mysql_executable_comments() {
    let sql = "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n/* a real comment; */\n/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`%`*/ /*!50003 TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; SET NEW.b = 2; END */;\nSELECT 1;";
    let got = parts(sql, Mysql);
    assert_eq!(got.len(), 3, "{got:#?}");
    assert_eq!(
        got[0],
        p(
            1,
            "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */"
        )
    );
    assert_eq!(got[1].0, 3);
    assert!(got[1].1.ends_with("SET NEW.b = 2; END */"));
    assert_eq!(got[2], p(4, "SELECT 1"));
}

#[test]
fn mysql_create_table_with_keywords_is_not_a_routine() {
    let sql = "CREATE TABLE event_log (`begin` INT, `end` INT, note TEXT);\nINSERT INTO event_log VALUES (1, 2, 'BEGIN');\nCREATE PROCEDURE p() SELECT IF(1, 'a', 'b');\nSELECT 3;";
    assert_eq!(
        parts(sql, Mysql),
        vec![
            p(
                1,
                "CREATE TABLE event_log (`begin` INT, `end` INT, note TEXT)"
            ),
            p(2, "INSERT INTO event_log VALUES (1, 2, 'BEGIN')"),
            p(3, "CREATE PROCEDURE p() SELECT IF(1, 'a', 'b')"),
            p(4, "SELECT 3"),
        ]
    );
}

#[test]
fn mariadb_for_loops_and_anonymous_blocks() {
    let sql = "CREATE PROCEDURE fill()
BEGIN
  FOR i IN 1..3 DO
    INSERT INTO t VALUES (i);
  END FOR;
  FOR r IN (SELECT id FROM t FOR UPDATE) DO
    UPDATE t SET seen = 1 WHERE id = r.id;
  END FOR;
END;
BEGIN NOT ATOMIC
  IF NOT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_name = 'x') THEN
    CREATE TABLE x (id INT);
  END IF;
END;
SELECT 1;";
    let got = parts(sql, Mysql);
    assert_eq!(
        got.iter().map(|s| s.0).collect::<Vec<_>>(),
        vec![1, 10, 15],
        "{got:#?}"
    );
    assert!(got[1].1.starts_with("BEGIN NOT ATOMIC"));
    assert!(got[1].1.ends_with("END IF;\nEND"));
}

#[test]
fn mysql_trigger_order_clause_and_cursor_for() {
    let sql = "CREATE TRIGGER t2 BEFORE INSERT ON t FOR EACH ROW FOLLOWS t1 IF NEW.a IS NULL THEN SET NEW.a = 0; END IF;
CREATE TRIGGER t3 BEFORE INSERT ON t FOR EACH ROW PRECEDES `db`.`t1` IF NEW.b IS NULL THEN SET NEW.b = 0; END IF;
CREATE PROCEDURE c() BEGIN DECLARE cur CURSOR FOR SELECT id FROM t; DECLARE CONTINUE HANDLER FOR NOT FOUND SET @done = 1; OPEN cur; END;
SELECT 2;";
    assert_eq!(
        parts(sql, Mysql).iter().map(|s| s.0).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
}

#[test]
fn mysql_long_delimiter_is_cut_like_the_client() {
    let sql = "DELIMITER abcdefghijklmnopq\nSELECT 1 abcdefghijklmnoXX abcdefghijklmno\nDELIMITER ;\nSELECT 2;";
    assert_eq!(
        parts(sql, Mysql),
        vec![p(2, "SELECT 1"), p(2, "XX"), p(4, "SELECT 2")]
    );
    // DELIMITER is only a command where a statement starts.
    assert_eq!(
        parts("SELECT 1\nDELIMITER ;\nSELECT 2;", Mysql),
        vec![p(1, "SELECT 1\nDELIMITER"), p(3, "SELECT 2")]
    );
}

// --- properties -----------------------------------------------------------------

mod props {
    use super::*;
    use proptest::prelude::*;

    const FRAGMENTS: &[&str] = &[
        "'",
        "\"",
        "`",
        "$$",
        "$a$",
        "$1",
        "E'",
        "\\",
        "--",
        "-- ",
        "#",
        "/*",
        "*/",
        "/*!",
        ";",
        ";",
        ";",
        "\n",
        "\r\n",
        " ",
        "\t",
        "(",
        ")",
        "[",
        "]",
        ".",
        "@",
        ":",
        "BEGIN",
        "END",
        "CASE",
        "IF",
        "IF(",
        "WHILE",
        "LOOP",
        "REPEAT",
        "THEN",
        "ELSE",
        "DO",
        "ROW",
        "WORK",
        "ATOMIC",
        "CREATE TRIGGER",
        "CREATE PROCEDURE",
        "CREATE FUNCTION",
        "CREATE DEFINER=x@y EVENT",
        "DELIMITER //",
        "DELIMITER ;",
        "DELIMITER $$",
        "//",
        "SELECT",
        "x",
        "1",
        "é",
        "日本",
        "🦀",
        "\u{3000}",
        "\u{a0}",
    ];

    fn fragments() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(FRAGMENTS), 0..60).prop_map(|v| v.concat())
    }

    /// Every span is a trimmed, non-empty slice of the input, spans do not overlap and
    /// come in order, and each line is the line of the span's first byte.
    fn check_invariants(input: &str, d: Dialect) -> Result<(), TestCaseError> {
        let spans = split_spans(input, d);
        let stmts = split(input, d);
        prop_assert_eq!(spans.len(), stmts.len());
        let total_lines = input.matches('\n').count() + 1;
        let mut prev_end = 0;
        let mut prev_line = 1;
        for (span, stmt) in spans.iter().zip(&stmts) {
            prop_assert!(
                span.start >= prev_end && span.start < span.end && span.end <= input.len()
            );
            let text = input.get(span.start..span.end);
            prop_assert_eq!(text, Some(stmt.sql.as_str()));
            prop_assert!(!stmt.sql.is_empty());
            prop_assert_eq!(stmt.sql.trim(), stmt.sql.as_str());
            prop_assert!(input.contains(stmt.sql.as_str()));
            prop_assert!(stmt.line >= 1 && stmt.line <= total_lines);
            prop_assert!(stmt.line >= prev_line);
            let expected_line = input.get(..span.start).map(|s| s.matches('\n').count() + 1);
            prop_assert_eq!(Some(stmt.line), expected_line);
            prev_end = span.end;
            prev_line = stmt.line;
        }
        Ok(())
    }

    const WORDS: &[&str] = &[
        "select", "insert", "into", "values", "from", "where", "x", "y_1", "42", "=", ",", "+",
        "*", "update", "t", "set", "Ω", " ", " ", "\n", "\t", ";", ";",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn never_panics_on_arbitrary_text(input in any::<String>()) {
            for d in ALL {
                check_invariants(&input, d)?;
            }
        }

        #[test]
        fn never_panics_on_sql_fragments(input in fragments()) {
            for d in ALL {
                check_invariants(&input, d)?;
            }
        }

        #[test]
        fn plain_input_splits_on_every_semicolon(
            input in prop::collection::vec(prop::sample::select(WORDS), 0..80)
                .prop_map(|v| v.join(" "))
        ) {
            let expected: Vec<&str> = input
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            for d in ALL {
                let got = split(&input, d);
                let texts: Vec<&str> = got.iter().map(|s| s.sql.as_str()).collect();
                prop_assert_eq!(&texts, &expected);
                check_invariants(&input, d)?;
            }
        }
    }
}
