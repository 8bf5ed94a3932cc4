//! The Docker backend, on bollard.
//!
//! Per Wok, with `<hex>` the Wok id's 32 hex digits:
//!
//! | resource | name | notes |
//! |---|---|---|
//! | network | `tw-<hex>` | bridge, explicit subnet from the pool; without egress `internal` *and* with no host address on the bridge |
//! | Postgres data | `tw-<hex>-pgdata` | named volume |
//! | Postgres | `tw-<hex>-postgres` | alias `postgres` on the Wok's network |
//! | service | `tw-<hex>-<service>` | alias `<service>` |
//! | service volume | `tw-<hex>-vol-<name>` | |
//!
//! Every resource is labelled `io.tellwang.wok` and `io.tellwang.team`;
//! containers also carry `io.tellwang.service` and `io.tellwang.spec`, a hash
//! of everything the container was created from *except secret values*, which
//! is how a second `provision` knows that nothing needs to change.
//!
//! # Why the bridge holds no address
//!
//! An `internal` network on this engine (20.10, and later ones unless the
//! isolated gateway mode is used) still gives the host an address on the
//! bridge, and every service the host listens on is reachable there. A Wok
//! network without egress is therefore created with
//! `com.docker.network.bridge.inhibit_ipv4`: the bridge gets no address, the
//! containers have no route off their subnet, and the host is unreachable.
//! [`crate::check_isolation`] verifies this on every run rather than trusting it.
//! A Wok *with* egress needs the gateway for its route out, so the host is
//! reachable from it unless the host's firewall says otherwise.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use async_trait::async_trait;
use bollard::Docker;
use bollard::errors::Error as BollardError;
use bollard::exec::{StartExecOptions, StartExecResults};
use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, EndpointSettings, ExecConfig, HealthConfig, HealthStatusEnum,
    HostConfig, Ipam, IpamConfig, Mount, MountType, NetworkConnectRequest, NetworkCreateRequest,
    NetworkDisconnectRequest, NetworkingConfig, RestartPolicy as EngineRestart, RestartPolicyNameEnum,
    VolumeCreateRequest,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, ListNetworksOptions, ListVolumesOptionsBuilder,
    RemoveContainerOptionsBuilder, RemoveVolumeOptionsBuilder,
};
use futures_util::StreamExt;
use futures_util::future::try_join_all;
use ipnet::IpNet;
use sha2::{Digest, Sha256};
use tellwang_core::spec::{Limits, RestartPolicy, ServiceSpec};
use tellwang_core::{Wok, WokId, WokSpec};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::Error;
use crate::error::BackendError;
use crate::provisioner::{Changes, ContainerStatus, ExecOutput, Health, NetworkStatus, Provisioner, WokStatus};
use crate::secrets::{SecretSource, SecretValue};
use crate::subnet::SubnetPool;

/// The label that names a resource's Wok.
pub const LABEL_WOK: &str = "io.tellwang.wok";
/// The label that names a resource's team.
pub const LABEL_TEAM: &str = "io.tellwang.team";
/// The label that names a container's service (`postgres` for the database).
pub const LABEL_SERVICE: &str = "io.tellwang.service";
/// The label that holds the hash of a container's configuration.
pub const LABEL_SPEC: &str = "io.tellwang.spec";

const POSTGRES: &str = "postgres";
const POSTGRES_PORT: u16 = 5432;

/// How the Docker backend is set up. Everything has a default.
#[derive(Debug, Clone)]
pub struct DockerConfig {
    /// Where Wok subnets come from.
    pub subnets: SubnetPool,
    /// How long `provision` and `reconcile` wait for readiness.
    pub ready_timeout: Duration,
    /// How often readiness is polled.
    pub poll_interval: Duration,
    /// How long one command run inside a container may take.
    pub exec_timeout: Duration,
    /// Where the Postgres image keeps its data (`/var/lib/postgresql/data`
    /// for the official images up to 17).
    pub postgres_data_path: String,
}

impl Default for DockerConfig {
    fn default() -> Self {
        Self {
            subnets: SubnetPool::default(),
            ready_timeout: Duration::from_secs(60),
            poll_interval: Duration::from_millis(100),
            exec_timeout: Duration::from_secs(10),
            postgres_data_path: "/var/lib/postgresql/data".into(),
        }
    }
}

/// A [`Provisioner`] for one Docker engine, reached on its local socket.
pub struct DockerProvisioner {
    docker: Docker,
    config: DockerConfig,
    secrets: Arc<dyn SecretSource>,
    /// Choosing a subnet and creating the network is one step, so concurrent
    /// provisions in this process never race for the same subnet.
    subnet_lock: Mutex<()>,
    /// One operation at a time per Wok.
    wok_locks: StdMutex<HashMap<WokId, Arc<Mutex<()>>>>,
}

impl fmt::Debug for DockerProvisioner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DockerProvisioner").field("config", &self.config).finish_non_exhaustive()
    }
}

/// How many labelled resources of all Woks the engine holds; see
/// [`DockerProvisioner::census`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Census {
    /// Containers, running or not.
    pub containers: usize,
    /// Networks.
    pub networks: usize,
    /// Volumes.
    pub volumes: usize,
}

/// One container as it should be.
struct Plan {
    name: String,
    body: ContainerCreateBody,
    hash: String,
    /// Environment variables to fill from the secret source at creation.
    secrets: Vec<String>,
    /// The command whose success means "ready", run with exec.
    ready_check: Option<Vec<String>>,
    volumes: Vec<String>,
}

impl DockerProvisioner {
    /// Connects to the engine on its local socket (`DOCKER_HOST` is honoured)
    /// and agrees an API version with it.
    pub async fn connect(secrets: Arc<dyn SecretSource>, config: DockerConfig) -> Result<Self, Error> {
        let docker = Docker::connect_with_local_defaults().map_err(engine)?;
        let docker = docker.negotiate_version().await.map_err(engine)?;
        Ok(Self { docker, config, secrets, subnet_lock: Mutex::new(()), wok_locks: StdMutex::default() })
    }

    /// The configuration.
    pub fn config(&self) -> &DockerConfig {
        &self.config
    }

    /// Every address at which the host may answer a container: the gateway
    /// of each of the engine's networks — as reported, or, where the engine
    /// reports none (its default bridge, isolated Wok networks), the first
    /// address of the subnet, which is where the engine puts it. The
    /// isolation check probes them all.
    pub async fn host_addresses(&self) -> Result<Vec<IpAddr>, Error> {
        let networks = self.docker.list_networks(None::<ListNetworksOptions>).await.map_err(engine)?;
        let mut addresses: Vec<IpAddr> = networks
            .iter()
            .flat_map(|n| n.ipam.iter().flat_map(|ipam| ipam.config.iter().flatten()))
            .filter_map(|c| match (&c.gateway, &c.subnet) {
                (Some(gateway), _) => gateway.parse().ok(),
                (None, Some(subnet)) => subnet.parse::<IpNet>().ok().and_then(|net| net.hosts().next()),
                (None, None) => None,
            })
            .collect();
        addresses.sort();
        addresses.dedup();
        Ok(addresses)
    }

    /// Attaches the container of `service` in Wok `from` to the network of
    /// Wok `to`. This breaks isolation on purpose: it exists for the
    /// isolation check's negative control, which must catch it.
    pub async fn join_network(&self, from: &WokId, service: &str, to: &WokId) -> Result<(), Error> {
        let request = NetworkConnectRequest { container: container_name(from, service), endpoint_config: None };
        self.docker.connect_network(&network_name(to), request).await.map_err(engine)
    }

    /// Detaches what [`DockerProvisioner::join_network`] attached.
    pub async fn leave_network(&self, from: &WokId, service: &str, to: &WokId) -> Result<(), Error> {
        let request = NetworkDisconnectRequest { container: container_name(from, service), force: Some(true) };
        match self.docker.disconnect_network(&network_name(to), request).await {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(engine(e)),
        }
    }

    /// How many containers, networks and volumes carry the Wok label, over
    /// all Woks: a census for leak checks.
    pub async fn census(&self) -> Result<Census, Error> {
        let filters = HashMap::from([("label", vec![LABEL_WOK])]);
        let containers = self
            .docker
            .list_containers(Some(ListContainersOptionsBuilder::new().all(true).filters(&filters).build()))
            .await
            .map_err(engine)?;
        let networks = self.labelled_networks(LABEL_WOK).await?;
        let volumes = self
            .docker
            .list_volumes(Some(ListVolumesOptionsBuilder::new().filters(&filters).build()))
            .await
            .map_err(engine)?;
        Ok(Census {
            containers: containers.len(),
            networks: networks.len(),
            volumes: volumes.volumes.map(|v| v.len()).unwrap_or(0),
        })
    }

    async fn labelled_networks(&self, label: &str) -> Result<Vec<bollard::models::Network>, Error> {
        let filters = HashMap::from([("label", vec![label])]);
        let options = bollard::query_parameters::ListNetworksOptionsBuilder::new().filters(&filters).build();
        self.docker.list_networks(Some(options)).await.map_err(engine)
    }

    fn wok_lock(&self, wok: &WokId) -> Arc<Mutex<()>> {
        match self.wok_locks.lock() {
            Ok(mut locks) => Arc::clone(locks.entry(*wok).or_default()),
            // A poisoned map only means another thread panicked while
            // inserting; a fresh lock is still correct for this call.
            Err(_) => Arc::new(Mutex::new(())),
        }
    }

    /// Creates only the Wok's network (the first step of `provision`), and
    /// reports it: for capacity checks of the subnet pool without starting
    /// containers. `deprovision` removes it.
    pub async fn provision_network(&self, wok: &Wok, spec: &WokSpec) -> Result<NetworkStatus, Error> {
        spec.validate()?;
        let lock = self.wok_lock(&wok.id);
        let _held = lock.lock().await;
        let mut undo = Undo::new(self.docker.clone());
        let result = self.ensure_network(wok, spec, &mut undo, &mut Changes::default()).await;
        undo.disarm();
        result?;
        drop(_held);
        self.status(&wok.id).await?.network.ok_or(Error::NotFound { what: "network" })
    }

    /// Looks up every secret the plans need, before anything is created.
    async fn resolve_secrets(&self, wok: &WokId, plans: &[Plan]) -> Result<Vec<Vec<SecretEnv>>, Error> {
        let mut all = Vec::with_capacity(plans.len());
        for plan in plans {
            let mut resolved = Vec::with_capacity(plan.secrets.len());
            for pair in &plan.secrets {
                let (var, secret) = pair.split_once('=').unwrap_or((pair, pair));
                let value = self
                    .secrets
                    .secret(wok, secret)
                    .await?
                    .ok_or_else(|| Error::MissingSecret { name: secret.to_owned() })?;
                resolved.push(SecretEnv { var: var.to_owned(), value });
            }
            all.push(resolved);
        }
        Ok(all)
    }

    async fn check_images(&self, spec: &WokSpec) -> Result<(), Error> {
        let images = std::iter::once(&spec.postgres.image).chain(spec.services.iter().map(|s| &s.image));
        for image in images {
            match self.docker.inspect_image(image).await {
                Ok(_) => {}
                Err(e) if is_not_found(&e) => return Err(Error::ImageMissing { image: image.clone() }),
                Err(e) => return Err(engine(e)),
            }
        }
        Ok(())
    }

    /// The one path behind `provision` and `reconcile`.
    async fn converge(&self, wok: &Wok, spec: &WokSpec, replace: bool) -> Result<Changes, Error> {
        spec.validate()?;
        let lock = self.wok_lock(&wok.id);
        let _held = lock.lock().await;
        self.check_images(spec).await?;
        let plans = plan(&self.config, wok, spec);
        let secrets = self.resolve_secrets(&wok.id, &plans).await?;

        let mut undo = Undo::new(self.docker.clone());
        match self.converge_steps(wok, spec, replace, &plans, secrets, &mut undo).await {
            Ok(changes) => {
                undo.disarm();
                Ok(changes)
            }
            Err(error) => {
                undo.run().await;
                Err(error)
            }
        }
    }

    async fn converge_steps(
        &self,
        wok: &Wok,
        spec: &WokSpec,
        replace: bool,
        plans: &[Plan],
        secrets: Vec<Vec<SecretEnv>>,
        undo: &mut Undo,
    ) -> Result<Changes, Error> {
        let mut changes = Changes::default();
        self.ensure_network(wok, spec, undo, &mut changes).await?;

        let labels =
            HashMap::from([(LABEL_WOK.to_owned(), wok.id.to_string()), (LABEL_TEAM.to_owned(), wok.team.to_string())]);
        for volume in plans.iter().flat_map(|p| &p.volumes) {
            match self.docker.inspect_volume(volume).await {
                Ok(_) => continue,
                Err(e) if is_not_found(&e) => {}
                Err(e) => return Err(engine(e)),
            }
            undo.volumes.push(volume.clone());
            let request =
                VolumeCreateRequest { name: Some(volume.clone()), labels: Some(labels.clone()), ..Default::default() };
            self.docker.create_volume(request).await.map_err(engine)?;
            changes.created.push(volume.clone());
        }

        let existing = self.containers(&wok.id).await?;
        for extra in existing.iter().filter(|c| !plans.iter().any(|p| p.name == c.name)) {
            if !replace {
                return Err(Error::Drift { resource: extra.name.clone() });
            }
            self.remove_container(&extra.name).await?;
            changes.removed.push(extra.name.clone());
        }

        let mut to_start = Vec::new();
        for (plan, secrets) in plans.iter().zip(secrets) {
            match existing.iter().find(|c| c.name == plan.name) {
                Some(found) if found.hash == plan.hash && found.running => continue,
                Some(found) if found.hash == plan.hash => {
                    changes.started.push(plan.name.clone());
                    to_start.push(plan);
                }
                Some(_) if !replace => return Err(Error::Drift { resource: plan.name.clone() }),
                Some(_) => {
                    self.remove_container(&plan.name).await?;
                    self.create_container(plan, secrets, undo).await?;
                    changes.replaced.push(plan.name.clone());
                    to_start.push(plan);
                }
                None => {
                    self.create_container(plan, secrets, undo).await?;
                    changes.created.push(plan.name.clone());
                    to_start.push(plan);
                }
            }
        }
        for plan in &to_start {
            self.docker.start_container(&plan.name, None).await.map_err(engine)?;
        }
        try_join_all(plans.iter().map(|plan| {
            let started_now = to_start.iter().any(|p| p.name == plan.name);
            self.wait_ready(plan, started_now)
        }))
        .await?;
        Ok(changes)
    }

    async fn ensure_network(
        &self,
        wok: &Wok,
        spec: &WokSpec,
        undo: &mut Undo,
        changes: &mut Changes,
    ) -> Result<(), Error> {
        let name = network_name(&wok.id);
        match self.docker.inspect_network(&name, None).await {
            Ok(found) => {
                if found.internal.unwrap_or(false) == spec.egress {
                    return Err(Error::Drift { resource: name });
                }
                return Ok(());
            }
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(engine(e)),
        }
        let mut options = HashMap::from([("com.docker.network.bridge.enable_icc".to_owned(), "true".to_owned())]);
        if !spec.egress {
            // No address for the host on this bridge: see the module docs.
            options.insert("com.docker.network.bridge.inhibit_ipv4".into(), "true".into());
        }
        let labels =
            HashMap::from([(LABEL_WOK.to_owned(), wok.id.to_string()), (LABEL_TEAM.to_owned(), wok.team.to_string())]);
        let _subnets = self.subnet_lock.lock().await;
        let mut refused: Vec<IpNet> = Vec::new();
        // Another process may take a subnet between our look and our create;
        // the engine then refuses the overlap and the next one is tried.
        for _ in 0..32 {
            let mut taken = self.taken_subnets().await?;
            taken.extend(refused.iter().copied());
            let subnet = self.config.subnets.first_free(&taken).ok_or_else(|| self.config.subnets.exhausted())?;
            let request = NetworkCreateRequest {
                name: name.clone(),
                driver: Some("bridge".into()),
                internal: Some(!spec.egress),
                attachable: Some(false),
                ipam: Some(Ipam {
                    driver: Some("default".into()),
                    config: Some(vec![IpamConfig { subnet: Some(subnet.to_string()), ..Default::default() }]),
                    options: None,
                }),
                options: Some(options.clone()),
                labels: Some(labels.clone()),
                ..Default::default()
            };
            undo.network = Some(name.clone());
            match self.docker.create_network(request).await {
                Ok(_) => {
                    changes.created.push(name);
                    return Ok(());
                }
                Err(BollardError::DockerResponseServerError { message, .. }) if message.contains("overlap") => {
                    refused.push(IpNet::V4(subnet));
                }
                Err(e) => return Err(engine(e)),
            }
        }
        Err(self.config.subnets.exhausted())
    }

    async fn taken_subnets(&self) -> Result<Vec<IpNet>, Error> {
        let networks = self.docker.list_networks(None::<ListNetworksOptions>).await.map_err(engine)?;
        Ok(networks
            .iter()
            .flat_map(|n| n.ipam.iter().flat_map(|ipam| ipam.config.iter().flatten()))
            .filter_map(|c| c.subnet.as_deref().and_then(|s| s.parse().ok()))
            .collect())
    }

    async fn create_container(&self, plan: &Plan, secrets: Vec<SecretEnv>, undo: &mut Undo) -> Result<(), Error> {
        let mut body = plan.body.clone();
        let mut labels = body.labels.take().unwrap_or_default();
        labels.insert(LABEL_SPEC.into(), plan.hash.clone());
        body.labels = Some(labels);
        // Secret values join the environment here and nowhere else: not the
        // labels, not the hash, not any log line.
        let env = body.env.get_or_insert_with(Vec::new);
        for secret in secrets {
            env.push(format!("{}={}", secret.var, secret.value.expose_secret()));
        }
        undo.containers.push(plan.name.clone());
        let options = CreateContainerOptionsBuilder::new().name(&plan.name).build();
        let created = self.docker.create_container(Some(options), body).await;
        // The request body held secret values; drop them promptly.
        if let Err(e) = created {
            return Err(engine(e));
        }
        Ok(())
    }

    async fn remove_container(&self, name: &str) -> Result<(), Error> {
        let options = RemoveContainerOptionsBuilder::new().force(true).build();
        match self.docker.remove_container(name, Some(options)).await {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(engine(e)),
        }
    }

    /// Polls until the container runs and its readiness command succeeds.
    /// A restart while waiting counts as an exit; for a container this call
    /// did not start, restarts from before the call do not count.
    async fn wait_ready(&self, plan: &Plan, started_now: bool) -> Result<(), Error> {
        let started = Instant::now();
        let deadline = started + self.config.ready_timeout;
        let mut earlier_restarts = None;
        loop {
            let inspect = self.docker.inspect_container(&plan.name, None).await.map_err(engine)?;
            let state = inspect.state.as_ref();
            let running = state.and_then(|s| s.running).unwrap_or(false);
            let restarts = inspect.restart_count.unwrap_or(0);
            let baseline = *earlier_restarts.get_or_insert(if started_now { 0 } else { restarts });
            let exit_code = state.and_then(|s| s.exit_code).unwrap_or(0);
            let restarting = state.and_then(|s| s.restarting).unwrap_or(false);
            if (!running && !restarting) || restarts > baseline {
                return Err(Error::Exited { container: plan.name.clone(), exit_code });
            }
            if running {
                match &plan.ready_check {
                    None => return Ok(()),
                    Some(check) => {
                        let timeout = self.config.exec_timeout.min(deadline.saturating_duration_since(Instant::now()));
                        if let Ok(out) = self.exec_in(&plan.name, check, timeout).await
                            && out.exit_code == 0
                        {
                            return Ok(());
                        }
                    }
                }
            }
            if Instant::now() + self.config.poll_interval >= deadline {
                return Err(Error::NotReady { container: plan.name.clone(), waited: started.elapsed() });
            }
            tokio::time::sleep(self.config.poll_interval).await;
        }
    }

    async fn exec_in(&self, container: &str, command: &[String], timeout: Duration) -> Result<ExecOutput, Error> {
        let run = async {
            let config = ExecConfig {
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                cmd: Some(command.to_vec()),
                ..Default::default()
            };
            let exec = self.docker.create_exec(container, config).await.map_err(|e| not_found_or(e, "service"))?;
            let options = StartExecOptions { detach: false, tty: false, output_capacity: None };
            let mut stdout = Vec::new();
            let mut stderr = Vec::new();
            if let StartExecResults::Attached { mut output, .. } =
                self.docker.start_exec(&exec.id, Some(options)).await.map_err(engine)?
            {
                while let Some(chunk) = output.next().await {
                    match chunk.map_err(engine)? {
                        bollard::container::LogOutput::StdErr { message } => stderr.extend_from_slice(&message),
                        other => stdout.extend_from_slice(&other.into_bytes()),
                    }
                }
            }
            let inspect = self.docker.inspect_exec(&exec.id).await.map_err(engine)?;
            Ok(ExecOutput {
                exit_code: inspect.exit_code.unwrap_or(-1),
                stdout: String::from_utf8_lossy(&stdout).into_owned(),
                stderr: String::from_utf8_lossy(&stderr).into_owned(),
            })
        };
        tokio::time::timeout(timeout, run)
            .await
            .map_err(|_| Error::ExecTimeout { container: container.to_owned(), waited: timeout })?
    }

    /// The Wok's containers as the engine has them, with their labels.
    async fn containers(&self, wok: &WokId) -> Result<Vec<Existing>, Error> {
        let label = format!("{LABEL_WOK}={wok}");
        let filters = HashMap::from([("label", vec![label.as_str()])]);
        let options = ListContainersOptionsBuilder::new().all(true).filters(&filters).build();
        let list = self.docker.list_containers(Some(options)).await.map_err(engine)?;
        Ok(list
            .into_iter()
            .map(|c| {
                let labels = c.labels.unwrap_or_default();
                Existing {
                    name: c.names.and_then(|n| n.into_iter().next()).unwrap_or_default().trim_start_matches('/').into(),
                    hash: labels.get(LABEL_SPEC).cloned().unwrap_or_default(),
                    service: labels.get(LABEL_SERVICE).cloned().unwrap_or_default(),
                    running: c.state.map(|s| s.to_string() == "running").unwrap_or(false),
                }
            })
            .collect())
    }

    fn container_status(&self, service: String, inspect: ContainerInspectResponse) -> ContainerStatus {
        let state = inspect.state.unwrap_or_default();
        let health = state.health.and_then(|h| h.status).and_then(|s| match s {
            HealthStatusEnum::STARTING => Some(Health::Starting),
            HealthStatusEnum::HEALTHY => Some(Health::Healthy),
            HealthStatusEnum::UNHEALTHY => Some(Health::Unhealthy),
            _ => None,
        });
        let settings = inspect.network_settings.unwrap_or_default();
        let mut addresses: Vec<IpAddr> = settings
            .networks
            .iter()
            .flat_map(|n| n.values())
            .filter_map(|e| e.ip_address.as_deref().and_then(|ip| ip.parse().ok()))
            .collect();
        addresses.sort();
        let mut published_ports: Vec<u16> = settings
            .ports
            .iter()
            .flat_map(|p| p.values())
            .flatten()
            .flatten()
            .filter_map(|b| b.host_port.as_deref().and_then(|p| p.parse().ok()))
            .collect();
        published_ports.sort_unstable();
        published_ports.dedup();
        let mut ports: Vec<u16> = inspect
            .config
            .and_then(|c| c.exposed_ports)
            .into_iter()
            .flatten()
            .filter_map(|p| p.split('/').next().and_then(|p| p.parse().ok()))
            .collect();
        if service == POSTGRES && !ports.contains(&POSTGRES_PORT) {
            ports.push(POSTGRES_PORT);
        }
        ports.sort_unstable();
        ports.dedup();
        ContainerStatus {
            id: inspect.id.unwrap_or_default(),
            service,
            name: inspect.name.unwrap_or_default().trim_start_matches('/').into(),
            running: state.running.unwrap_or(false),
            health,
            addresses,
            ports,
            published_ports,
        }
    }
}

#[async_trait]
impl Provisioner for DockerProvisioner {
    async fn provision(&self, wok: &Wok, spec: &WokSpec) -> Result<WokStatus, Error> {
        self.converge(wok, spec, false).await?;
        self.status(&wok.id).await
    }

    async fn status(&self, wok: &WokId) -> Result<WokStatus, Error> {
        let mut existing = self.containers(wok).await?;
        // Postgres first, then services by name.
        existing.sort_by(|a, b| (a.service != POSTGRES, &a.service).cmp(&(b.service != POSTGRES, &b.service)));
        let mut containers = Vec::with_capacity(existing.len());
        for c in existing {
            match self.docker.inspect_container(&c.name, None).await {
                Ok(inspect) => containers.push(self.container_status(c.service, inspect)),
                Err(e) if is_not_found(&e) => {}
                Err(e) => return Err(engine(e)),
            }
        }
        let name = network_name(wok);
        let network = match self.docker.inspect_network(&name, None).await {
            Ok(found) => {
                let config = found.ipam.and_then(|i| i.config).and_then(|c| c.into_iter().next()).unwrap_or_default();
                // With no host address on the bridge the engine leaves the
                // gateway out of the network and reports it per endpoint.
                let mut gateway = config.gateway.as_deref().and_then(|g| g.parse().ok());
                if gateway.is_none()
                    && let Some(first) = containers.first()
                {
                    let inspect = self.docker.inspect_container(&first.name, None).await.map_err(engine)?;
                    gateway = inspect
                        .network_settings
                        .and_then(|s| s.networks)
                        .and_then(|mut n| n.remove(&name))
                        .and_then(|e| e.gateway)
                        .and_then(|g| g.parse().ok());
                }
                Some(NetworkStatus {
                    name,
                    subnet: config.subnet.unwrap_or_default(),
                    gateway,
                    internal: found.internal.unwrap_or(false),
                })
            }
            Err(e) if is_not_found(&e) => None,
            Err(e) => return Err(engine(e)),
        };
        let label = format!("{LABEL_WOK}={wok}");
        let filters = HashMap::from([("label", vec![label.as_str()])]);
        let volumes = self
            .docker
            .list_volumes(Some(ListVolumesOptionsBuilder::new().filters(&filters).build()))
            .await
            .map_err(engine)?;
        let mut volumes: Vec<String> = volumes.volumes.unwrap_or_default().into_iter().map(|v| v.name).collect();
        volumes.sort();
        Ok(WokStatus { wok: *wok, network, containers, volumes })
    }

    async fn reconcile(&self, wok: &Wok, spec: &WokSpec) -> Result<Changes, Error> {
        self.converge(wok, spec, true).await
    }

    async fn deprovision(&self, wok: &WokId, keep_data: bool) -> Result<(), Error> {
        let lock = self.wok_lock(wok);
        let _held = lock.lock().await;
        let containers = self.containers(wok).await?;
        try_join_all(containers.iter().map(|c| self.remove_container(&c.name))).await?;
        let network = network_name(wok);
        match self.docker.inspect_network(&network, None).await {
            Ok(found) => {
                // Containers of other Woks may have been attached (the
                // negative control does so); the network cannot go while they are.
                for id in found.containers.unwrap_or_default().into_keys() {
                    let request = NetworkDisconnectRequest { container: id, force: Some(true) };
                    match self.docker.disconnect_network(&network, request).await {
                        Ok(()) => {}
                        Err(e) if is_not_found(&e) => {}
                        Err(e) => return Err(engine(e)),
                    }
                }
                match self.docker.remove_network(&network).await {
                    Ok(()) => {}
                    Err(e) if is_not_found(&e) => {}
                    Err(e) => return Err(engine(e)),
                }
            }
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(engine(e)),
        }
        if !keep_data {
            let label = format!("{LABEL_WOK}={wok}");
            let filters = HashMap::from([("label", vec![label.as_str()])]);
            let volumes = self
                .docker
                .list_volumes(Some(ListVolumesOptionsBuilder::new().filters(&filters).build()))
                .await
                .map_err(engine)?;
            for volume in volumes.volumes.unwrap_or_default() {
                let options = RemoveVolumeOptionsBuilder::new().force(true).build();
                match self.docker.remove_volume(&volume.name, Some(options)).await {
                    Ok(()) => {}
                    Err(e) if is_not_found(&e) => {}
                    Err(e) => return Err(engine(e)),
                }
            }
        }
        Ok(())
    }

    async fn exec(&self, wok: &WokId, service: &str, command: &[String]) -> Result<ExecOutput, Error> {
        if command.is_empty() {
            return Err(Error::Config("an empty command".into()));
        }
        self.exec_in(&container_name(wok, service), command, self.config.exec_timeout).await
    }
}

/// A container of a Wok as the engine lists it.
struct Existing {
    name: String,
    service: String,
    hash: String,
    running: bool,
}

/// A secret value bound for one environment variable.
struct SecretEnv {
    var: String,
    value: SecretValue,
}

/// What one `converge` has created, removed again unless it succeeds —
/// also when the caller drops the future half-way (the removal then runs
/// on the runtime in the background).
struct Undo {
    docker: Docker,
    containers: Vec<String>,
    network: Option<String>,
    volumes: Vec<String>,
    armed: bool,
}

impl Undo {
    fn new(docker: Docker) -> Self {
        Self { docker, containers: Vec::new(), network: None, volumes: Vec::new(), armed: true }
    }

    fn disarm(&mut self) {
        self.armed = false;
    }

    async fn run(&mut self) {
        self.armed = false;
        cleanup(
            self.docker.clone(),
            std::mem::take(&mut self.containers),
            self.network.take(),
            std::mem::take(&mut self.volumes),
        )
        .await;
    }
}

impl Drop for Undo {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let docker = self.docker.clone();
            let (containers, network, volumes) =
                (std::mem::take(&mut self.containers), self.network.take(), std::mem::take(&mut self.volumes));
            handle.spawn(async move {
                cleanup(docker.clone(), containers.clone(), network.clone(), volumes.clone()).await;
                // A create request that was in flight when the future was
                // dropped may still land on the engine; sweep once more.
                tokio::time::sleep(Duration::from_millis(500)).await;
                cleanup(docker, containers, network, volumes).await;
            });
        }
    }
}

/// Best effort: removes the named resources, ignoring ones already gone.
/// Errors are dropped because the original error is the one to report.
async fn cleanup(docker: Docker, containers: Vec<String>, network: Option<String>, volumes: Vec<String>) {
    let options = RemoveContainerOptionsBuilder::new().force(true).build();
    for name in &containers {
        let _ = docker.remove_container(name, Some(options.clone())).await;
    }
    if let Some(network) = &network {
        let _ = docker.remove_network(network).await;
    }
    for volume in &volumes {
        let _ = docker.remove_volume(volume, Some(RemoveVolumeOptionsBuilder::new().force(true).build())).await;
    }
}

/// The containers a spec asks for, Postgres first.
fn plan(config: &DockerConfig, wok: &Wok, spec: &WokSpec) -> Vec<Plan> {
    let network = network_name(&wok.id);
    let labels = |service: &str| {
        HashMap::from([
            (LABEL_WOK.to_owned(), wok.id.to_string()),
            (LABEL_TEAM.to_owned(), wok.team.to_string()),
            (LABEL_SERVICE.to_owned(), service.to_owned()),
        ])
    };
    let networking = |alias: &str| NetworkingConfig {
        endpoints_config: Some(HashMap::from([(
            network.clone(),
            EndpointSettings { aliases: Some(vec![alias.to_owned()]), ..Default::default() },
        )])),
    };
    let pg = &spec.postgres;
    let pg_ready =
        vec!["pg_isready".into(), "-q".into(), "-h".into(), "127.0.0.1".into(), "-U".into(), pg.user.clone()];
    let pg_volume = volume_name(&wok.id, None);
    let mut plans = vec![Plan {
        name: container_name(&wok.id, POSTGRES),
        body: ContainerCreateBody {
            image: Some(pg.image.clone()),
            hostname: Some(POSTGRES.into()),
            env: Some(vec![format!("POSTGRES_USER={}", pg.user), format!("POSTGRES_DB={}", pg.database)]),
            labels: Some(labels(POSTGRES)),
            healthcheck: Some(health(&pg_ready, 2, 3, 30, 0)),
            host_config: Some(HostConfig {
                mounts: Some(vec![volume_mount(&pg_volume, &config.postgres_data_path, false)]),
                restart_policy: Some(restart(RestartPolicy::UnlessStopped)),
                ..host_config(&pg.limits)
            }),
            networking_config: Some(networking(POSTGRES)),
            ..Default::default()
        },
        hash: String::new(),
        secrets: vec![format!("POSTGRES_PASSWORD={}", pg.password_secret)],
        ready_check: Some(pg_ready),
        volumes: vec![pg_volume],
    }];
    for service in &spec.services {
        plans.push(plan_service(wok, spec, service, labels(&service.name), networking(&service.name)));
    }
    for plan in &mut plans {
        plan.hash = config_hash(&plan.body, &plan.secrets);
    }
    plans
}

fn plan_service(
    wok: &Wok,
    spec: &WokSpec,
    service: &ServiceSpec,
    labels: HashMap<String, String>,
    networking: NetworkingConfig,
) -> Plan {
    // Plain, non-secret facts every service may use to find its database.
    let mut env: BTreeMap<&str, String> = BTreeMap::from([
        ("TELLWANG_WOK", wok.id.to_string()),
        ("TELLWANG_TEAM", wok.team.to_string()),
        ("PGHOST", POSTGRES.into()),
        ("PGPORT", POSTGRES_PORT.to_string()),
        ("PGDATABASE", spec.postgres.database.clone()),
        ("PGUSER", spec.postgres.user.clone()),
    ]);
    for (key, value) in &service.env {
        env.insert(key, value.clone());
    }
    let mounts: Vec<Mount> = service
        .volumes
        .iter()
        .map(|v| volume_mount(&volume_name(&wok.id, Some(&v.name)), &v.path, v.read_only))
        .collect();
    let ready_check = service.health_check.as_ref().map(|h| h.command.clone());
    Plan {
        name: container_name(&wok.id, &service.name),
        body: ContainerCreateBody {
            image: Some(service.image.clone()),
            hostname: Some(service.name.clone()),
            cmd: (!service.command.is_empty()).then(|| service.command.clone()),
            env: Some(env.into_iter().map(|(k, v)| format!("{k}={v}")).collect()),
            exposed_ports: Some(service.ports.iter().map(|p| format!("{p}/tcp")).collect()),
            labels: Some(labels),
            healthcheck: service
                .health_check
                .as_ref()
                .map(|h| health(&h.command, h.interval_secs, h.timeout_secs, h.retries, h.start_period_secs)),
            host_config: Some(HostConfig {
                mounts: Some(mounts),
                restart_policy: Some(restart(service.restart)),
                ..host_config(&service.limits)
            }),
            networking_config: Some(networking),
            ..Default::default()
        },
        hash: String::new(),
        secrets: service.secret_env.iter().map(|name| format!("{name}={name}")).collect(),
        ready_check,
        volumes: service.volumes.iter().map(|v| volume_name(&wok.id, Some(&v.name))).collect(),
    }
}

fn wok_hex(wok: &WokId) -> String {
    hex::encode(wok.as_bytes())
}

/// The engine's name for the network of `wok`.
pub fn network_name(wok: &WokId) -> String {
    format!("tw-{}", wok_hex(wok))
}

/// The engine's name for the container of `service` in `wok`
/// (`postgres` for the database).
pub fn container_name(wok: &WokId, service: &str) -> String {
    format!("tw-{}-{service}", wok_hex(wok))
}

fn volume_name(wok: &WokId, name: Option<&str>) -> String {
    match name {
        None => format!("tw-{}-pgdata", wok_hex(wok)),
        Some(name) => format!("tw-{}-vol-{name}", wok_hex(wok)),
    }
}

fn volume_mount(source: &str, target: &str, read_only: bool) -> Mount {
    Mount {
        source: Some(source.into()),
        target: Some(target.into()),
        typ: Some(MountType::VOLUME),
        read_only: Some(read_only),
        ..Default::default()
    }
}

fn host_config(limits: &Limits) -> HostConfig {
    HostConfig {
        memory: Some(i64::from(limits.memory_mib) * 1024 * 1024),
        nano_cpus: Some(i64::from(limits.cpu_millis) * 1_000_000),
        pids_limit: Some(i64::from(limits.pids)),
        // Nothing is published: a published port is reachable from every
        // other bridge network through the host.
        publish_all_ports: Some(false),
        security_opt: Some(vec!["no-new-privileges:true".into()]),
        ..Default::default()
    }
}

fn health(command: &[String], interval: u32, timeout: u32, retries: u32, start_period: u32) -> HealthConfig {
    const SECOND: i64 = 1_000_000_000;
    let mut test = vec!["CMD".to_owned()];
    test.extend(command.iter().cloned());
    HealthConfig {
        test: Some(test),
        interval: Some(i64::from(interval) * SECOND),
        timeout: Some(i64::from(timeout) * SECOND),
        retries: Some(i64::from(retries)),
        start_period: Some(i64::from(start_period) * SECOND),
        start_interval: None,
    }
}

fn restart(policy: RestartPolicy) -> EngineRestart {
    let name = match policy {
        RestartPolicy::No => RestartPolicyNameEnum::NO,
        RestartPolicy::OnFailure => RestartPolicyNameEnum::ON_FAILURE,
        RestartPolicy::UnlessStopped => RestartPolicyNameEnum::UNLESS_STOPPED,
        RestartPolicy::Always => RestartPolicyNameEnum::ALWAYS,
    };
    EngineRestart { name: Some(name), maximum_retry_count: None }
}

/// A hash of everything a container is created from, with secrets only by
/// name, so a change of spec shows and a secret's value never does.
fn config_hash(body: &ContainerCreateBody, secrets: &[String]) -> String {
    let mut hasher = Sha256::new();
    let value = canonical(serde_json::to_value(body).unwrap_or_default());
    hasher.update(serde_json::to_vec(&value).unwrap_or_default());
    for secret in secrets {
        hasher.update(b"\0");
        hasher.update(secret.as_bytes());
    }
    hex::encode(&hasher.finalize()[..16])
}

/// The value with every object's keys in sorted order: the body holds hash
/// maps, whose order would otherwise change from one process to the next.
fn canonical(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let sorted: BTreeMap<String, serde_json::Value> = map.into_iter().map(|(k, v)| (k, canonical(v))).collect();
            serde_json::Value::Object(sorted.into_iter().collect())
        }
        serde_json::Value::Array(items) => serde_json::Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

fn engine(error: BollardError) -> Error {
    Error::Engine(BackendError::new(error))
}

fn is_not_found(error: &BollardError) -> bool {
    matches!(error, BollardError::DockerResponseServerError { status_code: 404, .. })
}

fn not_found_or(error: BollardError, what: &'static str) -> Error {
    if is_not_found(&error) { Error::NotFound { what } } else { engine(error) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images;
    use tellwang_core::{TeamId, Timestamp};

    fn wok() -> Wok {
        Wok {
            id: WokId::generate().unwrap(),
            team: TeamId::generate().unwrap(),
            name: "unit".into(),
            region: "test".into(),
            created_at: Timestamp::now(),
        }
    }

    #[test]
    fn plans_carry_labels_limits_and_no_secret_values() {
        let wok = wok();
        let spec = images::realtime_wok_spec();
        let plans = plan(&DockerConfig::default(), &wok, &spec);
        assert_eq!(plans.len(), 2);
        for plan in &plans {
            let labels = plan.body.labels.as_ref().unwrap();
            assert_eq!(labels.get(LABEL_WOK), Some(&wok.id.to_string()));
            assert_eq!(labels.get(LABEL_TEAM), Some(&wok.team.to_string()));
            let host = plan.body.host_config.as_ref().unwrap();
            assert!(host.memory.unwrap() > 0 && host.nano_cpus.unwrap() > 0 && host.pids_limit.unwrap() > 0);
            assert!(host.port_bindings.is_none() && host.publish_all_ports == Some(false));
            // Secrets are only named; the plan holds no value to leak.
            let env = plan.body.env.as_ref().unwrap();
            assert!(!env.iter().any(|e| e.starts_with("POSTGRES_PASSWORD=") || e.starts_with("REALTIME_TOKEN=")));
        }
        assert_eq!(plans[0].secrets, vec!["POSTGRES_PASSWORD=POSTGRES_PASSWORD".to_owned()]);
        assert_eq!(plans[1].secrets, vec!["REALTIME_TOKEN=REALTIME_TOKEN".to_owned()]);
        assert_eq!(plans[0].name, container_name(&wok.id, "postgres"));
    }

    #[test]
    fn the_config_hash_is_stable_and_follows_the_spec() {
        let wok = wok();
        let spec = images::realtime_wok_spec();
        let hashes =
            |spec: &WokSpec| plan(&DockerConfig::default(), &wok, spec).into_iter().map(|p| p.hash).collect::<Vec<_>>();
        let first = hashes(&spec);
        // Hash maps inside the body must not make the hash vary.
        for _ in 0..20 {
            assert_eq!(hashes(&spec), first);
        }
        let mut changed = spec.clone();
        changed.services[0].limits.memory_mib += 1;
        let after = hashes(&changed);
        assert_eq!(after[0], first[0]);
        assert_ne!(after[1], first[1]);
        let mut renamed = spec.clone();
        renamed.services[0].secret_env.insert("OTHER_SECRET".into());
        assert_ne!(hashes(&renamed)[1], first[1]);
    }

    #[test]
    fn names_are_derived_from_the_wok_id() {
        let wok = wok();
        let hex = hex::encode(wok.id.as_bytes());
        assert_eq!(network_name(&wok.id), format!("tw-{hex}"));
        assert_eq!(volume_name(&wok.id, None), format!("tw-{hex}-pgdata"));
        assert_eq!(volume_name(&wok.id, Some("files")), format!("tw-{hex}-vol-files"));
    }
}
