use super::Dialect;

/// A statement that itself opens or closes a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxControl {
    Begin,
    Commit,
    Rollback,
}

/// `BEGIN`, `START TRANSACTION`, `COMMIT`, `END`, `ROLLBACK` (not `ROLLBACK TO SAVEPOINT`).
pub fn is_transaction_control(_stmt: &str, _dialect: Dialect) -> Option<TxControl> {
    todo!()
}

/// Statements the database refuses inside a transaction block (PostgreSQL
/// `CREATE INDEX CONCURRENTLY`, `VACUUM`, ...; SQLite `VACUUM`, `PRAGMA foreign_keys`
/// which is a no-op inside one). Returns a short reason for the screen.
pub fn cannot_run_in_transaction(_stmt: &str, _dialect: Dialect) -> Option<&'static str> {
    todo!()
}
