//! Export of a Wok with 100 services and 1,000 environment variable names,
//! for each target, beside its baseline in the same run: hcl-rs writing an
//! equivalent body that is already built (the same export's files, parsed
//! once before measuring), with the same formatter settings. The gap is
//! what building the body, escaping tenant text, mapping names and aligning
//! attributes cost.
//!
//! ```text
//! cargo bench --bench export
//! ```
#![allow(clippy::expect_used, reason = "a benchmark has nothing to do but stop when its setup fails")]

use std::collections::{BTreeMap, BTreeSet};
use std::hint::black_box;
use std::str::FromStr;

use criterion::{Criterion, criterion_group, criterion_main};
use hcl::format::{Format, Formatter};
use tellwang_core::spec::{HealthCheck, Limits, RestartPolicy, ServiceSpec, VolumeMount, WokSpec};
use tellwang_core::{TeamId, Timestamp, Wok, WokId};
use tellwang_export::{ExportTarget, TARGETS};

const SERVICES: usize = 100;
const ENV_PER_SERVICE: usize = 10;

fn wok() -> Wok {
    Wok {
        id: WokId::from_str("wok_0123456789abcdef0123456789abcdef").expect("id"),
        team: TeamId::from_str("team_fedcba9876543210fedcba9876543210").expect("id"),
        name: "bench".into(),
        region: "ca-central-1".into(),
        created_at: Timestamp::from_micros(0),
    }
}

/// 100 services with 10 plain variables each (1,000 names), two secrets,
/// a health check and a volume; one value in ten needs escaping.
fn spec() -> WokSpec {
    let services = (0..SERVICES)
        .map(|i| ServiceSpec {
            name: format!("service-{i:03}"),
            image: format!("ghcr.io/acme/service-{i:03}:1.0.{i}"),
            command: vec!["serve".into(), "--port".into(), "8080".into()],
            ports: vec![8080],
            env: (0..ENV_PER_SERVICE)
                .map(|j| {
                    let value = if j == 0 { format!("Hello \"${{user}}\"\n#{i}") } else { format!("value-{i}-{j}") };
                    (format!("SETTING_{i:03}_{j:02}"), value)
                })
                .collect::<BTreeMap<_, _>>(),
            secret_env: BTreeSet::from(["DATABASE_PASSWORD".into(), format!("TOKEN_{i:03}")]),
            health_check: Some(HealthCheck {
                command: vec!["/bin/health".into()],
                interval_secs: 10,
                timeout_secs: 2,
                retries: 3,
                start_period_secs: 5,
            }),
            limits: Limits::default(),
            volumes: vec![VolumeMount { name: format!("data-{i:03}"), path: "/data".into(), read_only: false }],
            restart: RestartPolicy::UnlessStopped,
        })
        .collect();
    WokSpec { services, ..WokSpec::new() }
}

fn format_all(bodies: &[hcl::Body]) -> usize {
    bodies
        .iter()
        .map(|body| {
            let mut out = Vec::with_capacity(4096);
            let mut formatter = Formatter::builder().compact_arrays(false).compact_objects(true).build(&mut out);
            body.format(&mut formatter).expect("format");
            out.len()
        })
        .sum()
}

fn bench(c: &mut Criterion) {
    let (wok, spec) = (wok(), spec());
    for target in TARGETS {
        let export = target.export(&wok, &spec).expect("export");
        let prebuilt: Vec<hcl::Body> =
            export.files().map(|(_, text)| hcl::parse(text).expect("the export parses")).collect();
        let mut group = c.benchmark_group(format!("export/{}", target.name()));
        group.sample_size(30);
        group.bench_function("baseline: hcl-rs formats the prebuilt body", |b| {
            b.iter(|| black_box(format_all(black_box(&prebuilt))))
        });
        group.bench_function("export: 100 services, 1000 env names", |b| {
            b.iter(|| black_box(ExportTarget::export(*target, black_box(&wok), black_box(&spec)).expect("export")))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
