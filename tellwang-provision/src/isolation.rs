//! The release check: two Woks try to reach each other, and any cross-talk fails it.
//!
//! From inside each Wok (by running the probe binary in its realtime
//! service) the check tries the other Wok's Postgres and realtime channel
//!
//! * by every container address, on every port the container listens on,
//! * by DNS name (the engine's container names),
//! * through every host address the engine knows (gateways of all its
//!   networks, the Woks' own reported gateways included) on every port the
//!   other Wok publishes, and
//! * the host itself: a listener the check opens on all host interfaces
//!   for the run, tried at each of those addresses.
//!
//! It must reach none of these — and must reach its own Postgres and its own
//! realtime channel (which names its Wok in its greeting), so a probe that
//! cannot connect anywhere does not pass as "isolated".

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use futures_util::future::try_join_all;
use tellwang_core::WokId;

use crate::Error;
use crate::docker::DockerProvisioner;
use crate::images::REALTIME_PORT;
use crate::provisioner::{Provisioner, WokStatus};

/// How the check probes.
#[derive(Debug, Clone)]
pub struct IsolationOptions {
    /// The service of each Wok the probes run in.
    pub probe_service: String,
    /// The probe program and its subcommand; the target (`HOST:PORT`) and
    /// flags are appended. It exits 0 when it reached the target, 1 when not,
    /// 2 when it reached something that did not answer as expected.
    pub probe_command: Vec<String>,
    /// Further addresses at which the host might answer a container.
    pub host_addresses: Vec<IpAddr>,
    /// How long one connection attempt may take.
    pub probe_timeout: Duration,
}

impl Default for IsolationOptions {
    fn default() -> Self {
        Self {
            probe_service: "realtime".into(),
            probe_command: vec!["/realtime".into(), "probe".into()],
            host_addresses: Vec::new(),
            probe_timeout: Duration::from_millis(1000),
        }
    }
}

/// What a probe aimed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProbeKind {
    /// The Wok's own service; must be reached.
    Own,
    /// The other Wok's container, by address.
    OtherByAddress,
    /// The other Wok's container, by DNS name.
    OtherByName,
    /// A port the other Wok publishes on the host, at a host address.
    HostPublished,
    /// The host itself, at a host address.
    Host,
}

/// One probe and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// The Wok the probe ran in.
    pub from: WokId,
    /// What it aimed at.
    pub kind: ProbeKind,
    /// `HOST:PORT`.
    pub target: String,
    /// Whether it connected (for [`ProbeKind::Own`]: and got the expected answer).
    pub reached: bool,
    /// What the probe printed.
    pub answer: String,
}

impl Probe {
    /// Whether the outcome is the one isolation requires.
    pub fn is_ok(&self) -> bool {
        match self.kind {
            ProbeKind::Own => self.reached,
            _ => !self.reached,
        }
    }
}

/// Every probe of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsolationReport {
    /// The probes, in the order they were planned.
    pub probes: Vec<Probe>,
}

impl IsolationReport {
    /// Whether each Wok reached its own services and nothing else.
    pub fn passed(&self) -> bool {
        !self.probes.is_empty() && self.probes.iter().all(Probe::is_ok)
    }

    /// The probes whose outcome breaks isolation (or failed to reach their own).
    pub fn failures(&self) -> impl Iterator<Item = &Probe> {
        self.probes.iter().filter(|p| !p.is_ok())
    }
}

impl fmt::Display for IsolationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for probe in &self.probes {
            let verdict = if probe.is_ok() { "ok  " } else { "FAIL" };
            let reached = if probe.reached { "reached" } else { "unreached" };
            writeln!(f, "{verdict} {} {:?} {} {reached}", probe.from, probe.kind, probe.target)?;
        }
        let failures = self.failures().count();
        write!(
            f,
            "{} probes, {failures} failed: {}",
            self.probes.len(),
            if self.passed() { "ISOLATED" } else { "CROSS-TALK" }
        )
    }
}

struct Planned {
    from: WokId,
    kind: ProbeKind,
    target: String,
    flags: Vec<String>,
}

/// Runs the check between Woks `a` and `b`, which must both be provisioned
/// and run `options.probe_service`.
pub async fn check_isolation<P: Provisioner + ?Sized>(
    provisioner: &P,
    a: &WokId,
    b: &WokId,
    options: &IsolationOptions,
) -> Result<IsolationReport, Error> {
    let (status_a, status_b) = (provisioner.status(a).await?, provisioner.status(b).await?);
    for status in [&status_a, &status_b] {
        if status.container(&options.probe_service).is_none() {
            return Err(Error::NotFound { what: "probe service" });
        }
    }
    // A listener on every host interface, open for the length of the run:
    // reaching it from a Wok means the Wok has a path to the host.
    let host = tokio::net::TcpListener::bind("0.0.0.0:0").await.map_err(Error::HostListener)?;
    let host_port = host.local_addr().map_err(Error::HostListener)?.port();

    let mut hosts: Vec<IpAddr> = options.host_addresses.clone();
    hosts.extend(status_a.network.iter().chain(status_b.network.iter()).filter_map(|n| n.gateway));
    hosts.sort();
    hosts.dedup();

    let mut planned = plan(&status_a, &status_b, &hosts, host_port, options);
    planned.extend(plan(&status_b, &status_a, &hosts, host_port, options));
    let probes = try_join_all(planned.into_iter().map(|p| run(provisioner, p, options))).await?;
    drop(host);
    Ok(IsolationReport { probes })
}

/// The negative control: attaches `b`'s probe service to `a`'s network, runs
/// the check, and detaches it again. The report it returns must fail; if it
/// passes, the check cannot see cross-talk and proves nothing.
pub async fn negative_control(
    provisioner: &DockerProvisioner,
    a: &WokId,
    b: &WokId,
    options: &IsolationOptions,
) -> Result<IsolationReport, Error> {
    provisioner.join_network(b, &options.probe_service, a).await?;
    let report = check_isolation(provisioner, a, b, options).await;
    let left = provisioner.leave_network(b, &options.probe_service, a).await;
    let report = report?;
    left?;
    Ok(report)
}

fn plan(
    me: &WokStatus,
    other: &WokStatus,
    hosts: &[IpAddr],
    host_port: u16,
    options: &IsolationOptions,
) -> Vec<Planned> {
    let from = me.wok;
    let mut out = Vec::new();
    let mut push = |kind, target: String, flags: Vec<String>| out.push(Planned { from, kind, target, flags });
    let expect_me = vec!["--expect".to_owned(), format!("wok={from}")];
    let pg = vec!["--postgres".to_owned()];

    // Its own: by name, and its Postgres by address too.
    push(ProbeKind::Own, "postgres:5432".into(), pg.clone());
    if let Some(ip) = me.container("postgres").and_then(|c| c.addresses.first()) {
        push(ProbeKind::Own, SocketAddr::new(*ip, 5432).to_string(), pg.clone());
    }
    push(ProbeKind::Own, format!("{}:{REALTIME_PORT}", options.probe_service), expect_me);

    for container in &other.containers {
        let flags = if container.service == "postgres" { pg.clone() } else { Vec::new() };
        for port in &container.ports {
            for ip in &container.addresses {
                push(ProbeKind::OtherByAddress, SocketAddr::new(*ip, *port).to_string(), flags.clone());
            }
            push(ProbeKind::OtherByName, format!("{}:{port}", container.name), flags.clone());
        }
        for port in &container.published_ports {
            for host in hosts {
                push(ProbeKind::HostPublished, SocketAddr::new(*host, *port).to_string(), flags.clone());
            }
        }
    }
    for host in hosts {
        push(ProbeKind::Host, SocketAddr::new(*host, host_port).to_string(), Vec::new());
    }
    out
}

async fn run<P: Provisioner + ?Sized>(
    provisioner: &P,
    planned: Planned,
    options: &IsolationOptions,
) -> Result<Probe, Error> {
    let mut command = options.probe_command.clone();
    command.push(planned.target.clone());
    command.extend(planned.flags);
    command.push("--timeout-ms".into());
    command.push(options.probe_timeout.as_millis().to_string());
    let output = provisioner.exec(&planned.from, &options.probe_service, &command).await?;
    let reached = match (planned.kind, output.exit_code) {
        (ProbeKind::Own, 0) => true,
        (ProbeKind::Own, 1 | 2) => false,
        (_, 0 | 2) => true,
        (_, 1) => false,
        (_, code) => {
            return Err(Error::Probe { target: planned.target, exit_code: code });
        }
    };
    Ok(Probe {
        from: planned.from,
        kind: planned.kind,
        target: planned.target,
        reached,
        answer: output.stdout.trim().to_owned(),
    })
}
