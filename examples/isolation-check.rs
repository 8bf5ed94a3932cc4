//! The release check: provisions two Woks on the local Docker engine and,
//! from inside each, tries to reach the other's Postgres and realtime
//! channel — by container address, by DNS name, through host-published
//! ports and through the host's gateway addresses. Each must reach its own
//! services and nothing of the other's.
//!
//! It then runs the negative control — one Wok's realtime service
//! deliberately joined to the other's network — which the check must catch.
//!
//! ```text
//! bash tellwang-provision/images/build.sh        # the images; no registry needed
//! cargo run --example isolation-check --features provision
//! ```
//!
//! Exit status: 0 isolated (and the control caught), 1 cross-talk, 2 the
//! control was not caught (the check is blind), 3 the check could not run.
//! Both Woks are removed in every case.

use std::process::ExitCode;
use std::sync::Arc;

use tellwang_core::{TeamId, Timestamp, Wok, WokId};
use tellwang_provision::{
    DockerConfig, DockerProvisioner, IsolationOptions, MemorySecrets, Provisioner, SecretValue, check_isolation,
    images, negative_control,
};

#[tokio::main]
async fn main() -> ExitCode {
    let secrets = Arc::new(MemorySecrets::new());
    let docker = match DockerProvisioner::connect(secrets.clone(), DockerConfig::default()).await {
        Ok(docker) => docker,
        Err(error) => {
            eprintln!("isolation-check: no Docker engine: {error}");
            return ExitCode::from(3);
        }
    };
    let mut woks = Vec::new();
    for name in ["isolation-a", "isolation-b"] {
        match new_wok(name, &secrets) {
            Ok(wok) => woks.push(wok),
            Err(error) => {
                eprintln!("isolation-check: {error}");
                return ExitCode::from(3);
            }
        }
    }
    let verdict = run(&docker, &woks[0], &woks[1]).await;
    for wok in &woks {
        if let Err(error) = docker.deprovision(&wok.id, false).await {
            eprintln!("isolation-check: removing {}: {error}", wok.id);
        }
    }
    match verdict {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("isolation-check: {error}");
            ExitCode::from(3)
        }
    }
}

fn new_wok(name: &str, secrets: &MemorySecrets) -> Result<Wok, tellwang_core::Error> {
    let wok = Wok {
        id: WokId::generate()?,
        team: TeamId::generate()?,
        name: name.into(),
        region: "local".into(),
        created_at: Timestamp::now(),
    };
    // Fresh random values each run; a real host reads them from the vault.
    for secret in ["POSTGRES_PASSWORD", images::REALTIME_TOKEN] {
        secrets.insert(&wok.id, secret, SecretValue::new(WokId::generate()?.to_string()));
    }
    Ok(wok)
}

async fn run(docker: &DockerProvisioner, a: &Wok, b: &Wok) -> Result<u8, tellwang_provision::Error> {
    let spec = images::realtime_wok_spec();
    let (ready_a, ready_b) = tokio::join!(docker.provision(a, &spec), docker.provision(b, &spec));
    for status in [ready_a?, ready_b?] {
        let subnet = status.network.map(|n| n.subnet).unwrap_or_default();
        println!("provisioned {} on {subnet}", status.wok);
    }
    let options = IsolationOptions { host_addresses: docker.host_addresses().await?, ..Default::default() };

    println!("\n== isolation check");
    let report = check_isolation(docker, &a.id, &b.id, &options).await?;
    println!("{report}");

    println!("\n== negative control: {}'s realtime joined to {}'s network", b.id, a.id);
    let control = negative_control(docker, &a.id, &b.id, &options).await?;
    println!("{control}");

    if !report.passed() {
        println!("\nFAILED: cross-talk between Woks");
        return Ok(1);
    }
    if control.passed() {
        println!("\nFAILED: the negative control was not caught; the check cannot see cross-talk");
        return Ok(2);
    }
    println!("\nPASSED: each Wok reaches its own services only, and the check catches a joined network");
    Ok(0)
}
