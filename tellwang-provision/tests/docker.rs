//! Woks on the real engine: reachability, isolation and its negative
//! control, idempotence, reconcile, secrets kept out of labels and logs.

mod support;

use tellwang_provision::{
    Error, IsolationOptions, ProbeKind, Provisioner, WokStatus, check_isolation, docker::container_name, images,
    negative_control,
};

fn without_health(mut status: WokStatus) -> WokStatus {
    for container in &mut status.containers {
        container.health = None;
    }
    status
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_woks_reach_their_own_postgres_and_nothing_of_each_other() {
    let Some((docker, secrets)) = support::engine().await else { return };
    let a = support::wok("alpha", &secrets);
    let b = support::wok("beta", &secrets);
    let spec = images::realtime_wok_spec();
    let (sa, sb) = tokio::join!(docker.provision(&a, &spec), docker.provision(&b, &spec));
    let (sa, sb) = (sa.unwrap(), sb.unwrap());
    let (na, nb) = (sa.network.clone().unwrap(), sb.network.clone().unwrap());
    assert!(na.internal && nb.internal);
    assert_ne!(na.subnet, nb.subnet);
    for status in [&sa, &sb] {
        assert_eq!(status.containers.len(), 2);
        assert!(status.containers.iter().all(|c| c.running && c.published_ports.is_empty()));
    }

    for (wok, status) in [(&a, &sa), (&b, &sb)] {
        // The service reaches its own Postgres by its name on the Wok's network...
        let out = docker.exec(&wok.id, "realtime", &args(&["/realtime", "probe", "postgres:5432", "--postgres"])).await;
        let out = out.unwrap();
        assert_eq!(out.exit_code, 0, "{out:?}");
        assert!(out.stdout.contains("postgres (authentication requested)"), "{out:?}");
        // ...and the password from the secret source opens the database.
        let url = format!("host=127.0.0.1 user=app dbname=app password={}", support::password(wok));
        let out = docker.exec(&wok.id, "postgres", &args(&["psql", &url, "-tAc", "select current_database()"])).await;
        assert_eq!(out.unwrap().stdout.trim(), "app");
        // Secret values are in no label and no log line.
        for container in &status.containers {
            let labels = support::docker_cli(&["inspect", "--format", "{{json .Config.Labels}}", &container.name]);
            let logs = support::docker_cli(&["logs", &container.name]);
            for secret in [support::password(wok), support::token(wok)] {
                assert!(!labels.contains(&secret) && !logs.contains(&secret), "{} leaks a secret", container.name);
            }
        }
    }

    let options = IsolationOptions { host_addresses: docker.host_addresses().await.unwrap(), ..Default::default() };
    let report = check_isolation(&docker, &a.id, &b.id, &options).await.unwrap();
    println!("{report}");
    assert!(report.passed(), "{report}");
    for kind in [ProbeKind::Own, ProbeKind::OtherByAddress, ProbeKind::OtherByName, ProbeKind::Host] {
        assert!(report.probes.iter().any(|p| p.kind == kind), "no {kind:?} probe");
    }

    // The negative control: B's realtime deliberately joined to A's network.
    let control = negative_control(&docker, &a.id, &b.id, &options).await.unwrap();
    println!("{control}");
    assert!(!control.passed(), "the check missed a deliberately joined network:\n{control}");
    let caught: Vec<_> = control.failures().collect();
    assert!(caught.iter().any(|p| p.from == a.id && p.kind == ProbeKind::OtherByAddress), "{control}");
    assert!(caught.iter().any(|p| p.from == a.id && p.kind == ProbeKind::OtherByName), "{control}");
    // Detached again, the Woks are isolated again.
    assert!(check_isolation(&docker, &a.id, &b.id, &options).await.unwrap().passed());

    for wok in [&a, &b] {
        docker.deprovision(&wok.id, false).await.unwrap();
        assert!(docker.status(&wok.id).await.unwrap().is_absent());
        // Idempotent.
        docker.deprovision(&wok.id, false).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisioning_twice_changes_nothing_and_reconcile_repairs() {
    let Some((docker, secrets)) = support::engine().await else { return };
    let wok = support::wok("twice", &secrets);
    let spec = images::realtime_wok_spec();
    let first = docker.provision(&wok, &spec).await.unwrap();
    let second = docker.provision(&wok, &spec).await.unwrap();
    // Same containers (ids), same network, same volumes; only the engine's
    // own health checks may have moved on in between.
    assert_eq!(without_health(first.clone()), without_health(second));
    assert!(docker.reconcile(&wok, &spec).await.unwrap().is_empty());

    // A stopped service is started again by reconcile, in the same container.
    support::docker_cli(&["stop", "-t", "1", &container_name(&wok.id, "realtime")]);
    let changes = docker.reconcile(&wok, &spec).await.unwrap();
    assert_eq!(changes.started, vec![container_name(&wok.id, "realtime")]);
    let after = docker.status(&wok.id).await.unwrap();
    assert_eq!(after.container("realtime").map(|c| &c.id), first.container("realtime").map(|c| &c.id));
    assert!(after.container("realtime").unwrap().running);

    // A changed spec is drift for provision, and a replacement for reconcile.
    let mut changed = spec.clone();
    changed.services[0].env.insert("LOG_LEVEL".into(), "debug".into());
    assert!(matches!(docker.provision(&wok, &changed).await, Err(Error::Drift { .. })));
    let changes = docker.reconcile(&wok, &changed).await.unwrap();
    assert_eq!(changes.replaced, vec![container_name(&wok.id, "realtime")]);
    let replaced = docker.status(&wok.id).await.unwrap();
    assert_ne!(replaced.container("realtime").map(|c| &c.id), first.container("realtime").map(|c| &c.id));
    assert_eq!(replaced.container("postgres").map(|c| &c.id), after.container("postgres").map(|c| &c.id));

    // Keeping the data keeps exactly the volume.
    docker.deprovision(&wok.id, true).await.unwrap();
    let kept = docker.status(&wok.id).await.unwrap();
    assert!(kept.network.is_none() && kept.containers.is_empty());
    assert_eq!(kept.volumes, first.volumes);
    docker.deprovision(&wok.id, false).await.unwrap();
    assert!(docker.status(&wok.id).await.unwrap().is_absent());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_typed_errors_and_create_nothing() {
    let Some((docker, secrets)) = support::engine().await else { return };
    let wok = support::wok("refused", &secrets);
    let mut spec = images::realtime_wok_spec();
    spec.services[0].image = "tellwang/never-built:none".into();
    assert!(
        matches!(docker.provision(&wok, &spec).await, Err(Error::ImageMissing { image }) if image.contains("never-built"))
    );

    let stranger = support::wok("no-secrets", &tellwang_provision::MemorySecrets::new());
    let spec = images::realtime_wok_spec();
    match docker.provision(&stranger, &spec).await {
        Err(Error::MissingSecret { name }) => assert_eq!(name, "POSTGRES_PASSWORD"),
        other => panic!("expected a missing secret, got {other:?}"),
    }

    let mut invalid = images::realtime_wok_spec();
    invalid.services[0].name = "Not A Label".into();
    assert!(matches!(docker.provision(&wok, &invalid).await, Err(Error::InvalidSpec(_))));

    for w in [&wok, &stranger] {
        assert!(docker.status(&w.id).await.unwrap().is_absent());
    }
    assert!(matches!(
        docker.exec(&wok.id, "realtime", &args(&["/realtime", "health"])).await,
        Err(Error::NotFound { .. })
    ));
}
