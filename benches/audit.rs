//! Audit-chain benchmarks, each beside its baseline in the same run:
//!
//! * `audit/verify-memory/N` — verifying N in-memory entries, on one core
//!   and on all cores, beside raw SHA-256 over the same canonical bytes on
//!   one core (the limit: verification cannot hash less).
//! * `audit/verify-sqlite` and `audit/verify-postgres` — verifying a chain
//!   of 1M stored entries beside a plain `SELECT` scan of the same rows.
//! * `audit/append-postgres` — appends by 8 concurrent writers, on one team
//!   and on 8 teams, beside a plain single-row `INSERT` at the same
//!   concurrency.
//!
//! ```text
//! .ci/postgres cargo bench --bench audit
//! ```
#![allow(clippy::expect_used, reason = "a benchmark has nothing to do but stop when its setup fails")]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::Row;
use tellwang_audit::format::{self, Hash};
use tellwang_audit::{Actor, AuditLedger, Entry, NewEntry, Payload, PostgresLedger, SqliteLedger, verify_entries};
use tellwang_core::{TeamId, Timestamp};

const STORED: u64 = 1_000_000;

/// A realistic chain of `n` entries: ids, a target, a request id and a
/// small JSON payload each, about 330 canonical bytes an entry.
fn chain(team: TeamId, n: u64) -> Vec<Entry> {
    let payload = Payload::from_json(r#"{"kind":"env_var","name":"DATABASE_URL","version":3}"#).expect("payload");
    let mut prev = format::genesis(&team);
    (1..=n)
        .map(|seq| {
            let mut entry = Entry {
                seq,
                team,
                at: Timestamp::from_micros(1_767_225_600_000_000 + seq as i64 * 1000),
                actor: Actor { id: format!("prn_{:032x}", seq % 97), kind: "agent".into() },
                action: "secret.put".into(),
                target: format!("wok_{:032x}", seq % 13),
                request_id: format!("req-{seq:016x}"),
                payload: payload.clone(),
                prev_hash: prev,
                hash: [0; 32],
            };
            entry.hash = format::entry_hash(&entry);
            prev = entry.hash;
            entry
        })
        .collect()
}

fn one_core() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("pool")
}

fn memory(c: &mut Criterion) {
    let team = TeamId::generate().expect("team");
    let single = one_core();
    for n in [1_000u64, 100_000, 1_000_000] {
        let entries = chain(team, n);
        let encoded: Vec<Vec<u8>> = entries
            .iter()
            .map(|e| {
                let mut buf = Vec::new();
                format::encode_into(&mut buf, e);
                buf
            })
            .collect();
        let bytes: u64 = encoded.iter().map(|b| b.len() as u64).sum();
        let mut group = c.benchmark_group("audit/verify-memory");
        group.throughput(Throughput::Bytes(bytes));
        if n >= 100_000 {
            group.sample_size(10);
        }
        group.bench_function(BenchmarkId::new("baseline: raw SHA-256, 1 core", n), |b| {
            b.iter(|| {
                let mut last: Hash = [0; 32];
                for bytes in &encoded {
                    last = Sha256::digest(bytes).into();
                }
                black_box(last)
            })
        });
        group.bench_function(BenchmarkId::new("verify, 1 core", n), |b| {
            b.iter(|| single.install(|| black_box(verify_entries(&team, &entries, None, &[]).expect("verify"))))
        });
        group.bench_function(BenchmarkId::new("verify, all cores", n), |b| {
            b.iter(|| black_box(verify_entries(&team, &entries, None, &[]).expect("verify")))
        });
        group.finish();
    }
}

const SCAN: &str = "SELECT seq, at, actor_id, actor_kind, action, target, request_id, payload, prev_hash, hash \
                    FROM tw_audit_entries WHERE team_id = $1 ORDER BY seq";

/// Counts the bytes of every column of the scan: a consumer that touches
/// each value once, and the least any verification must do.
macro_rules! scan {
    ($pool:expr, $team:expr) => {{
        let mut rows = sqlx::query(SCAN).bind($team).fetch($pool);
        let mut total = 0usize;
        while let Some(row) = rows.try_next().await.expect("row") {
            total += row.get::<i64, _>(0) as usize + row.get::<i64, _>(1) as usize;
            for column in 2..8 {
                total += row.get::<&str, _>(column).len();
            }
            total += row.get::<&[u8], _>(8).len() + row.get::<&[u8], _>(9).len();
        }
        total
    }};
}

/// Writes `entries` straight into the ledger's tables, in big transactions.
macro_rules! store {
    ($ledger:expr, $team:expr, $entries:expr) => {{
        let ledger = $ledger;
        ledger.create_chain(&$team).await.expect("chain");
        let team_text = $team.to_string();
        for chunk in $entries.chunks(10_000) {
            let mut tx = ledger.pool().begin().await.expect("tx");
            for e in chunk {
                sqlx::query(
                    "INSERT INTO tw_audit_entries (team_id, seq, at, actor_id, actor_kind, action, target, \
                     request_id, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(&team_text)
                .bind(e.seq as i64)
                .bind(e.at.as_micros())
                .bind(&e.actor.id)
                .bind(&e.actor.kind)
                .bind(&e.action)
                .bind(&e.target)
                .bind(&e.request_id)
                .bind(e.payload.as_str())
                .bind(e.prev_hash.as_slice())
                .bind(e.hash.as_slice())
                .execute(&mut *tx)
                .await
                .expect("insert");
            }
            tx.commit().await.expect("commit");
        }
        let last = $entries.last().expect("entries");
        sqlx::query("UPDATE tw_audit_heads SET seq = $2, hash = $3 WHERE team_id = $1")
            .bind(&team_text)
            .bind(last.seq as i64)
            .bind(last.hash.as_slice())
            .execute(ledger.pool())
            .await
            .expect("head");
    }};
}

fn stored(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let team = TeamId::generate().expect("team");
    let entries = chain(team, STORED);
    let team_text = team.to_string();

    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = rt.block_on(async {
        let store = tellwang_core::SqliteStore::open(dir.path().join("audit.db")).await.expect("sqlite");
        let ledger = SqliteLedger::from_pool(store.pool().clone()).await.expect("ledger");
        store!(&ledger, team, entries);
        ledger
    });
    let mut group = c.benchmark_group("audit/verify-sqlite");
    group.sample_size(10).throughput(Throughput::Elements(STORED));
    group.bench_function("baseline: SELECT scan, 1M", |b| {
        b.to_async(&rt).iter(|| async { black_box(scan!(sqlite.pool(), &team_text)) })
    });
    group.bench_function("verify, 1M", |b| {
        b.to_async(&rt).iter(|| async {
            let report = sqlite.verify(&team, &[]).await.expect("verify");
            assert!(report.ok);
            black_box(report)
        })
    });
    group.finish();
    drop(sqlite);

    let Some(pool) = rt.block_on(tellwang_core::testing::fresh_postgres_pool()) else { return };
    let postgres = rt.block_on(async {
        let ledger = PostgresLedger::from_pool(pool).await.expect("ledger");
        store!(&ledger, team, entries);
        sqlx::query("VACUUM ANALYZE tw_audit_entries").execute(ledger.pool()).await.expect("vacuum");
        ledger
    });
    drop(entries);
    let mut group = c.benchmark_group("audit/verify-postgres");
    group.sample_size(10).throughput(Throughput::Elements(STORED));
    group.bench_function("baseline: SELECT scan, 1M", |b| {
        b.to_async(&rt).iter(|| async { black_box(scan!(postgres.pool(), &team_text)) })
    });
    group.bench_function("verify, 1M", |b| {
        b.to_async(&rt).iter(|| async {
            let report = postgres.verify(&team, &[]).await.expect("verify");
            assert!(report.ok);
            black_box(report)
        })
    });
    group.finish();

    append(c, &rt, Arc::new(postgres));
}

const WRITERS: usize = 8;
const APPENDS_PER_WRITER: usize = 50;

/// Runs `WRITERS` concurrent tasks doing `APPENDS_PER_WRITER` operations
/// each, `iters` times over; returns the total time.
async fn concurrently<F, Fut>(iters: u64, op: F) -> Duration
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let start = Instant::now();
    for _ in 0..iters {
        let tasks: Vec<_> = (0..WRITERS)
            .map(|w| {
                let op = op.clone();
                tokio::spawn(async move {
                    for _ in 0..APPENDS_PER_WRITER {
                        op(w).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("task");
        }
    }
    start.elapsed()
}

fn append(c: &mut Criterion, rt: &tokio::runtime::Runtime, ledger: Arc<PostgresLedger>) {
    let teams: Vec<TeamId> = (0..WRITERS).map(|_| TeamId::generate().expect("team")).collect();
    rt.block_on(async {
        for team in &teams {
            ledger.create_chain(team).await.expect("chain");
        }
        sqlx::query(
            "CREATE TABLE bench_plain (id BIGSERIAL PRIMARY KEY, team_id TEXT NOT NULL, at BIGINT NOT NULL, \
             actor_id TEXT NOT NULL, action TEXT NOT NULL, payload TEXT NOT NULL)",
        )
        .execute(ledger.pool())
        .await
        .expect("plain table");
    });
    let entry = |team: TeamId| NewEntry {
        team,
        actor: Actor::operator("bench"),
        action: "wok.update".into(),
        target: "wok_00000000000000000000000000000000".into(),
        request_id: "req".into(),
        payload: Payload::empty(),
    };
    let mut group = c.benchmark_group("audit/append-postgres");
    group.sample_size(10).throughput(Throughput::Elements((WRITERS * APPENDS_PER_WRITER) as u64));
    let pool = ledger.pool().clone();
    group.bench_function("baseline: plain INSERT, 8 writers", |b| {
        b.to_async(rt).iter_custom(|iters| {
            let pool = pool.clone();
            concurrently(iters, move |w| {
                let pool = pool.clone();
                async move {
                    sqlx::query(
                        "INSERT INTO bench_plain (team_id, at, actor_id, action, payload) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(format!("team-{w}"))
                    .bind(Timestamp::now().as_micros())
                    .bind("bench")
                    .bind("wok.update")
                    .bind("{}")
                    .execute(&pool)
                    .await
                    .expect("insert");
                }
            })
        })
    });
    let one_team = teams[0];
    let l = ledger.clone();
    group.bench_function("append, 8 writers on 1 team", |b| {
        b.to_async(rt).iter_custom(|iters| {
            let l = l.clone();
            concurrently(iters, move |_| {
                let l = l.clone();
                async move {
                    l.append(entry(one_team)).await.expect("append");
                }
            })
        })
    });
    let l = ledger.clone();
    let all = Arc::new(teams);
    group.bench_function("append, 8 writers on 8 teams", |b| {
        b.to_async(rt).iter_custom(|iters| {
            let (l, all) = (l.clone(), all.clone());
            concurrently(iters, move |w| {
                let (l, team) = (l.clone(), all[w]);
                async move {
                    l.append(entry(team)).await.expect("append");
                }
            })
        })
    });
    group.finish();
}

criterion_group!(benches, memory, stored);
criterion_main!(benches);
