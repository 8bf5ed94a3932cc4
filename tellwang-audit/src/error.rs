//! The crate's one error type.

use tellwang_core::BackendError;

/// Everything that can go wrong in the audit ledger. A failed append leaves
/// the chain exactly as it was.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The payload is not valid JSON.
    #[error("the payload is not valid JSON")]
    InvalidJson,
    /// The payload holds a non-integer number, which has no single text form.
    #[error("the payload holds a non-integer number; use integers or strings")]
    FloatInPayload,
    /// A field is longer than its limit.
    #[error("the {field} is longer than {max} bytes")]
    TooLarge {
        /// Which field.
        field: &'static str,
        /// Its limit, in bytes.
        max: usize,
    },
    /// A required field is empty.
    #[error("the {field} is empty")]
    Empty {
        /// Which field.
        field: &'static str,
    },
    /// A field holds a control character.
    #[error("the {field} holds a control character")]
    ControlCharacter {
        /// Which field.
        field: &'static str,
    },
    /// The team has no chain (see [`crate::AuditLedger::create_chain`]).
    #[error("unknown team: it has no audit chain")]
    UnknownTeam,
    /// A page was asked for with a limit of zero or above the maximum.
    #[error("the page limit must be between 1 and {max}")]
    PageLimit {
        /// The largest page.
        max: u32,
    },
    /// A checkpoint's signature does not verify under the given key.
    #[error("the checkpoint's signature does not verify")]
    BadSignature,
    /// A checkpoint is for another team than the chain being verified.
    #[error("the checkpoint is for another team")]
    CheckpointTeam,
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed")]
    Entropy,
    /// A stored value could not be read back as what it should be.
    #[error("stored {what} is corrupt")]
    Corrupt {
        /// What was being read.
        what: &'static str,
    },
    /// The backend failed (database unreachable, I/O, …).
    #[error("audit ledger backend failed: {0}")]
    Backend(#[source] BackendError),
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        Error::Backend(BackendError::new(error))
    }
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
impl From<sqlx::migrate::MigrateError> for Error {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        Error::Backend(BackendError::new(error))
    }
}
