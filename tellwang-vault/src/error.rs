//! The crate's one error type.

use crate::name::NameProblem;

/// Everything that can go wrong in tellwang-vault. No variant carries a
/// secret value, a key, a ciphertext or a rejected name: errors are logged,
/// and logs are not a place for secrets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The secret name breaks the rules in [`crate::name`].
    #[error("invalid secret name: it {problem}")]
    InvalidName {
        /// What is wrong with it.
        problem: NameProblem,
    },
    /// The value is longer than [`crate::MAX_VALUE_LEN`].
    #[error("secret value of {len} bytes is over the limit of {max} bytes")]
    ValueTooLarge {
        /// The rejected value's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// No secret of that name (or that version) exists in the Wok.
    #[error("secret not found")]
    NotFound,
    /// The Wok was crypto-shredded: its keys are destroyed and it takes no
    /// new secrets.
    #[error("the wok's secrets were shredded")]
    Shredded,
    /// A stored secret failed authentication: its ciphertext, nonce, tag or
    /// any of the fields bound into its associated data was altered, or it was
    /// moved to another Wok, name or version.
    #[error("authentication failed: the secret record was altered or moved")]
    AuthenticationFailed,
    /// A data key did not unwrap: the KEK is the wrong one, or the wrapped
    /// key or a field bound to it was altered.
    #[error("the data key did not unwrap: wrong KEK, or the key record was altered")]
    UnwrapFailed,
    /// An unwrapped data key does not match its stored commitment: the key
    /// record was replaced.
    #[error("the data key does not match its commitment: the key record was replaced")]
    CommitmentMismatch,
    /// The key provider does not hold the KEK (id and version) a data key is
    /// wrapped under: missing, retired, or another provider's.
    #[error("KEK {kek_id} version {version} is not available")]
    KekUnavailable {
        /// The KEK's id.
        kek_id: String,
        /// The KEK's version.
        version: u32,
    },
    /// A KEK version cannot be retired while data keys are still wrapped under it.
    #[error("KEK version {version} still wraps {data_keys} data keys; finish the rotation first")]
    KekInUse {
        /// The version.
        version: u32,
        /// How many data keys it still wraps.
        data_keys: u64,
    },
    /// The KEK material itself is unusable: wrong length, bad encoding, or a
    /// key file with permissions that let others read it.
    #[error("invalid KEK: {reason}")]
    InvalidKek {
        /// What is wrong (never the key bytes).
        reason: &'static str,
    },
    /// This provider's keyring cannot be changed from here (an environment
    /// keyring is rotated by the operator: add a version to the variable).
    #[error("this KEK keyring is read-only")]
    KekReadOnly,
    /// Reading or creating a KEK file failed.
    #[error("KEK file {what} failed: {source}")]
    KekFile {
        /// What was being done.
        what: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Another writer stored the same record first; retrying is safe.
    #[error("a concurrent write conflicted; retry")]
    Conflict,
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed")]
    Entropy,
    /// A stored value could not be read back as what it should be.
    #[error("stored {what} is corrupt")]
    Corrupt {
        /// What was being read.
        what: &'static str,
    },
    /// The read hook refused or failed to record a read, so the value was
    /// not released.
    #[error("the read hook failed, so the secret was not released: {0}")]
    Hook(#[source] BackendError),
    /// The key provider (a KMS, say) failed for a reason of its own.
    #[error("key provider failed: {0}")]
    Provider(#[source] BackendError),
    /// The store's backend failed (database unreachable, I/O, …).
    #[error("secret store failed: {0}")]
    Backend(#[source] BackendError),
}

/// A backend's own error, kept as its source without naming its type in the
/// public API: the one type all tellwang crates use for this.
pub use tellwang_core::BackendError;

impl From<tellwang_core::Error> for Error {
    fn from(error: tellwang_core::Error) -> Self {
        match error {
            tellwang_core::Error::Entropy => Error::Entropy,
            other => Error::Backend(BackendError::new(other)),
        }
    }
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => Error::Conflict,
            _ => Error::Backend(BackendError::new(error)),
        }
    }
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
impl From<sqlx::migrate::MigrateError> for Error {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        Error::Backend(BackendError::new(error))
    }
}
