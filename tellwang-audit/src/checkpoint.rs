//! Signed checkpoints: a chain's head, signed with an Ed25519 key held
//! outside the database, for customers to keep.
//!
//! The signed message is
//!
//! ```text
//! "tellwang/audit/checkpoint/v1" 0x00
//! str(team)  seq (u64 BE)  hash (32 bytes)  at (i64 BE microseconds)
//! ```
//!
//! with `str` as in [`crate::format`], signed with Ed25519 (RFC 8032).

use std::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use tellwang_core::{TeamId, Timestamp};

use crate::entry::hex_hash;
use crate::format::Hash;
use crate::{Error, Head};

const CHECKPOINT_TAG: &[u8] = b"tellwang/audit/checkpoint/v1\0";

/// Signs chain heads. Holds the Ed25519 secret key, which is wiped on drop
/// and never printed. Keep the key out of the database the ledger is in:
/// that separation is what lets a checkpoint catch someone who can write to
/// the database.
pub struct Checkpointer {
    key: SigningKey,
}

impl Checkpointer {
    /// A checkpointer with the Ed25519 secret key `secret` (32 bytes, RFC 8032).
    pub fn from_secret_bytes(secret: &[u8; 32]) -> Self {
        Self { key: SigningKey::from_bytes(secret) }
    }

    /// A checkpointer with a fresh key from the operating system's RNG.
    pub fn generate() -> Result<Self, Error> {
        let mut secret = zeroize::Zeroizing::new([0u8; 32]);
        getrandom::fill(secret.as_mut_slice()).map_err(|_| Error::Entropy)?;
        Ok(Self::from_secret_bytes(&secret))
    }

    /// The public key that verifies this checkpointer's signatures.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// Signs `head` as of now.
    pub fn sign(&self, head: &Head) -> SignedCheckpoint {
        self.sign_at(head, Timestamp::now())
    }

    /// Signs `head` as of `at`.
    pub fn sign_at(&self, head: &Head, at: Timestamp) -> SignedCheckpoint {
        let message = message(&head.team, head.seq, &head.hash, at);
        SignedCheckpoint {
            team: head.team,
            seq: head.seq,
            hash: head.hash,
            at,
            signature: self.key.sign(&message).to_bytes().to_vec(),
        }
    }
}

impl fmt::Debug for Checkpointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checkpointer").field("public_key", &hex::encode(self.public_key())).finish_non_exhaustive()
    }
}

/// A checkpoint as kept by a customer: a chain's head and an Ed25519
/// signature over it. Not trusted until opened with [`SignedCheckpoint::open`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCheckpoint {
    /// The team.
    pub team: TeamId,
    /// The head's sequence number.
    pub seq: u64,
    /// The head's hash.
    #[serde(with = "hex_hash")]
    pub hash: Hash,
    /// When it was signed.
    pub at: Timestamp,
    /// The Ed25519 signature (64 bytes).
    #[serde(with = "hex_bytes")]
    pub signature: Vec<u8>,
}

impl SignedCheckpoint {
    /// Verifies the signature with `public_key` and returns the checkpoint
    /// to verify a chain against.
    pub fn open(&self, public_key: &[u8; 32]) -> Result<Checkpoint, Error> {
        let key = VerifyingKey::from_bytes(public_key).map_err(|_| Error::BadSignature)?;
        let signature = Signature::from_slice(&self.signature).map_err(|_| Error::BadSignature)?;
        let message = message(&self.team, self.seq, &self.hash, self.at);
        key.verify_strict(&message, &signature).map_err(|_| Error::BadSignature)?;
        Ok(Checkpoint { team: self.team, seq: self.seq, hash: self.hash })
    }
}

/// A checkpoint whose signature has been verified: the chain of `team` had
/// `hash` at `seq`. Only [`SignedCheckpoint::open`] makes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    pub(crate) team: TeamId,
    pub(crate) seq: u64,
    pub(crate) hash: Hash,
}

impl Checkpoint {
    /// The team.
    pub fn team(&self) -> TeamId {
        self.team
    }

    /// The sequence number.
    pub fn seq(&self) -> u64 {
        self.seq
    }
}

fn message(team: &TeamId, seq: u64, hash: &Hash, at: Timestamp) -> Vec<u8> {
    let team = team.to_string();
    let mut message = Vec::with_capacity(CHECKPOINT_TAG.len() + 4 + team.len() + 8 + 32 + 8);
    message.extend_from_slice(CHECKPOINT_TAG);
    message.extend_from_slice(&u32::try_from(team.len()).unwrap_or(u32::MAX).to_be_bytes());
    message.extend_from_slice(team.as_bytes());
    message.extend_from_slice(&seq.to_be_bytes());
    message.extend_from_slice(hash);
    message.extend_from_slice(&at.as_micros().to_be_bytes());
    message
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        hex::decode(text.as_bytes()).map_err(serde::de::Error::custom)
    }
}
