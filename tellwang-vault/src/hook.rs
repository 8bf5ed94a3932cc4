//! The read hook: every attempt to take a value out of the vault is reported,
//! so a host can write it to its audit ledger.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tellwang_core::{PrincipalId, Timestamp, WokId};

use crate::{BackendError, SecretKind};

/// How a read ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReadOutcome {
    /// The value was decrypted and will be handed to the reader once the hook returns `Ok`.
    Released,
    /// The stored record failed authentication or its key did not unwrap:
    /// nothing was released, and the store may have been tampered with.
    Failed,
}

/// One read of one secret version. Holds no value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadEvent {
    /// Who asked.
    pub reader: PrincipalId,
    /// The Wok.
    pub wok: WokId,
    /// The secret's name.
    pub name: String,
    /// The version read.
    pub version: u32,
    /// The secret's kind.
    pub kind: SecretKind,
    /// When.
    pub at: Timestamp,
    /// How it ended.
    pub outcome: ReadOutcome,
}

/// Told of every read that found a stored record, before a value is released.
/// Returning an error from a [`ReadOutcome::Released`] event withholds the
/// value ([`Error::Hook`](crate::Error::Hook)): an audited read that could not
/// be recorded does not happen.
#[async_trait]
pub trait ReadHook: Send + Sync {
    /// Records one read.
    async fn secret_read(&self, event: &ReadEvent) -> Result<(), BackendError>;
}
