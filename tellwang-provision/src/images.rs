//! The images `images/build.sh` builds, and the spec of the realtime service
//! they provide. Image names are configuration: production would run e.g.
//! `postgres:16` and its own services.

use std::collections::{BTreeMap, BTreeSet};

use tellwang_core::WokSpec;
use tellwang_core::spec::{HealthCheck, Limits, PostgresSpec, RestartPolicy, ServiceSpec};

/// The realtime image `images/build.sh` builds (override: `TELLWANG_REALTIME_IMAGE`).
pub const DEFAULT_REALTIME_IMAGE: &str = "tellwang/realtime:dev";
/// The Postgres image `images/build.sh` builds (override: `TELLWANG_POSTGRES_IMAGE`).
pub const DEFAULT_POSTGRES_IMAGE: &str = "tellwang/postgres:15";
/// The port the realtime service listens on inside its Wok.
pub const REALTIME_PORT: u16 = 4000;
/// The secret the realtime service takes: the token a client must show to join a channel.
pub const REALTIME_TOKEN: &str = "REALTIME_TOKEN";

/// The realtime image's name: `TELLWANG_REALTIME_IMAGE`, or the default.
pub fn realtime_image() -> String {
    std::env::var("TELLWANG_REALTIME_IMAGE").unwrap_or_else(|_| DEFAULT_REALTIME_IMAGE.into())
}

/// The Postgres image's name: `TELLWANG_POSTGRES_IMAGE`, or the default.
pub fn postgres_image() -> String {
    std::env::var("TELLWANG_POSTGRES_IMAGE").unwrap_or_else(|_| DEFAULT_POSTGRES_IMAGE.into())
}

/// The realtime channel service, as a Wok runs it: port 4000, its token from
/// the secret [`REALTIME_TOKEN`], healthy when it answers on its own port.
pub fn realtime_service(image: &str) -> ServiceSpec {
    ServiceSpec {
        name: "realtime".into(),
        image: image.into(),
        command: vec!["serve".into()],
        ports: vec![REALTIME_PORT],
        env: BTreeMap::from([("REALTIME_PORT".into(), REALTIME_PORT.to_string())]),
        secret_env: BTreeSet::from([REALTIME_TOKEN.into()]),
        health_check: Some(HealthCheck {
            command: vec!["/realtime".into(), "health".into()],
            interval_secs: 2,
            timeout_secs: 2,
            retries: 5,
            start_period_secs: 0,
        }),
        limits: Limits { memory_mib: 64, cpu_millis: 250, pids: 64 },
        volumes: Vec::new(),
        restart: RestartPolicy::UnlessStopped,
    }
}

/// A Wok of the built images: Postgres and the realtime service, no egress.
pub fn realtime_wok_spec() -> WokSpec {
    WokSpec {
        egress: false,
        postgres: PostgresSpec {
            image: postgres_image(),
            limits: Limits { memory_mib: 256, cpu_millis: 1000, pids: 128 },
            ..PostgresSpec::default()
        },
        services: vec![realtime_service(&realtime_image())],
    }
}
