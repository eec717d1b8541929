//! Statement splitting per dialect, and the classification of statements
//! (transaction control, statements that cannot run inside a transaction, statements
//! that commit implicitly or touch only the session).

mod atomicity;
mod blocks;
mod classify;
mod split;

pub use atomicity::{implicit_commit, session_only, undone_by_rollback};
pub use blocks::split;
pub use classify::{cannot_run_in_transaction, is_transaction_control, TxControl};

/// The SQL dialect a splitter follows. Each backend maps to exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    Sqlite,
    Postgres,
    Mysql,
}

/// One statement of a migration file, as it will be sent to the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The statement text without its terminating delimiter, trimmed of surrounding
    /// whitespace. Comments inside the statement are kept.
    pub sql: String,
    /// 1-based line in the file where the statement's first non-blank, non-comment
    /// character stands.
    pub line: usize,
}

#[cfg(test)]
mod tests;
