//! The in-memory store: for tests and single-process hosts that keep no state.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use tellwang_core::{Timestamp, WokId};

use crate::{DataKeyRecord, Error, SecretMeta, SecretRecord, SecretStore, WrappedKey};

/// One Wok's secrets: by name, then by version.
type WokSecrets = BTreeMap<String, BTreeMap<u32, SecretRecord>>;

#[derive(Default)]
struct State {
    /// By (Wok, generation): the record and its encryption count. Ordered
    /// like the SQL stores order them: an id's text is its bytes in hex.
    data_keys: BTreeMap<(WokId, u32), (DataKeyRecord, u64)>,
    secrets: HashMap<WokId, WokSecrets>,
    shredded: HashMap<WokId, Timestamp>,
}

impl State {
    fn versions(&self, wok: &WokId, name: &str) -> Option<&BTreeMap<u32, SecretRecord>> {
        self.secrets.get(wok)?.get(name)
    }
}

/// A [`SecretStore`] in process memory. Holds only wrapped keys and sealed
/// values, like every store; they are gone when it is dropped.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> Result<MutexGuard<'_, State>, Error> {
        self.state.lock().map_err(|_| Error::Corrupt { what: "memory store (a panic poisoned its lock)" })
    }
}

#[async_trait]
impl SecretStore for MemoryStore {
    async fn insert_data_key(&self, key: &DataKeyRecord) -> Result<(), Error> {
        let mut state = self.state()?;
        if state.shredded.contains_key(&key.wok) {
            return Err(Error::Shredded);
        }
        if state.data_keys.contains_key(&(key.wok, key.generation)) {
            return Err(Error::Conflict);
        }
        state.data_keys.insert((key.wok, key.generation), (key.clone(), 0));
        Ok(())
    }

    async fn data_key(&self, wok: &WokId, generation: u32) -> Result<Option<DataKeyRecord>, Error> {
        Ok(self.state()?.data_keys.get(&(*wok, generation)).map(|(k, _)| k.clone()))
    }

    async fn latest_data_key(&self, wok: &WokId) -> Result<Option<DataKeyRecord>, Error> {
        let state = self.state()?;
        Ok(state.data_keys.range((*wok, 0)..=(*wok, u32::MAX)).next_back().map(|(_, (k, _))| k.clone()))
    }

    async fn reserve_encryptions(&self, wok: &WokId, generation: u32, count: u64, limit: u64) -> Result<bool, Error> {
        let mut state = self.state()?;
        let Some((_, used)) = state.data_keys.get_mut(&(*wok, generation)) else {
            return Ok(false);
        };
        match used.checked_add(count) {
            Some(total) if total <= limit => {
                *used = total;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn data_keys_not_under(
        &self,
        kek_id: &str,
        kek_version: u32,
        after: Option<(WokId, u32)>,
        limit: u32,
    ) -> Result<Vec<DataKeyRecord>, Error> {
        let state = self.state()?;
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        Ok(state
            .data_keys
            .range((start, Bound::Unbounded))
            .map(|(_, (k, _))| k)
            .filter(|k| k.wrapped.kek_id != kek_id || k.wrapped.kek_version != kek_version)
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn rewrap_data_keys(&self, rewraps: &[(DataKeyRecord, WrappedKey)]) -> Result<u64, Error> {
        let mut state = self.state()?;
        let mut done = 0;
        for (old, new) in rewraps {
            if let Some((key, _)) = state.data_keys.get_mut(&(old.wok, old.generation))
                && key.wrapped == old.wrapped
            {
                key.wrapped = new.clone();
                done += 1;
            }
        }
        Ok(done)
    }

    async fn count_data_keys_under(&self, kek_id: &str, kek_version: u32) -> Result<u64, Error> {
        let state = self.state()?;
        let under = |k: &&(DataKeyRecord, u64)| k.0.wrapped.kek_id == kek_id && k.0.wrapped.kek_version == kek_version;
        Ok(state.data_keys.values().filter(under).count() as u64)
    }

    async fn latest_version(&self, wok: &WokId, name: &str) -> Result<Option<u32>, Error> {
        Ok(self.state()?.versions(wok, name).and_then(|v| v.last_key_value()).map(|(version, _)| *version))
    }

    async fn insert_secret(&self, secret: SecretRecord) -> Result<(), Error> {
        let mut state = self.state()?;
        if !state.data_keys.contains_key(&(secret.wok, secret.key_generation)) {
            return Err(Error::Shredded);
        }
        let names = state.secrets.entry(secret.wok).or_default();
        // Only a new name costs a copy of it.
        if !names.contains_key(&secret.name) {
            names.insert(secret.name.clone(), BTreeMap::new());
        }
        let versions = names.get_mut(&secret.name).ok_or(Error::NotFound)?;
        if versions.last_key_value().is_some_and(|(latest, _)| *latest >= secret.version) {
            return Err(Error::Conflict);
        }
        versions.insert(secret.version, secret);
        Ok(())
    }

    async fn secret(&self, wok: &WokId, name: &str, version: Option<u32>) -> Result<Option<SecretRecord>, Error> {
        let state = self.state()?;
        let Some(versions) = state.versions(wok, name) else { return Ok(None) };
        Ok(match version {
            Some(version) => versions.get(&version),
            None => versions.last_key_value().map(|(_, s)| s),
        }
        .cloned())
    }

    async fn list_secrets(&self, wok: &WokId) -> Result<Vec<SecretMeta>, Error> {
        let state = self.state()?;
        let Some(names) = state.secrets.get(wok) else { return Ok(Vec::new()) };
        Ok(names
            .iter()
            .filter_map(|(name, versions)| {
                let (_, first) = versions.first_key_value()?;
                let (_, latest) = versions.last_key_value()?;
                let created_at = versions.values().map(|s| s.created_at).min().unwrap_or(first.created_at);
                Some(SecretMeta {
                    name: name.clone(),
                    kind: latest.kind,
                    version: latest.version,
                    created_at,
                    updated_at: latest.created_at,
                })
            })
            .collect())
    }

    async fn delete_secret(&self, wok: &WokId, name: &str) -> Result<u64, Error> {
        let mut state = self.state()?;
        let Some(names) = state.secrets.get_mut(wok) else { return Ok(0) };
        Ok(names.remove(name).map_or(0, |versions| versions.len() as u64))
    }

    async fn shred(&self, wok: &WokId, at: Timestamp) -> Result<(u64, u64), Error> {
        let mut state = self.state()?;
        let keys_before = state.data_keys.len();
        state.data_keys.retain(|(w, _), _| w != wok);
        let keys = (keys_before - state.data_keys.len()) as u64;
        let secrets = state.secrets.remove(wok).map_or(0, |names| names.values().map(|v| v.len() as u64).sum());
        state.shredded.entry(*wok).or_insert(at);
        Ok((keys, secrets))
    }

    async fn shredded_at(&self, wok: &WokId) -> Result<Option<Timestamp>, Error> {
        Ok(self.state()?.shredded.get(wok).copied())
    }
}

#[cfg(feature = "testing")]
#[async_trait]
impl crate::testing::RawAccess for MemoryStore {
    async fn replace_secret(&self, old: &SecretRecord, new: &SecretRecord) -> Result<(), Error> {
        let mut state = self.state()?;
        let moved = (old.wok, old.name.as_str(), old.version) != (new.wok, new.name.as_str(), new.version);
        if moved && state.versions(&new.wok, &new.name).is_some_and(|v| v.contains_key(&new.version)) {
            return Err(Error::Conflict);
        }
        let removed = state.secrets.get_mut(&old.wok).and_then(|names| names.get_mut(&old.name)?.remove(&old.version));
        removed.ok_or(Error::NotFound)?;
        state.secrets.entry(new.wok).or_default().entry(new.name.clone()).or_default().insert(new.version, new.clone());
        Ok(())
    }

    async fn replace_data_key(&self, old: &DataKeyRecord, new: &DataKeyRecord) -> Result<(), Error> {
        let mut state = self.state()?;
        let (key, _) = state.data_keys.get_mut(&(old.wok, old.generation)).ok_or(Error::NotFound)?;
        key.wrapped = new.wrapped.clone();
        key.commitment = new.commitment;
        key.created_at = new.created_at;
        Ok(())
    }
}
