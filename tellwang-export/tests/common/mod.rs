//! Example Woks, and readers that rebuild a spec from exported HCL parsed by
//! hcl-rs — the other direction of each target, written only for the tests.
#![allow(dead_code, reason = "each test binary uses a part of the helpers")]
#![allow(clippy::expect_used, clippy::panic, reason = "test helpers: a failed expectation is a failed test")]

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use hcl::expr::{Expression, ObjectKey, TraversalOperator};
use hcl::{Block, Body};
use tellwang_core::spec::{HealthCheck, Limits, PostgresSpec, RestartPolicy, ServiceSpec, VolumeMount, WokSpec};
use tellwang_core::{TeamId, Timestamp, Wok, WokId};

/// A Wok with fixed ids, so that output can be compared with golden files.
pub fn wok(name: &str) -> Wok {
    Wok {
        id: WokId::from_str("wok_0123456789abcdef0123456789abcdef").expect("id"),
        team: TeamId::from_str("team_fedcba9876543210fedcba9876543210").expect("id"),
        name: name.into(),
        region: "ca-central-1".into(),
        created_at: Timestamp::from_micros(1_700_000_000_000_000),
    }
}

pub fn service(name: &str, image: &str) -> ServiceSpec {
    ServiceSpec {
        name: name.into(),
        image: image.into(),
        command: vec![],
        ports: vec![],
        env: BTreeMap::new(),
        secret_env: BTreeSet::new(),
        health_check: None,
        limits: Limits::default(),
        volumes: vec![],
        restart: RestartPolicy::default(),
    }
}

/// One service with a port, one plain and one secret variable.
pub fn small() -> WokSpec {
    let mut api = service("api", "ghcr.io/acme/api:1.4.2");
    api.ports = vec![8080];
    api.env = BTreeMap::from([("LOG_LEVEL".into(), "info".into())]);
    api.secret_env = BTreeSet::from(["JWT_SECRET".into()]);
    WokSpec { egress: false, postgres: PostgresSpec::default(), services: vec![api] }
}

/// Every feature of a spec: egress, commands, several ports, health checks,
/// shared and read-only volumes, each restart policy, and a few values that
/// need escaping.
pub fn large() -> WokSpec {
    let health = |path: &str| HealthCheck {
        command: vec!["/bin/check".into(), path.into()],
        interval_secs: 10,
        timeout_secs: 3,
        retries: 5,
        start_period_secs: 20,
    };
    let mut api = service("api", "ghcr.io/acme/api:1.4.2");
    api.command = vec!["serve".into(), "--listen".into(), "0.0.0.0:8080".into()];
    api.ports = vec![8080, 9090];
    api.env = BTreeMap::from([
        ("DATABASE_HOST".into(), "postgres".into()),
        ("GREETING".into(), "Hello, \"${user}\"!\nWelcome.".into()),
        ("LOG_LEVEL".into(), "info".into()),
        ("TEMPLATE".into(), "%{ if admin }root%{ endif }".into()),
    ]);
    api.secret_env = BTreeSet::from(["DATABASE_PASSWORD".into(), "JWT_SECRET".into()]);
    api.health_check = Some(health("/healthz"));
    api.limits = Limits { memory_mib: 512, cpu_millis: 1500, pids: 256 };
    api.volumes = vec![VolumeMount { name: "uploads".into(), path: "/srv/uploads".into(), read_only: false }];
    api.restart = RestartPolicy::Always;

    let mut worker = service("worker", "ghcr.io/acme/worker:1.4.2");
    worker.command = vec!["work".into(), "--queue=default".into()];
    worker.env = BTreeMap::from([("CONCURRENCY".into(), "4".into()), ("PATH_HINT".into(), "C:\\jobs\\tmp".into())]);
    worker.secret_env = BTreeSet::from(["DATABASE_PASSWORD".into(), "S3_SECRET_KEY".into()]);
    worker.health_check = Some(health("/ready"));
    worker.limits = Limits { memory_mib: 1024, cpu_millis: 250, pids: 64 };
    worker.volumes = vec![
        VolumeMount { name: "uploads".into(), path: "/data/uploads".into(), read_only: true },
        VolumeMount { name: "scratch".into(), path: "/tmp/scratch".into(), read_only: false },
    ];
    worker.restart = RestartPolicy::OnFailure;

    let mut realtime = service("realtime", "tellwang/realtime:dev");
    realtime.ports = vec![4000];
    realtime.secret_env = BTreeSet::from(["JWT_SECRET".into()]);
    realtime.restart = RestartPolicy::UnlessStopped;

    let mut migrate = service("migrate", "ghcr.io/acme/api:1.4.2");
    migrate.command = vec!["migrate".into(), "up".into()];
    migrate.secret_env = BTreeSet::from(["DATABASE_PASSWORD".into()]);
    migrate.restart = RestartPolicy::No;

    WokSpec {
        egress: true,
        postgres: PostgresSpec {
            image: "postgres:16.4".into(),
            database: "acme".into(),
            user: "acme_owner".into(),
            password_secret: "POSTGRES_PASSWORD".into(),
            storage_gib: 50,
            limits: Limits { memory_mib: 2048, cpu_millis: 2000, pids: 512 },
        },
        services: vec![api, worker, realtime, migrate],
    }
}

/// Strings that try every way out of a quoted string.
pub const HOSTILE: &[&str] = &[
    "\"; resource \"x\" \"y\" {} #",
    "back\\slash\\\\ and \\n",
    "line\nbreak\r\nand\ttab",
    "\u{0}\u{1}\u{7}\u{1b}[31m\u{7f}\u{85}",
    "${file(\"/etc/passwd\")}",
    "$${not}",
    "$$${x}",
    "%{ for x in y }${x}%{ endfor }",
    "%%{",
    "<<EOF\nheredoc\nEOF",
    "<<-EOT\n  x\n  EOT",
    "ünïcødé 日本語 😀 \u{202E}rtl\u{200B}",
    "/* comment */ // also # too",
    "trailing $",
    "trailing %",
    "",
];

/// A spec where every text field is hostile.
pub fn hostile() -> WokSpec {
    let mut services = Vec::new();
    for (i, text) in HOSTILE.iter().enumerate() {
        let mut s = service(text, text);
        s.command = vec![(*text).into(), format!("{text}{i}")];
        s.ports = vec![1, 65535];
        s.env = BTreeMap::from([(format!("K{i}{text}").replace('=', "_"), (*text).into())]);
        s.secret_env = BTreeSet::from([format!("S{i}{text}").replace('=', "_")]);
        s.health_check = Some(HealthCheck {
            command: vec![(*text).into()],
            interval_secs: 1,
            timeout_secs: 1,
            retries: 1,
            start_period_secs: 0,
        });
        s.volumes = vec![VolumeMount { name: (*text).into(), path: (*text).into(), read_only: i % 2 == 0 }];
        services.push(s);
    }
    services.push(service("postgres", "postgres"));
    services.push(service("wok", "wok"));
    WokSpec {
        egress: false,
        postgres: PostgresSpec {
            image: HOSTILE[0].into(),
            database: HOSTILE[4].into(),
            user: HOSTILE[7].into(),
            password_secret: HOSTILE[9].into(),
            storage_gib: 1,
            limits: Limits::default(),
        },
        services,
    }
}

// ---- reading exported HCL back -------------------------------------------------

/// The `resource "<kind>" "<name>"` blocks of `body`, in order, as (kind, name, block).
pub fn resources(body: &Body) -> Vec<(String, String, &Block)> {
    body.blocks()
        .filter(|b| b.identifier() == "resource")
        .map(|b| (b.labels[0].as_str().to_owned(), b.labels[1].as_str().to_owned(), b))
        .collect()
}

fn find<'a>(body: &'a Body, kind: &str, name: &str) -> &'a Block {
    resources(body)
        .into_iter()
        .find(|(k, n, _)| k == kind && n == name)
        .map(|(_, _, b)| b)
        .unwrap_or_else(|| panic!("no {kind}.{name}"))
}

pub fn attr<'a>(body: &'a Body, key: &str) -> Option<&'a Expression> {
    body.attributes().find(|a| a.key() == key).map(|a| a.expr())
}

fn nested<'a>(body: &'a Body, ident: &str) -> impl Iterator<Item = &'a Block> {
    body.blocks().filter(move |b| b.identifier() == ident)
}

fn one<'a>(body: &'a Body, ident: &str) -> &'a Body {
    &nested(body, ident).next().unwrap_or_else(|| panic!("no {ident} block")).body
}

pub fn string(expr: &Expression) -> String {
    match expr {
        Expression::String(s) => s.clone(),
        other => panic!("not a plain string: {other:?}"),
    }
}

fn text(body: &Body, key: &str) -> String {
    string(attr(body, key).unwrap_or_else(|| panic!("no {key}")))
}

fn num(body: &Body, key: &str) -> u64 {
    match attr(body, key) {
        Some(Expression::Number(n)) => n.as_u64().expect("unsigned"),
        other => panic!("{key} is not a number: {other:?}"),
    }
}

fn boolean(body: &Body, key: &str) -> bool {
    match attr(body, key) {
        Some(Expression::Bool(b)) => *b,
        other => panic!("{key} is not a bool: {other:?}"),
    }
}

fn list(body: &Body, key: &str) -> Vec<String> {
    match attr(body, key) {
        None => vec![],
        Some(Expression::Array(items)) => items.iter().map(string).collect(),
        Some(other) => panic!("{key} is not a list: {other:?}"),
    }
}

pub fn map(expr: &Expression) -> Vec<(String, Expression)> {
    match expr {
        Expression::Object(o) => o
            .iter()
            .map(|(k, v)| {
                let k = match k {
                    ObjectKey::Identifier(i) => i.to_string(),
                    ObjectKey::Expression(e) => string(e),
                    other => panic!("unexpected key {other:?}"),
                };
                (k, v.clone())
            })
            .collect(),
        other => panic!("not a map: {other:?}"),
    }
}

fn string_map(body: &Body, key: &str) -> BTreeMap<String, String> {
    attr(body, key).map(|e| map(e).into_iter().map(|(k, v)| (k, string(&v))).collect()).unwrap_or_default()
}

/// `root.a.b` → ["root", "a", "b"] (indexes as numbers).
pub fn path(expr: &Expression) -> Vec<String> {
    match expr {
        Expression::Traversal(t) => {
            let mut out = vec![match &t.expr {
                Expression::Variable(v) => v.to_string(),
                other => panic!("not a variable: {other:?}"),
            }];
            for op in &t.operators {
                out.push(match op {
                    TraversalOperator::GetAttr(i) => i.to_string(),
                    TraversalOperator::Index(Expression::Number(n)) => n.to_string(),
                    other => panic!("unexpected operator {other:?}"),
                });
            }
            out
        }
        other => panic!("not a reference: {other:?}"),
    }
}

fn millis(decimal: &str) -> u32 {
    let (whole, frac) = decimal.split_once('.').unwrap_or((decimal, ""));
    let frac = format!("{frac:0<3}");
    whole.parse::<u32>().expect("whole") * 1000 + frac.parse::<u32>().expect("fraction")
}

fn secs(duration: &str) -> u32 {
    duration.strip_suffix('s').expect("seconds").parse().expect("a number")
}

fn restart(text: &str) -> RestartPolicy {
    match text {
        "no" => RestartPolicy::No,
        "on-failure" => RestartPolicy::OnFailure,
        "unless-stopped" => RestartPolicy::UnlessStopped,
        "always" => RestartPolicy::Always,
        other => panic!("unknown restart policy {other}"),
    }
}

/// The secret variables of `variables.tf`: variable name → whether it is
/// sensitive, has no default, and its description.
pub fn variables(variables_tf: &Body) -> BTreeMap<String, (bool, bool)> {
    variables_tf
        .blocks()
        .filter(|b| b.identifier() == "variable")
        .map(|b| {
            let sensitive = matches!(attr(&b.body, "sensitive"), Some(Expression::Bool(true)));
            let no_default = attr(&b.body, "default").is_none();
            (b.labels[0].as_str().to_owned(), (sensitive, no_default))
        })
        .collect()
}

// ---- docker ----------------------------------------------------------------------

fn docker_labels(body: &Body) -> BTreeMap<String, String> {
    nested(body, "labels").map(|l| (text(&l.body, "label"), text(&l.body, "value"))).collect()
}

/// The `NAME=${var.X}` entries of each `docker_container`'s `env`, in
/// order, as (NAME, X), read with hcl-edit. hcl-rs turns a parsed template
/// into its own quoted form with its marker escaping, which loses `$`
/// before `${` (it writes `$${` for the text `$${`), so it cannot give these
/// names back; hcl-edit's template literals are decoded as Terraform does.
fn docker_secret_entries(text: &str) -> Vec<Vec<(String, String)>> {
    use hcl_edit::expr::Expression as E;
    use hcl_edit::template::Element;
    let body = hcl_edit::parser::parse_body(text).expect("main.tf parses with hcl-edit");
    let mut out = Vec::new();
    for block in body.get_blocks("resource") {
        let is_container = matches!(block.labels.first(), Some(hcl_edit::structure::BlockLabel::String(s)) if s.as_str() == "docker_container");
        if !is_container {
            continue;
        }
        let mut entries = Vec::new();
        if let Some(E::Array(items)) = block.body.get_attribute("env").map(|a| &a.value) {
            for item in items.iter() {
                let E::StringTemplate(template) = item else { continue };
                let elements: Vec<&Element> = template.iter().collect();
                let (last, literals) = elements.split_last().expect("not empty");
                let mut name = String::new();
                for element in literals {
                    match element {
                        Element::Literal(l) => name.push_str(l.as_str()),
                        other => panic!("only the value is interpolated: {other:?}"),
                    }
                }
                let Element::Interpolation(interpolation) = last else { panic!("the value is a variable") };
                let variable = interpolation.expr.to_string();
                let variable = variable.trim().strip_prefix("var.").expect("a variable").to_owned();
                entries.push((name.strip_suffix('=').expect("NAME=").to_owned(), variable));
            }
        }
        out.push(entries);
    }
    out
}

/// Rebuilds the spec from a docker export's `main.tf`, and the Wok name.
pub fn read_docker(main_tf: &str) -> (WokSpec, String) {
    let main: &Body = &hcl::parse(main_tf).expect("main.tf parses");
    let mut templates = docker_secret_entries(main_tf).into_iter();
    let network = find(main, "docker_network", "wok");
    let egress = !boolean(&network.body, "internal");
    let wok_name = docker_labels(&network.body)["io.tellwang.wok-name"].clone();
    let volume_name = |id: &str| docker_labels(&find(main, "docker_volume", id).body)["io.tellwang.volume"].clone();
    let image = |c: &Body| {
        let p = path(attr(c, "image").expect("image"));
        text(&find(main, "docker_image", &p[1]).body, "name")
    };
    let limits = |c: &Body, labels: &BTreeMap<String, String>| Limits {
        memory_mib: num(c, "memory") as u32,
        cpu_millis: millis(&text(c, "cpus")),
        pids: labels["io.tellwang.pids-limit"].parse().expect("pids"),
    };
    let mut postgres = None;
    let mut services = Vec::new();
    for (kind, _, container) in resources(main) {
        if kind != "docker_container" {
            continue;
        }
        let c = &container.body;
        let labels = docker_labels(c);
        let mut env = BTreeMap::new();
        let mut secret_env = BTreeSet::new();
        let mut secret_vars = BTreeMap::new();
        for entry in attr(c, "env")
            .map(|e| match e {
                Expression::Array(items) => items.clone(),
                other => panic!("env is not a list: {other:?}"),
            })
            .unwrap_or_default()
        {
            match entry {
                Expression::String(s) => {
                    let (k, v) = s.split_once('=').expect("KEY=VALUE");
                    env.insert(k.to_owned(), v.to_owned());
                }
                Expression::TemplateExpr(_) => {}
                other => panic!("unexpected env entry {other:?}"),
            }
        }
        for (name, variable) in templates.next().expect("the same containers") {
            secret_vars.insert(name.clone(), variable);
            secret_env.insert(name);
        }
        let health = nested(c, "healthcheck").next().map(|h| {
            let test = list(&h.body, "test");
            assert_eq!(test[0], "CMD");
            HealthCheck {
                command: test[1..].to_vec(),
                interval_secs: secs(&text(&h.body, "interval")),
                timeout_secs: secs(&text(&h.body, "timeout")),
                retries: num(&h.body, "retries") as u32,
                start_period_secs: secs(&text(&h.body, "start_period")),
            }
        });
        let mounts: Vec<VolumeMount> = nested(c, "mounts")
            .map(|m| {
                let source = path(attr(&m.body, "source").expect("source"));
                VolumeMount {
                    name: volume_name(&source[1]),
                    path: text(&m.body, "target"),
                    read_only: boolean(&m.body, "read_only"),
                }
            })
            .collect();
        if labels.get("io.tellwang.role").map(String::as_str) == Some("postgres") {
            let pg_volume = &find(main, "docker_volume", "postgres").body;
            let password_var = &secret_vars["POSTGRES_PASSWORD"];
            let password_secret = labels["io.tellwang.password-secret"].clone();
            postgres = Some((
                PostgresSpec {
                    image: image(c),
                    database: env["POSTGRES_DB"].clone(),
                    user: env["POSTGRES_USER"].clone(),
                    password_secret,
                    storage_gib: docker_labels(pg_volume)["io.tellwang.storage-gib"].parse().expect("gib"),
                    limits: limits(c, &labels),
                },
                password_var.clone(),
            ));
            continue;
        }
        let ports = labels
            .get("io.tellwang.ports")
            .map(|p| p.split(',').map(|n| n.parse().expect("port")).collect())
            .unwrap_or_default();
        services.push(ServiceSpec {
            name: labels["io.tellwang.service"].clone(),
            image: image(c),
            command: list(c, "command"),
            ports,
            env,
            secret_env,
            health_check: health,
            limits: limits(c, &labels),
            volumes: mounts,
            restart: restart(&text(c, "restart")),
        });
    }
    let (postgres, _) = postgres.expect("a postgres container");
    (WokSpec { egress, postgres, services }, wok_name)
}

// ---- kubernetes ------------------------------------------------------------------

fn k8s_probe(body: &Body) -> HealthCheck {
    HealthCheck {
        command: list(one(body, "exec"), "command"),
        interval_secs: num(body, "period_seconds") as u32,
        timeout_secs: num(body, "timeout_seconds") as u32,
        retries: num(body, "failure_threshold") as u32,
        start_period_secs: num(body, "initial_delay_seconds") as u32,
    }
}

fn k8s_limits(container: &Body, annotations: &BTreeMap<String, String>) -> Limits {
    let limits = string_map(one(container, "resources"), "limits");
    Limits {
        memory_mib: limits["memory"].strip_suffix("Mi").expect("Mi").parse().expect("memory"),
        cpu_millis: limits["cpu"].strip_suffix('m').expect("m").parse().expect("cpu"),
        pids: annotations["tellwang.io/pids-limit"].parse().expect("pids"),
    }
}

/// What a container sees of a value written for Kubernetes, which reads
/// `$$` as `$` (and would expand `$(NAME)`, which the export never leaves
/// unescaped: a `$` is always followed by another here).
fn expanded(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '$' {
            assert_eq!(chars.next(), Some('$'), "a lone `$` in {text:?}");
        }
    }
    out
}

/// Env blocks as (plain env, secret env names, secret key of each secret env).
fn k8s_env(container: &Body) -> (BTreeMap<String, String>, BTreeSet<String>, BTreeMap<String, String>) {
    let mut env = BTreeMap::new();
    let mut secret_env = BTreeSet::new();
    let mut keys = BTreeMap::new();
    for e in nested(container, "env") {
        let name = text(&e.body, "name");
        if let Some(value) = attr(&e.body, "value") {
            env.insert(name, expanded(&string(value)));
        } else {
            let key = text(one(one(&e.body, "value_from"), "secret_key_ref"), "key");
            keys.insert(name.clone(), key);
            secret_env.insert(name);
        }
    }
    (env, secret_env, keys)
}

/// Rebuilds the spec from a kubernetes export's `main.tf`, and the Wok name.
pub fn read_kubernetes(main: &Body) -> (WokSpec, String) {
    let ns = one(&find(main, "kubernetes_namespace_v1", "wok").body, "metadata");
    let wok_name = string_map(ns, "labels")["tellwang.io/wok-name"].clone();
    let policy = one(&find(main, "kubernetes_network_policy_v1", "wok").body, "spec");
    let egress =
        nested(policy, "egress").any(|e| nested(&e.body, "to").any(|t| nested(&t.body, "ip_block").next().is_some()));

    let pg = &find(main, "kubernetes_stateful_set_v1", "postgres").body;
    let pg_annotations = string_map(one(pg, "metadata"), "annotations");
    let pg_spec = one(pg, "spec");
    let pg_container = one(one(one(pg_spec, "template"), "spec"), "container");
    let (pg_env, _, pg_keys) = k8s_env(pg_container);
    let claim = one(one(one(pg_spec, "volume_claim_template"), "spec"), "resources");
    let postgres = PostgresSpec {
        image: text(pg_container, "image"),
        database: pg_env["POSTGRES_DB"].clone(),
        user: pg_env["POSTGRES_USER"].clone(),
        password_secret: pg_keys["POSTGRES_PASSWORD"].clone(),
        storage_gib: string_map(claim, "requests")["storage"].strip_suffix("Gi").expect("Gi").parse().expect("gib"),
        limits: k8s_limits(pg_container, &pg_annotations),
    };
    assert_eq!(
        pg_annotations["tellwang.io/storage-gib"],
        postgres.storage_gib.to_string(),
        "the annotation and the claim agree"
    );

    let mut services = Vec::new();
    for (kind, _, deployment) in resources(main) {
        if kind != "kubernetes_deployment_v1" {
            continue;
        }
        let meta = one(&deployment.body, "metadata");
        let annotations = string_map(meta, "annotations");
        let pod = one(one(one(&deployment.body, "spec"), "template"), "spec");
        let container = one(pod, "container");
        let (env, secret_env, keys) = k8s_env(container);
        for (name, key) in &keys {
            assert_eq!(name, key, "a secret variable takes the secret of its own name");
        }
        let probes: Vec<HealthCheck> = nested(container, "liveness_probe").map(|p| k8s_probe(&p.body)).collect();
        let readiness: Vec<HealthCheck> = nested(container, "readiness_probe").map(|p| k8s_probe(&p.body)).collect();
        assert_eq!(probes, readiness);
        let ports = nested(container, "port").map(|p| num(&p.body, "container_port") as u16).collect();
        let volumes = nested(container, "volume_mount")
            .map(|m| VolumeMount {
                name: text(&m.body, "name"),
                path: text(&m.body, "mount_path"),
                read_only: boolean(&m.body, "read_only"),
            })
            .collect();
        services.push(ServiceSpec {
            name: text(meta, "name"),
            image: text(container, "image"),
            command: list(container, "args").iter().map(|a| expanded(a)).collect(),
            ports,
            env,
            secret_env,
            health_check: probes.into_iter().next(),
            limits: k8s_limits(container, &annotations),
            volumes,
            restart: restart(&annotations["tellwang.io/restart"]),
        });
    }
    (WokSpec { egress, postgres, services }, wok_name)
}

// ---- lexical rules -----------------------------------------------------------------

/// Checks the raw text of an exported file against the rules tenant text
/// must follow in it, independently of any parser:
///
/// * no control character but the line feed ending each line, anywhere;
/// * no heredoc (`<<`) and no comment opener outside quoted strings;
/// * inside quoted strings, only Terraform's escapes (`\n \r \t \" \\
///   \uNNNN \UNNNNNNNN`);
/// * every `${` that is not escaped as `$${` is `${var.<identifier>}`, and
///   every `%{` is escaped as `%%{`.
pub fn check_lexical(file: &str, text: &str) {
    let fail = |at: usize, why: &str| -> ! {
        let from = text[..at].char_indices().rev().nth(40).map_or(0, |(i, _)| i);
        panic!("{file}: {why} at byte {at}: …{}", &text[from..(at + 1).min(text.len())]);
    };
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let c = bytes[i];
        if c != b'\n' && (c < 0x20 || c == 0x7f) {
            fail(i, "raw control character");
        }
        if !in_string {
            match c {
                b'"' => in_string = true,
                b'<' if bytes.get(i + 1) == Some(&b'<') => fail(i, "heredoc outside a string"),
                b'#' => fail(i, "comment outside a string"),
                b'/' if matches!(bytes.get(i + 1), Some(b'/' | b'*')) => fail(i, "comment outside a string"),
                _ => {}
            }
            i += 1;
            continue;
        }
        match c {
            b'\n' => fail(i, "line break inside a string"),
            b'"' => in_string = false,
            b'\\' => {
                let hex = |n: usize| bytes.get(i + 2..i + 2 + n).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
                match bytes.get(i + 1) {
                    Some(b'n' | b'r' | b't' | b'"' | b'\\') => i += 1,
                    Some(b'u') if hex(4) => i += 5,
                    Some(b'U') if hex(8) => i += 9,
                    _ => fail(i, "an escape Terraform does not accept"),
                }
            }
            b'$' | b'%' => {
                let mut run = 0;
                while bytes.get(i + run) == Some(&c) {
                    run += 1;
                }
                if bytes.get(i + run) == Some(&b'{') {
                    // Before a brace, a run of two or more ends in the escape
                    // `$${` (or `%%{`) and stands for literal text; a single
                    // one opens an interpolation or a directive.
                    let opens = run == 1;
                    if opens {
                        if c == b'%' {
                            fail(i, "an unescaped directive");
                        }
                        let rest = &text[i + run..];
                        let ok = rest.strip_prefix("{var.").and_then(|r| r.split_once('}')).is_some_and(|(id, _)| {
                            !id.is_empty()
                                && id.starts_with(|ch: char| ch.is_ascii_alphabetic() || ch == '_')
                                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                        });
                        if !ok {
                            fail(i, "an interpolation other than a variable");
                        }
                    }
                }
                i += run;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    if in_string {
        fail(text.len().saturating_sub(1), "unterminated string");
    }
}
