//! The KEK seam: a [`KeyProvider`] wraps and unwraps data keys under a root
//! key-encryption key it holds, so the vault never stores a key in the clear.
//! The [`LocalKeyProvider`](crate::LocalKeyProvider) keeps KEKs in files or
//! the environment; a host can plug a cloud KMS or a transit engine instead.

use async_trait::async_trait;

use crate::{DataKey, Error, WrappedKey};

/// Names one version of one KEK.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct KekRef {
    /// The KEK's id, as the provider names it (a KMS key ARN, say).
    pub kek_id: String,
    /// The version.
    pub version: u32,
}

/// Wraps and unwraps data keys under versioned KEKs.
///
/// `aad` is the associated data the vault binds to each data key (see
/// docs/vault-format.md); a provider must authenticate it, so a wrapped key
/// moved to another Wok or generation fails to unwrap.
#[async_trait]
pub trait KeyProvider: Send + Sync {
    /// The KEK version new data keys are wrapped under.
    async fn current(&self) -> Result<KekRef, Error>;

    /// Wraps `key` under the current KEK version.
    async fn wrap(&self, key: &DataKey, aad: &[u8]) -> Result<WrappedKey, Error>;

    /// Unwraps a key wrapped by [`KeyProvider::wrap`] under any version this
    /// provider still holds. A wrong KEK or altered input is
    /// [`Error::UnwrapFailed`]; a version it does not hold is
    /// [`Error::KekUnavailable`].
    async fn unwrap(&self, wrapped: &WrappedKey, aad: &[u8]) -> Result<DataKey, Error>;

    /// Makes a new KEK version current and returns it. Older versions stay
    /// usable for unwrapping until [`KeyProvider::retire`].
    async fn rotate(&self) -> Result<KekRef, Error>;

    /// Forgets an old KEK version for good. The vault calls this only once no
    /// data key is wrapped under it; the current version cannot be retired.
    async fn retire(&self, kek: &KekRef) -> Result<(), Error>;
}
