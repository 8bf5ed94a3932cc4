//! The PostgreSQL ledger, through sqlx.

use sqlx::postgres::{PgConnection, PgPool, PgRow};

use crate::Error;

/// An [`AuditLedger`](crate::AuditLedger) in a PostgreSQL database —
/// usually the same one as the host's other tables, so that
/// [`PostgresLedger::append_in`] can share their transactions.
///
/// Payloads are stored as `TEXT`, never `JSONB`: `JSONB` reorders keys and
/// rewrites numbers and white space, and the hash covers the exact bytes.
#[derive(Debug, Clone)]
pub struct PostgresLedger {
    pool: PgPool,
}

impl PostgresLedger {
    /// Uses `pool` and applies this crate's migrations to it.
    pub async fn from_pool(pool: PgPool) -> Result<Self, Error> {
        let mut migrator = sqlx::migrate!("migrations/postgres");
        // Other tellwang crates record their own migrations in the same table.
        migrator.set_ignore_missing(true);
        migrator.run(&pool).await?;
        Ok(Self { pool })
    }

    /// The pool this ledger uses.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

crate::sql::impl_sql_ledger!(
    PostgresLedger,
    PgConnection,
    PgRow,
    Some("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"),
    true
);
