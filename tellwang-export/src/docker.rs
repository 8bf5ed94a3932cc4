//! The `docker` target.

use hcl::expr::Expression;
use hcl::{Block, Body};
use tellwang_core::Wok;
use tellwang_core::spec::{HealthCheck, Limits, RestartPolicy, ServiceSpec, WokSpec};

use crate::literal::{entry, entry_from_variable, key, quoted, quoted_owned};
use crate::module::{self, Meta, Names, Provider};
use crate::syntax::{BlockBuilder, File, attribute, block, number, object, reference, resource, strings};
use crate::{Error, Export, ExportTarget};

/// The provider and the version range the output is written for.
const PROVIDER: Provider = Provider { local_name: "docker", source: "kreuzwerker/docker", version: "~> 4.5" };
/// The Terraform versions the output is written for.
const TERRAFORM: &str = ">= 1.6.0";
/// Where the postgres image keeps its data.
const PGDATA: &str = "/var/lib/postgresql/data";
/// About what `main.tf` takes per service with ten or so variables, to size
/// its buffer once (more only makes it grow).
const MAIN_BYTES_PER_SERVICE: usize = 2560;

/// The `docker` target: the kreuzwerker/docker provider, for self-hosting.
///
/// One Wok becomes a `docker_network` (internal when the Wok has no egress),
/// a `docker_volume` per named volume plus one for Postgres's data, a
/// `docker_image` and a `docker_container` per service and for Postgres.
/// Containers join the network under their service name as alias, so
/// services reach each other (and `postgres`) by name; no port is published
/// on the host.
///
/// What the provider has no argument for is kept as labels so that nothing
/// of the spec is lost: the ports a service listens on
/// (`io.tellwang.ports`), its process limit (`io.tellwang.pids-limit`), the
/// size asked for Postgres's volume (`io.tellwang.storage-gib`) and the name
/// of the secret that holds Postgres's password (`io.tellwang.password-secret`).
///
/// See the [crate documentation](crate) for what it keeps in Terraform state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Docker;

impl ExportTarget for Docker {
    fn name(&self) -> &'static str {
        "docker"
    }

    fn export(&self, wok: &Wok, spec: &WokSpec) -> Result<Export, Error> {
        check(spec)?;
        let names = Names::new(spec);
        let meta = Meta::new(wok);
        let main = main(&meta, spec, &names)?;
        let outputs = outputs(&names);
        let variables = module::variables(&names, false, Vec::new());
        let tfvars = module::tfvars_example(&names);
        module::finish(self.name(), main, variables, outputs, tfvars)
    }
}

/// The provider takes environment entries as `KEY=VALUE` text: a name with
/// `=` in it would silently become another name with another value.
fn check(spec: &WokSpec) -> Result<(), Error> {
    for (i, service) in spec.services.iter().enumerate() {
        let bad = |field: &str| Error::Unrepresentable {
            target: "docker",
            path: format!("services[{i}].{field}"),
            problem: "an environment variable name holds `=`",
        };
        if service.env.keys().any(|k| k.contains('=')) {
            return Err(bad("env"));
        }
        if service.secret_env.iter().any(|k| k.contains('=')) {
            return Err(bad("secret_env"));
        }
    }
    Ok(())
}

fn main(wok: &Meta<'_>, spec: &WokSpec, names: &Names<'_>) -> Result<String, Error> {
    let mut file = File::new(MAIN_BYTES_PER_SERVICE * (spec.services.len() + 2));
    file.block(module::terraform_block(TERRAFORM, &PROVIDER))?;
    // The labels every object of the Wok carries, built once and copied.
    let common: Vec<Block> = wok.labels.iter().map(|(k, v)| label(k, v)).collect();

    file.block(
        labels(
            resource("docker_network", "wok")
                .add_attribute(attribute("name", quoted_owned(format!("tw-{}", wok.name))))
                .add_attribute(attribute("driver", quoted("bridge")))
                .add_attribute(attribute("internal", Expression::Bool(!spec.egress))),
            &common,
            &[],
        )
        .build(),
    )?;

    let pg = &spec.postgres;
    file.block(
        labels(
            resource("docker_volume", "postgres")
                .add_attribute(attribute("name", quoted_owned(format!("tw-{}-postgres", wok.name)))),
            &common,
            &[("volume", "postgres"), ("storage-gib", &pg.storage_gib.to_string())],
        )
        .build(),
    )?;
    for (volume, id) in &names.volumes {
        file.block(
            labels(
                resource("docker_volume", id)
                    .add_attribute(attribute("name", quoted_owned(format!("tw-{}-{volume}", wok.name)))),
                &common,
                &[("volume", volume)],
            )
            .build(),
        )?;
    }

    file.block(image("postgres", &pg.image))?;
    let health = HealthCheck {
        command: vec!["pg_isready".into(), "-U".into(), pg.user.clone(), "-d".into(), pg.database.clone()],
        interval_secs: 5,
        timeout_secs: 5,
        retries: 10,
        start_period_secs: 10,
    };
    let env = [("POSTGRES_DB", &pg.database), ("POSTGRES_USER", &pg.user)]
        .into_iter()
        .map(|(k, v)| entry(k, v))
        .chain([entry_from_variable("POSTGRES_PASSWORD", names.secret(&pg.password_secret))])
        .collect();
    let postgres = container(wok, "postgres", "postgres", &pg.limits, RestartPolicy::UnlessStopped)
        .add_attribute(attribute("env", Expression::Array(env)))
        .add_block(networks(&["postgres"]))
        .add_block(mount(PGDATA, "postgres", false))
        .add_block(healthcheck(&health));
    file.block(
        labels(
            postgres,
            &common,
            &[
                ("role", "postgres"),
                ("password-secret", &pg.password_secret),
                ("pids-limit", &pg.limits.pids.to_string()),
            ],
        )
        .build(),
    )?;

    for (service, id) in &names.services {
        file.block(image(id, &service.image))?;
        file.block(service_container(wok, &common, service, id, names))?;
    }
    file.finish()
}

fn image(id: &str, name: &str) -> Block {
    // Kept on destroy: other Woks on the host may share the image.
    resource("docker_image", id)
        .add_attribute(attribute("name", quoted(name)))
        .add_attribute(attribute("keep_locally", Expression::Bool(true)))
        .build()
}

/// The attributes every container has, in the order they are written.
fn container(wok: &Meta<'_>, id: &str, name: &str, limits: &Limits, restart: RestartPolicy) -> BlockBuilder {
    resource("docker_container", id)
        .add_attribute(attribute("name", quoted_owned(format!("tw-{}-{name}", wok.name))))
        .add_attribute(attribute("image", reference("docker_image", &[id, "image_id"])))
        .add_attribute(attribute("restart", quoted(module::restart_policy(restart))))
        .add_attribute(attribute("memory", number(limits.memory_mib)))
        .add_attribute(attribute("cpus", quoted(&module::thousandths(limits.cpu_millis))))
}

fn service_container(wok: &Meta<'_>, common: &[Block], service: &ServiceSpec, id: &str, names: &Names<'_>) -> Block {
    let mut c = container(wok, id, &service.name, &service.limits, service.restart);
    if !service.command.is_empty() {
        c = c.add_attribute(attribute("command", strings(&service.command)));
    }
    let env: Vec<Expression> = service
        .env
        .iter()
        .map(|(k, v)| entry(k, v))
        .chain(service.secret_env.iter().map(|k| entry_from_variable(k, names.secret(k))))
        .collect();
    if !env.is_empty() {
        c = c.add_attribute(attribute("env", Expression::Array(env)));
    }
    c = c.add_block(networks(&[service.name.as_str()]));
    for volume in &service.volumes {
        c = c.add_block(mount(&volume.path, names.volume(&volume.name), volume.read_only));
    }
    if let Some(check) = &service.health_check {
        c = c.add_block(healthcheck(check));
    }
    let ports = service.ports.iter().map(u16::to_string).collect::<Vec<_>>().join(",");
    let pids = service.limits.pids.to_string();
    let mut extra = vec![("service", service.name.as_str()), ("pids-limit", pids.as_str())];
    if !ports.is_empty() {
        extra.push(("ports", ports.as_str()));
    }
    labels(c, common, &extra).build()
}

fn networks(aliases: &[&str]) -> Block {
    block(
        "networks_advanced",
        [
            ("name", reference("docker_network", &["wok", "id"])),
            ("aliases", Expression::Array(aliases.iter().map(|a| quoted(a)).collect())),
        ],
    )
    .build()
}

fn mount(target: &str, volume: &str, read_only: bool) -> Block {
    block(
        "mounts",
        [
            ("type", quoted("volume")),
            ("target", quoted(target)),
            ("source", reference("docker_volume", &[volume, "name"])),
            ("read_only", Expression::Bool(read_only)),
        ],
    )
    .build()
}

fn healthcheck(check: &HealthCheck) -> Block {
    // `CMD`: the command runs directly, without a shell, as the spec says.
    let test = std::iter::once(quoted("CMD")).chain(check.command.iter().map(|a| quoted(a))).collect();
    block(
        "healthcheck",
        [
            ("test", Expression::Array(test)),
            ("interval", quoted_owned(format!("{}s", check.interval_secs))),
            ("timeout", quoted_owned(format!("{}s", check.timeout_secs))),
            ("retries", number(check.retries)),
            ("start_period", quoted_owned(format!("{}s", check.start_period_secs))),
        ],
    )
    .build()
}

/// Adds the Wok's labels (`common`) and `extra` as `labels` blocks.
fn labels(b: BlockBuilder, common: &[Block], extra: &[(&str, &str)]) -> BlockBuilder {
    b.add_blocks(common.iter().cloned().chain(extra.iter().map(|(k, v)| label(k, v))))
}

/// One `labels` block: `key` under `io.tellwang.`.
fn label(key: &str, value: &str) -> Block {
    const PREFIX: &str = "io.tellwang.";
    let mut name = String::with_capacity(PREFIX.len() + key.len());
    name.push_str(PREFIX);
    name.push_str(key);
    block("labels", [("label", quoted_owned(name)), ("value", quoted(value))]).build()
}

fn outputs(names: &Names<'_>) -> Body {
    let containers = names
        .services
        .iter()
        .map(|(service, id)| (key(&service.name), reference("docker_container", &[id, "name"])))
        .collect();
    Body::builder()
        .add_block(
            block(
                "output",
                [
                    ("description", quoted("The Wok's Docker network.")),
                    ("value", reference("docker_network", &["wok", "name"])),
                ],
            )
            .add_label("network")
            .build(),
        )
        .add_block(
            block(
                "output",
                [
                    ("description", quoted("The Postgres container, reachable as `postgres` on the network.")),
                    ("value", reference("docker_container", &["postgres", "name"])),
                ],
            )
            .add_label("postgres_container")
            .build(),
        )
        .add_block(
            block(
                "output",
                [("description", quoted("Each service's container, by service name.")), ("value", object(containers))],
            )
            .add_label("containers")
            .build(),
        )
        .build()
}
