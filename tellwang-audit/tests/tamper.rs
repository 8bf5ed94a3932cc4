//! Property tests: every single mutation of a stored chain — any field of
//! any entry, a deleted, inserted or swapped entry, a truncated tail or a
//! rewritten suffix (with a checkpoint) — is detected and reported at the
//! right sequence number, on every backend. The SQL backends are tampered
//! with directly in their tables.

use proptest::prelude::*;
use tellwang_audit::testing::{Field, Mutation, Tamper, check_mutation};
use tellwang_audit::{AuditLedger, Error, MemoryLedger, PostgresLedger, SqliteLedger};
use tellwang_core::testing::fresh_postgres_pool;

/// A chain length, a mutation that fits it, and where a checkpoint sits.
fn case() -> impl Strategy<Value = (u64, Mutation, Option<u64>)> {
    (2u64..24).prop_flat_map(|len| {
        let seq = 1..=len;
        let mutation = prop_oneof![
            (seq.clone(), prop::sample::select(Field::ALL.to_vec()))
                .prop_map(|(seq, field)| Mutation::Field { seq, field }),
            seq.clone().prop_map(|seq| Mutation::Rehash { seq }),
            seq.clone().prop_map(|seq| Mutation::Delete { seq }),
            (1..=len + 1).prop_map(|seq| Mutation::Insert { seq }),
            (1..len).prop_map(|seq| Mutation::Swap { seq }),
            seq.clone().prop_map(|seq| Mutation::Truncate { seq }),
            seq.clone().prop_map(|seq| Mutation::RewriteSuffix { seq }),
        ];
        (Just(len), mutation).prop_flat_map(move |(len, mutation)| {
            // Checkpoints that can catch what a chain alone cannot: at or
            // after the first changed entry.
            let from = match mutation {
                Mutation::Truncate { seq } | Mutation::RewriteSuffix { seq } => seq,
                _ => 1,
            };
            (Just(len), Just(mutation), prop::option::weighted(0.8, from..=len))
        })
    })
}

fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => unreachable!("a tokio runtime always builds here: {e}"),
    }
}

fn run<L: AuditLedger + Tamper>(
    rt: &tokio::runtime::Runtime,
    ledger: &L,
    case: (u64, Mutation, Option<u64>),
) -> Result<(), Error> {
    let (len, mutation, checkpoint) = case;
    rt.block_on(check_mutation(ledger, ledger, len, mutation, checkpoint))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn memory_detects_every_mutation(case in case()) {
        let rt = runtime();
        let result = run(&rt, &MemoryLedger::new(), case);
        prop_assert!(result.is_ok(), "{result:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn sqlite_detects_every_mutation(case in case()) {
        let rt = runtime();
        let result = rt.block_on(async {
            let dir = tempfile::tempdir().map_err(|e| Error::Backend(tellwang_core::BackendError::new(e)))?;
            let store = tellwang_core::SqliteStore::open(dir.path().join("a.db"))
                .await
                .map_err(|e| Error::Backend(tellwang_core::BackendError::new(e)))?;
            let ledger = SqliteLedger::from_pool(store.pool().clone()).await?;
            let (len, mutation, checkpoint) = case;
            check_mutation(&ledger, &ledger, len, mutation, checkpoint).await
        });
        prop_assert!(result.is_ok(), "{result:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn postgres_detects_every_mutation(case in case()) {
        let rt = runtime();
        let result = rt.block_on(async {
            let Some(pool) = fresh_postgres_pool().await else { return Ok(()) };
            let ledger = PostgresLedger::from_pool(pool).await?;
            let (len, mutation, checkpoint) = case;
            check_mutation(&ledger, &ledger, len, mutation, checkpoint).await
        });
        prop_assert!(result.is_ok(), "{result:?}");
    }
}
