//! The SQLite ledger: the embedded default, through sqlx.

use sqlx::sqlite::{SqliteConnection, SqlitePool, SqliteRow};

use crate::Error;

/// An [`AuditLedger`](crate::AuditLedger) in a SQLite database — usually the
/// same one as the host's other tables, so that [`SqliteLedger::append_in`]
/// can share their transactions.
#[derive(Debug, Clone)]
pub struct SqliteLedger {
    pool: SqlitePool,
}

impl SqliteLedger {
    /// Uses `pool` and applies this crate's migrations to it. Open the pool
    /// in WAL mode so that verification reads do not block appends.
    pub async fn from_pool(pool: SqlitePool) -> Result<Self, Error> {
        let mut migrator = sqlx::migrate!("migrations/sqlite");
        // Other tellwang crates record their own migrations in the same table.
        migrator.set_ignore_missing(true);
        migrator.run(&pool).await?;
        Ok(Self { pool })
    }

    /// The pool this ledger uses.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

// SQLite reads inside a transaction already see one snapshot (in WAL mode),
// and its `WITH` takes no INSERT.
crate::sql::impl_sql_ledger!(SqliteLedger, SqliteConnection, SqliteRow, None::<&str>, false);
