//! One authorization decision per backend, each beside its baseline in the
//! same run: the in-memory decision against a bare `HashMap` lookup, and each
//! SQL backend against a plain primary-key `SELECT` of one row on the same pool.
//!
//! ```text
//! cargo bench --bench authorize
//! TELLWANG_TEST_POSTGRES_URL=postgres://… cargo bench --bench authorize   # adds PostgreSQL
//! ```
#![allow(clippy::expect_used, reason = "a benchmark has nothing to do but stop when its setup fails")]

use std::collections::HashMap;
use std::future::Future;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tellwang_core::{Action, Authorizer, MemoryStore, PostgresStore, Principal, SqliteStore, Tenancy, Wok, WokId};

const WOKS: usize = 1_000;
/// The baseline query: the same columns the decision reads, by primary key only.
const SELECT_BY_ID: &str = "SELECT id, team_id, name, region, created_at FROM tw_woks WHERE id = $1";

/// Creates a team with [`WOKS`] Woks, and a second team with as many so that
/// the table holds foreign rows too; returns the owner and the middle Wok.
async fn populate(tenancy: &Tenancy) -> (Principal, Wok) {
    let (_, owner, _) = tenancy.create_team("Bench", "owner").await.expect("team");
    let (_, other, _) = tenancy.create_team("Other", "owner").await.expect("team");
    let mut created = Vec::new();
    for i in 0..WOKS {
        created.push(tenancy.create_wok(&owner, &format!("wok-{i}"), None).await.expect("wok"));
        tenancy.create_wok(&other, &format!("wok-{i}"), None).await.expect("wok");
    }
    let middle = created.swap_remove(WOKS / 2);
    (owner, middle)
}

/// Benchmarks `baseline` (the memory group's is a `HashMap` get plus clone,
/// the SQL groups' a `SELECT` by primary key) and one decision on `target` side by side in one group.
fn compare<F, Fut, T>(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    group: &str,
    baseline: F,
    tenancy: &Tenancy,
    owner: &Principal,
    target: WokId,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = T>,
{
    let mut group = c.benchmark_group(group);
    group.bench_function("baseline", |b| b.to_async(rt).iter(|| async { black_box(baseline().await) }));
    group.bench_function("authorize", |b| {
        b.to_async(rt).iter(|| async { black_box(tenancy.authorize(owner, Action::ReadWok, black_box(&target)).await) })
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");

    // In memory: beside a bare HashMap lookup plus the clone the decision also returns.
    let tenancy = Tenancy::new(MemoryStore::new());
    let (owner, wok) = rt.block_on(populate(&tenancy));
    let map: HashMap<WokId, Wok> = HashMap::from([(wok.id, wok.clone())]);
    let lookup = || async { map.get(black_box(&wok.id)).cloned() };
    compare(c, &rt, "authorize/memory", lookup, &tenancy, &owner, wok.id);

    // SQLite: beside a plain primary-key SELECT on the same pool.
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = rt.block_on(SqliteStore::open(dir.path().join("bench.db"))).expect("sqlite");
    let pool = sqlite.pool().clone();
    let tenancy = Tenancy::new(sqlite);
    let (owner, wok) = rt.block_on(populate(&tenancy));
    let id = wok.id.to_string();
    let select = || async { sqlx::query(SELECT_BY_ID).bind(&id).fetch_optional(&pool).await.expect("select") };
    compare(c, &rt, "authorize/sqlite", select, &tenancy, &owner, wok.id);

    // PostgreSQL, when a server is configured.
    let Some(pool) = rt.block_on(tellwang_core::testing::fresh_postgres_pool()) else { return };
    let tenancy = Tenancy::new(rt.block_on(PostgresStore::from_pool(pool.clone())).expect("postgres"));
    let (owner, wok) = rt.block_on(populate(&tenancy));
    let id = wok.id.to_string();
    let select = || async { sqlx::query(SELECT_BY_ID).bind(&id).fetch_optional(&pool).await.expect("select") };
    compare(c, &rt, "authorize/postgres", select, &tenancy, &owner, wok.id);
}

criterion_group!(benches, bench);
criterion_main!(benches);
