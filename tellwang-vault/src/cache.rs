//! Unwrapped data keys, kept as ready ciphers so a read need not ask the KEK
//! provider (which may be a remote KMS) every time. Bounded; an evicted
//! cipher's key schedule is wiped when its last user drops it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use tellwang_core::WokId;

use crate::crypto::Cipher;

#[derive(Default)]
struct Entries {
    ciphers: HashMap<(WokId, u32), Arc<Cipher>>,
    /// Insertion order, for evicting the oldest first.
    order: VecDeque<(WokId, u32)>,
}

pub(crate) struct CipherCache {
    capacity: usize,
    entries: Mutex<Entries>,
}

impl CipherCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self { capacity, entries: Mutex::new(Entries::default()) }
    }

    pub(crate) fn get(&self, wok: &WokId, generation: u32) -> Option<Arc<Cipher>> {
        self.entries.lock().ok()?.ciphers.get(&(*wok, generation)).cloned()
    }

    pub(crate) fn insert(&self, wok: &WokId, generation: u32, cipher: Arc<Cipher>) {
        if self.capacity == 0 {
            return;
        }
        // A poisoned cache only costs speed: skip caching.
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.ciphers.insert((*wok, generation), cipher).is_none() {
            entries.order.push_back((*wok, generation));
        }
        while entries.ciphers.len() > self.capacity {
            let Some(oldest) = entries.order.pop_front() else { break };
            entries.ciphers.remove(&oldest);
        }
    }

    /// Drops every cipher of the Wok.
    pub(crate) fn evict_wok(&self, wok: &WokId) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.ciphers.retain(|(w, _), _| w != wok);
            entries.order.retain(|(w, _)| w != wok);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.lock().map(|e| e.ciphers.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DataKey, Error};

    #[test]
    fn evicts_oldest_beyond_capacity_and_by_wok() -> Result<(), Error> {
        let cache = CipherCache::new(2);
        let (a, b) = (WokId::generate()?, WokId::generate()?);
        cache.insert(&a, 1, Arc::new(DataKey::generate()?.cipher()));
        cache.insert(&a, 2, Arc::new(DataKey::generate()?.cipher()));
        cache.insert(&b, 1, Arc::new(DataKey::generate()?.cipher()));
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&a, 1).is_none());
        assert!(cache.get(&a, 2).is_some() && cache.get(&b, 1).is_some());
        cache.evict_wok(&a);
        assert!(cache.get(&a, 2).is_none() && cache.get(&b, 1).is_some());
        assert_eq!(cache.len(), 1);
        Ok(())
    }
}
