//! Woks on the local Docker engine, each beside a baseline in the same run:
//! the same containers, started by the docker CLI with a readiness loop.
//!
//! * `ready_wok`: network + Postgres accepting connections + realtime
//!   healthy, from nothing (goal: the provisioner within 1.2x of the CLI).
//! * `ready_20_woks`: twenty such Woks at once.
//! * `deprovision`: removing one ready Wok (containers, network, volume).
//!
//! Only the step named is timed; set-up and removal around it are not.
//!
//! ```text
//! bash tellwang-provision/images/build.sh
//! cargo bench --bench provision --features provision
//! ```
#![allow(clippy::expect_used, clippy::panic, reason = "a benchmark has nothing to do but stop when its setup fails")]

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use futures_util::future::join_all;
use tellwang_core::{TeamId, Timestamp, Wok, WokId, WokSpec};
use tellwang_provision::{DockerConfig, DockerProvisioner, MemorySecrets, Provisioner, SecretValue, images};

const CONCURRENT: usize = 20;
/// Twenty Woks initialising Postgres at once on two cores take a while; both
/// sides get the same generous bound.
const READY_TIMEOUT: Duration = Duration::from_secs(300);

/// Subnets for the CLI baseline, outside the provisioner's default pool.
static NEXT_SUBNET: AtomicU32 = AtomicU32::new(0);

fn new_wok(secrets: &MemorySecrets) -> Wok {
    let wok = Wok {
        id: WokId::generate().expect("id"),
        team: TeamId::generate().expect("id"),
        name: "bench".into(),
        region: "local".into(),
        created_at: Timestamp::now(),
    };
    secrets.insert(&wok.id, "POSTGRES_PASSWORD", SecretValue::new("bench-password"));
    secrets.insert(&wok.id, images::REALTIME_TOKEN, SecretValue::new("bench-token"));
    wok
}

fn docker(args: &[&str]) -> bool {
    Command::new("docker").args(args).output().map(|o| o.status.success()).unwrap_or(false)
}

/// The baseline: what an operator's script does for one Wok — the same
/// network options, volume, containers, limits and health checks — then
/// polls both readiness commands with `docker exec` every 100 ms.
fn cli_ready_wok(spec: &WokSpec) -> String {
    let n = NEXT_SUBNET.fetch_add(1, Ordering::Relaxed);
    let name = format!("twbench-{}", hex_id());
    let subnet = format!("10.199.{}.{}/26", n / 4 % 256, (n % 4) * 64);
    let (pg, rt) = (format!("{name}-postgres"), format!("{name}-realtime"));
    let volume = format!("{name}-pgdata");
    let label = format!("io.tellwang.bench={name}");
    assert!(docker(&[
        "network",
        "create",
        "--internal",
        "--subnet",
        &subnet,
        "-o",
        "com.docker.network.bridge.inhibit_ipv4=true",
        "--label",
        &label,
        &name,
    ]));
    assert!(docker(&["volume", "create", "--label", &label, &volume]));
    let pg_limits = &spec.postgres.limits;
    let mount = format!("type=volume,source={volume},target=/var/lib/postgresql/data");
    assert!(docker(&[
        "run",
        "-d",
        "--name",
        &pg,
        "--hostname",
        "postgres",
        "--network",
        &name,
        "--network-alias",
        "postgres",
        "--label",
        &label,
        "--mount",
        &mount,
        "--memory",
        &format!("{}m", pg_limits.memory_mib),
        "--cpus",
        &format!("{}", f64::from(pg_limits.cpu_millis) / 1000.0),
        "--pids-limit",
        &pg_limits.pids.to_string(),
        "--restart",
        "unless-stopped",
        "--security-opt",
        "no-new-privileges:true",
        "--health-cmd",
        "pg_isready -q -h 127.0.0.1 -U app",
        "--health-interval",
        "2s",
        "-e",
        "POSTGRES_USER=app",
        "-e",
        "POSTGRES_DB=app",
        "-e",
        "POSTGRES_PASSWORD=bench-password",
        &spec.postgres.image,
    ]));
    let rt_limits = &spec.services[0].limits;
    assert!(docker(&[
        "run",
        "-d",
        "--name",
        &rt,
        "--hostname",
        "realtime",
        "--network",
        &name,
        "--network-alias",
        "realtime",
        "--label",
        &label,
        "--memory",
        &format!("{}m", rt_limits.memory_mib),
        "--cpus",
        &format!("{}", f64::from(rt_limits.cpu_millis) / 1000.0),
        "--pids-limit",
        &rt_limits.pids.to_string(),
        "--restart",
        "unless-stopped",
        "--security-opt",
        "no-new-privileges:true",
        "--health-cmd",
        "/realtime health",
        "--health-interval",
        "2s",
        "-e",
        "REALTIME_PORT=4000",
        "-e",
        "REALTIME_TOKEN=bench-token",
        &spec.services[0].image,
        "serve",
    ]));
    let deadline = Instant::now() + READY_TIMEOUT;
    let (mut pg_ready, mut rt_ready) = (false, false);
    while !(pg_ready && rt_ready) {
        assert!(Instant::now() < deadline, "baseline Wok not ready");
        pg_ready = pg_ready || docker(&["exec", &pg, "pg_isready", "-q", "-h", "127.0.0.1", "-U", "app"]);
        rt_ready = rt_ready || docker(&["exec", &rt, "/realtime", "health"]);
        if !(pg_ready && rt_ready) {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    name
}

fn cli_remove(name: &str) {
    docker(&["rm", "-f", &format!("{name}-postgres"), &format!("{name}-realtime")]);
    docker(&["network", "rm", name]);
    docker(&["volume", "rm", &format!("{name}-pgdata")]);
}

fn hex_id() -> String {
    WokId::generate().expect("id").to_string()[4..16].to_owned()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let secrets = Arc::new(MemorySecrets::new());
    let provisioner = match rt.block_on(DockerProvisioner::connect(
        secrets.clone(),
        DockerConfig { ready_timeout: READY_TIMEOUT, ..DockerConfig::default() },
    )) {
        Ok(p) => Arc::new(p),
        Err(error) => {
            eprintln!("SKIPPED: no Docker engine ({error})");
            return;
        }
    };
    let spec = images::realtime_wok_spec();

    let mut group = c.benchmark_group("ready_wok");
    group.sample_size(10).sampling_mode(SamplingMode::Flat).warm_up_time(Duration::from_millis(1));
    group.bench_function("docker_cli_baseline", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let name = cli_ready_wok(&spec);
                total += start.elapsed();
                cli_remove(&name);
            }
            total
        })
    });
    group.bench_function("provisioner", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let wok = new_wok(&secrets);
                    let start = Instant::now();
                    provisioner.provision(&wok, &spec).await.expect("provision");
                    total += start.elapsed();
                    provisioner.deprovision(&wok.id, false).await.expect("deprovision");
                }
                total
            })
        })
    });
    group.finish();

    let mut group = c.benchmark_group("ready_20_woks");
    group.sample_size(10).sampling_mode(SamplingMode::Flat).warm_up_time(Duration::from_millis(1));
    group.bench_function("docker_cli_baseline", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let names: Vec<String> = std::thread::scope(|s| {
                    let handles: Vec<_> = (0..CONCURRENT).map(|_| s.spawn(|| cli_ready_wok(&spec))).collect();
                    handles.into_iter().map(|h| h.join().expect("baseline thread")).collect()
                });
                total += start.elapsed();
                std::thread::scope(|s| {
                    for name in &names {
                        s.spawn(move || cli_remove(name));
                    }
                });
            }
            total
        })
    });
    group.bench_function("provisioner", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let woks: Vec<Wok> = (0..CONCURRENT).map(|_| new_wok(&secrets)).collect();
                    let start = Instant::now();
                    let results = join_all(woks.iter().map(|w| provisioner.provision(w, &spec))).await;
                    total += start.elapsed();
                    join_all(woks.iter().map(|w| provisioner.deprovision(&w.id, false))).await;
                    for result in results {
                        result.expect("provision");
                    }
                }
                total
            })
        })
    });
    group.finish();

    let mut group = c.benchmark_group("deprovision");
    group.sample_size(10).sampling_mode(SamplingMode::Flat).warm_up_time(Duration::from_millis(1));
    group.bench_function("docker_cli_baseline", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let name = cli_ready_wok(&spec);
                let start = Instant::now();
                cli_remove(&name);
                total += start.elapsed();
            }
            total
        })
    });
    group.bench_function("provisioner", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let wok = new_wok(&secrets);
                    provisioner.provision(&wok, &spec).await.expect("provision");
                    let start = Instant::now();
                    provisioner.deprovision(&wok.id, false).await.expect("deprovision");
                    total += start.elapsed();
                }
                total
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
