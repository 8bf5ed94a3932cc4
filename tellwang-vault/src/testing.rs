//! Test support: the [`SecretStore`] conformance suite and the vault's
//! property tests, written once and run against every backend (memory,
//! SQLite, PostgreSQL, and any store a host brings). Enabled by the
//! `testing` feature; not for production use.
//!
//! Call [`conformance`] with a fresh store from an async test, and
//! [`properties`] from a plain `#[test]` with a runtime and a fresh store
//! that also implements [`RawAccess`], the tampering door the properties use
//! to play an attacker with write access to the database.

use std::fmt::Display;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use tellwang_core::{PrincipalId, WokId};

use crate::crypto::data_key_associated_data;
use crate::{
    BackendError, DataKey, DataKeyRecord, Error, KekRef, KeyProvider, LocalKeyProvider, MAX_VALUE_LEN, ReadEvent,
    ReadHook, ReadOutcome, SecretKind, SecretRecord, SecretStore, Vault, WrappedKey,
};

/// Raw writes that no vault operation makes: replacing a stored record with
/// an altered one, as an attacker with write access to the database could.
#[async_trait]
pub trait RawAccess: Send + Sync {
    /// Replaces the secret stored at `old`'s (Wok, name, version) with `new`,
    /// every column included.
    async fn replace_secret(&self, old: &SecretRecord, new: &SecretRecord) -> Result<(), Error>;

    /// Replaces the wrapping, commitment and creation time of the data key at
    /// `old`'s (Wok, generation) with `new`'s.
    async fn replace_data_key(&self, old: &DataKeyRecord, new: &DataKeyRecord) -> Result<(), Error>;
}

/// A KEK provider for tests: a fresh in-memory keyring with one version.
pub fn test_keys() -> Result<LocalKeyProvider, Error> {
    LocalKeyProvider::from_keys("test", [(1, DataKey::generate()?)])
}

/// A [`ReadHook`] that remembers every event, and can be told to fail.
#[derive(Debug, Default)]
pub struct RecordingHook {
    events: Mutex<Vec<ReadEvent>>,
    failing: std::sync::atomic::AtomicBool,
}

impl RecordingHook {
    /// The events so far.
    pub fn events(&self) -> Vec<ReadEvent> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// Makes every later call fail (`true`) or succeed.
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }
}

#[async_trait]
impl ReadHook for RecordingHook {
    async fn secret_read(&self, event: &ReadEvent) -> Result<(), BackendError> {
        if let Ok(mut events) = self.events.lock() {
            events.push(event.clone());
        }
        if self.failing.load(Ordering::SeqCst) {
            return Err(BackendError::new(std::io::Error::other("audit ledger unavailable")));
        }
        Ok(())
    }
}

/// A provider that forwards to another but fails every `wrap` after the
/// first `allowed`: a rotation that dies part-way.
pub struct FailingAfter {
    inner: Arc<dyn KeyProvider>,
    allowed: usize,
    wraps: AtomicUsize,
}

impl FailingAfter {
    /// Wraps `inner`, allowing `allowed` more wraps.
    pub fn new(inner: Arc<dyn KeyProvider>, allowed: usize) -> Self {
        Self { inner, allowed, wraps: AtomicUsize::new(0) }
    }
}

#[async_trait]
impl KeyProvider for FailingAfter {
    async fn current(&self) -> Result<KekRef, Error> {
        self.inner.current().await
    }

    async fn wrap(&self, key: &DataKey, aad: &[u8]) -> Result<WrappedKey, Error> {
        if self.wraps.fetch_add(1, Ordering::SeqCst) >= self.allowed {
            return Err(Error::Provider(BackendError::new(std::io::Error::other("KMS went away"))));
        }
        self.inner.wrap(key, aad).await
    }

    async fn unwrap(&self, wrapped: &WrappedKey, aad: &[u8]) -> Result<DataKey, Error> {
        self.inner.unwrap(wrapped, aad).await
    }

    async fn rotate(&self) -> Result<KekRef, Error> {
        self.inner.rotate().await
    }

    async fn retire(&self, kek: &KekRef) -> Result<(), Error> {
        self.inner.retire(kek).await
    }
}

/// Runs every conformance check against a fresh, empty store.
pub async fn conformance(store: Arc<dyn SecretStore>) -> Result<(), Error> {
    let keys: Arc<dyn KeyProvider> = Arc::new(test_keys()?);
    let vault = Vault::from_shared(Arc::clone(&store), Arc::clone(&keys));
    versions_listing_and_delete(&vault).await?;
    bad_input(&vault).await?;
    data_keys_rotate_before_their_limit(Arc::clone(&store), Arc::clone(&keys)).await?;
    read_hook_sees_every_read(Arc::clone(&store), Arc::clone(&keys)).await?;
    concurrent_writers_get_distinct_versions(Arc::clone(&store), Arc::clone(&keys)).await?;
    wrong_and_missing_kek(Arc::clone(&store), Arc::clone(&keys)).await?;
    interrupted_rotation_leaves_everything_readable(Arc::clone(&store), Arc::clone(&keys)).await?;
    shred_is_final(store, keys).await?;
    Ok(())
}

/// Puts count versions up, `get` returns the latest, `get_version` any, the
/// listing carries metadata only, and delete removes every version.
pub async fn versions_listing_and_delete(vault: &Vault) -> Result<(), Error> {
    let (wok, other, reader) = (WokId::generate()?, WokId::generate()?, PrincipalId::generate()?);
    assert_eq!(vault.put(&wok, "JWT_SECRET", SecretKind::JwtSecret, b"one").await?, 1);
    assert_eq!(vault.put(&wok, "JWT_SECRET", SecretKind::JwtSecret, b"two").await?, 2);
    assert_eq!(vault.put(&wok, "A_ENV", SecretKind::EnvVar, b"").await?, 1);
    assert_eq!(vault.put(&other, "JWT_SECRET", SecretKind::JwtSecret, b"other").await?, 1);
    assert_eq!(vault.get(&reader, &wok, "JWT_SECRET").await?.expose_secret(), b"two");
    assert_eq!(vault.get_version(&reader, &wok, "JWT_SECRET", 1).await?.expose_secret(), b"one");
    assert_eq!(vault.get(&reader, &wok, "A_ENV").await?.expose_secret(), b"");
    assert!(matches!(vault.get_version(&reader, &wok, "JWT_SECRET", 3).await, Err(Error::NotFound)));
    assert!(matches!(vault.get(&reader, &wok, "MISSING").await, Err(Error::NotFound)));

    let listing = vault.list(&wok).await?;
    let names: Vec<(&str, SecretKind, u32)> = listing.iter().map(|m| (m.name.as_str(), m.kind, m.version)).collect();
    assert_eq!(names, vec![("A_ENV", SecretKind::EnvVar, 1), ("JWT_SECRET", SecretKind::JwtSecret, 2)]);
    assert!(listing[1].created_at <= listing[1].updated_at);
    assert_eq!(vault.list(&other).await?.len(), 1);
    assert!(vault.list(&WokId::generate()?).await?.is_empty());

    assert!(vault.delete(&wok, "JWT_SECRET").await?);
    assert!(!vault.delete(&wok, "JWT_SECRET").await?);
    assert!(matches!(vault.get(&reader, &wok, "JWT_SECRET").await, Err(Error::NotFound)));
    assert_eq!(vault.get(&reader, &other, "JWT_SECRET").await?.expose_secret(), b"other");
    assert_eq!(vault.list(&wok).await?.len(), 1);
    Ok(())
}

/// Bad names and oversized values are typed errors and store nothing; the
/// limit itself is accepted.
pub async fn bad_input(vault: &Vault) -> Result<(), Error> {
    let (wok, reader) = (WokId::generate()?, PrincipalId::generate()?);
    for bad in ["", "lower", "1ST", "A-B", "A B", "ÄB", &"X".repeat(129)] {
        assert!(matches!(vault.put(&wok, bad, SecretKind::EnvVar, b"v").await, Err(Error::InvalidName { .. })));
        assert!(matches!(vault.get(&reader, &wok, bad).await, Err(Error::InvalidName { .. })));
        assert!(matches!(vault.delete(&wok, bad).await, Err(Error::InvalidName { .. })));
    }
    let too_big = vec![7u8; MAX_VALUE_LEN + 1];
    assert!(matches!(
        vault.put(&wok, "BIG", SecretKind::EnvVar, &too_big).await,
        Err(Error::ValueTooLarge { len, max: MAX_VALUE_LEN }) if len == MAX_VALUE_LEN + 1
    ));
    assert!(vault.list(&wok).await?.is_empty());
    let at_limit = vec![9u8; MAX_VALUE_LEN];
    vault.put(&wok, "BIG", SecretKind::EnvVar, &at_limit).await?;
    assert_eq!(vault.get(&reader, &wok, "BIG").await?.expose_secret(), at_limit.as_slice());
    Ok(())
}

/// With a limit of 3 encryptions per data key, ten puts use four key
/// generations, and every version stays readable, through a cold cache too.
pub async fn data_keys_rotate_before_their_limit(
    store: Arc<dyn SecretStore>,
    keys: Arc<dyn KeyProvider>,
) -> Result<(), Error> {
    let vault = Vault::from_shared(Arc::clone(&store), Arc::clone(&keys)).with_max_encryptions_per_key(3);
    let (wok, reader) = (WokId::generate()?, PrincipalId::generate()?);
    for i in 0..10u32 {
        vault.put(&wok, "COUNTER", SecretKind::EnvVar, &i.to_be_bytes()).await?;
    }
    let latest = store.latest_data_key(&wok).await?.ok_or(Error::NotFound)?;
    assert_eq!(latest.generation, 4);
    // Encryptions are reserved a lease at a time (here the whole limit), so
    // every generation is at its limit and none can go past it.
    for generation in 1..=4 {
        assert!(store.reserve_encryptions(&wok, generation, 0, 3).await?, "generation {generation} is past its limit");
        assert!(!store.reserve_encryptions(&wok, generation, 1, 3).await?, "generation {generation}");
    }
    assert!(!store.reserve_encryptions(&wok, 5, 1, 3).await?, "a missing generation took a reservation");
    let cold = Vault::from_shared(store, keys).with_cache_capacity(0);
    for version in 1..=10u32 {
        let value = cold.get_version(&reader, &wok, "COUNTER", version).await?;
        assert_eq!(value.expose_secret(), &(version - 1).to_be_bytes());
    }
    Ok(())
}

/// Every read that finds a record reaches the hook, with the right outcome;
/// a failing hook withholds the value.
pub async fn read_hook_sees_every_read(store: Arc<dyn SecretStore>, keys: Arc<dyn KeyProvider>) -> Result<(), Error> {
    let hook = Arc::new(RecordingHook::default());
    let vault = Vault::from_shared(store, keys).with_read_hook(Arc::clone(&hook) as Arc<dyn ReadHook>);
    let (wok, reader) = (WokId::generate()?, PrincipalId::generate()?);
    vault.put(&wok, "OAUTH_CLIENT_SECRET", SecretKind::OauthClientSecret, b"s3cr3t").await?;
    vault.get(&reader, &wok, "OAUTH_CLIENT_SECRET").await?;
    assert!(matches!(vault.get(&reader, &wok, "NOPE").await, Err(Error::NotFound)));
    hook.set_failing(true);
    assert!(matches!(vault.get(&reader, &wok, "OAUTH_CLIENT_SECRET").await, Err(Error::Hook(_))));
    let events = hook.events();
    assert_eq!(events.len(), 2);
    for event in &events {
        assert_eq!((event.reader, event.wok, event.name.as_str()), (reader, wok, "OAUTH_CLIENT_SECRET"));
        assert_eq!(
            (event.version, event.kind, event.outcome),
            (1, SecretKind::OauthClientSecret, ReadOutcome::Released)
        );
    }
    Ok(())
}

/// Two vaults writing one name at once never lose a write.
pub async fn concurrent_writers_get_distinct_versions(
    store: Arc<dyn SecretStore>,
    keys: Arc<dyn KeyProvider>,
) -> Result<(), Error> {
    let a = Vault::from_shared(Arc::clone(&store), Arc::clone(&keys));
    let b = Vault::from_shared(store, keys);
    let wok = WokId::generate()?;
    let (left, right) = tokio::join!(
        async {
            let mut versions = Vec::new();
            for _ in 0..5 {
                versions.push(a.put(&wok, "SHARED", SecretKind::EnvVar, b"a").await?);
            }
            Ok::<_, Error>(versions)
        },
        async {
            let mut versions = Vec::new();
            for _ in 0..5 {
                versions.push(b.put(&wok, "SHARED", SecretKind::EnvVar, b"b").await?);
            }
            Ok::<_, Error>(versions)
        }
    );
    let mut all = left?;
    all.extend(right?);
    all.sort_unstable();
    assert_eq!(all, (1..=10).collect::<Vec<u32>>());

    // Stale ideas of the latest version never hide a newer write.
    let (reader, name) = (PrincipalId::generate()?, "STALE");
    assert_eq!(a.put(&wok, name, SecretKind::EnvVar, b"a1").await?, 1);
    assert_eq!(b.put(&wok, name, SecretKind::EnvVar, b"b2").await?, 2);
    assert_eq!(a.put(&wok, name, SecretKind::EnvVar, b"a3").await?, 3);
    assert!(b.delete(&wok, name).await?);
    assert_eq!(b.put(&wok, name, SecretKind::EnvVar, b"b1").await?, 1);
    let newest = a.put(&wok, name, SecretKind::EnvVar, b"a-newest").await?;
    assert_eq!(b.get(&reader, &wok, name).await?.expose_secret(), b"a-newest");
    assert_eq!(b.list(&wok).await?.iter().find(|m| m.name == name).map(|m| m.version), Some(newest));
    // The store itself refuses a version that is not the newest.
    let mut stale = a.store().secret(&wok, name, None).await?.ok_or(Error::NotFound)?;
    stale.version = 1;
    assert!(matches!(a.store().insert_secret(stale).await, Err(Error::Conflict)));
    Ok(())
}

/// A vault with another KEK cannot unwrap; one without the version cannot
/// find it; a data key swapped for another, validly wrapped, fails its
/// commitment.
pub async fn wrong_and_missing_kek(store: Arc<dyn SecretStore>, keys: Arc<dyn KeyProvider>) -> Result<(), Error> {
    let vault = Vault::from_shared(Arc::clone(&store), keys);
    let (wok, reader) = (WokId::generate()?, PrincipalId::generate()?);
    vault.put(&wok, "DATABASE_URL", SecretKind::EnvVar, b"postgres://u:p@h/db").await?;

    let hook = Arc::new(RecordingHook::default());
    let wrong = Vault::from_shared(Arc::clone(&store), Arc::new(test_keys()?))
        .with_read_hook(Arc::clone(&hook) as Arc<dyn ReadHook>);
    assert!(matches!(wrong.get(&reader, &wok, "DATABASE_URL").await, Err(Error::UnwrapFailed)));
    // The failed read is reported too: it may be someone probing with a stolen database.
    let events = hook.events();
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].outcome, events[0].wok, events[0].version), (ReadOutcome::Failed, wok, 1));
    let other_id = Vault::from_shared(Arc::clone(&store), Arc::new(test_keys()?.with_kek_id("elsewhere")));
    assert!(matches!(other_id.get(&reader, &wok, "DATABASE_URL").await, Err(Error::KekUnavailable { .. })));
    let later_only = LocalKeyProvider::from_keys("test", [(9, DataKey::generate()?)])?;
    let missing = Vault::from_shared(Arc::clone(&store), Arc::new(later_only));
    assert!(matches!(missing.get(&reader, &wok, "DATABASE_URL").await, Err(Error::KekUnavailable { .. })));
    assert_eq!(vault.get(&reader, &wok, "DATABASE_URL").await?.expose_secret(), b"postgres://u:p@h/db");
    Ok(())
}

/// A rotation whose provider dies part-way leaves every secret readable
/// (old version still held), refuses to retire the old version, and
/// finishes with [`Vault::rewrap_all`]; then the old version retires.
pub async fn interrupted_rotation_leaves_everything_readable(
    store: Arc<dyn SecretStore>,
    keys: Arc<dyn KeyProvider>,
) -> Result<(), Error> {
    let vault = Vault::from_shared(Arc::clone(&store), Arc::clone(&keys));
    let reader = PrincipalId::generate()?;
    let woks: Vec<WokId> = (0..4).map(|_| WokId::generate()).collect::<Result<_, _>>()?;
    for (i, wok) in woks.iter().enumerate() {
        vault.put(wok, "API_KEY", SecretKind::LlmApiKey, format!("value-{i}").as_bytes()).await?;
    }
    let old = keys.current().await?;
    let dying = Vault::from_shared(Arc::clone(&store), Arc::new(FailingAfter::new(Arc::clone(&keys), 2)));
    assert!(matches!(dying.rotate_kek().await, Err(Error::Provider(_))));
    let new = keys.current().await?;
    assert_eq!(new.version, old.version + 1);
    assert!(store.count_data_keys_under(&new.kek_id, new.version).await? == 2);
    let cold = Vault::from_shared(Arc::clone(&store), Arc::clone(&keys)).with_cache_capacity(0);
    for (i, wok) in woks.iter().enumerate() {
        assert_eq!(cold.get(&reader, wok, "API_KEY").await?.expose_secret(), format!("value-{i}").as_bytes());
    }
    assert!(matches!(vault.retire_kek(old.version).await, Err(Error::KekInUse { .. })));

    let finished = vault.rewrap_all().await?;
    assert!(finished.rewrapped >= 2);
    assert_eq!(store.count_data_keys_under(&old.kek_id, old.version).await?, 0);
    assert_eq!(vault.rewrap_all().await?.rewrapped, 0);
    vault.retire_kek(old.version).await?;
    for (i, wok) in woks.iter().enumerate() {
        assert_eq!(cold.get(&reader, wok, "API_KEY").await?.expose_secret(), format!("value-{i}").as_bytes());
    }
    Ok(())
}

/// After a shred: the Wok's secrets are gone and cannot be restored, its
/// key cannot be recreated or restored, other Woks are untouched, and once
/// the KEK is rotated and the old version retired, a backup copy of the
/// wrapped key no longer unwraps.
pub async fn shred_is_final(store: Arc<dyn SecretStore>, keys: Arc<dyn KeyProvider>) -> Result<(), Error> {
    let vault = Vault::from_shared(Arc::clone(&store), Arc::clone(&keys));
    let (doomed, kept, reader) = (WokId::generate()?, WokId::generate()?, PrincipalId::generate()?);
    vault.put(&doomed, "A", SecretKind::EnvVar, b"doomed-a").await?;
    vault.put(&doomed, "B", SecretKind::JwtSecret, b"doomed-b").await?;
    vault.put(&kept, "A", SecretKind::EnvVar, b"kept-a").await?;
    let backup_key = store.latest_data_key(&doomed).await?.ok_or(Error::NotFound)?;
    let backup_secret = store.secret(&doomed, "A", None).await?.ok_or(Error::NotFound)?;

    let report = vault.shred(&doomed).await?;
    assert_eq!((report.wok, report.data_keys_destroyed, report.secrets_deleted), (doomed, 1, 2));
    assert_eq!(report.wrapped_under, vec![keys.current().await?]);
    let again = vault.shred(&doomed).await?;
    assert_eq!((again.data_keys_destroyed, again.secrets_deleted), (0, 0));
    assert_eq!(again.shredded_at, report.shredded_at);

    assert!(matches!(vault.get(&reader, &doomed, "A").await, Err(Error::Shredded)));
    assert!(matches!(vault.put(&doomed, "C", SecretKind::EnvVar, b"new").await, Err(Error::Shredded)));
    assert!(vault.list(&doomed).await?.is_empty());
    assert!(matches!(store.insert_secret(backup_secret).await, Err(Error::Shredded)));
    assert!(matches!(store.insert_data_key(&backup_key).await, Err(Error::Shredded)));
    assert_eq!(vault.get(&reader, &kept, "A").await?.expose_secret(), b"kept-a");

    // The backup's wrapped key still opens under the old KEK version...
    let aad = data_key_associated_data(&doomed, 1, &backup_key.commitment, backup_key.created_at);
    keys.unwrap(&backup_key.wrapped, &aad).await?;
    // ...until a rotation moves every live key off it and it is retired.
    vault.rotate_kek().await?;
    vault.retire_kek(backup_key.wrapped.kek_version).await?;
    assert!(matches!(keys.unwrap(&backup_key.wrapped, &aad).await, Err(Error::KekUnavailable { .. })));
    assert_eq!(vault.get(&reader, &kept, "A").await?.expose_secret(), b"kept-a");
    Ok(())
}

fn fail(error: impl Display) -> TestCaseError {
    TestCaseError::fail(error.to_string())
}

/// A name strategy: valid env-var names.
pub fn names() -> impl Strategy<Value = String> {
    "[A-Z_][A-Z0-9_]{0,40}"
}

/// A kind strategy.
pub fn kinds() -> impl Strategy<Value = SecretKind> {
    proptest::sample::select(SecretKind::ALL.to_vec())
}

/// Which stored field a tamper case alters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// A bit of the sealed value (ciphertext or tag).
    Ciphertext,
    /// A bit of the nonce.
    Nonce,
    /// A bit of the Wok id (the record moves to another Wok).
    Wok,
    /// One of the low 7 bits of a name byte (the record is renamed).
    Name,
    /// A bit of the version.
    Version,
    /// The kind, changed to another.
    Kind,
    /// A bit of the key generation.
    KeyGeneration,
    /// The key generation, pointed at the Wok's other, real data key.
    OtherGeneration,
    /// A bit of the creation time.
    CreatedAt,
    /// A bit of the wrapped data key.
    WrappedKey,
    /// A bit of the KEK version the data key claims.
    KekVersion,
    /// One of the low 7 bits of a byte of the KEK id.
    KekId,
    /// A bit of the data key's commitment.
    Commitment,
    /// A bit of the data key's creation time.
    KeyCreatedAt,
}

const FIELDS: [Field; 14] = [
    Field::Ciphertext,
    Field::Nonce,
    Field::Wok,
    Field::Name,
    Field::Version,
    Field::Kind,
    Field::KeyGeneration,
    Field::OtherGeneration,
    Field::CreatedAt,
    Field::WrappedKey,
    Field::KekVersion,
    Field::KekId,
    Field::Commitment,
    Field::KeyCreatedAt,
];

fn flip(bytes: &mut [u8], bit: usize) {
    if !bytes.is_empty() {
        let bit = bit % (bytes.len() * 8);
        bytes[bit / 8] ^= 1 << (bit % 8);
    }
}

fn flip_ascii(text: &str, bit: usize) -> String {
    let mut bytes = text.as_bytes().to_vec();
    if !bytes.is_empty() {
        let bit = bit % (bytes.len() * 7);
        bytes[bit / 7] ^= 1 << (bit % 7);
    }
    // Flipping one of the low 7 bits of an ASCII byte keeps it ASCII.
    String::from_utf8_lossy(&bytes).into_owned()
}

fn outcome<T: std::fmt::Debug>(
    name: &str,
    result: Result<(), proptest::test_runner::TestError<T>>,
) -> Result<(), String> {
    result.map_err(|error| format!("property {name} failed: {error}"))
}

/// Runs every property against `store`, `cases` cases each (fewer for the
/// slow ones), blocking on `rt`. Returns the first failing case, shrunk, as text.
pub fn properties<S: SecretStore + RawAccess + 'static>(
    rt: &tokio::runtime::Runtime,
    store: Arc<S>,
    cases: u32,
) -> Result<(), String> {
    let keys: Arc<dyn KeyProvider> = Arc::new(test_keys().map_err(|e| e.to_string())?);
    let shared: Arc<dyn SecretStore> = Arc::clone(&store) as Arc<dyn SecretStore>;
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    let few = Config { cases: cases.clamp(1, 16), ..config.clone() };

    let values = proptest::collection::vec(any::<u8>(), 0..=MAX_VALUE_LEN);
    outcome(
        "round_trip",
        TestRunner::new(config.clone()).run(&(names(), kinds(), values), |(name, kind, value)| {
            rt.block_on(round_trip(&shared, &keys, name, kind, value))
        }),
    )?;
    let tampering = (proptest::sample::select(FIELDS.to_vec()), any::<usize>(), names(), 0usize..300);
    outcome(
        "tamper",
        TestRunner::new(config.clone())
            .run(&tampering, |(field, bit, name, len)| rt.block_on(tamper(&store, &keys, field, bit, name, len))),
    )?;
    outcome(
        "swap",
        TestRunner::new(config).run(&(names(), names(), any::<bool>()), |(a, b, across_woks)| {
            rt.block_on(swap(&store, &keys, a, b, across_woks))
        }),
    )?;
    outcome(
        "rotation",
        TestRunner::new(few.clone())
            .run(&(1usize..6, 0usize..8), |(woks, fail_after)| rt.block_on(rotation(&shared, &keys, woks, fail_after))),
    )?;
    outcome(
        "shred",
        TestRunner::new(few)
            .run(&(1usize..4, 1usize..4), |(doomed, kept)| rt.block_on(shred(&shared, &keys, doomed, kept))),
    )?;
    Ok(())
}

/// Any value up to the limit comes back exactly, through a cold cache too.
async fn round_trip(
    store: &Arc<dyn SecretStore>,
    keys: &Arc<dyn KeyProvider>,
    name: String,
    kind: SecretKind,
    value: Vec<u8>,
) -> Result<(), TestCaseError> {
    let (wok, reader) = (WokId::generate().map_err(fail)?, PrincipalId::generate().map_err(fail)?);
    let vault = Vault::from_shared(Arc::clone(store), Arc::clone(keys));
    let version = vault.put(&wok, &name, kind, &value).await.map_err(fail)?;
    prop_assert_eq!(version, 1);
    let warm = vault.get(&reader, &wok, &name).await.map_err(fail)?;
    prop_assert_eq!(warm.expose_secret(), value.as_slice());
    let cold = Vault::from_shared(Arc::clone(store), Arc::clone(keys)).with_cache_capacity(0);
    let unwrapped = cold.get(&reader, &wok, &name).await.map_err(fail)?;
    prop_assert_eq!(unwrapped.expose_secret(), value.as_slice());
    let listing = vault.list(&wok).await.map_err(fail)?;
    prop_assert_eq!(listing.len(), 1);
    prop_assert_eq!((&listing[0].name, listing[0].kind, listing[0].version), (&name, kind, 1));
    Ok(())
}

/// Reads `wok`/`name` (latest) with a cold cache; any success must be the original value.
async fn read_cold(
    store: &Arc<dyn SecretStore>,
    keys: &Arc<dyn KeyProvider>,
    wok: &WokId,
    name: &str,
    version: Option<u32>,
) -> Result<Option<Vec<u8>>, Error> {
    let cold = Vault::from_shared(Arc::clone(store), Arc::clone(keys)).with_cache_capacity(0);
    let reader = PrincipalId::generate()?;
    let value = match version {
        Some(version) => cold.get_version(&reader, wok, name, version).await,
        None => cold.get(&reader, wok, name).await,
    };
    match value {
        Ok(value) => Ok(Some(value.expose_secret().to_vec())),
        Err(_) => Ok(None),
    }
}

/// One altered field of a stored secret or data key: every read of it, at
/// its old place and at the place the alteration points to, is an error.
async fn tamper<S: SecretStore + RawAccess + 'static>(
    store: &Arc<S>,
    keys: &Arc<dyn KeyProvider>,
    field: Field,
    bit: usize,
    name: String,
    len: usize,
) -> Result<(), TestCaseError> {
    let shared: Arc<dyn SecretStore> = Arc::clone(store) as Arc<dyn SecretStore>;
    // One encryption per key, so the Wok has two data keys, one per secret.
    let vault = Vault::from_shared(Arc::clone(&shared), Arc::clone(keys)).with_max_encryptions_per_key(1);
    let wok = WokId::generate().map_err(fail)?;
    let value: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
    vault.put(&wok, &name, SecretKind::EnvVar, &value).await.map_err(fail)?;
    vault.put(&wok, "ZZ_OTHER", SecretKind::EnvVar, b"second").await.map_err(fail)?;
    let secret = store.secret(&wok, &name, None).await.map_err(fail)?.ok_or_else(|| fail("secret missing"))?;
    let key = store.data_key(&wok, secret.key_generation).await.map_err(fail)?.ok_or_else(|| fail("key missing"))?;
    prop_assert_eq!(read_cold(&shared, keys, &wok, &name, None).await.map_err(fail)?, Some(value.clone()));

    let mut altered = secret.clone();
    let mut altered_key = key.clone();
    match field {
        Field::Ciphertext => flip(&mut altered.ciphertext, bit),
        Field::Nonce => flip(&mut altered.nonce, bit),
        Field::Wok => {
            let mut bytes = *altered.wok.as_bytes();
            flip(&mut bytes, bit);
            altered.wok = WokId::from_bytes(bytes);
        }
        Field::Name => altered.name = flip_ascii(&altered.name, bit),
        Field::Version => {
            let mut bytes = altered.version.to_be_bytes();
            flip(&mut bytes, bit);
            altered.version = u32::from_be_bytes(bytes);
        }
        Field::Kind => {
            let others: Vec<SecretKind> = SecretKind::ALL.into_iter().filter(|k| *k != altered.kind).collect();
            altered.kind = others[bit % others.len()];
        }
        Field::KeyGeneration => {
            let mut bytes = altered.key_generation.to_be_bytes();
            flip(&mut bytes, bit);
            altered.key_generation = u32::from_be_bytes(bytes);
        }
        Field::OtherGeneration => altered.key_generation = if secret.key_generation == 1 { 2 } else { 1 },
        Field::CreatedAt => {
            let mut bytes = altered.created_at.as_micros().to_be_bytes();
            flip(&mut bytes, bit);
            altered.created_at = tellwang_core::Timestamp::from_micros(i64::from_be_bytes(bytes));
        }
        Field::WrappedKey => flip(&mut altered_key.wrapped.blob, bit),
        Field::KekVersion => {
            let mut bytes = altered_key.wrapped.kek_version.to_be_bytes();
            flip(&mut bytes, bit);
            altered_key.wrapped.kek_version = u32::from_be_bytes(bytes);
        }
        Field::KekId => altered_key.wrapped.kek_id = flip_ascii(&altered_key.wrapped.kek_id, bit),
        Field::Commitment => flip(&mut altered_key.commitment, bit),
        Field::KeyCreatedAt => {
            let mut bytes = altered_key.created_at.as_micros().to_be_bytes();
            flip(&mut bytes, bit);
            altered_key.created_at = tellwang_core::Timestamp::from_micros(i64::from_be_bytes(bytes));
        }
    }
    let replaced = if altered_key != key {
        store.replace_data_key(&key, &altered_key).await
    } else {
        store.replace_secret(&secret, &altered).await
    };
    // A store that refuses the alteration (a key collision, say) has kept the
    // original, which must still read back correctly.
    let expected_if_untouched = if replaced.is_err() { Some(value.clone()) } else { None };
    prop_assert_eq!(read_cold(&shared, keys, &wok, &name, None).await.map_err(fail)?, expected_if_untouched.clone());
    prop_assert_eq!(read_cold(&shared, keys, &wok, &name, Some(1)).await.map_err(fail)?, expected_if_untouched);
    if replaced.is_ok() && altered_key == key {
        let moved = read_cold(&shared, keys, &altered.wok, &altered.name, Some(altered.version)).await.map_err(fail)?;
        prop_assert_eq!(moved, None, "the altered record opened at its new place");
    }
    // Leave no altered key behind for later rotations to trip over.
    vault.shred(&wok).await.map_err(fail)?;
    Ok(())
}

/// Two secrets' sealed values (nonce and ciphertext) swapped, between Woks
/// or between names of one Wok: neither opens.
async fn swap<S: SecretStore + RawAccess + 'static>(
    store: &Arc<S>,
    keys: &Arc<dyn KeyProvider>,
    a: String,
    b: String,
    across_woks: bool,
) -> Result<(), TestCaseError> {
    prop_assume!(across_woks || a != b);
    let shared: Arc<dyn SecretStore> = Arc::clone(store) as Arc<dyn SecretStore>;
    let vault = Vault::from_shared(Arc::clone(&shared), Arc::clone(keys));
    let wok_a = WokId::generate().map_err(fail)?;
    let wok_b = if across_woks { WokId::generate().map_err(fail)? } else { wok_a };
    vault.put(&wok_a, &a, SecretKind::EnvVar, b"value of a").await.map_err(fail)?;
    vault.put(&wok_b, &b, SecretKind::EnvVar, b"value of b").await.map_err(fail)?;
    let ra = store.secret(&wok_a, &a, None).await.map_err(fail)?.ok_or_else(|| fail("a missing"))?;
    let rb = store.secret(&wok_b, &b, None).await.map_err(fail)?.ok_or_else(|| fail("b missing"))?;
    let mut na = ra.clone();
    let mut nb = rb.clone();
    std::mem::swap(&mut na.nonce, &mut nb.nonce);
    std::mem::swap(&mut na.ciphertext, &mut nb.ciphertext);
    store.replace_secret(&ra, &na).await.map_err(fail)?;
    store.replace_secret(&rb, &nb).await.map_err(fail)?;
    prop_assert_eq!(read_cold(&shared, keys, &wok_a, &a, None).await.map_err(fail)?, None);
    prop_assert_eq!(read_cold(&shared, keys, &wok_b, &b, None).await.map_err(fail)?, None);
    vault.shred(&wok_a).await.map_err(fail)?;
    vault.shred(&wok_b).await.map_err(fail)?;
    Ok(())
}

/// Secrets in several Woks stay readable through a rotation interrupted
/// after `fail_after` rewraps, then through its completion and the old
/// version's retirement.
async fn rotation(
    store: &Arc<dyn SecretStore>,
    keys: &Arc<dyn KeyProvider>,
    woks: usize,
    fail_after: usize,
) -> Result<(), TestCaseError> {
    let vault = Vault::from_shared(Arc::clone(store), Arc::clone(keys));
    let mut placed = Vec::new();
    for i in 0..woks {
        let wok = WokId::generate().map_err(fail)?;
        let value = format!("secret {i}").into_bytes();
        vault.put(&wok, "ROTATED", SecretKind::EnvVar, &value).await.map_err(fail)?;
        placed.push((wok, value));
    }
    let old = keys.current().await.map_err(fail)?;
    let dying = Vault::from_shared(Arc::clone(store), Arc::new(FailingAfter::new(Arc::clone(keys), fail_after)));
    let interrupted = dying.rotate_kek().await.is_err();
    for (wok, value) in &placed {
        prop_assert_eq!(read_cold(store, keys, wok, "ROTATED", None).await.map_err(fail)?, Some(value.clone()));
    }
    if interrupted {
        let early = vault.retire_kek(old.version).await;
        prop_assert!(matches!(early, Err(Error::KekInUse { .. })), "retired a KEK still in use");
        vault.rewrap_all().await.map_err(fail)?;
    }
    vault.retire_kek(old.version).await.map_err(fail)?;
    for (wok, value) in &placed {
        prop_assert_eq!(read_cold(store, keys, wok, "ROTATED", None).await.map_err(fail)?, Some(value.clone()));
    }
    Ok(())
}

/// After shredding some Woks, none of their secrets open and every secret
/// of the other Woks does.
async fn shred(
    store: &Arc<dyn SecretStore>,
    keys: &Arc<dyn KeyProvider>,
    doomed: usize,
    kept: usize,
) -> Result<(), TestCaseError> {
    let vault = Vault::from_shared(Arc::clone(store), Arc::clone(keys));
    let reader = PrincipalId::generate().map_err(fail)?;
    let mut woks = Vec::new();
    for i in 0..doomed + kept {
        let wok = WokId::generate().map_err(fail)?;
        vault.put(&wok, "X", SecretKind::EnvVar, format!("x{i}").as_bytes()).await.map_err(fail)?;
        vault.put(&wok, "Y", SecretKind::EnvVar, format!("y{i}").as_bytes()).await.map_err(fail)?;
        woks.push(wok);
    }
    for wok in &woks[..doomed] {
        let report = vault.shred(wok).await.map_err(fail)?;
        prop_assert_eq!((report.data_keys_destroyed, report.secrets_deleted), (1, 2));
    }
    for (i, wok) in woks.iter().enumerate() {
        for name in ["X", "Y"] {
            let read = vault.get(&reader, wok, name).await;
            if i < doomed {
                prop_assert!(matches!(read, Err(Error::Shredded)), "a shredded wok's secret did not say so");
                prop_assert_eq!(read_cold(store, keys, wok, name, None).await.map_err(fail)?, None);
            } else {
                let expected = format!("{}{i}", name.to_lowercase());
                let value = read.map_err(fail)?;
                prop_assert_eq!(value.expose_secret(), expected.as_bytes());
            }
        }
    }
    Ok(())
}
