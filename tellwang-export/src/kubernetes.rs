//! The `kubernetes` target.

use hcl::expr::{Expression, ObjectKey};
use hcl::{Block, BlockBuilder, Body, Identifier};
use tellwang_core::Wok;
use tellwang_core::spec::{HealthCheck, Limits, ServiceSpec, WokSpec};

use crate::literal::{key, quoted, quoted_owned, word_key};
use crate::module::{self, Meta, Names, Provider, SECRETS_REVISION};
use crate::syntax::{attribute, block, number, object, reference, resource, strings, word};
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
        let main = main(&meta, spec, &names);
        let outputs = outputs(&names);
        let revision = block(
            "variable",
            vec![
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

/// The labels that select the Wok's pods.
fn wok_selector(wok: &Meta<'_>) -> Expression {
    object(vec![(key("tellwang.io/wok"), quoted_owned(wok.id.to_string()))])
}

/// The labels that select one component's pods.
fn selector(wok: &Meta<'_>, component: &str) -> Expression {
    object(vec![
        (key("tellwang.io/wok"), quoted_owned(wok.id.to_string())),
        (key("app.kubernetes.io/name"), quoted(component)),
    ])
}

/// The Wok's labels, under `tellwang.io/`, then `extra`.
fn labels(wok: &Meta<'_>, extra: &[(&str, &str)]) -> Expression {
    let common = &wok.labels;
    let mut entries: Vec<(ObjectKey, Expression)> =
        common.iter().map(|(k, v)| (key(&format!("tellwang.io/{k}")), quoted(v))).collect();
    entries.extend(extra.iter().map(|(k, v)| (key(k), quoted(v))));
    object(entries)
}

fn metadata(name: &str, wok: &Meta<'_>, extra_labels: &[(&str, &str)]) -> BlockBuilder {
    block("metadata", vec![("name", quoted(name)), ("namespace", namespace()), ("labels", labels(wok, extra_labels))])
}

fn main(wok: &Meta<'_>, spec: &WokSpec, names: &Names<'_>) -> Body {
    let mut body = Body::builder().add_block(module::terraform_block(TERRAFORM, &PROVIDER));
    body = body.add_block(
        resource("kubernetes_namespace_v1", "wok")
            .add_block(
                block(
                    "metadata",
                    vec![
                        ("name", quoted_owned(format!("tw-{}", wok.name))),
                        ("labels", labels(wok, &[("app.kubernetes.io/part-of", "tellwang")])),
                    ],
                )
                .build(),
            )
            .build(),
    );
    body = body.add_block(network_policy(wok, spec.egress));

    let data = names.secrets.iter().map(|(secret, var)| (key(secret), reference("var", &[var]))).collect();
    body = body.add_block(
        resource("kubernetes_secret_v1", "wok")
            .add_block(metadata(SECRET, wok, &[]).build())
            .add_attribute(attribute("data_wo", object(data)))
            .add_attribute(attribute("data_wo_revision", reference("var", &[SECRETS_REVISION])))
            .build(),
    );

    body = body.add_block(postgres_service(wok)).add_block(postgres(wok, spec));

    for (volume, id) in &names.volumes {
        body = body.add_block(
            resource("kubernetes_persistent_volume_claim_v1", id)
                .add_block(metadata(volume, wok, &[("tellwang.io/volume", volume)]).build())
                .add_block(claim_spec(VOLUME_SIZE))
                // Storage classes that bind on first use would otherwise
                // hold the apply until a pod mounts the claim.
                .add_attribute(attribute("wait_until_bound", Expression::Bool(false)))
                .build(),
        );
    }

    for (service, id) in &names.services {
        body = body.add_block(deployment(wok, service, id, names));
        if !service.ports.is_empty() {
            body = body.add_block(service_object(wok, service, id));
        }
    }
    body.build()
}

fn network_policy(wok: &Meta<'_>, egress: bool) -> Block {
    let own_pods = || block("pod_selector", vec![("match_labels", wok_selector(wok))]).build();
    let dns_port =
        |protocol: &str| block("ports", vec![("port", quoted("53")), ("protocol", quoted(protocol))]).build();
    let mut spec = Block::builder(Identifier::unchecked("spec"))
        .add_block(own_pods())
        .add_attribute(attribute("policy_types", Expression::Array(vec![quoted("Ingress"), quoted("Egress")])))
        .add_block(
            Block::builder(Identifier::unchecked("ingress"))
                .add_block(Block::builder(Identifier::unchecked("from")).add_block(own_pods()).build())
                .build(),
        )
        .add_block(
            Block::builder(Identifier::unchecked("egress"))
                .add_block(Block::builder(Identifier::unchecked("to")).add_block(own_pods()).build())
                .build(),
        )
        .add_block(
            Block::builder(Identifier::unchecked("egress"))
                .add_block(
                    Block::builder(Identifier::unchecked("to"))
                        .add_block(
                            block(
                                "namespace_selector",
                                vec![(
                                    "match_labels",
                                    object(vec![(key("kubernetes.io/metadata.name"), quoted("kube-system"))]),
                                )],
                            )
                            .build(),
                        )
                        .add_block(
                            block(
                                "pod_selector",
                                vec![("match_labels", object(vec![(key("k8s-app"), quoted("kube-dns"))]))],
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
        let anywhere = |cidr: &str| {
            Block::builder(Identifier::unchecked("to"))
                .add_block(block("ip_block", vec![("cidr", quoted(cidr))]).build())
                .build()
        };
        spec = spec.add_block(
            Block::builder(Identifier::unchecked("egress"))
                .add_block(anywhere("0.0.0.0/0"))
                .add_block(anywhere("::/0"))
                .build(),
        );
    }
    resource("kubernetes_network_policy_v1", "wok")
        .add_block(metadata("wok-isolation", wok, &[]).build())
        .add_block(spec.build())
        .build()
}

fn claim_spec(size: &str) -> Block {
    Block::builder(Identifier::unchecked("spec"))
        .add_attribute(attribute("access_modes", Expression::Array(vec![quoted("ReadWriteOnce")])))
        .add_block(block("resources", vec![("requests", object(vec![(word_key("storage"), quoted(size))]))]).build())
        .build()
}

fn resources(limits: &Limits) -> Block {
    block(
        "resources",
        vec![(
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
    Block::builder(kind)
        .add_block(block("exec", vec![("command", strings(&check.command))]).build())
        .add_attribute(attribute("initial_delay_seconds", number(check.start_period_secs)))
        .add_attribute(attribute("period_seconds", number(check.interval_secs)))
        .add_attribute(attribute("timeout_seconds", number(check.timeout_secs)))
        .add_attribute(attribute("failure_threshold", number(check.retries)))
        .build()
}

fn env_value(name: &str, value: &str) -> Block {
    block("env", vec![("name", quoted(name)), ("value", quoted(&unexpanded(value)))]).build()
}

/// Kubernetes expands `$(NAME)` in env values and container args to another
/// variable's value, and reads `$$` as `$`. Doubling every `$` makes it hand
/// the container exactly the spec's text — a value that names a secret
/// stays text.
fn unexpanded(text: &str) -> String {
    text.replace('$', "$$")
}

fn env_secret(name: &str, secret: &str) -> Block {
    Block::builder(Identifier::unchecked("env"))
        .add_attribute(attribute("name", quoted(name)))
        .add_block(
            Block::builder(Identifier::unchecked("value_from"))
                .add_block(
                    block(
                        "secret_key_ref",
                        vec![
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
        vec![
            ("automount_service_account_token", Expression::Bool(false)),
            ("enable_service_links", Expression::Bool(false)),
        ],
    )
}

fn postgres_service(wok: &Meta<'_>) -> Block {
    resource("kubernetes_service_v1", "postgres")
        .add_block(metadata("postgres", wok, &[("app.kubernetes.io/name", "postgres")]).build())
        .add_block(
            // Headless: the name resolves to the stateful set's pod.
            block("spec", vec![("cluster_ip", quoted("None")), ("selector", selector(wok, "postgres"))])
                .add_block(
                    block(
                        "port",
                        vec![("name", quoted("postgres")), ("port", number(5432u16)), ("target_port", quoted("5432"))],
                    )
                    .build(),
                )
                .build(),
        )
        .build()
}

fn postgres(wok: &Meta<'_>, spec: &WokSpec) -> Block {
    let pg = &spec.postgres;
    let check = HealthCheck {
        command: vec!["pg_isready".into(), "-U".into(), pg.user.clone(), "-d".into(), pg.database.clone()],
        interval_secs: 5,
        timeout_secs: 5,
        retries: 10,
        start_period_secs: 10,
    };
    let container = block("container", vec![("name", quoted("postgres")), ("image", quoted(&pg.image))])
        .add_block(env_value("POSTGRES_DB", &pg.database))
        .add_block(env_value("POSTGRES_USER", &pg.user))
        .add_block(env_secret("POSTGRES_PASSWORD", &pg.password_secret))
        .add_block(env_value("PGDATA", PGDATA))
        .add_block(block("port", vec![("container_port", number(5432u16))]).build())
        .add_block(resources(&pg.limits))
        .add_block(probe("readiness_probe", &check))
        .add_block(block("volume_mount", vec![("name", quoted("data")), ("mount_path", quoted(PG_MOUNT))]).build())
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
                vec![
                    ("service_name", reference("kubernetes_service_v1", &["postgres", "metadata", "0", "name"])),
                    ("replicas", quoted("1")),
                ],
            )
            .add_block(block("selector", vec![("match_labels", selector(wok, "postgres"))]).build())
            .add_block(
                Block::builder(Identifier::unchecked("template"))
                    .add_block(block("metadata", vec![("labels", selector(wok, "postgres"))]).build())
                    .add_block(pod_spec().add_block(container).build())
                    .build(),
            )
            .add_block(
                Block::builder(Identifier::unchecked("volume_claim_template"))
                    .add_block(block("metadata", vec![("name", quoted("data"))]).build())
                    .add_block(claim_spec(&format!("{}Gi", pg.storage_gib)))
                    .build(),
            )
            .build(),
        )
        .build()
}

fn deployment(wok: &Meta<'_>, service: &ServiceSpec, id: &str, names: &Names<'_>) -> Block {
    let mut container = block("container", vec![("name", quoted(&service.name)), ("image", quoted(&service.image))]);
    if !service.command.is_empty() {
        // `args` replaces the image's CMD, as the spec's command does; the
        // ENTRYPOINT stays.
        let args: Vec<String> = service.command.iter().map(|a| unexpanded(a)).collect();
        container = container.add_attribute(attribute("args", strings(&args)));
    }
    for port in &service.ports {
        container = container.add_block(block("port", vec![("container_port", number(*port))]).build());
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
                vec![
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
            block("volume", vec![("name", quoted(&volume.name))])
                .add_block(
                    block(
                        "persistent_volume_claim",
                        vec![(
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
            block("spec", vec![("replicas", quoted("1"))])
                .add_block(block("selector", vec![("match_labels", selector(wok, &service.name))]).build())
                .add_block(
                    Block::builder(Identifier::unchecked("template"))
                        .add_block(block("metadata", vec![("labels", selector(wok, &service.name))]).build())
                        .add_block(pod.build())
                        .build(),
                )
                .build(),
        )
        .build()
}

fn service_object(wok: &Meta<'_>, service: &ServiceSpec, id: &str) -> Block {
    let mut spec = block("spec", vec![("selector", selector(wok, &service.name))]);
    for port in &service.ports {
        spec = spec.add_block(
            block(
                "port",
                vec![
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
        block("output", vec![("description", quoted(description)), ("value", value)]).add_label(name).build()
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
