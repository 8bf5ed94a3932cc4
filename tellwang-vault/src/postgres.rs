//! The PostgreSQL store, through sqlx.

use sqlx::postgres::{PgPool, PgRow};

use crate::Error;

/// A [`SecretStore`](crate::SecretStore) in a PostgreSQL database, in tables
/// prefixed `tw_vault_`.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to the database at `url` and applies this crate's migrations.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        Self::from_pool(PgPool::connect(url).await?).await
    }

    /// Uses an existing pool (shared, say, with the tenancy store) and
    /// applies this crate's migrations to it.
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

    /// PostgreSQL keeps dead row versions until `VACUUM` whatever is done
    /// here; retiring the KEK versions a shred reports is what makes them
    /// (and backups) unreadable. So there is nothing to prepare.
    async fn before_shred(_tx: &mut sqlx::Transaction<'_, sqlx::Postgres>) -> Result<(), Error> {
        Ok(())
    }

    /// Nothing to clean up after a shred; see [`PostgresStore::before_shred`].
    async fn after_shred(&self) -> Result<(), Error> {
        Ok(())
    }
}

crate::sql::impl_sql_store!(PostgresStore, PgRow);
