//! No plaintext at rest or in output: known secret values are written, then
//! looked for in the raw SQLite files (database, WAL, shared memory), in a
//! PostgreSQL dump of the vault's tables and a text/hex `SELECT` of every
//! column, in the `Debug` and `Display` of every public type and error, and
//! in listings. Unwrapped data keys and the KEK are looked for too.

use std::path::Path;
use std::sync::Arc;

use tellwang_core::{PrincipalId, WokId};
use tellwang_vault::testing::{RawAccess, RecordingHook};
use tellwang_vault::{
    BackendError, DataKey, Error, KekRef, KeyProvider, LocalKeyProvider, MemoryStore, PostgresStore, ReadHook,
    SecretKind, SecretStore, SqliteStore, Vault,
};

/// Distinctive values, unique to this run, one per kind, several versions.
fn canaries() -> Result<Vec<(String, SecretKind, Vec<u8>)>, Error> {
    let run = hex::encode(WokId::generate()?.as_bytes());
    let mut all = Vec::new();
    for (i, kind) in SecretKind::ALL.into_iter().enumerate() {
        for version in 0..3 {
            let value = format!("canary-{kind}-{version}-{run}").into_bytes();
            all.push((format!("SECRET_{i}"), kind, value));
        }
    }
    // A long binary value too, past a page boundary.
    let mut big = format!("canary-binary-{run}-").into_bytes();
    big.extend((0..20_000u32).map(|i| (i % 251) as u8));
    all.push(("BINARY".to_owned(), SecretKind::EnvVar, big));
    Ok(all)
}

/// Needles to look for: each value as raw bytes, as lowercase hex (how a
/// bytea or a hex dump would show it), and a 24-byte slice of its middle.
fn needles(values: &[Vec<u8>]) -> Vec<(String, Vec<u8>)> {
    let mut all = Vec::new();
    for value in values {
        all.push(("raw value".to_owned(), value.clone()));
        all.push(("hex value".to_owned(), hex::encode(value).into_bytes()));
        if value.len() > 48 {
            let middle = value.len() / 2;
            all.push(("value slice".to_owned(), value[middle..middle + 24].to_vec()));
        }
    }
    all
}

fn assert_absent(haystack: &[u8], needles: &[(String, Vec<u8>)], place: &str) {
    for (what, needle) in needles {
        assert!(!haystack.windows(needle.len()).any(|w| w == needle.as_slice()), "a {what} was found in {place}");
    }
}

/// Writes every canary through `vault` into two Woks, with versions, a
/// delete, data-key generations, a shred of a third Wok and a KEK rotation.
async fn populate(vault: &Vault, canaries: &[(String, SecretKind, Vec<u8>)]) -> Result<(WokId, WokId), Error> {
    let (a, b, doomed) = (WokId::generate()?, WokId::generate()?, WokId::generate()?);
    for (name, kind, value) in canaries {
        vault.put(&a, name, *kind, value).await?;
        vault.put(&b, name, *kind, value).await?;
        vault.put(&doomed, name, *kind, value).await?;
    }
    vault.put(&a, "DELETED", SecretKind::EnvVar, &canaries[0].2).await?;
    vault.delete(&a, "DELETED").await?;
    vault.shred(&doomed).await?;
    // After the shred (which empties SQLite's WAL), so the WAL has pages to search.
    vault.rotate_kek().await?;
    for (name, kind, value) in canaries {
        vault.put(&b, name, *kind, value).await?;
    }
    Ok((a, b))
}

/// The unwrapped data keys of the given Woks, as needles.
async fn data_key_needles(
    store: &dyn SecretStore,
    keys: &dyn KeyProvider,
    woks: &[WokId],
) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let mut needles = Vec::new();
    for wok in woks {
        let latest = store.latest_data_key(wok).await?.ok_or(Error::NotFound)?;
        for generation in 1..=latest.generation {
            let record = store.data_key(wok, generation).await?.ok_or(Error::NotFound)?;
            let key = unwrap_with_doc_aad(keys, &record).await?;
            needles.push(("data key".to_owned(), key.expose_secret().to_vec()));
            needles.push(("data key hex".to_owned(), hex::encode(key.expose_secret()).into_bytes()));
        }
    }
    Ok(needles)
}

/// Unwraps a data key through the provider with the AAD of docs/vault-format.md.
async fn unwrap_with_doc_aad(keys: &dyn KeyProvider, record: &tellwang_vault::DataKeyRecord) -> Result<DataKey, Error> {
    let mut aad = vec![1u8];
    aad.extend_from_slice(b"tellwang/vault/data-key\0");
    aad.extend_from_slice(record.wok.as_bytes());
    aad.extend_from_slice(&record.generation.to_be_bytes());
    aad.extend_from_slice(&record.commitment);
    aad.extend_from_slice(&record.created_at.as_micros().to_be_bytes());
    keys.unwrap(&record.wrapped, &aad).await
}

fn read_if_exists(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

#[tokio::test]
async fn sqlite_files_hold_no_plaintext_and_no_key() -> Result<(), Error> {
    let dir = tempfile::tempdir().map_err(|e| Error::KekFile { what: "tempdir", source: e })?;
    let db = dir.path().join("vault.db");
    let keys = Arc::new(LocalKeyProvider::open_dir(dir.path().join("kek"))?);
    let store = Arc::new(SqliteStore::open(&db).await?);
    let vault =
        Vault::from_shared(Arc::clone(&store) as Arc<dyn SecretStore>, Arc::clone(&keys) as Arc<dyn KeyProvider>)
            .with_max_encryptions_per_key(5);
    let canaries = canaries()?;
    let (a, b) = populate(&vault, &canaries).await?;

    let values: Vec<Vec<u8>> = canaries.iter().map(|(_, _, v)| v.clone()).collect();
    let mut search = needles(&values);
    search.extend(data_key_needles(store.as_ref(), keys.as_ref(), &[a, b]).await?);
    for version in 1..=2 {
        let kek = std::fs::read(dir.path().join("kek").join(format!("kek-v{version}.key"))).unwrap_or_default();
        if !kek.is_empty() {
            search.push(("KEK".to_owned(), kek));
        }
    }
    assert!(search.iter().any(|(what, _)| what == "KEK"));

    // While the pool is open, so the WAL holds recent pages too.
    let mut files = 0;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let path = dir.path().join(format!("vault.db{suffix}"));
        let bytes = read_if_exists(&path);
        if path.exists() {
            files += 1;
            assert!(!bytes.is_empty() || suffix == "-shm", "vault.db{suffix} is empty: nothing was searched");
            assert_absent(&bytes, &search, &format!("vault.db{suffix}"));
        }
    }
    assert!(files >= 2, "expected the database and its WAL");
    // And after the pool is closed and everything checkpointed.
    store.pool().close().await;
    assert_absent(&read_if_exists(&db), &search, "vault.db after close");
    assert_absent(&read_if_exists(&dir.path().join("vault.db-wal")), &search, "vault.db-wal after close");
    Ok(())
}

#[tokio::test]
async fn shredded_wrapped_keys_leave_the_sqlite_files() -> Result<(), Error> {
    let dir = tempfile::tempdir().map_err(|e| Error::KekFile { what: "tempdir", source: e })?;
    let db = dir.path().join("vault.db");
    let store = Arc::new(SqliteStore::open(&db).await?);
    let vault =
        Vault::from_shared(Arc::clone(&store) as Arc<dyn SecretStore>, Arc::new(tellwang_vault::testing::test_keys()?));
    let (doomed, kept) = (WokId::generate()?, WokId::generate()?);
    vault.put(&doomed, "A", SecretKind::EnvVar, b"doomed").await?;
    vault.put(&kept, "A", SecretKind::EnvVar, b"kept").await?;
    let wrapped = store.latest_data_key(&doomed).await?.ok_or(Error::NotFound)?.wrapped.blob;
    let kept_wrapped = store.latest_data_key(&kept).await?.ok_or(Error::NotFound)?.wrapped.blob;
    let everything = |db: &Path| {
        let mut bytes = read_if_exists(db);
        bytes.extend(read_if_exists(&db.with_file_name("vault.db-wal")));
        bytes
    };
    assert!(everything(&db).windows(wrapped.len()).any(|w| w == wrapped.as_slice()), "the key was never written");
    vault.shred(&doomed).await?;
    let after = everything(&db);
    assert!(!after.windows(wrapped.len()).any(|w| w == wrapped.as_slice()), "the shredded wrapped key lingers");
    assert!(after.windows(kept_wrapped.len()).any(|w| w == kept_wrapped.as_slice()), "the kept key is gone");
    Ok(())
}

/// Finds a pg_dump for the server: `PG_DUMP`, then PostgreSQL 15's, then `PATH`.
fn pg_dump() -> Option<std::path::PathBuf> {
    let candidates = [
        std::env::var_os("PG_DUMP").map(Into::into),
        Some("/usr/lib/postgresql/15/bin/pg_dump".into()),
        Some("pg_dump".into()),
    ];
    candidates.into_iter().flatten().find(|path: &std::path::PathBuf| {
        std::process::Command::new(path).arg("--version").output().is_ok_and(|o| o.status.success())
    })
}

#[tokio::test]
async fn postgres_tables_hold_no_plaintext_and_no_key() -> Result<(), Error> {
    let Some(pool) = tellwang_core::testing::fresh_postgres_pool().await else { return Ok(()) };
    let keys = Arc::new(tellwang_vault::testing::test_keys()?);
    let store = Arc::new(PostgresStore::from_pool(pool.clone()).await?);
    let vault =
        Vault::from_shared(Arc::clone(&store) as Arc<dyn SecretStore>, Arc::clone(&keys) as Arc<dyn KeyProvider>)
            .with_max_encryptions_per_key(5);
    let canaries = canaries()?;
    let (a, b) = populate(&vault, &canaries).await?;
    let values: Vec<Vec<u8>> = canaries.iter().map(|(_, _, v)| v.clone()).collect();
    let mut search = needles(&values);
    search.extend(data_key_needles(store.as_ref(), keys.as_ref(), &[a, b]).await?);

    // Every column of every row, as PostgreSQL's own text form (bytea in hex).
    let mut text = String::new();
    for table in ["tw_vault_data_keys", "tw_vault_secrets", "tw_vault_shredded"] {
        let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT t::text FROM {table} t"))
            .fetch_all(&pool)
            .await
            .map_err(|e| Error::Backend(BackendError::new(e)))?;
        assert!(!rows.is_empty(), "{table} is empty");
        text.extend(rows.into_iter().map(|r| r + "\n"));
    }
    assert_absent(text.as_bytes(), &search, "SELECT of every column");

    // And a real dump of the tables, where pg_dump is installed.
    let database: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&pool)
        .await
        .map_err(|e| Error::Backend(BackendError::new(e)))?;
    let base = tellwang_core::testing::postgres_url().ok_or(Error::NotFound)?;
    let url = format!("{}/{database}", base.rsplit_once('/').map_or(base.as_str(), |(host, _)| host));
    match pg_dump() {
        Some(pg_dump) => {
            let out = std::process::Command::new(pg_dump)
                .args(["--data-only", "--table=tw_vault_*", "--dbname", &url])
                .output()
                .map_err(|e| Error::KekFile { what: "pg_dump", source: e })?;
            assert!(out.status.success(), "pg_dump failed: {}", String::from_utf8_lossy(&out.stderr));
            assert!(String::from_utf8_lossy(&out.stdout).contains("tw_vault_secrets"), "the dump is empty");
            assert_absent(&out.stdout, &search, "pg_dump of tw_vault_*");
        }
        None => eprintln!("NOTE: no pg_dump found; checked the SELECT of every column only"),
    }
    Ok(())
}

/// Every public type that can be printed, and every error, printed after a
/// real workload: no value appears, in `Debug`, `Display`, or listings.
#[tokio::test]
async fn debug_display_and_listings_hold_no_plaintext() -> Result<(), Error> {
    let canaries = canaries()?;
    let values: Vec<Vec<u8>> = canaries.iter().map(|(_, _, v)| v.clone()).collect();
    let search = needles(&values);
    let store = Arc::new(MemoryStore::new());
    let keys = Arc::new(LocalKeyProvider::from_keys("local", [(1, DataKey::generate()?)])?);
    let hook = Arc::new(RecordingHook::default());
    let vault =
        Vault::from_shared(Arc::clone(&store) as Arc<dyn SecretStore>, Arc::clone(&keys) as Arc<dyn KeyProvider>)
            .with_read_hook(Arc::clone(&hook) as Arc<dyn ReadHook>);
    let reader = PrincipalId::generate()?;
    let (a, _) = populate(&vault, &canaries).await?;
    let mut out = String::new();
    let mut print = |label: &str, debug: String, display: Option<String>| {
        out.push_str(&format!("{label}: {debug}\n"));
        if let Some(display) = display {
            out.push_str(&format!("{label}: {display}\n"));
        }
    };

    for (name, _, _) in &canaries {
        let value = vault.get(&reader, &a, name).await?;
        print("SecretValue", format!("{value:?} {value:#?}"), None);
        let record = store.secret(&a, name, None).await?.ok_or(Error::NotFound)?;
        print("SecretRecord", format!("{record:?} {record:#?}"), None);
        let key = store.data_key(&a, record.key_generation).await?.ok_or(Error::NotFound)?;
        print("DataKeyRecord", format!("{key:?}"), None);
        print("WrappedKey", format!("{:?}", key.wrapped), None);
        let data_key = unwrap_with_doc_aad(keys.as_ref(), &key).await?;
        print("DataKey", format!("{data_key:?}"), None);
        print("SecretKind", format!("{:?}", record.kind), Some(record.kind.to_string()));
    }
    let listing = vault.list(&a).await?;
    assert_eq!(listing.len(), 5);
    print("listing", format!("{listing:?}"), serde_json::to_string(&listing).ok());
    for event in hook.events() {
        print("ReadEvent", format!("{event:?}"), serde_json::to_string(&event).ok());
    }
    print("Vault", format!("{vault:?}"), None);
    print("LocalKeyProvider", format!("{keys:?}"), None);
    print("MemoryStore", format!("{store:?}"), None);
    print("KekRef", format!("{:?}", keys.current().await?), None);
    let rotation = vault.rotate_kek().await?;
    print("RotationReport", format!("{rotation:?}"), serde_json::to_string(&rotation).ok());
    let shred = vault.shred(&a).await?;
    print("ShredReport", format!("{shred:?}"), serde_json::to_string(&shred).ok());

    // Errors: the ones real failures produce, then every variant.
    let victim = store.secret(&a, "BINARY", None).await;
    print("after shred", format!("{victim:?}"), None);
    let b = WokId::generate()?;
    vault.put(&b, "X", SecretKind::EnvVar, &canaries[0].2).await?;
    let record = store.secret(&b, "X", None).await?.ok_or(Error::NotFound)?;
    let mut altered = record.clone();
    altered.ciphertext[0] ^= 1;
    store.replace_secret(&record, &altered).await?;
    let cold =
        Vault::from_shared(Arc::clone(&store) as Arc<dyn SecretStore>, Arc::clone(&keys) as Arc<dyn KeyProvider>)
            .with_cache_capacity(0);
    let errors = vec![
        cold.get(&reader, &b, "X").await.err(),
        vault.put(&b, "bad name", SecretKind::EnvVar, &canaries[1].2).await.err(),
        vault.put(&b, "BIG", SecretKind::EnvVar, &vec![0u8; 70_000]).await.err(),
        vault.get(&reader, &a, "X").await.err(),
        Vault::new(MemoryStore::new(), LocalKeyProvider::from_keys("x", [(1, DataKey::generate()?)])?)
            .get(&reader, &b, "X")
            .await
            .err(),
        Some(Error::UnwrapFailed),
        Some(Error::CommitmentMismatch),
        Some(Error::KekUnavailable { kek_id: "local".into(), version: 3 }),
        Some(Error::KekInUse { version: 1, data_keys: 4 }),
        Some(Error::InvalidKek { reason: "a key must be exactly 32 bytes" }),
        Some(Error::KekReadOnly),
        Some(Error::KekFile { what: "open", source: std::io::Error::other("denied") }),
        Some(Error::Conflict),
        Some(Error::Entropy),
        Some(Error::Corrupt { what: "nonce" }),
        Some(Error::Hook(BackendError::new(std::io::Error::other("ledger down")))),
        Some(Error::Provider(BackendError::new(std::io::Error::other("kms down")))),
        Some(Error::Backend(BackendError::new(std::io::Error::other("db down")))),
        Some(Error::NotFound),
        Some(Error::Shredded),
        Some(Error::AuthenticationFailed),
        LocalKeyProvider::from_keys("x", []).err(),
        keys.retire(&KekRef { kek_id: "local".into(), version: 2 }).await.err(),
    ];
    let mut printed = 0;
    for error in errors.into_iter().flatten() {
        print("Error", format!("{error:?} {error:#?}"), Some(error.to_string()));
        let mut source = std::error::Error::source(&error);
        while let Some(inner) = source {
            print("source", format!("{inner:?}"), Some(inner.to_string()));
            source = inner.source();
        }
        printed += 1;
    }
    assert!(printed >= 21, "only {printed} errors were printed");
    assert!(out.contains("AuthenticationFailed") && out.contains("authentication failed"));
    assert_absent(out.as_bytes(), &search, "Debug/Display output");
    Ok(())
}
