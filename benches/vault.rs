//! tellwang-vault benchmarks, each beside its baseline in the same run:
//!
//! * `vault/memory-1KiB` — `put` and `get` of a 1 KiB secret on the
//!   in-memory store beside raw AES-256-GCM sealing and opening of the same
//!   bytes (fresh OS-random nonce, same-size associated data).
//! * `vault/sqlite-1KiB`, `vault/postgres-1KiB` — `put` and `get` beside a
//!   plain SQL `INSERT` and primary-key `SELECT` of the same 1 KiB on the
//!   same pool.
//! * `vault/rotate-100k-*` — a KEK rotation that rewraps 100,000 data keys,
//!   beside the floor: raw AES-GCM unwrap+wrap of 100,000 keys (memory), or
//!   plain batched `UPDATE`s of the same rows (SQL).
//!
//! ```text
//! cargo bench --bench vault
//! TELLWANG_TEST_POSTGRES_URL=postgres://… cargo bench --bench vault   # adds PostgreSQL
//! ```
#![allow(clippy::expect_used, reason = "a benchmark has nothing to do but stop when its setup fails")]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use criterion::{Criterion, criterion_group, criterion_main};
use sqlx::{Database, Pool, QueryBuilder};
use tellwang_core::{PrincipalId, Timestamp, WokId};
use tellwang_vault::{
    DataKey, DataKeyRecord, KeyProvider, LocalKeyProvider, MemoryStore, PostgresStore, SecretKind, SecretStore,
    SqliteStore, Vault,
};

const VALUE_LEN: usize = 1024;
const ROTATED_KEYS: usize = 100_000;
const NAME: &str = "BENCH_SECRET";
/// The same size as the vault's associated data for [`NAME`].
const AAD_LEN: usize = 1 + 22 + 16 + 1 + NAME.len() + 4 + 1 + 4 + 8;

const PLAIN_TABLE: &str = "CREATE TABLE bench_plain (wok_id TEXT NOT NULL, name TEXT NOT NULL, \
     version BIGINT NOT NULL, value BYTEA NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (wok_id, name, version))";
const PLAIN_INSERT: &str =
    "INSERT INTO bench_plain (wok_id, name, version, value, created_at) VALUES ($1, $2, $3, $4, $5)";
const PLAIN_SELECT: &str = "SELECT value FROM bench_plain WHERE wok_id = $1 AND name = $2 AND version = $3";
const PLAIN_REWRAP: &str = "UPDATE tw_vault_data_keys SET wrapped = $3 WHERE wok_id = $1 AND generation = $2";

fn new_keys() -> Arc<LocalKeyProvider> {
    Arc::new(LocalKeyProvider::from_keys("local", [(1, DataKey::generate().expect("key"))]).expect("keyring"))
}

fn value() -> Vec<u8> {
    (0..VALUE_LEN).map(|i| (i * 31 % 251) as u8).collect()
}

fn random_nonce() -> [u8; 12] {
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut nonce).expect("entropy");
    nonce
}

/// `put` timed over `iters` new versions of one secret, then (untimed) the
/// versions are deleted so the store does not grow across samples.
async fn timed_puts(vault: &Vault, wok: &WokId, value: &[u8], iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        black_box(vault.put(wok, NAME, SecretKind::EnvVar, black_box(value)).await.expect("put"));
    }
    let elapsed = start.elapsed();
    vault.delete(wok, NAME).await.expect("delete");
    elapsed
}

/// The plain-SQL twin of [`timed_puts`].
async fn timed_inserts<DB: Database>(pool: &Pool<DB>, wok: &str, value: &[u8], iters: u64) -> Duration
where
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'c> &'c Pool<DB>: sqlx::Executor<'c, Database = DB>,
{
    let start = Instant::now();
    for version in 0..iters {
        sqlx::query(PLAIN_INSERT)
            .bind(wok)
            .bind(NAME)
            .bind(version as i64 + 1)
            .bind(black_box(value))
            .bind(Timestamp::now().as_micros())
            .execute(pool)
            .await
            .expect("insert");
    }
    let elapsed = start.elapsed();
    sqlx::query("DELETE FROM bench_plain WHERE name = $1").bind(NAME).execute(pool).await.expect("delete");
    elapsed
}

fn bench_memory(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let value = value();
    let vault = Vault::from_shared(Arc::new(MemoryStore::new()), new_keys());
    let (wok, reader, stored) =
        (WokId::generate().expect("id"), PrincipalId::generate().expect("id"), WokId::generate().expect("id"));
    rt.block_on(vault.put(&stored, NAME, SecretKind::EnvVar, &value)).expect("put");
    let raw = Aes256Gcm::new_from_slice(DataKey::generate().expect("key").expose_secret()).expect("cipher");
    let aad = vec![7u8; AAD_LEN];
    let sealed_nonce = random_nonce();
    let sealed = raw.encrypt(&Nonce::from(sealed_nonce), Payload { msg: &value, aad: &aad }).expect("seal");

    let mut group = c.benchmark_group("vault/memory-1KiB");
    group.bench_function("baseline-aes-gcm-seal", |b| {
        b.iter(|| {
            let nonce = random_nonce();
            black_box(raw.encrypt(&Nonce::from(nonce), Payload { msg: black_box(&value), aad: &aad }).expect("seal"))
        })
    });
    group.bench_function("put", |b| b.to_async(rt).iter_custom(|iters| timed_puts(&vault, &wok, &value, iters)));
    group.bench_function("baseline-aes-gcm-open", |b| {
        b.iter(|| {
            black_box(
                raw.decrypt(&Nonce::from(sealed_nonce), Payload { msg: black_box(&sealed), aad: &aad }).expect("open"),
            )
        })
    });
    group.bench_function("get", |b| {
        b.to_async(rt).iter(|| async { black_box(vault.get(&reader, &stored, NAME).await.expect("get")) })
    });
    group.finish();
}

async fn plain_table<DB: Database>(pool: &Pool<DB>, wok: &str, value: &[u8])
where
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'c> &'c Pool<DB>: sqlx::Executor<'c, Database = DB>,
{
    sqlx::query(PLAIN_TABLE).execute(pool).await.expect("create");
    sqlx::query(PLAIN_INSERT)
        .bind(wok)
        .bind("STORED")
        .bind(1i64)
        .bind(value)
        .bind(Timestamp::now().as_micros())
        .execute(pool)
        .await
        .expect("insert");
}

fn bench_sql<DB: Database>(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    label: &str,
    store: Arc<dyn SecretStore>,
    pool: Pool<DB>,
) where
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Vec<u8>: sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'c> &'c Pool<DB>: sqlx::Executor<'c, Database = DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    let value = value();
    let vault = Vault::from_shared(store, new_keys());
    let (wok, reader, stored) =
        (WokId::generate().expect("id"), PrincipalId::generate().expect("id"), WokId::generate().expect("id"));
    rt.block_on(vault.put(&stored, NAME, SecretKind::EnvVar, &value)).expect("put");
    let plain_wok = WokId::generate().expect("id").to_string();
    rt.block_on(plain_table(&pool, &plain_wok, &value));

    let mut group = c.benchmark_group(format!("vault/{label}-1KiB"));
    group.bench_function("baseline-insert", |b| {
        b.to_async(rt).iter_custom(|iters| timed_inserts(&pool, &plain_wok, &value, iters))
    });
    group.bench_function("put", |b| b.to_async(rt).iter_custom(|iters| timed_puts(&vault, &wok, &value, iters)));
    group.bench_function("baseline-select", |b| {
        b.to_async(rt).iter(|| async {
            let row = sqlx::query_scalar::<DB, Vec<u8>>(PLAIN_SELECT)
                .bind(plain_wok.as_str())
                .bind("STORED")
                .bind(1i64)
                .fetch_one(&pool)
                .await
                .expect("select");
            black_box(row)
        })
    });
    group.bench_function("get", |b| {
        b.to_async(rt).iter(|| async { black_box(vault.get(&reader, &stored, NAME).await.expect("get")) })
    });
    group.finish();
}

/// 100,000 data keys, one per Wok, wrapped under `keys`' current version
/// with the associated data of docs/vault-format.md.
async fn data_keys(keys: &dyn KeyProvider) -> Vec<DataKeyRecord> {
    let mut records = Vec::with_capacity(ROTATED_KEYS);
    for _ in 0..ROTATED_KEYS {
        let (wok, key, created_at) =
            (WokId::generate().expect("id"), DataKey::generate().expect("key"), Timestamp::now());
        let commitment = key.commitment();
        let mut aad = vec![1u8];
        aad.extend_from_slice(b"tellwang/vault/data-key\0");
        aad.extend_from_slice(wok.as_bytes());
        aad.extend_from_slice(&1u32.to_be_bytes());
        aad.extend_from_slice(&commitment);
        aad.extend_from_slice(&created_at.as_micros().to_be_bytes());
        let wrapped = keys.wrap(&key, &aad).await.expect("wrap");
        records.push(DataKeyRecord { wok, generation: 1, wrapped, commitment, created_at });
    }
    records
}

/// Inserts the records in one transaction, 1,000 rows a statement (sqlx's
/// builder does not take a generic database here, hence a macro).
macro_rules! bulk_insert {
    ($db:ty, $pool:expr, $records:expr) => {{
        let mut tx = $pool.begin().await.expect("begin");
        for chunk in $records.chunks(1000) {
            let mut insert = QueryBuilder::<$db>::new(
                "INSERT INTO tw_vault_data_keys (wok_id, generation, kek_id, kek_version, wrapped, commitment, created_at) ",
            );
            insert.push_values(chunk, |mut row, key: &DataKeyRecord| {
                row.push_bind(key.wok.to_string())
                    .push_bind(i64::from(key.generation))
                    .push_bind(key.wrapped.kek_id.clone())
                    .push_bind(i64::from(key.wrapped.kek_version))
                    .push_bind(key.wrapped.blob.clone())
                    .push_bind(key.commitment.to_vec())
                    .push_bind(key.created_at.as_micros());
            });
            insert.build().execute(&mut *tx).await.expect("bulk insert");
        }
        tx.commit().await.expect("commit");
    }};
}

/// Times one full rotation per iteration; between iterations (untimed) the
/// version just left is retired so the keyring stays small.
async fn timed_rotations(vault: &Vault, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let old = vault.key_provider().current().await.expect("current").version;
        let start = Instant::now();
        let report = vault.rotate_kek().await.expect("rotate");
        total += start.elapsed();
        assert_eq!(report.rewrapped, ROTATED_KEYS as u64);
        vault.retire_kek(old).await.expect("retire");
    }
    total
}

/// The SQL floor of a rotation: the same batched `UPDATE`s, no cryptography.
async fn timed_plain_rewraps<DB: Database>(pool: &Pool<DB>, records: &[DataKeyRecord], iters: u64) -> Duration
where
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    let start = Instant::now();
    for _ in 0..iters {
        for chunk in records.chunks(1000) {
            let mut tx = pool.begin().await.expect("begin");
            for key in chunk {
                sqlx::query(PLAIN_REWRAP)
                    .bind(key.wok.to_string())
                    .bind(i64::from(key.generation))
                    .bind(key.wrapped.blob.as_slice())
                    .execute(&mut *tx)
                    .await
                    .expect("update");
            }
            tx.commit().await.expect("commit");
        }
    }
    start.elapsed()
}

fn bench_rotation_memory(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let keys = new_keys();
    let store = Arc::new(MemoryStore::new());
    let records = rt.block_on(data_keys(keys.as_ref()));
    for record in &records {
        rt.block_on(store.insert_data_key(record)).expect("insert");
    }
    let vault = Vault::from_shared(store, Arc::clone(&keys) as Arc<dyn KeyProvider>);
    let kek = Aes256Gcm::new_from_slice(DataKey::generate().expect("key").expose_secret()).expect("cipher");
    let aad = [3u8; 85];
    let raw: Vec<([u8; 12], Vec<u8>)> = (0..ROTATED_KEYS)
        .map(|i| {
            let nonce = random_nonce();
            (nonce, kek.encrypt(&Nonce::from(nonce), Payload { msg: &[i as u8; 32], aad: &aad }).expect("seal"))
        })
        .collect();

    let mut group = c.benchmark_group("vault/rotate-100k-memory");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    group.bench_function("baseline-aes-gcm-unwrap-wrap", |b| {
        b.iter(|| {
            for (nonce, sealed) in &raw {
                let key = kek.decrypt(&Nonce::from(*nonce), Payload { msg: sealed, aad: &aad }).expect("open");
                let fresh = random_nonce();
                black_box(kek.encrypt(&Nonce::from(fresh), Payload { msg: &key, aad: &aad }).expect("seal"));
            }
        })
    });
    group.bench_function("rotate_kek", |b| b.to_async(rt).iter_custom(|iters| timed_rotations(&vault, iters)));
    group.finish();
}

fn bench_rotation_sql<DB: Database>(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    label: &str,
    store: Arc<dyn SecretStore>,
    pool: Pool<DB>,
    keys: Arc<LocalKeyProvider>,
    records: Vec<DataKeyRecord>,
) where
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Vec<u8>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    let vault = Vault::from_shared(store, Arc::clone(&keys) as Arc<dyn KeyProvider>);

    let mut group = c.benchmark_group(format!("vault/rotate-100k-{label}"));
    group.sample_size(10).measurement_time(Duration::from_secs(30));
    group.bench_function("baseline-plain-updates", |b| {
        b.to_async(rt).iter_custom(|iters| timed_plain_rewraps(&pool, &records, iters))
    });
    group.bench_function("rotate_kek", |b| b.to_async(rt).iter_custom(|iters| timed_rotations(&vault, iters)));
    group.finish();
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    bench_memory(c, &rt);

    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = rt.block_on(SqliteStore::open(dir.path().join("bench.db"))).expect("sqlite");
    let pool = sqlite.pool().clone();
    bench_sql(c, &rt, "sqlite", Arc::new(sqlite), pool);
    let sqlite = rt.block_on(SqliteStore::open(dir.path().join("rotate.db"))).expect("sqlite");
    let pool = sqlite.pool().clone();
    let keys = new_keys();
    let records = rt.block_on(data_keys(keys.as_ref()));
    rt.block_on(async { bulk_insert!(sqlx::Sqlite, pool, records) });
    bench_rotation_sql(c, &rt, "sqlite", Arc::new(sqlite), pool, keys, records);
    bench_rotation_memory(c, &rt);

    // PostgreSQL, when a server is configured.
    let Some(pool) = rt.block_on(tellwang_core::testing::fresh_postgres_pool()) else { return };
    let postgres = rt.block_on(PostgresStore::from_pool(pool.clone())).expect("postgres");
    bench_sql(c, &rt, "postgres", Arc::new(postgres), pool);
    let Some(pool) = rt.block_on(tellwang_core::testing::fresh_postgres_pool()) else { return };
    let postgres = rt.block_on(PostgresStore::from_pool(pool.clone())).expect("postgres");
    let keys = new_keys();
    let records = rt.block_on(data_keys(keys.as_ref()));
    rt.block_on(async { bulk_insert!(sqlx::Postgres, pool, records) });
    bench_rotation_sql(c, &rt, "postgres", Arc::new(postgres), pool, keys, records);
}

criterion_group!(benches, bench);
criterion_main!(benches);
