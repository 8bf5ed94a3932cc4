//! The crate's one error type.

use std::fmt;

use crate::Denied;
use crate::name::{NameKind, NameProblem};

/// Everything that can go wrong in tellwang-core. Nothing secret is ever
/// inside: token text and rejected names are not echoed back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A name failed validation (see [`crate::name`]).
    #[error("invalid {kind}: it {problem}")]
    InvalidName {
        /// Which name.
        kind: NameKind,
        /// What is wrong with it.
        problem: NameProblem,
    },
    /// Text that should be an id of the given kind is not one.
    #[error("malformed {kind} id")]
    MalformedId {
        /// `team`, `wok`, `principal` or `token`.
        kind: &'static str,
    },
    /// Text that should name a role, action or principal kind names none.
    #[error("unknown {what}")]
    UnknownValue {
        /// `role`, `action` or `principal kind`.
        what: &'static str,
    },
    /// The Bearer token is not of the form `twk_<id>_<secret>`.
    #[error("malformed bearer token")]
    MalformedToken,
    /// No token has this id, or its secret does not match.
    #[error("unknown bearer token")]
    UnknownToken,
    /// The token was revoked.
    #[error("revoked bearer token")]
    RevokedToken,
    /// The team does not exist.
    #[error("unknown team")]
    UnknownTeam,
    /// The team already has a Wok of that name.
    #[error("the team already has a wok with that name")]
    NameTaken,
    /// The principal may not do this; see [`Denied`].
    #[error(transparent)]
    Denied(#[from] Denied),
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed")]
    Entropy,
    /// A stored value could not be read back as what it should be.
    #[error("stored {what} is corrupt")]
    Corrupt {
        /// What was being read.
        what: &'static str,
    },
    /// The store's backend failed (database unreachable, I/O, …).
    #[error("tenancy store failed: {0}")]
    Backend(#[source] BackendError),
}

/// A backend's own error, kept as its source without naming its type in the
/// public API, so upgrading a database driver is not a breaking change.
pub struct BackendError(Box<dyn std::error::Error + Send + Sync + 'static>);

impl BackendError {
    /// Wraps a backend's error.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Box::new(error))
    }
}

impl fmt::Debug for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for BackendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => Error::NameTaken,
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => Error::UnknownTeam,
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
