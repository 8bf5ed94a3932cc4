//! The ledger seam.

use std::fmt;

use async_trait::async_trait;
use tellwang_core::TeamId;

use crate::{Checkpoint, Entry, Error, Head, NewEntry, Receipt, Verification};

/// The largest page [`AuditLedger::read`] returns.
pub const MAX_PAGE: u32 = 1000;

/// A tamper-evident audit ledger: one hash chain per team.
///
/// Every backend keeps, besides the entries, a *head record* per team (the
/// last sequence number and hash), written in the same transaction as each
/// entry. Appends lock that record, so concurrent appenders to one team form
/// one linear chain; because [`AuditLedger::create_chain`] makes the record
/// before the first append, there is always a row to lock, even for an
/// empty chain. The head is found by link, never by time.
#[async_trait]
pub trait AuditLedger: Send + Sync + fmt::Debug + 'static {
    /// Starts `team`'s chain, empty, at its genesis value. Idempotent: a
    /// chain that exists is left as it is. Returns the chain's head.
    async fn create_chain(&self, team: &TeamId) -> Result<Head, Error>;

    /// Appends an entry to its team's chain and returns where it landed.
    /// [`Error::UnknownTeam`] if the team has no chain. On any error the
    /// chain is exactly as it was.
    async fn append(&self, entry: NewEntry) -> Result<Receipt, Error>;

    /// Up to `limit` entries of `team`'s chain with a sequence number above
    /// `after`, in order (`after = 0` starts at the beginning).
    async fn read(&self, team: &TeamId, after: u64, limit: u32) -> Result<Vec<Entry>, Error>;

    /// `team`'s head record.
    async fn head(&self, team: &TeamId) -> Result<Head, Error>;

    /// Verifies `team`'s chain from genesis, against its head record and
    /// against `checkpoints` (opened with
    /// [`SignedCheckpoint::open`](crate::SignedCheckpoint::open)). Streams:
    /// memory stays bounded whatever the chain's length.
    async fn verify(&self, team: &TeamId, checkpoints: &[Checkpoint]) -> Result<Verification, Error>;

    /// Every team that has a chain.
    async fn teams(&self) -> Result<Vec<TeamId>, Error>;

    /// Verifies every team's chain, one after another.
    async fn verify_all(&self) -> Result<Vec<Verification>, Error> {
        let mut all = Vec::new();
        for team in self.teams().await? {
            all.push(self.verify(&team, &[]).await?);
        }
        Ok(all)
    }
}

pub(crate) fn check_limit(limit: u32) -> Result<(), Error> {
    if limit == 0 || limit > MAX_PAGE { Err(Error::PageLimit { max: MAX_PAGE }) } else { Ok(()) }
}
