//! The secret-store conformance suite, run against every backend.

use std::sync::Arc;

use tellwang_vault::testing::conformance;
use tellwang_vault::{Error, MemoryStore, PostgresStore, SqliteStore};

#[tokio::test]
async fn memory_store_conforms() -> Result<(), Error> {
    conformance(Arc::new(MemoryStore::new())).await
}

#[tokio::test]
async fn sqlite_store_conforms() -> Result<(), Error> {
    let dir = tempfile::tempdir().map_err(|e| Error::KekFile { what: "tempdir", source: e })?;
    conformance(Arc::new(SqliteStore::open(dir.path().join("vault.db")).await?)).await
}

#[tokio::test]
async fn sqlite_store_shares_a_database_with_the_tenancy_store() -> Result<(), Error> {
    let dir = tempfile::tempdir().map_err(|e| Error::KekFile { what: "tempdir", source: e })?;
    let path = dir.path().join("shared.db");
    let tenancy = tellwang_core::SqliteStore::open(&path).await?;
    let vault = SqliteStore::from_pool(tenancy.pool().clone()).await?;
    // Migrating twice, in either order, is fine.
    tellwang_core::SqliteStore::from_pool(vault.pool().clone()).await?;
    conformance(Arc::new(vault)).await
}

#[tokio::test]
async fn postgres_store_conforms() -> Result<(), Error> {
    let Some(pool) = tellwang_core::testing::fresh_postgres_pool().await else { return Ok(()) };
    let tenancy = tellwang_core::PostgresStore::from_pool(pool.clone()).await?;
    drop(tenancy);
    conformance(Arc::new(PostgresStore::from_pool(pool).await?)).await
}
