//! Woks on a real container engine: each Wok gets its own private network,
//! its own Postgres with its own data volume, and its services — with secrets
//! injected at start — and no Wok can reach another.
//!
//! ```
//! use std::sync::Arc;
//! use tellwang_core::{TeamId, Timestamp, Wok, WokId};
//! use tellwang_provision::{
//!     DockerConfig, DockerProvisioner, IsolationOptions, MemorySecrets, Provisioner, SecretValue, check_isolation,
//!     images,
//! };
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The vault's seam: here, values held in memory.
//! let secrets = Arc::new(MemorySecrets::new());
//! let docker = match DockerProvisioner::connect(secrets.clone(), DockerConfig::default()).await {
//!     Ok(docker) => docker,
//! #   // Without an engine this example has nothing to run on (CI has one).
//! #   Err(_) if std::env::var("CI").as_deref() != Ok("true") => return Ok(()),
//!     Err(error) => return Err(error.into()),
//! };
//!
//! // Two Woks of two teams, each with Postgres and the realtime service.
//! let spec = images::realtime_wok_spec();
//! let mut woks = Vec::new();
//! for name in ["billing", "search"] {
//!     let wok = Wok {
//!         id: WokId::generate()?,
//!         team: TeamId::generate()?,
//!         name: name.into(),
//!         region: "ca-central-1".into(),
//!         created_at: Timestamp::now(),
//!     };
//!     secrets.insert(&wok.id, "POSTGRES_PASSWORD", SecretValue::new("a password from the vault"));
//!     secrets.insert(&wok.id, images::REALTIME_TOKEN, SecretValue::new("a token from the vault"));
//!     // Waits, bounded, for Postgres to accept connections and realtime to be healthy.
//!     let status = docker.provision(&wok, &spec).await?;
//!     assert!(status.network.as_ref().is_some_and(|n| n.internal));
//!     // A second call changes nothing: the same containers answer.
//!     let again = docker.provision(&wok, &spec).await?;
//!     assert_eq!(again.containers.iter().map(|c| &c.id).collect::<Vec<_>>(),
//!                status.containers.iter().map(|c| &c.id).collect::<Vec<_>>());
//!     woks.push(wok);
//! }
//!
//! // The release check: each reaches its own Postgres and realtime, nothing of the other.
//! let options = IsolationOptions { host_addresses: docker.host_addresses().await?, ..Default::default() };
//! let report = check_isolation(&docker, &woks[0].id, &woks[1].id, &options).await?;
//! assert!(report.passed(), "{report}");
//!
//! for wok in &woks {
//!     docker.deprovision(&wok.id, false).await?;
//!     assert!(docker.status(&wok.id).await?.is_absent());
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The example needs a Docker engine and the images of `images/build.sh`
//! (no registry is needed); `cargo run --example isolation-check --features
//! provision` is the same check as a program whose exit status gates a release.
//!
//! # Design
//!
//! * [`Provisioner`] is the seam: provision, status, reconcile, deprovision
//!   and exec, every one idempotent. [`DockerProvisioner`] implements it on
//!   bollard; see [`docker`] for the resources, names and labels it uses and
//!   why an isolated Wok's bridge has no host address.
//! * [`SecretSource`] is the seam to the vault. Secret values are read when
//!   containers are created, go into their environment and nowhere else (not
//!   labels, not images, not logs, not errors), and are zeroized after.
//! * A failure part-way — including a caller dropping the future — removes
//!   everything the call created; errors are typed ([`Error`]), readiness
//!   waits are bounded ([`DockerConfig::ready_timeout`]).
//! * Subnets come from a configured [`SubnetPool`], clear of every network
//!   the engine already has, so hundreds of Woks fit on one host.
//! * [`check_isolation`] proves isolation from inside the Woks, and
//!   [`negative_control`] proves that the check can fail.
//!
//! # Images
//!
//! No registry is needed: `images/build.sh` builds, idempotently, the
//! realtime service (`realtime/`, a static Rust binary in a `FROM scratch`
//! image, whose `probe` subcommand serves health checks and the isolation
//! check) and a PostgreSQL 15 image assembled from the host's Debian
//! packages. Its entry point takes the variables of the official image
//! (`POSTGRES_USER`, `POSTGRES_PASSWORD`, `POSTGRES_DB`), so production can
//! name `postgres:16` in the spec instead. See [`images`].
//!
//! # Limits of the guarantees
//!
//! * Secret values live in the containers' environment, so anyone who may
//!   inspect containers on the engine can read them; the engine's API is
//!   the control plane's, never a tenant's.
//! * A Wok *with* egress is routed through the host, so the host's own
//!   services are reachable from it unless the host's firewall drops them;
//!   the isolation check reports exactly that. Woks without egress (the
//!   default) have no route off their subnet.

#![forbid(unsafe_code)]

pub mod docker;
mod error;
pub mod images;
mod isolation;
mod provisioner;
mod secrets;
mod subnet;

// The public interface is:
pub use crate::docker::{Census, DockerConfig, DockerProvisioner};
pub use crate::error::{BackendError, Error};
pub use crate::isolation::{IsolationOptions, IsolationReport, Probe, ProbeKind, check_isolation, negative_control};
pub use crate::provisioner::{Changes, ContainerStatus, ExecOutput, Health, NetworkStatus, Provisioner, WokStatus};
pub use crate::secrets::{MemorySecrets, SecretSource, SecretValue};
pub use crate::subnet::SubnetPool;
