//! The vault's data: secret kinds, listing entries and the stored records.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use tellwang_core::{Timestamp, WokId};

use crate::Error;

/// What a secret is for. Stored with the secret and bound into its
/// associated data, so a record cannot be relabelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SecretKind {
    /// An environment variable for the Wok's processes.
    EnvVar,
    /// A key that signs or verifies JWTs.
    JwtSecret,
    /// An OAuth client secret.
    OauthClientSecret,
    /// A bring-your-own LLM provider API key.
    LlmApiKey,
}

impl SecretKind {
    /// Every kind.
    pub const ALL: [SecretKind; 4] =
        [SecretKind::EnvVar, SecretKind::JwtSecret, SecretKind::OauthClientSecret, SecretKind::LlmApiKey];

    /// The stable text form stored in databases.
    pub const fn as_str(self) -> &'static str {
        match self {
            SecretKind::EnvVar => "env_var",
            SecretKind::JwtSecret => "jwt_secret",
            SecretKind::OauthClientSecret => "oauth_client_secret",
            SecretKind::LlmApiKey => "llm_api_key",
        }
    }

    /// The stable one-byte code bound into associated data (see docs/vault-format.md).
    pub const fn code(self) -> u8 {
        match self {
            SecretKind::EnvVar => 1,
            SecretKind::JwtSecret => 2,
            SecretKind::OauthClientSecret => 3,
            SecretKind::LlmApiKey => 4,
        }
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SecretKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        SecretKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or(Error::Corrupt { what: "secret kind" })
    }
}

/// One line of a listing: everything about a secret except its value. There
/// is deliberately no way to ask a listing for values or ciphertexts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretMeta {
    /// The secret's name.
    pub name: String,
    /// The kind of the latest version.
    pub kind: SecretKind,
    /// The latest version (versions count up from 1).
    pub version: u32,
    /// When the first stored version was written.
    pub created_at: Timestamp,
    /// When the latest version was written.
    pub updated_at: Timestamp,
}

/// A data key wrapped by a [`KeyProvider`](crate::KeyProvider): which KEK,
/// which version, and the provider's opaque bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKey {
    /// The KEK's id, as the provider names it.
    pub kek_id: String,
    /// The KEK's version.
    pub kek_version: u32,
    /// The provider's ciphertext of the data key (for [`LocalKeyProvider`](crate::LocalKeyProvider):
    /// a 12-byte nonce, then the 32-byte encrypted key and its 16-byte tag).
    pub blob: Vec<u8>,
}

impl fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrappedKey")
            .field("kek_id", &self.kek_id)
            .field("kek_version", &self.kek_version)
            .field("blob", &format_args!("<{} bytes>", self.blob.len()))
            .finish()
    }
}

/// A stored data key: one generation of one Wok's key, wrapped under a KEK.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DataKeyRecord {
    /// The Wok the key belongs to.
    pub wok: WokId,
    /// The key's generation: 1 for a Wok's first key, one more at each data-key rotation.
    pub generation: u32,
    /// The key, wrapped.
    pub wrapped: WrappedKey,
    /// `SHA-256("tellwang/vault/key-commitment/v1" || 0x00 || key)`, checked after every unwrap.
    pub commitment: [u8; 32],
    /// When the key was made.
    pub created_at: Timestamp,
}

/// A stored secret version: its place, its kind and its sealed value.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretRecord {
    /// The Wok the secret belongs to.
    pub wok: WokId,
    /// The secret's name.
    pub name: String,
    /// The version (from 1).
    pub version: u32,
    /// The kind.
    pub kind: SecretKind,
    /// The generation of the Wok's data key that sealed it.
    pub key_generation: u32,
    /// The 96-bit AES-GCM nonce.
    pub nonce: [u8; 12],
    /// The AES-256-GCM ciphertext followed by its 16-byte tag.
    pub ciphertext: Vec<u8>,
    /// When this version was written.
    pub created_at: Timestamp,
}

impl fmt::Debug for SecretRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretRecord")
            .field("wok", &self.wok)
            .field("name", &self.name)
            .field("version", &self.version)
            .field("kind", &self.kind)
            .field("key_generation", &self.key_generation)
            .field("ciphertext", &format_args!("<{} bytes>", self.ciphertext.len()))
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// What a crypto-shred destroyed. After it, the Wok takes no new secrets and
/// none of its old ciphertexts, wherever copies of them are, can be opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShredReport {
    /// The shredded Wok.
    pub wok: WokId,
    /// How many data keys (generations) were destroyed.
    pub data_keys_destroyed: u64,
    /// How many stored secret versions were deleted with them.
    pub secrets_deleted: u64,
    /// When the Wok was shredded (the first time, if it was already).
    pub shredded_at: Timestamp,
    /// The KEK versions that wrapped the destroyed keys. Backups taken before
    /// the shred stay openable until each is retired (after a rotation).
    pub wrapped_under: Vec<crate::KekRef>,
}

/// What a KEK rotation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationReport {
    /// The KEK id now wrapping every data key.
    pub kek_id: String,
    /// Its version.
    pub kek_version: u32,
    /// How many data keys this run rewrapped (an interrupted run's keys that
    /// were already done are not counted again).
    pub rewrapped: u64,
}
