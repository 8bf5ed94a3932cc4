//! What a Wok runs: its network, its Postgres and its services.
//!
//! A [`WokSpec`] is plain data, shared by the crates that act on it: the
//! provisioner starts it on a container engine, the exporter writes it out
//! as Terraform. Secret *values* are never part of a spec — a service lists
//! the names of the environment variables it takes from the vault
//! ([`ServiceSpec::secret_env`]), and the values are injected at start.
//!
//! [`WokSpec::validate`] holds a spec to the rules a container engine needs
//! (names, ports, limits). Consumers that only transform a spec, such as the
//! exporter, must still cope with any string in any field.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::name;

/// Everything a Wok runs, apart from its identity ([`crate::Wok`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WokSpec {
    /// Whether the Wok's containers may open connections to the outside
    /// world. Without egress the Wok's network is internal: its containers
    /// reach each other and nothing else.
    #[serde(default)]
    pub egress: bool,
    /// The Wok's own Postgres.
    pub postgres: PostgresSpec,
    /// The Wok's services, in the order they are started.
    #[serde(default)]
    pub services: Vec<ServiceSpec>,
}

/// The Wok's Postgres container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostgresSpec {
    /// The image, e.g. `postgres:16`. Image names are configuration.
    pub image: String,
    /// The database created for the Wok.
    pub database: String,
    /// The role that owns it.
    pub user: String,
    /// The name of the vault secret that holds the role's password.
    pub password_secret: String,
    /// Storage to request for the data volume, in GiB.
    pub storage_gib: u32,
    /// Resource limits.
    pub limits: Limits,
}

impl Default for PostgresSpec {
    fn default() -> Self {
        Self {
            image: "postgres:16".into(),
            database: "app".into(),
            user: "app".into(),
            password_secret: "POSTGRES_PASSWORD".into(),
            storage_gib: 10,
            limits: Limits { memory_mib: 512, cpu_millis: 1000, pids: 256 },
        }
    }
}

/// One service of a Wok.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSpec {
    /// The service's name, unique within the Wok (DNS-label rules); other
    /// containers of the Wok reach it under this name.
    pub name: String,
    /// The image to run.
    pub image: String,
    /// The command, replacing the image's own when not empty.
    #[serde(default)]
    pub command: Vec<String>,
    /// Ports the service listens on inside the Wok's network. They are never
    /// published on the host.
    #[serde(default)]
    pub ports: Vec<u16>,
    /// Plain configuration, set as environment variables.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Names of environment variables whose values come from the Wok's
    /// secrets in the vault, under the same name, when the service starts.
    #[serde(default)]
    pub secret_env: BTreeSet<String>,
    /// How the engine tells that the service is healthy.
    #[serde(default)]
    pub health_check: Option<HealthCheck>,
    /// Resource limits.
    #[serde(default)]
    pub limits: Limits,
    /// Named volumes mounted into the service.
    #[serde(default)]
    pub volumes: Vec<VolumeMount>,
    /// What the engine does when the service exits.
    #[serde(default)]
    pub restart: RestartPolicy,
}

/// A health check run inside a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    /// The command, run directly (no shell); exit status 0 means healthy.
    pub command: Vec<String>,
    /// Seconds between checks.
    pub interval_secs: u32,
    /// Seconds before one check counts as failed.
    pub timeout_secs: u32,
    /// Consecutive failures before the container counts as unhealthy.
    pub retries: u32,
    /// Seconds after start during which failures do not count.
    pub start_period_secs: u32,
}

/// Resource limits of one container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Memory, in MiB.
    pub memory_mib: u32,
    /// CPU, in thousandths of a core.
    pub cpu_millis: u32,
    /// The most processes and threads.
    pub pids: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self { memory_mib: 256, cpu_millis: 500, pids: 128 }
    }
}

/// A named volume mounted into a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeMount {
    /// The volume's name within the Wok (DNS-label rules).
    pub name: String,
    /// The absolute path it is mounted at.
    pub path: String,
    /// Whether the service may only read it.
    #[serde(default)]
    pub read_only: bool,
}

/// What the engine does when a service exits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestartPolicy {
    /// Never restart.
    No,
    /// Restart when it exits with a failure status.
    OnFailure,
    /// Always restart, unless stopped by the operator.
    #[default]
    UnlessStopped,
    /// Always restart.
    Always,
}

/// Why a spec was refused: where, and what is wrong. The offending value is
/// not echoed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid wok spec at `{path}`: {problem}")]
pub struct SpecError {
    /// Where in the spec, e.g. `services[1].env`.
    pub path: String,
    /// What is wrong.
    pub problem: SpecProblem,
}

/// What is wrong with a part of a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpecProblem {
    /// A name breaks its rules.
    Name(name::NameProblem),
    /// An environment variable name is not `[A-Za-z_][A-Za-z0-9_]*` (at most 128 bytes).
    EnvName,
    /// A name is used twice where it must be unique.
    Duplicate,
    /// A required text is empty or holds a NUL or other control character.
    BadText,
    /// Port 0.
    Port,
    /// A limit or duration is zero.
    Zero,
    /// A mount path is not absolute.
    RelativePath,
}

impl fmt::Display for SpecProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpecProblem::Name(problem) => write!(f, "the name {problem}"),
            SpecProblem::EnvName => f.write_str("not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)"),
            SpecProblem::Duplicate => f.write_str("a name is used twice"),
            SpecProblem::BadText => f.write_str("empty, or holds a control character"),
            SpecProblem::Port => f.write_str("port 0 is not a port"),
            SpecProblem::Zero => f.write_str("must be greater than zero"),
            SpecProblem::RelativePath => f.write_str("not an absolute path"),
        }
    }
}

/// The longest environment variable name, in bytes.
pub const MAX_ENV_NAME: usize = 128;

/// Whether `name` is an environment variable name: `[A-Za-z_][A-Za-z0-9_]*`,
/// at most [`MAX_ENV_NAME`] bytes.
pub fn is_env_name(name: &str) -> bool {
    name.len() <= MAX_ENV_NAME
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl WokSpec {
    /// A Wok with the default Postgres and no services.
    pub fn new() -> Self {
        Self { egress: false, postgres: PostgresSpec::default(), services: Vec::new() }
    }

    /// Checks the spec against the rules a container engine needs.
    pub fn validate(&self) -> Result<(), SpecError> {
        let pg = &self.postgres;
        text(&pg.image, "postgres.image")?;
        text(&pg.database, "postgres.database")?;
        text(&pg.user, "postgres.user")?;
        env_name(&pg.password_secret, "postgres.password_secret")?;
        nonzero(pg.storage_gib, "postgres.storage_gib")?;
        limits(&pg.limits, "postgres.limits")?;
        let mut names = BTreeSet::new();
        for (i, service) in self.services.iter().enumerate() {
            let at = |field: &str| format!("services[{i}].{field}");
            name::check_label(&service.name, name::MAX_WOK_NAME)
                .map_err(|p| SpecError { path: at("name"), problem: SpecProblem::Name(p) })?;
            // `postgres` is the database's own name on the Wok's network.
            if service.name == "postgres" || !names.insert(service.name.as_str()) {
                return Err(SpecError { path: at("name"), problem: SpecProblem::Duplicate });
            }
            text(&service.image, &at("image"))?;
            for arg in &service.command {
                no_control(arg, &at("command"))?;
            }
            if service.ports.contains(&0) {
                return Err(SpecError { path: at("ports"), problem: SpecProblem::Port });
            }
            for (key, value) in &service.env {
                env_name(key, &at("env"))?;
                no_control(value, &at("env"))?;
            }
            for key in &service.secret_env {
                env_name(key, &at("secret_env"))?;
                if service.env.contains_key(key) {
                    return Err(SpecError { path: at("secret_env"), problem: SpecProblem::Duplicate });
                }
            }
            if let Some(check) = &service.health_check {
                if check.command.is_empty() {
                    return Err(SpecError { path: at("health_check.command"), problem: SpecProblem::BadText });
                }
                for arg in &check.command {
                    no_control(arg, &at("health_check.command"))?;
                }
                nonzero(check.interval_secs, &at("health_check.interval_secs"))?;
                nonzero(check.timeout_secs, &at("health_check.timeout_secs"))?;
                nonzero(check.retries, &at("health_check.retries"))?;
            }
            limits(&service.limits, &at("limits"))?;
            let mut mounts = BTreeSet::new();
            for volume in &service.volumes {
                name::check_label(&volume.name, name::MAX_WOK_NAME)
                    .map_err(|p| SpecError { path: at("volumes"), problem: SpecProblem::Name(p) })?;
                text(&volume.path, &at("volumes"))?;
                if !volume.path.starts_with('/') {
                    return Err(SpecError { path: at("volumes"), problem: SpecProblem::RelativePath });
                }
                if !mounts.insert(volume.path.as_str()) {
                    return Err(SpecError { path: at("volumes"), problem: SpecProblem::Duplicate });
                }
            }
        }
        Ok(())
    }
}

impl Default for WokSpec {
    fn default() -> Self {
        Self::new()
    }
}

fn text(value: &str, path: &str) -> Result<(), SpecError> {
    if value.is_empty() {
        return Err(SpecError { path: path.into(), problem: SpecProblem::BadText });
    }
    no_control(value, path)
}

fn no_control(value: &str, path: &str) -> Result<(), SpecError> {
    if value.chars().any(char::is_control) {
        return Err(SpecError { path: path.into(), problem: SpecProblem::BadText });
    }
    Ok(())
}

fn env_name(value: &str, path: &str) -> Result<(), SpecError> {
    if is_env_name(value) { Ok(()) } else { Err(SpecError { path: path.into(), problem: SpecProblem::EnvName }) }
}

fn nonzero(value: u32, path: &str) -> Result<(), SpecError> {
    if value == 0 { Err(SpecError { path: path.into(), problem: SpecProblem::Zero }) } else { Ok(()) }
}

fn limits(limits: &Limits, path: &str) -> Result<(), SpecError> {
    nonzero(limits.memory_mib, &format!("{path}.memory_mib"))?;
    nonzero(limits.cpu_millis, &format!("{path}.cpu_millis"))?;
    nonzero(limits.pids, &format!("{path}.pids"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(name: &str) -> ServiceSpec {
        ServiceSpec {
            name: name.into(),
            image: "tellwang/realtime:dev".into(),
            command: vec![],
            ports: vec![4000],
            env: BTreeMap::from([("LOG_LEVEL".into(), "info".into())]),
            secret_env: BTreeSet::from(["JWT_SECRET".into()]),
            health_check: Some(HealthCheck {
                command: vec!["/realtime".into(), "health".into()],
                interval_secs: 2,
                timeout_secs: 2,
                retries: 10,
                start_period_secs: 0,
            }),
            limits: Limits::default(),
            volumes: vec![VolumeMount { name: "data".into(), path: "/data".into(), read_only: false }],
            restart: RestartPolicy::UnlessStopped,
        }
    }

    #[test]
    fn a_sound_spec_passes() {
        let spec = WokSpec { services: vec![service("realtime"), service("api")], ..WokSpec::new() };
        assert_eq!(spec.validate(), Ok(()));
    }

    #[test]
    fn each_rule_is_enforced_with_its_path() {
        type Case = (Box<dyn Fn(&mut WokSpec)>, &'static str, SpecProblem);
        let cases: Vec<Case> = vec![
            (
                Box::new(|s| s.services[0].name = "Bad Name".into()),
                "services[0].name",
                SpecProblem::Name(name::NameProblem::BadCharacter),
            ),
            (Box::new(|s| s.services.push(service("realtime"))), "services[1].name", SpecProblem::Duplicate),
            (Box::new(|s| s.services[0].name = "postgres".into()), "services[0].name", SpecProblem::Duplicate),
            (Box::new(|s| s.services[0].image = String::new()), "services[0].image", SpecProblem::BadText),
            (Box::new(|s| s.services[0].ports.push(0)), "services[0].ports", SpecProblem::Port),
            (
                Box::new(|s| {
                    s.services[0].env.insert("1BAD".into(), "x".into());
                }),
                "services[0].env",
                SpecProblem::EnvName,
            ),
            (
                Box::new(|s| {
                    s.services[0].env.insert("OK".into(), "a\0b".into());
                }),
                "services[0].env",
                SpecProblem::BadText,
            ),
            (
                Box::new(|s| {
                    s.services[0].secret_env.insert("LOG_LEVEL".into());
                }),
                "services[0].secret_env",
                SpecProblem::Duplicate,
            ),
            (Box::new(|s| s.services[0].limits.memory_mib = 0), "services[0].limits.memory_mib", SpecProblem::Zero),
            (
                Box::new(|s| s.services[0].volumes[0].path = "data".into()),
                "services[0].volumes",
                SpecProblem::RelativePath,
            ),
            (
                Box::new(|s| s.postgres.password_secret = "pass word".into()),
                "postgres.password_secret",
                SpecProblem::EnvName,
            ),
        ];
        for (mutate, path, problem) in cases {
            let mut spec = WokSpec { services: vec![service("realtime")], ..WokSpec::new() };
            mutate(&mut spec);
            assert_eq!(spec.validate(), Err(SpecError { path: path.into(), problem }));
        }
    }

    #[test]
    fn env_names() {
        assert!(is_env_name("DATABASE_URL"));
        assert!(is_env_name("_x1"));
        assert!(!is_env_name(""));
        assert!(!is_env_name("1X"));
        assert!(!is_env_name("A-B"));
        assert!(!is_env_name(&"A".repeat(129)));
    }
}
