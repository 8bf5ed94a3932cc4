//! The seam: what any container engine backend does for a Wok.

use std::net::IpAddr;

use async_trait::async_trait;
use tellwang_core::{Wok, WokId, WokSpec};

use crate::Error;

/// Starts, inspects, repairs and removes Woks on a container engine.
///
/// Every method is idempotent: calling it again with the same arguments
/// changes nothing. A call that fails part-way removes what it created.
#[async_trait]
pub trait Provisioner: Send + Sync {
    /// Brings up `wok` as `spec` describes — its private network, its
    /// Postgres with its own data volume, its services — and waits, bounded,
    /// until Postgres accepts connections and every service is healthy.
    ///
    /// When the Wok already runs as specified nothing changes. A container
    /// that differs from the spec is an [`Error::Drift`]: use
    /// [`Provisioner::reconcile`].
    async fn provision(&self, wok: &Wok, spec: &WokSpec) -> Result<WokStatus, Error>;

    /// What the engine runs for `wok` right now. A Wok that was never
    /// provisioned (or was deprovisioned) has no network and no containers.
    async fn status(&self, wok: &WokId) -> Result<WokStatus, Error>;

    /// Brings `wok` back to `spec`: creates what is missing, replaces
    /// containers that differ from the spec, starts those that stopped,
    /// removes services the spec no longer names, then waits for readiness
    /// like `provision`. A replaced container is gone even if the call then
    /// fails; what the call created is removed again.
    async fn reconcile(&self, wok: &Wok, spec: &WokSpec) -> Result<Changes, Error>;

    /// Removes every container and the network of `wok`, and its volumes
    /// unless `keep_data`. Removing a Wok that is already gone succeeds.
    async fn deprovision(&self, wok: &WokId, keep_data: bool) -> Result<(), Error>;

    /// Runs `command` (no shell) inside the service `service` of `wok` —
    /// `postgres` names the database container — and returns its output.
    async fn exec(&self, wok: &WokId, service: &str, command: &[String]) -> Result<ExecOutput, Error>;
}

/// What a [`Provisioner::reconcile`] changed, by container or volume name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Resources that did not exist and were created.
    pub created: Vec<String>,
    /// Containers that differed from the spec, or had stopped, and were replaced.
    pub replaced: Vec<String>,
    /// Containers of services the spec no longer names, removed.
    pub removed: Vec<String>,
    /// Containers that matched the spec but had stopped, started again.
    pub started: Vec<String>,
}

impl Changes {
    /// Whether nothing was changed.
    pub fn is_empty(&self) -> bool {
        self.created.is_empty() && self.replaced.is_empty() && self.removed.is_empty() && self.started.is_empty()
    }
}

/// What a command run inside a container printed, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// The exit status.
    pub exit_code: i64,
    /// Standard output, as text (invalid UTF-8 replaced).
    pub stdout: String,
    /// Standard error, as text (invalid UTF-8 replaced).
    pub stderr: String,
}

/// What the engine runs for one Wok.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WokStatus {
    /// The Wok.
    pub wok: WokId,
    /// Its network, when it exists.
    pub network: Option<NetworkStatus>,
    /// Its containers, Postgres first, then services by name.
    pub containers: Vec<ContainerStatus>,
    /// The names of its volumes.
    pub volumes: Vec<String>,
}

impl WokStatus {
    /// Whether nothing of the Wok exists on the engine.
    pub fn is_absent(&self) -> bool {
        self.network.is_none() && self.containers.is_empty() && self.volumes.is_empty()
    }

    /// The container of the service `name` (`postgres` for the database).
    pub fn container(&self, name: &str) -> Option<&ContainerStatus> {
        self.containers.iter().find(|c| c.service == name)
    }
}

/// A Wok's private network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkStatus {
    /// The engine's name for it.
    pub name: String,
    /// Its subnet, e.g. `10.200.3.0/26`.
    pub subnet: String,
    /// The gateway address the engine reports for the subnet. On an isolated
    /// network the host does not hold this address; the isolation check
    /// probes it anyway.
    pub gateway: Option<IpAddr>,
    /// Whether the network has no route out (no egress).
    pub internal: bool,
}

/// One container of a Wok.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerStatus {
    /// The engine's id for it; a new container has a new id.
    pub id: String,
    /// The service it runs: `postgres` or a service name from the spec.
    pub service: String,
    /// The engine's name for it; other containers on its networks resolve it.
    pub name: String,
    /// Whether it is running.
    pub running: bool,
    /// Its health, when it has a health check.
    pub health: Option<Health>,
    /// Its addresses, on every network it is attached to.
    pub addresses: Vec<IpAddr>,
    /// The ports it listens on inside its network.
    pub ports: Vec<u16>,
    /// Ports published on the host (none, unless someone added them).
    pub published_ports: Vec<u16>,
}

/// A container's health as its health check reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Health {
    /// Within the start period, or not yet checked.
    Starting,
    /// The last check passed.
    Healthy,
    /// The check failed its retries.
    Unhealthy,
}
