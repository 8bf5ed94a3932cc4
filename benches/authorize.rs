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

/// The Woks one decision is measured on.
struct Targets {
    /// The owner's own Wok: the decision allows.
    own: Wok,
    /// A Wok of another team: denied as not found.
    foreign: WokId,
    /// A Wok that does not exist: denied as not found.
    missing: WokId,
    /// Every Wok created, of both teams: what the store holds.
    all: Vec<Wok>,
}

/// Creates a team with [`WOKS`] Woks, and a second team with as many so that
/// the table holds foreign rows too; returns the owner and the Woks to ask for.
async fn populate(tenancy: &Tenancy) -> (Principal, Targets) {
    let (_, owner, _) = tenancy.create_team("Bench", "owner").await.expect("team");
    let (_, other, _) = tenancy.create_team("Other", "owner").await.expect("team");
    let (mut own, mut foreign) = (Vec::new(), Vec::new());
    for i in 0..WOKS {
        own.push(tenancy.create_wok(&owner, &format!("wok-{i}"), None).await.expect("wok"));
        foreign.push(tenancy.create_wok(&other, &format!("wok-{i}"), None).await.expect("wok"));
    }
    let all = own.iter().chain(&foreign).cloned().collect();
    let targets = Targets {
        all,
        own: own.swap_remove(WOKS / 2),
        foreign: foreign[WOKS / 2].id,
        missing: WokId::generate().expect("id"),
    };
    (owner, targets)
}

/// Benchmarks `baseline` (the memory group's is a `HashMap` get plus clone,
/// the SQL groups' a `SELECT` by primary key) beside one decision on the
/// owner's own Wok; and, to show that a denial does not reveal whether a Wok
/// exists, the decision on a foreign Wok beside that on a missing one.
fn compare<F, Fut, T>(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    group: &str,
    baseline: F,
    tenancy: &Tenancy,
    owner: &Principal,
    targets: &Targets,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = T>,
{
    let mut group = c.benchmark_group(group);
    group.bench_function("baseline", |b| b.to_async(rt).iter(|| async { black_box(baseline().await) }));
    for (name, wok) in
        [("authorize", targets.own.id), ("deny foreign", targets.foreign), ("deny missing", targets.missing)]
    {
        group.bench_function(name, |b| {
            b.to_async(rt)
                .iter(|| async { black_box(tenancy.authorize(owner, Action::ReadWok, black_box(&wok)).await) })
        });
    }
    group.finish();
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");

    // In memory: beside a bare HashMap lookup plus the clone the decision also returns.
    let tenancy = Tenancy::new(MemoryStore::new());
    let (owner, targets) = rt.block_on(populate(&tenancy));
    // The same Woks the store holds, so both look up in tables of one size.
    let map: HashMap<WokId, Wok> = targets.all.iter().map(|w| (w.id, w.clone())).collect();
    let lookup = || async { map.get(black_box(&targets.own.id)).cloned() };
    compare(c, &rt, "authorize/memory", lookup, &tenancy, &owner, &targets);

    // SQLite: beside a plain primary-key SELECT on the same pool.
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = rt.block_on(SqliteStore::open(dir.path().join("bench.db"))).expect("sqlite");
    let pool = sqlite.pool().clone();
    let tenancy = Tenancy::new(sqlite);
    let (owner, targets) = rt.block_on(populate(&tenancy));
    let id = targets.own.id.to_string();
    let select = || async { sqlx::query(SELECT_BY_ID).bind(&id).fetch_optional(&pool).await.expect("select") };
    compare(c, &rt, "authorize/sqlite", select, &tenancy, &owner, &targets);

    // PostgreSQL, when a server is configured.
    let Some(pool) = rt.block_on(tellwang_core::testing::fresh_postgres_pool()) else { return };
    let tenancy = Tenancy::new(rt.block_on(PostgresStore::from_pool(pool.clone())).expect("postgres"));
    let (owner, targets) = rt.block_on(populate(&tenancy));
    let id = targets.own.id.to_string();
    let select = || async { sqlx::query(SELECT_BY_ID).bind(&id).fetch_optional(&pool).await.expect("select") };
    compare(c, &rt, "authorize/postgres", select, &tenancy, &owner, &targets);
}

criterion_group!(benches, bench);
criterion_main!(benches);
