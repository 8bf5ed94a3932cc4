//! Envelope encryption of per-Wok secrets.
//!
//! Each Wok's secrets (env vars, JWT secrets, OAuth client secrets, LLM API
//! keys) are sealed with AES-256-GCM under a data key of that Wok's own, and
//! each data key is wrapped under a root key-encryption key (KEK) held by a
//! [`KeyProvider`]. Listing returns names only; values leave one at a time,
//! each read reported to a [`ReadHook`].
//!
//! ```
//! use tellwang_core::{PrincipalId, WokId};
//! use tellwang_vault::{DataKey, LocalKeyProvider, MemoryStore, SecretKind, Vault};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), tellwang_vault::Error> {
//! // In production: LocalKeyProvider::open_dir("/var/lib/tellwang/kek") or a KMS.
//! let keys = LocalKeyProvider::from_keys("local", [(1, DataKey::generate()?)])?;
//! let vault = Vault::new(MemoryStore::new(), keys);
//! let (wok, reader) = (WokId::generate()?, PrincipalId::generate()?);
//!
//! vault.put(&wok, "OPENAI_API_KEY", SecretKind::LlmApiKey, b"sk-live-123").await?;
//! let version = vault.put(&wok, "OPENAI_API_KEY", SecretKind::LlmApiKey, b"sk-live-456").await?;
//! assert_eq!(version, 2);
//!
//! // A value comes out one name at a time, wiped on drop, never printed.
//! let value = vault.get(&reader, &wok, "OPENAI_API_KEY").await?;
//! assert_eq!(value.expose_secret(), b"sk-live-456");
//! assert_eq!(format!("{value:?}"), "SecretValue(<redacted>)");
//!
//! // A listing holds names, kinds, versions and times: no values.
//! let listing = vault.list(&wok).await?;
//! assert_eq!((listing[0].name.as_str(), listing[0].version), ("OPENAI_API_KEY", 2));
//!
//! // Rotate the KEK: data keys are rewrapped, secrets are not re-encrypted.
//! assert_eq!(vault.rotate_kek().await?.rewrapped, 1);
//! vault.retire_kek(1).await?;
//! assert!(vault.get(&reader, &wok, "OPENAI_API_KEY").await.is_ok());
//!
//! // Crypto-shred the Wok: its key is destroyed, its secrets are gone for good.
//! let report = vault.shred(&wok).await?;
//! assert_eq!((report.data_keys_destroyed, report.secrets_deleted), (1, 2));
//! assert!(matches!(vault.get(&reader, &wok, "OPENAI_API_KEY").await, Err(tellwang_vault::Error::Shredded)));
//! # Ok(())
//! # }
//! ```
//!
//! # Design
//!
//! * Two seams. [`KeyProvider`] wraps and unwraps data keys under versioned
//!   KEKs ([`LocalKeyProvider`]: key files or the environment; a host can
//!   plug a cloud KMS). [`SecretStore`] persists wrapped keys and sealed
//!   values: [`MemoryStore`], `SqliteStore` (feature `sqlite`, on by
//!   default) and `PostgresStore` (feature `postgres`), in tables prefixed
//!   `tw_vault_`.
//! * [`Vault`] does all the cryptography, once for every store: a random
//!   96-bit nonce from the OS per encryption; associated data binding each
//!   ciphertext to its format version, Wok, name, version, kind, key
//!   generation and time, so a record moved or relabelled fails with
//!   [`Error::AuthenticationFailed`]; a SHA-256 commitment to each data key,
//!   checked after every unwrap, because AES-GCM alone does not commit to its
//!   key. The format is specified byte for byte in `docs/vault-format.md`.
//! * Each data key seals at most [`MAX_ENCRYPTIONS_PER_KEY`] values (2^28,
//!   far below the 2^32 random-nonce bound); the count is kept in the store
//!   and reserved in blocks, and a Wok whose key is used up gets a new
//!   generation. Old generations stay to open old values.
//! * Unwrapped data keys are cached as ready AES-GCM ciphers (bounded; the
//!   key schedule is wiped when an evicted cipher is dropped). Decrypted
//!   values come out as [`SecretValue`], wiped on drop.
//! * KEK rotation rewraps data keys only, batch by batch; an interrupted
//!   rotation leaves every secret readable. [`Vault::shred`] destroys a
//!   Wok's keys, so every copy of its ciphertexts becomes noise.
//! * Names follow env-var rules ([`name`]); values are at most
//!   [`MAX_VALUE_LEN`] bytes; errors are one [`Error`] enum, never a panic
//!   and never a secret.
//! * The feature `testing` adds `testing`: the store conformance suite and
//!   the property tests (tampering, swaps, rotation, shredding) that every
//!   backend's tests run, for hosts that bring their own store too.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

mod cache;
mod crypto;
mod error;
mod hook;
mod local;
mod memory;
mod model;
pub mod name;
mod provider;
mod store;
mod value;
mod vault;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "testing")]
pub mod testing;

// The public interface is:
pub use crate::crypto::{DataKey, FORMAT_VERSION};
pub use crate::error::{BackendError, Error};
pub use crate::hook::{ReadEvent, ReadHook, ReadOutcome};
pub use crate::local::{DEFAULT_KEK_ID, LocalKeyProvider};
pub use crate::memory::MemoryStore;
pub use crate::model::{DataKeyRecord, RotationReport, SecretKind, SecretMeta, SecretRecord, ShredReport, WrappedKey};
#[cfg(feature = "postgres")]
pub use crate::postgres::PostgresStore;
pub use crate::provider::{KekRef, KeyProvider};
#[cfg(feature = "sqlite")]
pub use crate::sqlite::SqliteStore;
pub use crate::store::SecretStore;
pub use crate::value::SecretValue;
pub use crate::vault::{MAX_ENCRYPTIONS_PER_KEY, MAX_VALUE_LEN, Vault};
