//! The persistence seam: what a secret store must do, and nothing more.
//! Every method is one short round trip (or one transaction); all the
//! cryptography happens in [`Vault`](crate::Vault) before and after.

use async_trait::async_trait;
use tellwang_core::{Timestamp, WokId};

use crate::{DataKeyRecord, Error, SecretMeta, SecretRecord, WrappedKey};

/// Stores wrapped data keys and sealed secrets. Implemented by
/// [`MemoryStore`](crate::MemoryStore), `SqliteStore` (feature `sqlite`) and
/// `PostgresStore` (feature `postgres`); a host can bring its own and
/// check it with `tellwang_vault::testing::conformance`.
#[async_trait]
pub trait SecretStore: Send + Sync {
    /// Stores a new data key. [`Error::Conflict`] if that Wok already has that
    /// generation; [`Error::Shredded`] if the Wok was shredded.
    async fn insert_data_key(&self, key: &DataKeyRecord) -> Result<(), Error>;

    /// One generation of a Wok's data key.
    async fn data_key(&self, wok: &WokId, generation: u32) -> Result<Option<DataKeyRecord>, Error>;

    /// The Wok's newest data key generation, if it has any.
    async fn latest_data_key(&self, wok: &WokId) -> Result<Option<DataKeyRecord>, Error>;

    /// Reserves `count` more encryptions under a data key, keeping its total at
    /// or below `limit`. `false` if that would pass the limit (or the key is
    /// gone): the vault then starts a new generation.
    async fn reserve_encryptions(&self, wok: &WokId, generation: u32, count: u64, limit: u64) -> Result<bool, Error>;

    /// Up to `limit` data keys that are not wrapped under `kek_id` version
    /// `kek_version`, ordered by (Wok id text, generation) and starting after
    /// `after` (a cursor, so a long rotation walks the table once).
    async fn data_keys_not_under(
        &self,
        kek_id: &str,
        kek_version: u32,
        after: Option<(WokId, u32)>,
        limit: u32,
    ) -> Result<Vec<DataKeyRecord>, Error>;

    /// Replaces the wrapping of each listed data key, atomically for the batch,
    /// and only where the key is still wrapped as `old` says (a concurrent
    /// rotation's work is not overwritten). Returns how many were replaced.
    async fn rewrap_data_keys(&self, rewraps: &[(DataKeyRecord, WrappedKey)]) -> Result<u64, Error>;

    /// How many data keys are wrapped under that KEK version.
    async fn count_data_keys_under(&self, kek_id: &str, kek_version: u32) -> Result<u64, Error>;

    /// The highest stored version of a secret, if it exists.
    async fn latest_version(&self, wok: &WokId, name: &str) -> Result<Option<u32>, Error>;

    /// Stores a secret version, but only as the newest: [`Error::Conflict`]
    /// if that version or a higher one of the name exists (the vault then
    /// reads [`SecretStore::latest_version`] and tries the next), and
    /// [`Error::Shredded`] if its data key is gone.
    async fn insert_secret(&self, secret: SecretRecord) -> Result<(), Error>;

    /// One version of a secret, or the latest when `version` is `None`.
    async fn secret(&self, wok: &WokId, name: &str, version: Option<u32>) -> Result<Option<SecretRecord>, Error>;

    /// The Wok's secrets, by name, each with its latest version's kind and
    /// timestamps. Never values, never ciphertexts.
    async fn list_secrets(&self, wok: &WokId) -> Result<Vec<SecretMeta>, Error>;

    /// Deletes every version of a secret; returns how many were deleted.
    async fn delete_secret(&self, wok: &WokId, name: &str) -> Result<u64, Error>;

    /// Destroys every data key and secret of the Wok and records it as
    /// shredded, in one transaction. Returns `(data keys, secrets)` deleted.
    async fn shred(&self, wok: &WokId, at: Timestamp) -> Result<(u64, u64), Error>;

    /// When the Wok was shredded, if it was.
    async fn shredded_at(&self, wok: &WokId) -> Result<Option<Timestamp>, Error>;
}
