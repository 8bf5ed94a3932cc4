//! Every export parses back — with hcl-rs's parser, which decodes strings as
//! Terraform does — to exactly the spec it came from; it follows the lexical
//! rules for tenant text; it never holds a secret value; and it is
//! byte-identical from one run to the next.

#![allow(clippy::expect_used, clippy::panic, reason = "test helpers: a failed expectation is a failed test")]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use hcl::Body;
use hcl::expr::Expression;
use proptest::prelude::*;
use tellwang_core::Wok;
use tellwang_core::spec::{HealthCheck, Limits, PostgresSpec, RestartPolicy, ServiceSpec, VolumeMount, WokSpec};
use tellwang_export::{
    Docker, Error, Export, ExportTarget, Kubernetes, MAIN_TF, TARGETS, TFVARS_EXAMPLE, VARIABLES_TF,
};

fn parse(export: &Export, file: &str) -> Body {
    let text = export.file(file).expect("file");
    hcl::parse(text).unwrap_or_else(|e| panic!("{} {file} does not parse: {e}", export.target()))
}

/// Everything a round trip must show for one export of `spec`.
fn assert_round_trip(target: &dyn ExportTarget, wok: &Wok, spec: &WokSpec, secret_values: &[String]) {
    let export = target.export(wok, spec).expect("export");
    for (name, text) in export.files() {
        common::check_lexical(name, text);
        for value in secret_values {
            assert!(!text.contains(value.as_str()), "{name} holds a secret value");
        }
    }
    let single = export.single_file();
    common::check_lexical("single file", &single);
    let single_body: Body = hcl::parse(&single).expect("the single file parses");

    let main = parse(&export, MAIN_TF);
    let (read, wok_name) = match target.name() {
        "docker" => common::read_docker(export.file(MAIN_TF).expect("main")),
        _ => common::read_kubernetes(&main),
    };
    assert_eq!(&read, spec, "{} export read back differs", target.name());
    assert_eq!(wok_name, wok.name);

    // Every secret is a sensitive variable without a default, and the
    // example file lists each with an empty value.
    let variables = common::variables(&parse(&export, VARIABLES_TF));
    let tfvars = parse(&export, TFVARS_EXAMPLE);
    let mut listed = BTreeSet::new();
    for attr in tfvars.attributes() {
        assert_eq!(attr.expr(), &Expression::String(String::new()), "an example value is empty");
        listed.insert(attr.key().to_owned());
        assert_eq!(variables.get(attr.key()), Some(&(true, true)), "{} is sensitive, without default", attr.key());
    }
    let mut secrets: BTreeSet<&String> = spec.services.iter().flat_map(|s| &s.secret_env).collect();
    secrets.insert(&spec.postgres.password_secret);
    assert_eq!(listed.len(), secrets.len(), "one variable per secret");
    for (name, (sensitive, no_default)) in &variables {
        if name != "secrets_revision" {
            assert!(*sensitive && *no_default && listed.contains(name), "{name}");
        }
    }
    // The single file is the module's three files in one.
    let parts = [main.clone(), parse(&export, VARIABLES_TF), parse(&export, "outputs.tf")];
    assert_eq!(single_body, Body(parts.into_iter().flat_map(|b| b.0).collect()));

    assert_eq!(export, target.export(wok, spec).expect("export"), "a second export is identical");
}

#[test]
fn examples_round_trip() {
    for target in TARGETS {
        for (name, spec) in [("small", common::small()), ("large", common::large()), ("hostile", common::hostile())] {
            for wok_name in ["billing", common::HOSTILE[0], common::HOSTILE[3], common::HOSTILE[4]] {
                let _ = name;
                assert_round_trip(*target, &common::wok(wok_name), &spec, &[]);
            }
        }
    }
}

#[test]
fn hostile_names_get_distinct_identifiers() {
    let spec = common::hostile();
    for target in TARGETS {
        let export = target.export(&common::wok("w"), &spec).expect("export");
        let main = parse(&export, MAIN_TF);
        let mut seen = BTreeSet::new();
        for (kind, name, _) in common::resources(&main) {
            assert!(
                name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
                "{name:?} is an identifier"
            );
            assert!(seen.insert((kind.clone(), name.clone())), "{kind}.{name} is declared once");
        }
        // A service called `postgres` does not take the database's name.
        assert!(seen.contains(&("kubernetes_deployment_v1".into(), "postgres_2".into())) || target.name() == "docker");
        assert!(seen.contains(&("docker_container".into(), "postgres_2".into())) || target.name() == "kubernetes");
    }
}

#[test]
fn docker_refuses_an_env_name_with_an_equals_sign() {
    let mut spec = common::small();
    spec.services[0].env.insert("A=B".into(), "c".into());
    let err = Docker.export(&common::wok("w"), &spec).expect_err("refused");
    assert_eq!(
        err,
        Error::Unrepresentable {
            target: "docker",
            path: "services[0].env".into(),
            problem: "an environment variable name holds `=`"
        }
    );
    assert!(!err.to_string().contains("A=B"), "the name is not echoed");
    // Kubernetes keeps names and values apart, and can say it.
    assert!(Kubernetes.export(&common::wok("w"), &spec).is_ok());
}

// ---- property tests ------------------------------------------------------------------

/// Text built from pieces that try to break out of a string, arbitrary
/// characters (controls and any Unicode included), and now and then a very
/// long run.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(common::HOSTILE).prop_map(String::from),
        4 => "[a-zA-Z0-9_.:/-]{1,12}",
        3 => "[$%{}\"\\\\\n\r\t<#=]{1,6}",
        3 => any::<char>().prop_map(String::from),
        1 => (1usize..5000).prop_map(|n| "x".repeat(n)),
    ];
    proptest::collection::vec(piece, 0..5).prop_map(|parts| parts.concat())
}

fn limits() -> impl Strategy<Value = Limits> {
    (any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(memory_mib, cpu_millis, pids)| Limits {
        memory_mib,
        cpu_millis,
        pids,
    })
}

fn service() -> impl Strategy<Value = ServiceSpec> {
    let health = (proptest::collection::vec(text(), 0..3), any::<u32>(), any::<u32>(), any::<u32>(), any::<u32>())
        .prop_map(|(command, interval_secs, timeout_secs, retries, start_period_secs)| HealthCheck {
            command,
            interval_secs,
            timeout_secs,
            retries,
            start_period_secs,
        });
    let volume =
        (text(), text(), any::<bool>()).prop_map(|(name, path, read_only)| VolumeMount { name, path, read_only });
    let restart = proptest::sample::select(vec![
        RestartPolicy::No,
        RestartPolicy::OnFailure,
        RestartPolicy::UnlessStopped,
        RestartPolicy::Always,
    ]);
    (
        (text(), text(), proptest::collection::vec(text(), 0..3), proptest::collection::vec(any::<u16>(), 0..3)),
        (
            proptest::collection::btree_map(text(), text(), 0..4),
            proptest::collection::btree_set(text(), 0..3),
            proptest::option::of(health),
        ),
        (limits(), proptest::collection::vec(volume, 0..3), restart),
    )
        .prop_map(
            |((name, image, command, ports), (env, secret_env, health_check), (limits, volumes, restart))| {
                ServiceSpec { name, image, command, ports, env, secret_env, health_check, limits, volumes, restart }
            },
        )
}

fn spec() -> impl Strategy<Value = WokSpec> {
    let postgres = (text(), text(), text(), text(), any::<u32>(), limits()).prop_map(
        |(image, database, user, password_secret, storage_gib, limits)| PostgresSpec {
            image,
            database,
            user,
            password_secret,
            storage_gib,
            limits,
        },
    );
    (any::<bool>(), postgres, proptest::collection::vec(service(), 0..4))
        .prop_map(|(egress, postgres, services)| WokSpec { egress, postgres, services })
}

fn has_equals_in_env_name(spec: &WokSpec) -> bool {
    spec.services.iter().any(|s| s.env.keys().chain(&s.secret_env).any(|k| k.contains('=')))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Arbitrary specs, hostile text included, round-trip through both
    /// targets; docker refuses exactly the env names it cannot express.
    #[test]
    fn arbitrary_specs_round_trip(wok_name in text(), spec in spec(), secret_values in proptest::collection::vec("[A-Za-z0-9]{24}", 1..4)) {
        let wok = common::wok(&wok_name);
        // The exporter is never given values; these stand for what the vault
        // holds, and none may turn up in the output.
        let values: Vec<String> = secret_values.iter().map(|v| format!("secret-value-{v}")).collect();
        assert_round_trip(&Kubernetes, &wok, &spec, &values);
        if has_equals_in_env_name(&spec) {
            let refused = matches!(Docker.export(&wok, &spec), Err(Error::Unrepresentable { target: "docker", .. }));
            prop_assert!(refused);
        } else {
            assert_round_trip(&Docker, &wok, &spec, &values);
        }
    }

    /// Any text survives as a value: written by the exporter, read by hcl-rs.
    #[test]
    fn any_text_is_kept_exactly(value in text(), name in text()) {
        let mut spec = common::small();
        spec.services[0].env = BTreeMap::from([(name.replace('=', "_"), value.clone())]);
        spec.services[0].image = value.clone();
        for target in TARGETS {
            let export = target.export(&common::wok(&value), &spec).expect("export");
            let main = parse(&export, MAIN_TF);
            let (read, wok_name) = match target.name() {
                "docker" => common::read_docker(export.file(MAIN_TF).expect("main")),
                _ => common::read_kubernetes(&main),
            };
            prop_assert_eq!(&read.services[0].image, &value);
            prop_assert_eq!(&read.services[0].env, &spec.services[0].env);
            prop_assert_eq!(&wok_name, &value);
        }
    }
}

#[test]
fn a_secret_has_the_same_variable_in_every_target() {
    let spec = common::hostile();
    let wok = common::wok("w");
    let docker = common::variables(&parse(&Docker.export(&wok, &spec).expect("export"), VARIABLES_TF));
    let mut kubernetes = common::variables(&parse(&Kubernetes.export(&wok, &spec).expect("export"), VARIABLES_TF));
    // Kubernetes adds the revision that re-sends write-only data.
    assert_eq!(kubernetes.remove("secrets_revision"), Some((false, false)));
    assert_eq!(docker, kubernetes);
}
