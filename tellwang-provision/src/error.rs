//! The crate's one error type.

use std::time::Duration;

use tellwang_core::spec::SpecError;

/// Everything that can go wrong while provisioning. No secret value is ever
/// inside: secrets are named, never shown.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The spec breaks the rules a container engine needs.
    #[error(transparent)]
    InvalidSpec(#[from] SpecError),
    /// The [`crate::SecretSource`] has no value for a secret the spec names.
    #[error("the secret `{name}` is not available for this wok")]
    MissingSecret {
        /// The secret's name (never its value).
        name: String,
    },
    /// The secret source itself failed.
    #[error("the secret source failed: {0}")]
    SecretSource(#[source] BackendError),
    /// An image the spec names is not on the engine. Nothing is pulled: build
    /// or load it first (see `images/build.sh`).
    #[error("the image `{image}` is not present on the engine")]
    ImageMissing {
        /// The image name.
        image: String,
    },
    /// Every subnet of the configured pool is taken.
    #[error("the subnet pool {pool} has no free /{prefix} left")]
    SubnetsExhausted {
        /// The pool, e.g. `10.200.0.0/16`.
        pool: String,
        /// The prefix length of one Wok's subnet.
        prefix: u8,
    },
    /// A container did not become ready within the bounded wait.
    #[error("`{container}` was not ready after {waited:?}")]
    NotReady {
        /// The container's name.
        container: String,
        /// How long was waited.
        waited: Duration,
    },
    /// A container stopped while it was expected to become ready.
    #[error("`{container}` exited with status {exit_code} while starting")]
    Exited {
        /// The container's name.
        container: String,
        /// Its exit status.
        exit_code: i64,
    },
    /// The Wok has a container (or network) that differs from the spec.
    /// `provision` does not replace what runs — `reconcile` replaces
    /// containers; a network whose egress changed must be deprovisioned first.
    #[error("`{resource}` differs from the spec")]
    Drift {
        /// The container's or network's name.
        resource: String,
    },
    /// The Wok (or the named service of it) is not provisioned.
    #[error("no such {what} in this wok")]
    NotFound {
        /// `wok`, `service`, …
        what: &'static str,
    },
    /// A command run inside a container did not finish in time.
    #[error("the command in `{container}` did not finish within {waited:?}")]
    ExecTimeout {
        /// The container's name.
        container: String,
        /// How long was waited.
        waited: Duration,
    },
    /// A probe of the isolation check could not run (its program failed
    /// rather than answering reached or unreached).
    #[error("the probe of `{target}` failed with status {exit_code}")]
    Probe {
        /// What it aimed at.
        target: String,
        /// The probe's exit status.
        exit_code: i64,
    },
    /// The isolation check could not open its listener on the host.
    #[error("the isolation check could not listen on the host: {0}")]
    HostListener(#[source] std::io::Error),
    /// The configuration is unusable (a bad subnet pool, …).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The container engine failed or refused a request.
    #[error("container engine: {0}")]
    Engine(#[source] BackendError),
}

/// A backend's own error, kept as its source without naming its type in the
/// public API: the one type all tellwang crates use for this.
pub use tellwang_core::BackendError;
