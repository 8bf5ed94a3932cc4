//! The `kubernetes` target.

use hcl::expr::{Expression, ObjectKey};
use hcl::{Block, Body};
use tellwang_core::Wok;
use tellwang_core::spec::{HealthCheck, Limits, ServiceSpec, WokSpec};

use crate::literal::{key, quoted, quoted_owned, word_key};
use crate::module::{self, Meta, Names, Provider, SECRETS_REVISION};
use crate::syntax::{
    BlockBuilder, File, attribute, block, builder, number, object, reference, resource, strings, word,
};
use crate::{Error, Export, ExportTarget};

/// The provider and the version range the output is written for: 3.2.1
/// fixed write-only secret data on create.
const PROVIDER: Provider =
    Provider { local_name: "kubernetes", source: "hashicorp/kubernetes", version: ">= 3.2.1, < 4.0.0" };
/// Write-only arguments need Terraform 1.11.
const TERRAFORM: &str = ">= 1.11.0";
/// The size of the claim for a named volume; the spec does not give one.
pub(crate) const VOLUME_SIZE: &str = "1Gi";
/// The name of the Wok's secret object.
const SECRET: &str = "wok-secrets";
/// Where the postgres image keeps its data, and the directory inside the
/// volume it uses (a fresh volume's root may hold `lost+found`).
const PG_MOUNT: &str = "/var/lib/postgresql/data";
const PGDATA: &str = "/var/lib/postgresql/data/pgdata";
/// About what `main.tf` takes per service with ten or so variables, to size
/// its buffer once (more only makes it grow).
const MAIN_BYTES_PER_SERVICE: usize = 5120;

/// The `kubernetes` target: the hashicorp/kubernetes provider's `_v1`
/// resources, for another cloud.
///
/// One Wok becomes a `kubernetes_namespace_v1`, a
/// `kubernetes_network_policy_v1` that selects every pod of the Wok and
/// admits traffic only from and to the Wok's own pods and the cluster DNS
/// (plus any address when the Wok has egress), one `kubernetes_secret_v1`
/// filled from variables through the write-only `data_wo`, a
/// `kubernetes_stateful_set_v1` for Postgres with its volume claim template
/// and a headless `kubernetes_service_v1`, a
/// `kubernetes_persistent_volume_claim_v1` per named volume, and per service
/// a `kubernetes_deployment_v1` and, where it has ports, a
/// `kubernetes_service_v1`.
///
/// Env values and args are written with every `$` doubled, because
/// Kubernetes would expand `$(NAME)` in them (and reads `$$` as `$`).
///
/// Kept as annotations, because Kubernetes has no per-container field for
/// them: the restart policy (`tellwang.io/restart`; a deployment's pods
/// always restart) and the process limit (`tellwang.io/pids-limit`).
/// Named volumes are claims of 1 GiB (the spec gives no size) with
/// `ReadWriteOnce` access: services that share one must run on one node.
///
/// See the [crate documentation](crate) for what it keeps in Terraform state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Kubernetes;

impl ExportTarget for Kubernetes {
    fn name(&self) -> &'static str {
        "kubernetes"
    }

    fn export(&self, wok: &Wok, spec: &WokSpec) -> Result<Export, Error> {
        let names = Names::new(spec);
        let meta = Meta::new(wok);
        let main = main(&Shared::new(&meta), spec, &names)?;
        let outputs = outputs(&names);
        let revision = block(
            "variable",
            [
                ("description", quoted("Raise it to send changed secret values to the cluster.")),
                ("type", word("number")),
                ("default", number(1u8)),
            ],
        )
        .add_label(SECRETS_REVISION)
        .build();
        let variables = module::variables(&names, true, vec![revision]);
        let tfvars = module::tfvars_example(&names);
        module::finish(self.name(), main, variables, outputs, tfvars)
    }
}

fn namespace() -> Expression {
    reference("kubernetes_namespace_v1", &["wok", "metadata", "0", "name"])
}

/// The Wok's labels as map entries, escaped once per export and copied into
/// every object's metadata and selectors.
struct Shared<'a> {
    /// The Wok's name.
    name: &'a str,
    /// `tellwang.io/wok`: the label that selects the Wok's pods.
    by_wok: (ObjectKey, Expression),
    /// Every label of the Wok, under `tellwang.io/`.
    labels: Vec<(ObjectKey, Expression)>,
}

impl<'a> Shared<'a> {
    fn new(meta: &Meta<'a>) -> Self {
        let labels: Vec<(ObjectKey, Expression)> =
            meta.labels.iter().map(|(k, v)| (key(&format!("tellwang.io/{k}")), quoted(v))).collect();
        let by_wok = (key("tellwang.io/wok"), quoted(&meta.id));
        Self { name: meta.name, by_wok, labels }
    }
}

/// The labels that select the Wok's pods.
fn wok_selector(wok: &Shared<'_>) -> Expression {
    object(vec![wok.by_wok.clone()])
}

/// The labels that select one component's pods.
fn selector(wok: &Shared<'_>, component: &str) -> Expression {
    object(vec![wok.by_wok.clone(), (key("app.kubernetes.io/name"), quoted(component))])
}

/// The Wok's labels, under `tellwang.io/`, then `extra`.
fn labels(wok: &Shared<'_>, extra: &[(&str, &str)]) -> Expression {
    let mut entries = Vec::with_capacity(wok.labels.len() + extra.len());
    entries.extend(wok.labels.iter().cloned());
    entries.extend(extra.iter().map(|(k, v)| (key(k), quoted(v))));
    object(entries)
}

fn metadata(name: &str, wok: &Shared<'_>, extra_labels: &[(&str, &str)]) -> BlockBuilder {
    block("metadata", [("name", quoted(name)), ("namespace", namespace()), ("labels", labels(wok, extra_labels))])
}

fn main(wok: &Shared<'_>, spec: &WokSpec, names: &Names<'_>) -> Result<String, Error> {
    let mut file = File::new(MAIN_BYTES_PER_SERVICE * (spec.services.len() + 2));
    file.block(module::terraform_block(TERRAFORM, &PROVIDER))?;
    file.block(
        resource("kubernetes_namespace_v1", "wok")
            .add_block(
                block(
                    "metadata",
                    [
                        ("name", quoted_owned(format!("tw-{}", wok.name))),
                        ("labels", labels(wok, &[("app.kubernetes.io/part-of", "tellwang")])),
                    ],
                )
                .build(),
            )
            .build(),
    )?;
    file.block(network_policy(wok, spec.egress))?;

    let data = names.secrets.iter().map(|(secret, var)| (key(secret), reference("var", &[var]))).collect();
    file.block(
        resource("kubernetes_secret_v1", "wok")
            .add_block(metadata(SECRET, wok, &[]).build())
            .add_attribute(attribute("data_wo", object(data)))
            .add_attribute(attribute("data_wo_revision", reference("var", &[SECRETS_REVISION])))
            .build(),
    )?;

    file.block(postgres_service(wok))?;
    file.block(postgres(wok, spec))?;

    for (volume, id) in &names.volumes {
        file.block(
            resource("kubernetes_persistent_volume_claim_v1", id)
                .add_block(metadata(volume, wok, &[("tellwang.io/volume", volume)]).build())
                .add_block(claim_spec(VOLUME_SIZE))
                // Storage classes that bind on first use would otherwise
                // hold the apply until a pod mounts the claim.
                .add_attribute(attribute("wait_until_bound", Expression::Bool(false)))
                .build(),
        )?;
    }

    for (service, id) in &names.services {
        file.block(deployment(wok, service, id, names))?;
        if !service.ports.is_empty() {
            file.block(service_object(wok, service, id))?;
        }
    }
    file.finish()
}

fn network_policy(wok: &Shared<'_>, egress: bool) -> Block {
    let own_pods = || block("pod_selector", [("match_labels", wok_selector(wok))]).build();
    let dns_port = |protocol: &str| block("ports", [("port", quoted("53")), ("protocol", quoted(protocol))]).build();
    let mut spec = builder("spec")
        .add_block(own_pods())
        .add_attribute(attribute("policy_types", Expression::Array(vec![quoted("Ingress"), quoted("Egress")])))
        .add_block(builder("ingress").add_block(builder("from").add_block(own_pods()).build()).build())
        .add_block(builder("egress").add_block(builder("to").add_block(own_pods()).build()).build())
        .add_block(
            builder("egress")
                .add_block(
                    builder("to")
                        .add_block(
                            block(
                                "namespace_selector",
                                [(
                                    "match_labels",
                                    object(vec![(key("kubernetes.io/metadata.name"), quoted("kube-system"))]),
                                )],
                            )
                            .build(),
                        )
                        .add_block(
                            block(
                                "pod_selector",
                                [("match_labels", object(vec![(key("k8s-app"), quoted("kube-dns"))]))],
                            )
                            .build(),
                        )
                        .build(),
                )
                .add_block(dns_port("UDP"))
                .add_block(dns_port("TCP"))
                .build(),
        );
    if egress {
        let anywhere =
            |cidr: &str| builder("to").add_block(block("ip_block", [("cidr", quoted(cidr))]).build()).build();
        spec = spec.add_block(builder("egress").add_block(anywhere("0.0.0.0/0")).add_block(anywhere("::/0")).build());
    }
    resource("kubernetes_network_policy_v1", "wok")
        .add_block(metadata("wok-isolation", wok, &[]).build())
        .add_block(spec.build())
        .build()
}

fn claim_spec(size: &str) -> Block {
    builder("spec")
        .add_attribute(attribute("access_modes", Expression::Array(vec![quoted("ReadWriteOnce")])))
        .add_block(block("resources", [("requests", object(vec![(word_key("storage"), quoted(size))]))]).build())
        .build()
}

fn resources(limits: &Limits) -> Block {
    block(
        "resources",
        [(
            "limits",
            object(vec![
                (word_key("cpu"), quoted_owned(format!("{}m", limits.cpu_millis))),
                (word_key("memory"), quoted_owned(format!("{}Mi", limits.memory_mib))),
            ]),
        )],
    )
    .build()
}

fn probe(kind: &str, check: &HealthCheck) -> Block {
    builder(kind)
        .add_block(block("exec", [("command", strings(&check.command))]).build())
        .add_attribute(attribute("initial_delay_seconds", number(check.start_period_secs)))
        .add_attribute(attribute("period_seconds", number(check.interval_secs)))
        .add_attribute(attribute("timeout_seconds", number(check.timeout_secs)))
        .add_attribute(attribute("failure_threshold", number(check.retries)))
        .build()
}

fn env_value(name: &str, value: &str) -> Block {
    block("env", [("name", quoted(name)), ("value", quoted_owned(unexpanded(value)))]).build()
}

/// Kubernetes expands `$(NAME)` in env values and container args to another
/// variable's value, and reads `$$` as `$`. Doubling every `$` makes it hand
/// the container exactly the spec's text — a value that names a secret
/// stays text.
fn unexpanded(text: &str) -> String {
    text.replace('$', "$$")
}

fn env_secret(name: &str, secret: &str) -> Block {
    builder("env")
        .add_attribute(attribute("name", quoted(name)))
        .add_block(
            builder("value_from")
                .add_block(
                    block(
                        "secret_key_ref",
                        [
                            ("name", reference("kubernetes_secret_v1", &["wok", "metadata", "0", "name"])),
                            ("key", quoted(secret)),
                        ],
                    )
                    .build(),
                )
                .build(),
        )
        .build()
}

/// The pod spec's attributes that every pod of a Wok has: no API token and
/// no injected service variables, which would leak other names into the
/// environment.
fn pod_spec() -> BlockBuilder {
    block(
        "spec",
        [
            ("automount_service_account_token", Expression::Bool(false)),
            ("enable_service_links", Expression::Bool(false)),
        ],
    )
}

fn postgres_service(wok: &Shared<'_>) -> Block {
    resource("kubernetes_service_v1", "postgres")
        .add_block(metadata("postgres", wok, &[("app.kubernetes.io/name", "postgres")]).build())
        .add_block(
            // Headless: the name resolves to the stateful set's pod.
            block("spec", [("cluster_ip", quoted("None")), ("selector", selector(wok, "postgres"))])
                .add_block(
                    block(
                        "port",
                        [("name", quoted("postgres")), ("port", number(5432u16)), ("target_port", quoted("5432"))],
                    )
                    .build(),
                )
                .build(),
        )
        .build()
}

fn postgres(wok: &Shared<'_>, spec: &WokSpec) -> Block {
    let pg = &spec.postgres;
    let check = HealthCheck {
        command: vec!["pg_isready".into(), "-U".into(), pg.user.clone(), "-d".into(), pg.database.clone()],
        interval_secs: 5,
        timeout_secs: 5,
        retries: 10,
        start_period_secs: 10,
    };
    let container = block("container", [("name", quoted("postgres")), ("image", quoted(&pg.image))])
        .add_block(env_value("POSTGRES_DB", &pg.database))
        .add_block(env_value("POSTGRES_USER", &pg.user))
        .add_block(env_secret("POSTGRES_PASSWORD", &pg.password_secret))
        .add_block(env_value("PGDATA", PGDATA))
        .add_block(block("port", [("container_port", number(5432u16))]).build())
        .add_block(resources(&pg.limits))
        .add_block(probe("readiness_probe", &check))
        .add_block(block("volume_mount", [("name", quoted("data")), ("mount_path", quoted(PG_MOUNT))]).build())
        .build();
    let pids = pg.limits.pids.to_string();
    resource("kubernetes_stateful_set_v1", "postgres")
        .add_block(
            metadata("postgres", wok, &[("app.kubernetes.io/name", "postgres")])
                .add_attribute(attribute(
                    "annotations",
                    object(vec![
                        (key("tellwang.io/pids-limit"), quoted(&pids)),
                        (key("tellwang.io/storage-gib"), quoted_owned(pg.storage_gib.to_string())),
                    ]),
                ))
                .build(),
        )
        .add_block(
            block(
                "spec",
                [
                    ("service_name", reference("kubernetes_service_v1", &["postgres", "metadata", "0", "name"])),
                    ("replicas", quoted("1")),
                ],
            )
            .add_block(block("selector", [("match_labels", selector(wok, "postgres"))]).build())
            .add_block(
                builder("template")
                    .add_block(block("metadata", [("labels", selector(wok, "postgres"))]).build())
                    .add_block(pod_spec().add_block(container).build())
                    .build(),
            )
            .add_block(
                builder("volume_claim_template")
                    .add_block(block("metadata", [("name", quoted("data"))]).build())
                    .add_block(claim_spec(&format!("{}Gi", pg.storage_gib)))
                    .build(),
            )
            .build(),
        )
        .build()
}

fn deployment(wok: &Shared<'_>, service: &ServiceSpec, id: &str, names: &Names<'_>) -> Block {
    let mut container = block("container", [("name", quoted(&service.name)), ("image", quoted(&service.image))]);
    if !service.command.is_empty() {
        // `args` replaces the image's CMD, as the spec's command does; the
        // ENTRYPOINT stays.
        let args: Vec<String> = service.command.iter().map(|a| unexpanded(a)).collect();
        container = container.add_attribute(attribute("args", strings(&args)));
    }
    for port in &service.ports {
        container = container.add_block(block("port", [("container_port", number(*port))]).build());
    }
    for (k, v) in &service.env {
        container = container.add_block(env_value(k, v));
    }
    for k in &service.secret_env {
        container = container.add_block(env_secret(k, k));
    }
    container = container.add_block(resources(&service.limits));
    if let Some(check) = &service.health_check {
        container = container.add_block(probe("liveness_probe", check)).add_block(probe("readiness_probe", check));
    }
    for volume in &service.volumes {
        container = container.add_block(
            block(
                "volume_mount",
                [
                    ("name", quoted(&volume.name)),
                    ("mount_path", quoted(&volume.path)),
                    ("read_only", Expression::Bool(volume.read_only)),
                ],
            )
            .build(),
        );
    }
    let mut pod = pod_spec().add_block(container.build());
    let mut mounted: Vec<&str> = Vec::new();
    for volume in &service.volumes {
        if mounted.contains(&volume.name.as_str()) {
            continue;
        }
        mounted.push(&volume.name);
        pod = pod.add_block(
            block("volume", [("name", quoted(&volume.name))])
                .add_block(
                    block(
                        "persistent_volume_claim",
                        [(
                            "claim_name",
                            reference(
                                "kubernetes_persistent_volume_claim_v1",
                                &[names.volume(&volume.name), "metadata", "0", "name"],
                            ),
                        )],
                    )
                    .build(),
                )
                .build(),
        );
    }
    let pids = service.limits.pids.to_string();
    resource("kubernetes_deployment_v1", id)
        .add_block(
            metadata(&service.name, wok, &[("app.kubernetes.io/name", &service.name)])
                .add_attribute(attribute(
                    "annotations",
                    object(vec![
                        (key("tellwang.io/pids-limit"), quoted(&pids)),
                        (key("tellwang.io/restart"), quoted(module::restart_policy(service.restart))),
                    ]),
                ))
                .build(),
        )
        .add_block(
            block("spec", [("replicas", quoted("1"))])
                .add_block(block("selector", [("match_labels", selector(wok, &service.name))]).build())
                .add_block(
                    builder("template")
                        .add_block(block("metadata", [("labels", selector(wok, &service.name))]).build())
                        .add_block(pod.build())
                        .build(),
                )
                .build(),
        )
        .build()
}

fn service_object(wok: &Shared<'_>, service: &ServiceSpec, id: &str) -> Block {
    let mut spec = block("spec", [("selector", selector(wok, &service.name))]);
    for port in &service.ports {
        spec = spec.add_block(
            block(
                "port",
                [
                    ("name", quoted_owned(format!("p{port}"))),
                    ("port", number(*port)),
                    ("target_port", quoted_owned(port.to_string())),
                ],
            )
            .build(),
        );
    }
    resource("kubernetes_service_v1", id)
        .add_block(metadata(&service.name, wok, &[("app.kubernetes.io/name", &service.name)]).build())
        .add_block(spec.build())
        .build()
}

fn outputs(names: &Names<'_>) -> Body {
    let services = names
        .services
        .iter()
        .filter(|(service, _)| !service.ports.is_empty())
        .map(|(service, id)| (key(&service.name), reference("kubernetes_service_v1", &[id, "metadata", "0", "name"])))
        .collect();
    let output = |name: &str, description: &str, value: Expression| {
        block("output", [("description", quoted(description)), ("value", value)]).add_label(name).build()
    };
    Body::builder()
        .add_block(output("namespace", "The Wok's namespace.", namespace()))
        .add_block(output(
            "postgres_host",
            "The Postgres service's name inside the namespace.",
            reference("kubernetes_service_v1", &["postgres", "metadata", "0", "name"]),
        ))
        .add_block(output(
            "services",
            "Each service with ports: its Kubernetes service, by service name.",
            object(services),
        ))
        .build()
}
