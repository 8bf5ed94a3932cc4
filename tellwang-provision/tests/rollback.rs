//! A provision that fails part-way, or is dropped part-way, leaves nothing
//! behind: the labelled containers, networks and volumes on the engine are
//! counted before and after. These scenarios run one at a time (a census
//! counts every Wok), in a test binary of their own.

mod support;

use std::time::Duration;

use tellwang_provision::{Error, Provisioner, images};
use tokio::sync::Mutex;

static SERIAL: Mutex<()> = Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_that_dies_while_starting_leaves_nothing() {
    let Some((docker, secrets)) = support::engine().await else { return };
    let _serial = SERIAL.lock().await;
    let before = docker.census().await.unwrap();
    let wok = support::wok("dies", &secrets);
    let mut spec = images::realtime_wok_spec();
    // The network, the volume, Postgres and the service are created, then
    // the service exits with a usage error: readiness fails.
    spec.services[0].command = vec!["no-such-subcommand".into()];
    spec.services[0].restart = tellwang_core::spec::RestartPolicy::No;
    match docker.provision(&wok, &spec).await {
        Err(Error::Exited { container, exit_code }) => {
            assert!(container.ends_with("-realtime"));
            assert_eq!(exit_code, 64);
        }
        other => panic!("expected the service to exit, got {other:?}"),
    }
    assert_eq!(docker.census().await.unwrap(), before);
    assert!(docker.status(&wok.id).await.unwrap().is_absent());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_readiness_wait_that_runs_out_leaves_nothing() {
    let Some((_, secrets)) = support::engine().await else { return };
    let config = tellwang_provision::DockerConfig { ready_timeout: Duration::from_secs(10), ..Default::default() };
    let docker = tellwang_provision::DockerProvisioner::connect(secrets.clone(), config).await.unwrap();
    let _serial = SERIAL.lock().await;
    let before = docker.census().await.unwrap();
    let wok = support::wok("never-ready", &secrets);
    let mut spec = images::realtime_wok_spec();
    // Healthy never: the health command probes a port nobody listens on.
    spec.services[0].health_check.as_mut().unwrap().command =
        vec!["/realtime".into(), "probe".into(), "127.0.0.1:1".into()];
    match docker.provision(&wok, &spec).await {
        Err(Error::NotReady { container, waited }) => {
            // Postgres may be the one still starting on a slow machine; either way the wait was bounded.
            assert!(container.ends_with("-realtime") || container.ends_with("-postgres"), "{container}");
            assert!(waited >= Duration::from_secs(9) && waited < Duration::from_secs(20), "{waited:?}");
        }
        other => panic!("expected a bounded wait to run out, got {other:?}"),
    }
    assert_eq!(docker.census().await.unwrap(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provision_killed_part_way_leaves_nothing() {
    let Some((docker, secrets)) = support::engine().await else { return };
    let _serial = SERIAL.lock().await;
    let before = docker.census().await.unwrap();
    let wok = support::wok("killed", &secrets);
    let spec = images::realtime_wok_spec();
    // Dropped while Postgres initialises: after the network, volume and
    // containers exist, before readiness.
    let watch = async {
        // What existed while provisioning ran: proof that it was killed part-way.
        let mut most = before;
        for _ in 0..12 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let now = docker.census().await.unwrap();
            most.containers = most.containers.max(now.containers);
            most.networks = most.networks.max(now.networks);
            most.volumes = most.volumes.max(now.volumes);
        }
        most
    };
    let (killed, most) =
        tokio::join!(tokio::time::timeout(Duration::from_millis(700), docker.provision(&wok, &spec)), watch);
    assert!(killed.is_err(), "provisioning finished before it could be killed");
    assert!(most.networks > before.networks && most.containers > before.containers, "{most:?} vs {before:?}");
    // The clean-up runs in the background; give it a bounded time.
    let mut after = docker.census().await.unwrap();
    for _ in 0..50 {
        if after == before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        after = docker.census().await.unwrap();
    }
    assert_eq!(after, before);
}
