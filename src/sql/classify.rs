use super::split::{
    block_comment_end, dash_comment_at, dollar_end, is_word_cont, is_word_start, line_end,
    quoted_end,
};
use super::Dialect;

/// A statement that itself opens or closes a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxControl {
    Begin,
    Commit,
    Rollback,
}

/// `BEGIN`, `START TRANSACTION`, `COMMIT`, `END`, `ROLLBACK` (not `ROLLBACK TO SAVEPOINT`).
pub fn is_transaction_control(stmt: &str, dialect: Dialect) -> Option<TxControl> {
    let toks: Vec<Tok<'_>> = Toks::new(stmt, dialect).take(4).collect();
    let word = |i: usize| match toks.get(i) {
        Some(Tok::Word(w)) => Some(*w),
        _ => None,
    };
    let is = |i: usize, set: &[&str]| word(i).is_some_and(|w| is_any(w, set));
    let pg = dialect == Dialect::Postgres;
    let first = word(0)?;

    if first.eq_ignore_ascii_case("BEGIN") {
        let begin = toks.len() == 1
            || is(1, &["WORK", "TRANSACTION"])
            || (dialect == Dialect::Sqlite && is(1, &["DEFERRED", "IMMEDIATE", "EXCLUSIVE"]))
            || (pg && is(1, &["ISOLATION", "READ", "DEFERRABLE", "NOT"]));
        return begin.then_some(TxControl::Begin);
    }
    if first.eq_ignore_ascii_case("START") {
        return is(1, &["TRANSACTION"]).then_some(TxControl::Begin);
    }
    if first.eq_ignore_ascii_case("COMMIT") {
        // COMMIT PREPARED (PostgreSQL two-phase commit) ends no open transaction.
        return (!is(1, &["PREPARED"])).then_some(TxControl::Commit);
    }
    if first.eq_ignore_ascii_case("END") {
        let end = dialect != Dialect::Mysql
            && (toks.len() == 1 || is(1, &["WORK", "TRANSACTION", "AND"]));
        return end.then_some(TxControl::Commit);
    }
    if first.eq_ignore_ascii_case("ROLLBACK") || (pg && first.eq_ignore_ascii_case("ABORT")) {
        let next = if is(1, &["WORK", "TRANSACTION"]) {
            2
        } else {
            1
        };
        // ROLLBACK [WORK|TRANSACTION] TO [SAVEPOINT] x; ROLLBACK PREPARED 'x'.
        return (!is(next, &["TO", "PREPARED"])).then_some(TxControl::Rollback);
    }
    None
}

/// Statements the database refuses inside a transaction block (PostgreSQL
/// `CREATE INDEX CONCURRENTLY`, `VACUUM`, ...; SQLite `VACUUM`, `PRAGMA foreign_keys`
/// which is a no-op inside one). Returns a short reason for the screen.
pub fn cannot_run_in_transaction(stmt: &str, dialect: Dialect) -> Option<&'static str> {
    match dialect {
        Dialect::Postgres => postgres_no_tx(stmt),
        Dialect::Sqlite => sqlite_no_tx(stmt),
        // DDL commits implicitly in MySQL; another layer reports that.
        Dialect::Mysql => None,
    }
}

fn postgres_no_tx(stmt: &str) -> Option<&'static str> {
    // Enough tokens for `ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY` and
    // `ALTER DATABASE ... SET TABLESPACE`, still bounded for huge statements.
    let toks: Vec<Tok<'_>> = Toks::new(stmt, Dialect::Postgres).take(64).collect();
    let word = |i: usize| match toks.get(i) {
        Some(Tok::Word(w)) => Some(*w),
        _ => None,
    };
    let is = |i: usize, kw: &str| word(i).is_some_and(|w| w.eq_ignore_ascii_case(kw));
    let find = |kw: &str| (0..toks.len()).find(|&i| is(i, kw));
    let first = word(0)?.to_ascii_uppercase();
    match first.as_str() {
        "VACUUM" => Some("VACUUM cannot run inside a transaction"),
        "CREATE" => {
            let i = if is(1, "UNIQUE") { 2 } else { 1 };
            if is(i, "INDEX") && is(i + 1, "CONCURRENTLY") {
                Some("CREATE INDEX CONCURRENTLY cannot run inside a transaction")
            } else if is(1, "DATABASE") {
                Some("CREATE DATABASE cannot run inside a transaction")
            } else if is(1, "TABLESPACE") {
                Some("CREATE TABLESPACE cannot run inside a transaction")
            } else if is(1, "SUBSCRIPTION") {
                Some("CREATE SUBSCRIPTION cannot run inside a transaction")
            } else {
                None
            }
        }
        "DROP" => {
            if is(1, "INDEX") && is(2, "CONCURRENTLY") {
                Some("DROP INDEX CONCURRENTLY cannot run inside a transaction")
            } else if is(1, "DATABASE") {
                Some("DROP DATABASE cannot run inside a transaction")
            } else if is(1, "TABLESPACE") {
                Some("DROP TABLESPACE cannot run inside a transaction")
            } else if is(1, "SUBSCRIPTION") {
                Some("DROP SUBSCRIPTION cannot run inside a transaction")
            } else {
                None
            }
        }
        "REINDEX" => {
            // REINDEX [ (options) ] { INDEX | TABLE | SCHEMA | DATABASE | SYSTEM } [ CONCURRENTLY ] name
            let mut i = 1;
            if matches!(toks.get(1), Some(Tok::Punct(b'('))) {
                let mut depth = 0usize;
                while let Some(t) = toks.get(i) {
                    i += 1;
                    match t {
                        Tok::Punct(b'(') => depth += 1,
                        Tok::Punct(b')') => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
            }
            if is(i + 1, "CONCURRENTLY") {
                Some("REINDEX CONCURRENTLY cannot run inside a transaction")
            } else if word(i).is_some_and(|w| is_any(w, &["SCHEMA", "DATABASE", "SYSTEM"])) {
                Some("REINDEX SCHEMA, DATABASE or SYSTEM cannot run inside a transaction")
            } else {
                None
            }
        }
        "ALTER" => {
            if is(1, "SYSTEM") {
                Some("ALTER SYSTEM cannot run inside a transaction")
            } else if is(1, "DATABASE") && find("SET").is_some_and(|i| is(i + 1, "TABLESPACE")) {
                Some("ALTER DATABASE ... SET TABLESPACE cannot run inside a transaction")
            } else if is(1, "TABLE")
                && find("DETACH").is_some_and(|d| (d..toks.len()).any(|i| is(i, "CONCURRENTLY")))
            {
                Some("DETACH PARTITION ... CONCURRENTLY cannot run inside a transaction")
            } else {
                // ALTER TYPE ... ADD VALUE runs in a transaction since PostgreSQL 12.
                None
            }
        }
        // CLUSTER without a table reclusters every table, outside a transaction only.
        "CLUSTER" if (1..toks.len()).all(|i| is(i, "VERBOSE")) => {
            Some("CLUSTER without a table cannot run inside a transaction")
        }
        _ => None,
    }
}

fn sqlite_no_tx(stmt: &str) -> Option<&'static str> {
    let toks: Vec<Tok<'_>> = Toks::new(stmt, Dialect::Sqlite).take(6).collect();
    let word = |i: usize| match toks.get(i) {
        Some(Tok::Word(w)) => Some(*w),
        _ => None,
    };
    let first = word(0)?;
    if first.eq_ignore_ascii_case("VACUUM") {
        return Some("VACUUM cannot run inside a transaction");
    }
    if !first.eq_ignore_ascii_case("PRAGMA") {
        return None;
    }
    // PRAGMA [schema.]name [= value | (value)]
    let mut i = 1;
    if matches!(toks.get(2), Some(Tok::Punct(b'.'))) {
        i = 3;
    }
    let name = word(i)?;
    // Only the setting forms: reading the value works anywhere.
    let sets = matches!(toks.get(i + 1), Some(Tok::Punct(b'=' | b'(')));
    if !sets {
        None
    } else if name.eq_ignore_ascii_case("foreign_keys") {
        Some("PRAGMA foreign_keys has no effect inside a transaction")
    } else if name.eq_ignore_ascii_case("journal_mode") {
        Some("PRAGMA journal_mode cannot be changed inside a transaction")
    } else {
        None
    }
}

fn is_any(w: &str, set: &[&str]) -> bool {
    set.iter().any(|k| w.eq_ignore_ascii_case(k))
}

/// A significant token for classification: comments and whitespace are skipped,
/// `;` is dropped (a trailing delimiter must not change the answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    Word(&'a str),
    Punct(u8),
    Quoted,
}

struct Toks<'a> {
    src: &'a str,
    pos: usize,
    dialect: Dialect,
}

impl<'a> Toks<'a> {
    fn new(src: &'a str, dialect: Dialect) -> Self {
        Toks {
            src,
            pos: 0,
            dialect,
        }
    }
}

impl<'a> Iterator for Toks<'a> {
    type Item = Tok<'a>;

    fn next(&mut self) -> Option<Tok<'a>> {
        let b = self.src.as_bytes();
        let mysql = self.dialect == Dialect::Mysql;
        loop {
            let p = self.pos;
            let c = *b.get(p)?;
            let next = b.get(p + 1).copied();
            if c.is_ascii_whitespace() || c == 0x0b || c == b';' {
                self.pos = p + 1;
            } else if dash_comment_at(b, p, self.dialect) || (mysql && c == b'#') {
                self.pos = line_end(b, p);
            } else if c == b'/' && next == Some(b'*') {
                self.pos = block_comment_end(b, p, self.dialect == Dialect::Postgres);
            } else if c == b'\'' || c == b'"' || (c == b'`' && self.dialect != Dialect::Postgres) {
                self.pos = quoted_end(b, p, c, mysql && c != b'`');
                return Some(Tok::Quoted);
            } else if c == b'$' && self.dialect == Dialect::Postgres {
                match dollar_end(self.src, p) {
                    Some(e) => {
                        self.pos = e;
                        return Some(Tok::Quoted);
                    }
                    None => {
                        self.pos = p + 1;
                        return Some(Tok::Punct(c));
                    }
                }
            } else if is_word_start(c) || c.is_ascii_digit() {
                let mut j = p + 1;
                while b.get(j).is_some_and(|&c| is_word_cont(c)) {
                    j += 1;
                }
                self.pos = j;
                return Some(Tok::Word(self.src.get(p..j).unwrap_or_default()));
            } else {
                self.pos = p + 1;
                return Some(Tok::Punct(c));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Dialect::{Mysql, Postgres, Sqlite};
    use TxControl::{Begin, Commit, Rollback};

    const ALL: [Dialect; 3] = [Sqlite, Postgres, Mysql];

    #[test]
    fn begin_forms() {
        for d in ALL {
            for s in [
                "BEGIN",
                "begin;",
                "BEGIN TRANSACTION",
                "Begin Work ;",
                "START TRANSACTION",
            ] {
                assert_eq!(is_transaction_control(s, d), Some(Begin), "{s} {d:?}");
            }
            assert_eq!(is_transaction_control("BEGIN ATOMIC", d), None);
            assert_eq!(is_transaction_control("BEGINNING", d), None);
        }
        for s in [
            "BEGIN DEFERRED",
            "BEGIN IMMEDIATE TRANSACTION",
            "begin exclusive;",
        ] {
            assert_eq!(is_transaction_control(s, Sqlite), Some(Begin), "{s}");
        }
        assert_eq!(
            is_transaction_control("BEGIN ISOLATION LEVEL SERIALIZABLE", Postgres),
            Some(Begin)
        );
        assert_eq!(
            is_transaction_control("START TRANSACTION WITH CONSISTENT SNAPSHOT", Mysql),
            Some(Begin)
        );
        assert_eq!(
            is_transaction_control("START TRANSACTION READ ONLY", Postgres),
            Some(Begin)
        );
        assert_eq!(is_transaction_control("START SLAVE", Mysql), None);
    }

    #[test]
    fn commit_and_end_forms() {
        for d in ALL {
            for s in ["COMMIT", "commit;", "COMMIT WORK", "COMMIT TRANSACTION"] {
                assert_eq!(is_transaction_control(s, d), Some(Commit), "{s} {d:?}");
            }
        }
        for d in [Sqlite, Postgres] {
            for s in ["END", "end;", "END TRANSACTION", "END WORK"] {
                assert_eq!(is_transaction_control(s, d), Some(Commit), "{s} {d:?}");
            }
        }
        assert_eq!(is_transaction_control("END", Mysql), None);
        assert_eq!(
            is_transaction_control("COMMIT PREPARED 'x'", Postgres),
            None
        );
        assert_eq!(is_transaction_control("END IF", Postgres), None);
    }

    #[test]
    fn rollback_forms() {
        for d in ALL {
            for s in [
                "ROLLBACK",
                "rollback;",
                "ROLLBACK WORK",
                "ROLLBACK TRANSACTION",
            ] {
                assert_eq!(is_transaction_control(s, d), Some(Rollback), "{s} {d:?}");
            }
            for s in [
                "ROLLBACK TO sp1",
                "ROLLBACK TO SAVEPOINT sp1",
                "ROLLBACK WORK TO SAVEPOINT sp1",
                "rollback transaction to savepoint sp1;",
            ] {
                assert_eq!(is_transaction_control(s, d), None, "{s} {d:?}");
            }
        }
        assert_eq!(is_transaction_control("ABORT", Postgres), Some(Rollback));
        assert_eq!(
            is_transaction_control("ROLLBACK PREPARED 'x'", Postgres),
            None
        );
    }

    #[test]
    fn tx_control_skips_leading_comments() {
        let s = "-- start the work\n/* a /* nested */ comment */\n  BEGIN;";
        assert_eq!(is_transaction_control(s, Postgres), Some(Begin));
        assert_eq!(
            is_transaction_control("# done\nCOMMIT", Mysql),
            Some(Commit)
        );
        assert_eq!(
            is_transaction_control("--no space\nCOMMIT", Sqlite),
            Some(Commit)
        );
    }

    #[test]
    fn not_tx_control() {
        for d in ALL {
            for s in [
                "",
                "-- only a comment",
                "SELECT 1",
                "SAVEPOINT a",
                "RELEASE SAVEPOINT a",
                "'BEGIN'",
                "CREATE TABLE begin_log (id int)",
            ] {
                assert_eq!(is_transaction_control(s, d), None, "{s} {d:?}");
            }
        }
    }

    #[test]
    fn postgres_statements_outside_transactions() {
        let cases = [
            (
                "CREATE INDEX CONCURRENTLY idx ON t (a)",
                "CREATE INDEX CONCURRENTLY",
            ),
            (
                "create unique index concurrently if not exists i on t(a);",
                "CREATE INDEX",
            ),
            (
                "DROP INDEX CONCURRENTLY IF EXISTS idx",
                "DROP INDEX CONCURRENTLY",
            ),
            ("REINDEX INDEX CONCURRENTLY idx", "REINDEX CONCURRENTLY"),
            (
                "REINDEX (VERBOSE) TABLE CONCURRENTLY t",
                "REINDEX CONCURRENTLY",
            ),
            ("REINDEX DATABASE app", "REINDEX SCHEMA"),
            ("VACUUM", "VACUUM"),
            ("vacuum (analyze) t;", "VACUUM"),
            ("CREATE DATABASE app", "CREATE DATABASE"),
            ("DROP DATABASE IF EXISTS app", "DROP DATABASE"),
            (
                "CREATE TABLESPACE fast LOCATION '/ssd'",
                "CREATE TABLESPACE",
            ),
            ("DROP TABLESPACE fast", "DROP TABLESPACE"),
            ("ALTER SYSTEM SET work_mem = '64MB'", "ALTER SYSTEM"),
            (
                "CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p",
                "CREATE SUBSCRIPTION",
            ),
            ("ALTER DATABASE app SET TABLESPACE fast", "SET TABLESPACE"),
            (
                "ALTER DATABASE \"my app\" SET TABLESPACE fast",
                "SET TABLESPACE",
            ),
            (
                "ALTER TABLE m DETACH PARTITION m_2020 CONCURRENTLY",
                "DETACH PARTITION",
            ),
            ("-- maintenance\n/* c */ VACUUM FULL;", "VACUUM"),
        ];
        for (s, reason) in cases {
            let got = cannot_run_in_transaction(s, Postgres);
            assert!(got.is_some_and(|r| r.contains(reason)), "{s}: {got:?}");
            assert!(
                got.is_some_and(|r| r.contains("transaction")),
                "{s}: {got:?}"
            );
        }
        for s in [
            "CREATE INDEX idx ON t (a)",
            "CREATE INDEX concurrently_idx ON t (a)",
            "DROP INDEX idx",
            "REINDEX TABLE t",
            "ALTER TYPE mood ADD VALUE 'happy'",
            "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'sad' AFTER 'happy'",
            "ALTER DATABASE app SET search_path = public",
            "ALTER TABLE m DETACH PARTITION m_2020",
            "REFRESH MATERIALIZED VIEW CONCURRENTLY mv",
            "CLUSTER t USING idx",
            "SELECT 'VACUUM'",
            "-- VACUUM\nSELECT 1",
            "CREATE EXTENSION IF NOT EXISTS pgcrypto",
            "",
        ] {
            assert_eq!(cannot_run_in_transaction(s, Postgres), None, "{s}");
        }
    }

    #[test]
    fn sqlite_statements_outside_transactions() {
        for s in [
            "VACUUM",
            "vacuum;",
            "VACUUM INTO 'backup.db'",
            "PRAGMA foreign_keys = OFF",
            "pragma foreign_keys=off;",
            "PRAGMA foreign_keys(1)",
            "PRAGMA journal_mode = WAL",
            "PRAGMA main.journal_mode=wal",
            "-- disable FKs for the rebuild\nPRAGMA foreign_keys=0;",
        ] {
            assert!(cannot_run_in_transaction(s, Sqlite).is_some(), "{s}");
        }
        for s in [
            "PRAGMA foreign_keys",
            "PRAGMA user_version = 3",
            "PRAGMA defer_foreign_keys = ON",
            "CREATE TABLE t (id INTEGER)",
            "CREATE INDEX CONCURRENTLY i ON t (a)",
            "",
        ] {
            assert_eq!(cannot_run_in_transaction(s, Sqlite), None, "{s}");
        }
    }

    #[test]
    fn mysql_never_flags() {
        for s in [
            "VACUUM",
            "CREATE DATABASE x",
            "ALTER TABLE t ADD COLUMN a INT",
            "DROP DATABASE x",
        ] {
            assert_eq!(cannot_run_in_transaction(s, Mysql), None, "{s}");
        }
    }

    #[test]
    fn classification_never_panics_on_odd_input() {
        for s in [
            "'",
            "\"",
            "$",
            "$$",
            "$a",
            "/*",
            "--",
            "#",
            "(",
            "é",
            "REINDEX (",
            "PRAGMA",
            "PRAGMA x.",
        ] {
            for d in ALL {
                let _ = is_transaction_control(s, d);
                let _ = cannot_run_in_transaction(s, d);
            }
        }
    }
}
