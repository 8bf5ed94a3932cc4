//! The [`Vault`]: everything between the caller and the two seams — input
//! rules, data-key management, sealing, opening, rotation, shredding.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use tellwang_core::{PrincipalId, Timestamp, WokId};

use crate::cache::CipherCache;
use crate::crypto::{Cipher, SecretPlace, data_key_associated_data};
use crate::{
    DataKey, DataKeyRecord, Error, KekRef, KeyProvider, ReadEvent, ReadHook, ReadOutcome, RotationReport, SecretKind,
    SecretMeta, SecretRecord, SecretStore, SecretValue, ShredReport, name,
};

/// The largest secret value, in bytes (64 KiB).
pub const MAX_VALUE_LEN: usize = 64 * 1024;

/// The most encryptions one data key may ever perform: 2^28, a sixteenth of
/// the 2^32 bound NIST SP 800-38D sets for AES-GCM with random 96-bit
/// nonces. A Wok whose key reaches it gets a new key generation.
pub const MAX_ENCRYPTIONS_PER_KEY: u64 = 1 << 28;

/// How many encryptions a vault reserves from the store at once, so that the
/// durable counter costs one write per this many puts, not one per put.
/// Reservations unused when a process stops are simply lost: the count only
/// ever overstates.
const LEASE: u64 = 1024;

/// How many data keys a rotation rewraps per store transaction.
const ROTATION_BATCH: u32 = 1000;

/// How many times a write that lost a race (same version, same generation)
/// is retried before [`Error::Conflict`] is returned.
const RETRIES: usize = 8;

/// How many (Wok, name) latest-version hints a vault keeps before starting over.
const VERSION_HINTS: usize = 65_536;

/// Encryptions reserved but not yet spent under a Wok's newest data key.
struct Lease {
    generation: u32,
    remaining: u64,
}

/// Per-Wok secrets under envelope encryption. See the crate docs for an
/// example and docs/vault-format.md for the bytes.
pub struct Vault {
    store: Arc<dyn SecretStore>,
    keys: Arc<dyn KeyProvider>,
    hook: Option<Arc<dyn ReadHook>>,
    cache: CipherCache,
    leases: Mutex<HashMap<WokId, Lease>>,
    /// The latest version this vault wrote or saw per secret, so that a put
    /// is one insert; a wrong hint costs a conflict and a re-read, never a
    /// wrong version (the store refuses anything but a new highest).
    versions: Mutex<HashMap<WokId, HashMap<String, u32>>>,
    max_encryptions: u64,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("cached_keys", &self.cache.len())
            .field("max_encryptions", &self.max_encryptions)
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// A vault over `store`, wrapping data keys with `keys`, with no read
    /// hook and a cache of 1024 unwrapped data keys.
    pub fn new(store: impl SecretStore + 'static, keys: impl KeyProvider + 'static) -> Self {
        Self::from_shared(Arc::new(store), Arc::new(keys))
    }

    /// Like [`Vault::new`], over a store and provider shared with others.
    pub fn from_shared(store: Arc<dyn SecretStore>, keys: Arc<dyn KeyProvider>) -> Self {
        Self {
            store,
            keys,
            hook: None,
            cache: CipherCache::new(1024),
            leases: Mutex::new(HashMap::new()),
            versions: Mutex::new(HashMap::new()),
            max_encryptions: MAX_ENCRYPTIONS_PER_KEY,
        }
    }

    /// Reports every read to `hook` (wire it to the audit ledger).
    pub fn with_read_hook(mut self, hook: Arc<dyn ReadHook>) -> Self {
        self.hook = Some(hook);
        self
    }

    /// Keeps at most `capacity` unwrapped data keys in memory (0: none, so
    /// every operation unwraps through the provider).
    pub fn with_cache_capacity(mut self, capacity: usize) -> Self {
        self.cache = CipherCache::new(capacity);
        self
    }

    /// Rotates a Wok's data key after `limit` encryptions (at least 1, at
    /// most [`MAX_ENCRYPTIONS_PER_KEY`], which is the default).
    pub fn with_max_encryptions_per_key(mut self, limit: u64) -> Self {
        self.max_encryptions = limit.clamp(1, MAX_ENCRYPTIONS_PER_KEY);
        self
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn SecretStore> {
        &self.store
    }

    /// The KEK provider.
    pub fn key_provider(&self) -> &Arc<dyn KeyProvider> {
        &self.keys
    }

    /// Stores `value` as the next version of the Wok's secret `name` and
    /// returns that version (1 for a new name).
    pub async fn put(&self, wok: &WokId, name: &str, kind: SecretKind, value: &[u8]) -> Result<u32, Error> {
        name::validate(name)?;
        if value.len() > MAX_VALUE_LEN {
            return Err(Error::ValueTooLarge { len: value.len(), max: MAX_VALUE_LEN });
        }
        let mut version = self.version_hint(wok, name).map_or(Some(1), |v| v.checked_add(1));
        for _ in 0..RETRIES {
            let version_now = version.ok_or(Error::Corrupt { what: "secret version" })?;
            let (generation, cipher) = self.sealing_key(wok).await?;
            let created_at = Timestamp::now();
            let place = SecretPlace { wok, name, version: version_now, kind, key_generation: generation, created_at };
            let (nonce, ciphertext) = cipher.seal(&place.associated_data()?, value)?;
            let record = SecretRecord {
                wok: *wok,
                name: name.to_owned(),
                version: version_now,
                kind,
                key_generation: generation,
                nonce,
                ciphertext,
                created_at,
            };
            match self.store.insert_secret(record).await {
                Ok(()) => {
                    self.set_version_hint(wok, name, Some(version_now));
                    return Ok(version_now);
                }
                // Not the newest after all: read the latest and seal again for the next.
                Err(Error::Conflict) => {
                    version = self.store.latest_version(wok, name).await?.map_or(Some(1), |v| v.checked_add(1));
                }
                Err(Error::Shredded) => {
                    self.forget(wok);
                    return Err(self.shredded_or(wok, Error::Conflict).await);
                }
                Err(other) => return Err(other),
            }
        }
        Err(Error::Conflict)
    }

    fn version_hint(&self, wok: &WokId, name: &str) -> Option<u32> {
        self.versions.lock().ok()?.get(wok)?.get(name).copied()
    }

    fn set_version_hint(&self, wok: &WokId, name: &str, version: Option<u32>) {
        let Ok(mut versions) = self.versions.lock() else { return };
        match (version, versions.get_mut(wok)) {
            (Some(version), Some(names)) => match names.get_mut(name) {
                Some(hint) => *hint = version,
                None => {
                    names.insert(name.to_owned(), version);
                }
            },
            (Some(version), None) => {
                if versions.len() >= VERSION_HINTS {
                    versions.clear();
                }
                versions.insert(*wok, HashMap::from([(name.to_owned(), version)]));
            }
            (None, Some(names)) => {
                names.remove(name);
            }
            (None, None) => {}
        }
    }

    /// The latest version of the Wok's secret `name`, read on behalf of
    /// `reader` and reported to the read hook.
    pub async fn get(&self, reader: &PrincipalId, wok: &WokId, name: &str) -> Result<SecretValue, Error> {
        self.read(reader, wok, name, None).await
    }

    /// One version of the Wok's secret `name`, like [`Vault::get`].
    pub async fn get_version(
        &self,
        reader: &PrincipalId,
        wok: &WokId,
        name: &str,
        version: u32,
    ) -> Result<SecretValue, Error> {
        self.read(reader, wok, name, Some(version)).await
    }

    async fn read(
        &self,
        reader: &PrincipalId,
        wok: &WokId,
        name: &str,
        version: Option<u32>,
    ) -> Result<SecretValue, Error> {
        name::validate(name)?;
        let Some(record) = self.store.secret(wok, name, version).await? else {
            return Err(self.shredded_or(wok, Error::NotFound).await);
        };
        let opened = self.open(&record).await;
        if let Some(hook) = &self.hook {
            let event = ReadEvent {
                reader: *reader,
                wok: *wok,
                name: record.name.clone(),
                version: record.version,
                kind: record.kind,
                at: Timestamp::now(),
                outcome: if opened.is_ok() { ReadOutcome::Released } else { ReadOutcome::Failed },
            };
            let reported = hook.secret_read(&event).await;
            let value = opened?;
            reported.map_err(Error::Hook)?;
            return Ok(value);
        }
        opened
    }

    async fn open(&self, record: &SecretRecord) -> Result<SecretValue, Error> {
        let cipher = self.opening_key(&record.wok, record.key_generation).await?;
        let place = SecretPlace {
            wok: &record.wok,
            name: &record.name,
            version: record.version,
            kind: record.kind,
            key_generation: record.key_generation,
            created_at: record.created_at,
        };
        // A name that breaks the rules can only come from an altered record.
        let aad = place.associated_data().map_err(|_| Error::AuthenticationFailed)?;
        Ok(SecretValue::new(cipher.open(&record.nonce, &aad, &record.ciphertext)?))
    }

    /// The Wok's secrets: names, kinds, versions and times — never values.
    pub async fn list(&self, wok: &WokId) -> Result<Vec<SecretMeta>, Error> {
        self.store.list_secrets(wok).await
    }

    /// Deletes every version of the Wok's secret `name`. `Ok(false)` if there
    /// was none.
    pub async fn delete(&self, wok: &WokId, name: &str) -> Result<bool, Error> {
        name::validate(name)?;
        self.set_version_hint(wok, name, None);
        Ok(self.store.delete_secret(wok, name).await? > 0)
    }

    /// Crypto-shreds the Wok: destroys every generation of its data key and
    /// deletes its secrets, and refuses it new secrets from then on. Returns
    /// what was destroyed; shredding twice reports nothing more destroyed.
    ///
    /// A backup taken before the shred still holds the Wok's wrapped keys,
    /// openable with the KEK versions listed in
    /// [`ShredReport::wrapped_under`]. To make those copies unreadable too,
    /// call [`Vault::rotate_kek`] and then [`Vault::retire_kek`] for each.
    pub async fn shred(&self, wok: &WokId) -> Result<ShredReport, Error> {
        self.forget(wok);
        let mut wrapped_under: Vec<KekRef> = Vec::new();
        if let Some(latest) = self.store.latest_data_key(wok).await? {
            for generation in 1..=latest.generation {
                if let Some(key) = self.store.data_key(wok, generation).await? {
                    let kek = KekRef { kek_id: key.wrapped.kek_id, version: key.wrapped.kek_version };
                    if !wrapped_under.contains(&kek) {
                        wrapped_under.push(kek);
                    }
                }
            }
        }
        let at = Timestamp::now();
        let (data_keys_destroyed, secrets_deleted) = self.store.shred(wok, at).await?;
        self.forget(wok);
        let shredded_at = self.store.shredded_at(wok).await?.unwrap_or(at);
        Ok(ShredReport { wok: *wok, data_keys_destroyed, secrets_deleted, shredded_at, wrapped_under })
    }

    /// Makes a new KEK version current at the provider, then rewraps every
    /// data key under it. Secret ciphertexts are not touched.
    ///
    /// Each batch of rewraps commits on its own, and the old version stays
    /// at the provider until [`Vault::retire_kek`], so a rotation stopped at
    /// any point leaves every secret readable; [`Vault::rewrap_all`] finishes it.
    pub async fn rotate_kek(&self) -> Result<RotationReport, Error> {
        self.keys.rotate().await?;
        self.rewrap_all().await
    }

    /// Rewraps every data key that is not yet under the provider's current
    /// KEK version: finishes an interrupted rotation, or adopts a version the
    /// provider's operator made current.
    pub async fn rewrap_all(&self) -> Result<RotationReport, Error> {
        let current = self.keys.current().await?;
        let mut after = None;
        let mut rewrapped = 0;
        loop {
            let batch = self.store.data_keys_not_under(&current.kek_id, current.version, after, ROTATION_BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = Some((last.wok, last.generation));
            let mut rewraps = Vec::with_capacity(batch.len());
            for record in batch {
                match self.rewrap(&record).await {
                    Ok(wrapped) => rewraps.push((record, wrapped)),
                    Err(error) => {
                        // Keep the work done so far; a rerun resumes after it.
                        self.store.rewrap_data_keys(&rewraps).await?;
                        return Err(error);
                    }
                }
            }
            rewrapped += self.store.rewrap_data_keys(&rewraps).await?;
        }
        Ok(RotationReport { kek_id: current.kek_id, kek_version: current.version, rewrapped })
    }

    async fn rewrap(&self, record: &DataKeyRecord) -> Result<crate::WrappedKey, Error> {
        let aad = data_key_associated_data(&record.wok, record.generation, &record.commitment, record.created_at);
        let key = self.keys.unwrap(&record.wrapped, &aad).await?;
        key.check_commitment(&record.commitment)?;
        self.keys.wrap(&key, &aad).await
    }

    /// Retires an old version of the current KEK at the provider, once no
    /// data key is wrapped under it ([`Error::KekInUse`] otherwise).
    pub async fn retire_kek(&self, version: u32) -> Result<(), Error> {
        let current = self.keys.current().await?;
        let data_keys = self.store.count_data_keys_under(&current.kek_id, version).await?;
        if data_keys > 0 {
            return Err(Error::KekInUse { version, data_keys });
        }
        self.keys.retire(&KekRef { kek_id: current.kek_id, version }).await
    }

    /// The generation and cipher to seal the Wok's next secret with, spending
    /// one reserved encryption; makes a new generation when the newest is
    /// used up or the Wok has none.
    async fn sealing_key(&self, wok: &WokId) -> Result<(u32, Arc<Cipher>), Error> {
        if let Some(generation) = self.take_leased(wok)? {
            return Ok((generation, self.opening_key(wok, generation).await?));
        }
        let lease = LEASE.min(self.max_encryptions);
        for _ in 0..RETRIES {
            let (generation, cipher) = match self.store.latest_data_key(wok).await? {
                Some(key)
                    if self.store.reserve_encryptions(wok, key.generation, lease, self.max_encryptions).await? =>
                {
                    (key.generation, self.unwrap_record(&key).await?)
                }
                latest => {
                    let next = match latest {
                        None => 1,
                        Some(key) => key.generation.checked_add(1).ok_or(Error::Corrupt { what: "key generation" })?,
                    };
                    match self.create_data_key(wok, next).await {
                        Ok(cipher) => {
                            if !self.store.reserve_encryptions(wok, next, lease, self.max_encryptions).await? {
                                continue;
                            }
                            (next, cipher)
                        }
                        // Another writer made this generation first: use theirs.
                        Err(Error::Conflict) => continue,
                        Err(other) => return Err(other),
                    }
                }
            };
            self.leases
                .lock()
                .map_err(|_| Error::Corrupt { what: "lease table (a panic poisoned its lock)" })?
                .insert(*wok, Lease { generation, remaining: lease - 1 });
            return Ok((generation, cipher));
        }
        Err(Error::Conflict)
    }

    fn take_leased(&self, wok: &WokId) -> Result<Option<u32>, Error> {
        let mut leases = self.leases.lock().map_err(|_| Error::Corrupt { what: "lease table" })?;
        match leases.get_mut(wok) {
            Some(lease) if lease.remaining > 0 => {
                lease.remaining -= 1;
                Ok(Some(lease.generation))
            }
            _ => Ok(None),
        }
    }

    async fn create_data_key(&self, wok: &WokId, generation: u32) -> Result<Arc<Cipher>, Error> {
        let key = DataKey::generate()?;
        let commitment = key.commitment();
        let created_at = Timestamp::now();
        let aad = data_key_associated_data(wok, generation, &commitment, created_at);
        let wrapped = self.keys.wrap(&key, &aad).await?;
        let record = DataKeyRecord { wok: *wok, generation, wrapped, commitment, created_at };
        self.store.insert_data_key(&record).await?;
        let cipher = Arc::new(key.cipher());
        self.cache.insert(wok, generation, Arc::clone(&cipher));
        Ok(cipher)
    }

    /// The cipher of one generation of the Wok's data key, from the cache or
    /// unwrapped from the store. A missing key means the record that named
    /// it was altered (or the Wok shredded).
    async fn opening_key(&self, wok: &WokId, generation: u32) -> Result<Arc<Cipher>, Error> {
        if let Some(cipher) = self.cache.get(wok, generation) {
            return Ok(cipher);
        }
        match self.store.data_key(wok, generation).await? {
            Some(record) => self.unwrap_record(&record).await,
            None => Err(self.shredded_or(wok, Error::AuthenticationFailed).await),
        }
    }

    async fn unwrap_record(&self, record: &DataKeyRecord) -> Result<Arc<Cipher>, Error> {
        if let Some(cipher) = self.cache.get(&record.wok, record.generation) {
            return Ok(cipher);
        }
        let aad = data_key_associated_data(&record.wok, record.generation, &record.commitment, record.created_at);
        let key = self.keys.unwrap(&record.wrapped, &aad).await?;
        key.check_commitment(&record.commitment)?;
        let cipher = Arc::new(key.cipher());
        self.cache.insert(&record.wok, record.generation, Arc::clone(&cipher));
        Ok(cipher)
    }

    /// [`Error::Shredded`] if the Wok was shredded, else `otherwise`.
    async fn shredded_or(&self, wok: &WokId, otherwise: Error) -> Error {
        match self.store.shredded_at(wok).await {
            Ok(Some(_)) => Error::Shredded,
            Ok(None) => otherwise,
            Err(error) => error,
        }
    }

    /// Drops the Wok's cached ciphers and unspent lease.
    fn forget(&self, wok: &WokId) {
        self.cache.evict_wok(wok);
        if let Ok(mut leases) = self.leases.lock() {
            leases.remove(wok);
        }
        if let Ok(mut versions) = self.versions.lock() {
            versions.remove(wok);
        }
    }
}
