//! The in-memory ledger: for tests, examples and benchmarks.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use async_trait::async_trait;
use tellwang_core::{TeamId, Timestamp};

use crate::ledger::check_limit;
use crate::{AuditLedger, Checkpoint, Entry, Error, Head, NewEntry, Receipt, Verification, format, verify_entries};

/// An [`AuditLedger`] held in process memory. Nothing survives a restart.
#[derive(Debug, Default)]
pub struct MemoryLedger {
    chains: RwLock<HashMap<TeamId, Chain>>,
}

#[derive(Debug)]
struct Chain {
    head: Head,
    entries: Vec<Entry>,
}

impl MemoryLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// Lets a test change a chain's stored entries and head record behind
    /// the ledger's back, as someone with write access to storage could.
    #[cfg(feature = "testing")]
    pub fn tamper<R>(&self, team: &TeamId, f: impl FnOnce(&mut Vec<Entry>, &mut Head) -> R) -> Option<R> {
        let mut chains = self.chains.write().unwrap_or_else(PoisonError::into_inner);
        chains.get_mut(team).map(|chain| f(&mut chain.entries, &mut chain.head))
    }
}

#[async_trait]
impl AuditLedger for MemoryLedger {
    async fn create_chain(&self, team: &TeamId) -> Result<Head, Error> {
        let mut chains = self.chains.write().unwrap_or_else(PoisonError::into_inner);
        let chain = chains.entry(*team).or_insert_with(|| Chain {
            head: Head { team: *team, seq: 0, hash: format::genesis(team) },
            entries: Vec::new(),
        });
        Ok(chain.head)
    }

    async fn append(&self, entry: NewEntry) -> Result<Receipt, Error> {
        entry.check()?;
        let mut chains = self.chains.write().unwrap_or_else(PoisonError::into_inner);
        let chain = chains.get_mut(&entry.team).ok_or(Error::UnknownTeam)?;
        let seq = chain.head.seq + 1;
        let sealed = entry.seal(seq, Timestamp::now(), chain.head.hash);
        let receipt = Receipt { seq, hash: sealed.hash };
        chain.entries.push(sealed);
        chain.head.seq = seq;
        chain.head.hash = receipt.hash;
        Ok(receipt)
    }

    async fn read(&self, team: &TeamId, after: u64, limit: u32) -> Result<Vec<Entry>, Error> {
        check_limit(limit)?;
        let chains = self.chains.read().unwrap_or_else(PoisonError::into_inner);
        let chain = chains.get(team).ok_or(Error::UnknownTeam)?;
        let start = chain.entries.partition_point(|e| e.seq <= after);
        Ok(chain.entries.iter().skip(start).take(limit as usize).cloned().collect())
    }

    async fn head(&self, team: &TeamId) -> Result<Head, Error> {
        let chains = self.chains.read().unwrap_or_else(PoisonError::into_inner);
        chains.get(team).map(|chain| chain.head).ok_or(Error::UnknownTeam)
    }

    async fn verify(&self, team: &TeamId, checkpoints: &[Checkpoint]) -> Result<Verification, Error> {
        let chains = self.chains.read().unwrap_or_else(PoisonError::into_inner);
        let chain = chains.get(team).ok_or(Error::UnknownTeam)?;
        verify_entries(team, &chain.entries, Some(&chain.head), checkpoints)
    }

    async fn teams(&self) -> Result<Vec<TeamId>, Error> {
        let chains = self.chains.read().unwrap_or_else(PoisonError::into_inner);
        let mut teams: Vec<TeamId> = chains.keys().copied().collect();
        teams.sort();
        Ok(teams)
    }
}
