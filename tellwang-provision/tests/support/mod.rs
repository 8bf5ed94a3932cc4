//! Shared set-up of the integration tests: a real engine, or a loud skip.

#![allow(dead_code, reason = "each test binary uses part of the support module")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test set-up stops the test when it fails")]

use std::sync::Arc;

use tellwang_core::{TeamId, Timestamp, Wok, WokId};
use tellwang_provision::{DockerConfig, DockerProvisioner, MemorySecrets, SecretValue, images};

/// The engine, or `None` after printing SKIPPED when there is no Docker
/// socket. Under `CI=true` a missing engine fails the test instead.
pub async fn engine() -> Option<(DockerProvisioner, Arc<MemorySecrets>)> {
    let secrets = Arc::new(MemorySecrets::new());
    match DockerProvisioner::connect(secrets.clone(), DockerConfig::default()).await {
        Ok(docker) => Some((docker, secrets)),
        Err(error) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but no Docker engine: {error}")
        }
        Err(error) => {
            eprintln!("SKIPPED: no Docker engine ({error}); these tests need one and the images of images/build.sh");
            None
        }
    }
}

/// A fresh Wok of a fresh team, with its secrets in `secrets`.
pub fn wok(name: &str, secrets: &MemorySecrets) -> Wok {
    let wok = Wok {
        id: WokId::generate().unwrap(),
        team: TeamId::generate().unwrap(),
        name: name.into(),
        region: "test".into(),
        created_at: Timestamp::now(),
    };
    secrets.insert(&wok.id, "POSTGRES_PASSWORD", SecretValue::new(password(&wok)));
    secrets.insert(&wok.id, images::REALTIME_TOKEN, SecretValue::new(token(&wok)));
    wok
}

/// The test password of `wok`'s Postgres: distinct per Wok, so a leak is recognisable.
pub fn password(wok: &Wok) -> String {
    format!("pw-{}", &wok.id.to_string()[4..20])
}

/// The test realtime token of `wok`.
pub fn token(wok: &Wok) -> String {
    format!("tok-{}", &wok.id.to_string()[4..20])
}

/// Runs the docker CLI and returns its standard output and error.
pub fn docker_cli(args: &[&str]) -> String {
    let out = std::process::Command::new("docker").args(args).output().expect("docker CLI");
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}
