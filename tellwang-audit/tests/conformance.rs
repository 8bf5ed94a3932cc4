//! The conformance suite, once per backend, plus the transactional append.

use std::sync::Arc;

use tellwang_audit::testing::{conformance, fill};
use tellwang_audit::{Actor, AuditLedger, Error, MemoryLedger, NewEntry, Payload, PostgresLedger, SqliteLedger};
use tellwang_core::testing::fresh_postgres_pool;
use tellwang_core::{SqliteStore, TeamId};

fn backend(e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::Backend(tellwang_core::BackendError::new(e))
}

async fn sqlite(dir: &tempfile::TempDir) -> Result<SqliteLedger, Error> {
    // The way a host shares one database between tenancy and audit.
    let store = SqliteStore::open(dir.path().join("cp.db")).await.map_err(backend)?;
    SqliteLedger::from_pool(store.pool().clone()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory() -> Result<(), Error> {
    conformance(Arc::new(MemoryLedger::new())).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_conformance() -> Result<(), Error> {
    let dir = tempfile::tempdir().map_err(backend)?;
    conformance(Arc::new(sqlite(&dir).await?)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_conformance() -> Result<(), Error> {
    let Some(pool) = fresh_postgres_pool().await else { return Ok(()) };
    conformance(Arc::new(PostgresLedger::from_pool(pool).await?)).await
}

fn change(team: TeamId) -> NewEntry {
    NewEntry {
        team,
        actor: Actor::operator("ops"),
        action: "wok.create".into(),
        target: "w".into(),
        request_id: String::new(),
        payload: Payload::empty(),
    }
}

/// A state change and its audit row commit or roll back together.
#[tokio::test]
async fn sqlite_append_in_shares_the_callers_transaction() -> Result<(), Error> {
    let dir = tempfile::tempdir().map_err(backend)?;
    let ledger = sqlite(&dir).await?;
    let team = TeamId::generate().map_err(backend)?;
    fill(&ledger, &team, 1).await?;
    sqlx::query("CREATE TABLE things (name TEXT)").execute(ledger.pool()).await?;

    let mut tx = ledger.pool().begin().await?;
    sqlx::query("INSERT INTO things VALUES ('rolled back')").execute(&mut *tx).await?;
    ledger.append_in(&mut tx, change(team)).await?;
    tx.rollback().await?;
    assert_eq!(ledger.head(&team).await?.seq, 1, "a rolled-back change leaves no audit row");

    let mut tx = ledger.pool().begin().await?;
    sqlx::query("INSERT INTO things VALUES ('kept')").execute(&mut *tx).await?;
    let receipt = ledger.append_in(&mut tx, change(team)).await?;
    tx.commit().await?;
    let things: i64 = sqlx::query_scalar("SELECT count(*) FROM things").fetch_one(ledger.pool()).await?;
    assert_eq!((things, receipt.seq, ledger.head(&team).await?.seq), (1, 2, 2));
    assert!(ledger.verify(&team, &[]).await?.ok);
    Ok(())
}

#[tokio::test]
async fn postgres_append_in_shares_the_callers_transaction() -> Result<(), Error> {
    let Some(pool) = fresh_postgres_pool().await else { return Ok(()) };
    let ledger = PostgresLedger::from_pool(pool).await?;
    let team = TeamId::generate().map_err(backend)?;
    fill(&ledger, &team, 1).await?;
    sqlx::query("CREATE TABLE things (name TEXT)").execute(ledger.pool()).await?;

    let mut tx = ledger.pool().begin().await?;
    sqlx::query("INSERT INTO things VALUES ('rolled back')").execute(&mut *tx).await?;
    ledger.append_in(&mut tx, change(team)).await?;
    drop(tx); // As a crash would: the transaction never commits.
    assert_eq!(ledger.head(&team).await?.seq, 1, "an uncommitted change leaves no audit row");

    let mut tx = ledger.pool().begin().await?;
    sqlx::query("INSERT INTO things VALUES ('kept')").execute(&mut *tx).await?;
    let receipt = ledger.append_in(&mut tx, change(team)).await?;
    tx.commit().await?;
    let things: i64 = sqlx::query_scalar("SELECT count(*) FROM things").fetch_one(ledger.pool()).await?;
    assert_eq!((things, receipt.seq, ledger.head(&team).await?.seq), (1, 2, 2));
    assert!(ledger.verify(&team, &[]).await?.ok);
    Ok(())
}

/// Verification of a chain longer than one streaming batch, with appends
/// running meanwhile: the snapshot keeps them from looking like tampering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_verifies_long_chains_while_appending() -> Result<(), Error> {
    let dir = tempfile::tempdir().map_err(backend)?;
    let ledger = Arc::new(sqlite(&dir).await?);
    let team = TeamId::generate().map_err(backend)?;
    ledger.create_chain(&team).await?;
    let mut tx = ledger.pool().begin().await?;
    for _ in 0..20_000 {
        ledger.append_in(&mut tx, change(team)).await?;
    }
    tx.commit().await?;
    let appender = {
        let ledger = ledger.clone();
        tokio::spawn(async move {
            for _ in 0..50 {
                ledger.append(change(team)).await?;
            }
            Ok::<_, Error>(())
        })
    };
    let report = ledger.verify(&team, &[]).await?;
    assert!(report.ok, "{report:?}");
    assert!(report.entries_checked >= 20_000);
    appender.await.map_err(backend)??;
    assert_eq!(ledger.verify(&team, &[]).await?.entries_checked, 20_050);
    Ok(())
}
