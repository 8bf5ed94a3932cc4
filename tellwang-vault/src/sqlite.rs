//! The SQLite store: the embedded default, through sqlx.

use std::path::Path;
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteRow};

use crate::Error;

/// A [`SecretStore`](crate::SecretStore) in a SQLite database, in tables
/// prefixed `tw_vault_`.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating it if missing) the SQLite database file at `path`, in
    /// WAL mode with foreign keys enforced, and applies this crate's migrations.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            // Deleted rows (shredded keys above all) are overwritten, not left in free pages.
            .pragma("secure_delete", "on");
        Self::from_pool(SqlitePool::connect_with(options).await?).await
    }

    /// Opens a database from a `sqlite:` URL, like [`SqliteStore::open`].
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            // Deleted rows (shredded keys above all) are overwritten, not left in free pages.
            .pragma("secure_delete", "on");
        Self::from_pool(SqlitePool::connect_with(options).await?).await
    }

    /// Uses an existing pool (shared, say, with the tenancy store) and
    /// applies this crate's migrations to it.
    pub async fn from_pool(pool: SqlitePool) -> Result<Self, Error> {
        let mut migrator = sqlx::migrate!("migrations/sqlite");
        // Other tellwang crates record their own migrations in the same table.
        migrator.set_ignore_missing(true);
        migrator.run(&pool).await?;
        Ok(Self { pool })
    }

    /// The pool this store uses.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A shred must not leave its rows in free pages, whatever the pool was
    /// opened with.
    async fn before_shred(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>) -> Result<(), Error> {
        sqlx::query("PRAGMA secure_delete = ON").execute(&mut **tx).await?;
        Ok(())
    }

    /// Moves the shred into the main file and empties the write-ahead log,
    /// so the old pages do not linger there either.
    async fn after_shred(&self) -> Result<(), Error> {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await?;
        Ok(())
    }
}

crate::sql::impl_sql_store!(SqliteStore, SqliteRow);
