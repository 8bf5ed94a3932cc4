//! The PostgreSQL store, through sqlx.

use sqlx::postgres::{PgPool, PgRow};

use crate::Error;

/// A [`TenancyStore`](crate::TenancyStore) in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to the database at `url` and applies this crate's migrations.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        Self::from_pool(PgPool::connect(url).await?).await
    }

    /// Uses an existing pool — shared, say, with the audit ledger so that a
    /// change and its audit row can commit in one transaction — and applies
    /// this crate's migrations to it.
    pub async fn from_pool(pool: PgPool) -> Result<Self, Error> {
        let mut migrator = sqlx::migrate!("migrations/postgres");
        // Other tellwang crates record their own migrations in the same table.
        migrator.set_ignore_missing(true);
        migrator.run(&pool).await?;
        Ok(Self { pool })
    }

    /// The pool this store uses.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

crate::sql::impl_sql_store!(PostgresStore, PgRow);
