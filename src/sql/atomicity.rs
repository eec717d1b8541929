//! What statements do to atomicity beyond their own effect: MySQL statements that
//! commit implicitly, statements that change only the session, and whether a rollback
//! after a failure left nothing of a file behind. The engine asks these when it wraps a
//! file and when it reports what a failure left.

use super::{is_transaction_control, Dialect, Statement, TxControl};

/// Whether a MySQL statement commits implicitly (DDL), which makes a file non-atomic.
/// `PREPARE`/`EXECUTE` may run DDL built at run time, so they count too.
pub fn implicit_commit(stmt: &str) -> bool {
    // mysqldump writes versioned comments that MySQL runs: `/*!50001 CREATE VIEW ... */`.
    let text = stmt.trim_start();
    let text = match text
        .strip_prefix("/*!")
        .or_else(|| text.strip_prefix("/*M!"))
    {
        Some(rest) => rest.trim_start_matches(|c: char| c.is_ascii_digit()),
        None => text,
    };
    let mut words = text
        .split(|c: char| c.is_whitespace() || c == '(')
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_uppercase());
    let head = words.next().unwrap_or_default();
    match head.as_str() {
        "CREATE" | "ALTER" | "DROP" | "RENAME" | "TRUNCATE" | "GRANT" | "REVOKE" | "LOCK"
        | "UNLOCK" | "ANALYZE" | "OPTIMIZE" | "REPAIR" | "FLUSH" | "INSTALL" | "UNINSTALL"
        | "CACHE" | "LOAD" => true,
        // May run DDL decided at run time (a prepared statement, a procedure).
        "PREPARE" | "EXECUTE" | "CALL" => true,
        "SET" => words.next().is_some_and(|w| w == "PASSWORD"),
        _ => false,
    }
}

/// Statements that change only the session (`SET`, `PRAGMA`), not the data.
pub fn session_only(stmt: &str) -> bool {
    let head = stmt
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    matches!(head.as_str(), "SET" | "PRAGMA")
}

/// Whether the rollback after statement `failed` failed left nothing of the file behind
/// (for files not wrapped in our transaction): nothing but session settings ran before,
/// or the failure came inside the file's own transaction, which nothing but session
/// settings preceded and (on MySQL) no DDL committed early.
pub fn undone_by_rollback(stmts: &[Statement], failed: usize, dialect: Dialect) -> bool {
    if stmts[..failed].iter().all(|s| session_only(&s.sql)) {
        return true;
    }
    let ctl = |s: &Statement| is_transaction_control(&s.sql, dialect);
    let Some(begin) = stmts[..failed]
        .iter()
        .rposition(|s| ctl(s) == Some(TxControl::Begin))
    else {
        return false;
    };
    let still_open = stmts[begin + 1..failed].iter().all(|s| ctl(s).is_none());
    let clean_before = stmts[..begin].iter().all(|s| session_only(&s.sql));
    let upto = (failed + 1).min(stmts.len());
    let no_early_commit =
        dialect != Dialect::Mysql || !stmts[begin..upto].iter().any(|s| implicit_commit(&s.sql));
    still_open && clean_before && no_early_commit
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::split;

    #[test]
    fn what_a_rollback_undoes_in_a_file_without_our_transaction() {
        let st = |sql: &str| split(sql, Dialect::Postgres);
        let own = st("SET lock_timeout = '1s';\nBEGIN;\nINSERT INTO a VALUES (1);\nINSERT INTO a VALUES (1);\nCOMMIT;");
        assert!(
            undone_by_rollback(&own, 3, Dialect::Postgres),
            "inside its own transaction"
        );
        let before = st("INSERT INTO a VALUES (0);\nBEGIN;\nINSERT INTO a VALUES (1);\nCOMMIT;");
        assert!(
            !undone_by_rollback(&before, 2, Dialect::Postgres),
            "a statement ran before BEGIN"
        );
        let plain = st("UPDATE a SET x = 1;\nINSERT INTO nope VALUES (1);");
        assert!(
            undone_by_rollback(&plain, 0, Dialect::Postgres),
            "the first statement failed"
        );
        assert!(
            !undone_by_rollback(&plain, 1, Dialect::Postgres),
            "the first one took effect"
        );
        let ddl = split(
            "START TRANSACTION;\nCREATE TABLE t (id INT);\nINSERT INTO nope VALUES (1);",
            Dialect::Mysql,
        );
        assert!(
            !undone_by_rollback(&ddl, 2, Dialect::Mysql),
            "MySQL DDL committed early"
        );
    }

    #[test]
    fn mysql_ddl_is_recognised_as_implicitly_committing() {
        assert!(implicit_commit("  create table x (id int)"));
        assert!(implicit_commit("ALTER TABLE x ADD y INT"));
        assert!(!implicit_commit("INSERT INTO x VALUES (1)"));
        assert!(implicit_commit("EXECUTE stmt"), "prepared DDL may commit");
        assert!(implicit_commit(
            "/*!50001 CREATE ALGORITHM=UNDEFINED VIEW v AS SELECT 1 */"
        ));
        assert!(implicit_commit("CALL migrate_things()"));
        assert!(implicit_commit("OPTIMIZE TABLE t"));
        assert!(implicit_commit("SET PASSWORD FOR u = 'x'"));
        assert!(!implicit_commit("SET @x = 1"));
        assert!(!implicit_commit("/*!40101 SET NAMES utf8mb4 */"));
    }
}
