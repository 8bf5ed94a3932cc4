//! The conformance suite, once per backend.

use std::sync::Arc;

use tellwang_core::testing::{conformance, fresh_postgres_pool};
use tellwang_core::{Error, MemoryStore, PostgresStore, SqliteStore};

#[tokio::test]
async fn memory() -> Result<(), Error> {
    conformance(Arc::new(MemoryStore::new())).await
}

#[tokio::test]
async fn sqlite() -> Result<(), Error> {
    let dir = tempfile::tempdir().map_err(|e| Error::Backend(tellwang_core::BackendError::new(e)))?;
    conformance(Arc::new(SqliteStore::open(dir.path().join("tenancy.db")).await?)).await
}

#[tokio::test]
async fn postgres() -> Result<(), Error> {
    let Some(pool) = fresh_postgres_pool().await else { return Ok(()) };
    conformance(Arc::new(PostgresStore::from_pool(pool).await?)).await
}

#[tokio::test]
async fn sqlite_migrations_are_idempotent_and_data_survives_reopen() -> Result<(), Error> {
    let dir = tempfile::tempdir().map_err(|e| Error::Backend(tellwang_core::BackendError::new(e)))?;
    let path = dir.path().join("tenancy.db");
    let tenancy = tellwang_core::Tenancy::new(SqliteStore::open(&path).await?);
    let (_, owner, token) = tenancy.create_team("Durable", "owner").await?;
    let wok = tenancy.create_wok(&owner, "kept", None).await?;
    drop(tenancy);
    let reopened = tellwang_core::Tenancy::new(SqliteStore::open(&path).await?);
    let again = reopened.authenticate(token.expose_secret()).await?;
    assert_eq!(reopened.list_woks(&again).await?, vec![wok]);
    Ok(())
}
