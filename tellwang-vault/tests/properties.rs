//! The vault's property tests (round trips, tampering, swaps, rotation,
//! shredding), run against every backend.

use std::sync::Arc;

use tellwang_vault::testing::properties;
use tellwang_vault::{MemoryStore, PostgresStore, SqliteStore};

/// Cases per property; the slow properties run fewer (see `properties`).
const CASES: u32 = 64;

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().map_err(|e| e.to_string())
}

#[test]
fn memory_store_properties() -> Result<(), String> {
    properties(&runtime()?, Arc::new(MemoryStore::new()), CASES)
}

#[test]
fn sqlite_store_properties() -> Result<(), String> {
    let rt = runtime()?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let store = rt.block_on(SqliteStore::open(dir.path().join("vault.db"))).map_err(|e| e.to_string())?;
    properties(&rt, Arc::new(store), CASES)
}

#[test]
fn postgres_store_properties() -> Result<(), String> {
    let rt = runtime()?;
    let Some(pool) = rt.block_on(tellwang_core::testing::fresh_postgres_pool()) else { return Ok(()) };
    let store = rt.block_on(PostgresStore::from_pool(pool)).map_err(|e| e.to_string())?;
    properties(&rt, Arc::new(store), CASES)
}
