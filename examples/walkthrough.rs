//! The main job: a control plane's core flows, end to end, on the embedded
//! defaults — one SQLite database and a local KEK file.
//!
//! ```text
//! cargo run --example walkthrough -- [DATA_DIR]
//! ```
//!
//! In `DATA_DIR` (default: a new temporary directory) it keeps `cp.db`
//! (tenancy, audit ledger and vault, in one database) and `kek/` (the root
//! key-encryption key, created with mode 0600). It then: creates two teams;
//! has one create a Wok, store secrets and give an AI agent a role; shows
//! every authorization decision, including that another team's Wok is a
//! 404 exactly like a missing one; reads a secret through an audited read;
//! exports the Wok as Terraform; verifies the audit chain, signs a
//! checkpoint, and shows verification catching a row edited in the database.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use async_trait::async_trait;
use tellwang::audit::{Actor, AuditLedger, Checkpointer, NewEntry, Payload, SqliteLedger};
use tellwang::core::spec::{HealthCheck, ServiceSpec, WokSpec};
use tellwang::core::{Action, Authorizer, Principal, PrincipalKind, Role, SqliteStore, TeamId, Tenancy, WokId};
use tellwang::export::{Docker, ExportTarget, Kubernetes};
use tellwang::vault::{BackendError, LocalKeyProvider, ReadEvent, ReadHook, SecretKind, Vault};

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Writes every secret read to the reading team's audit chain. A read that
/// cannot be recorded is refused by the vault.
struct AuditedReads {
    ledger: Arc<SqliteLedger>,
    team: TeamId,
}

#[async_trait]
impl ReadHook for AuditedReads {
    async fn secret_read(&self, event: &ReadEvent) -> Result<(), BackendError> {
        let payload = serde_json::json!({
            "name": event.name,
            "version": event.version,
            "outcome": event.outcome,
        });
        let entry = NewEntry {
            team: self.team,
            actor: Actor { id: event.reader.to_string(), kind: "principal".into() },
            action: "secret.read".into(),
            target: event.wok.to_string(),
            request_id: String::new(),
            payload: Payload::from_value(&payload).map_err(BackendError::new)?,
        };
        self.ledger.append(entry).await.map(|_| ()).map_err(BackendError::new)
    }
}

async fn record(
    ledger: &SqliteLedger,
    by: &Principal,
    action: &str,
    target: &str,
    payload: serde_json::Value,
) -> Result<(), Failure> {
    let entry = NewEntry::by(by, action, target).payload(Payload::from_value(&payload)?);
    let receipt = ledger.append(entry).await?;
    println!("  audit #{:<3} {action} {target}", receipt.seq);
    Ok(())
}

async fn run() -> Result<(), Failure> {
    let dir = match std::env::args_os().nth(1) {
        Some(dir) => PathBuf::from(dir),
        None => tempfile::tempdir()?.keep(),
    };
    std::fs::create_dir_all(&dir)?;
    println!("data directory: {}", dir.display());

    // One SQLite database for everything, so related writes can share it.
    let store = SqliteStore::open(dir.join("cp.db")).await?;
    let pool = store.pool().clone();
    let tenancy = Tenancy::new(store);
    let ledger = Arc::new(SqliteLedger::from_pool(pool.clone()).await?);
    let keys = LocalKeyProvider::open_dir(dir.join("kek"))?;

    println!("\n== teams, principals, woks");
    let (acme, _, alice_token) = tenancy.create_team("Acme", "alice").await?;
    let (umbrella, bob, _) = tenancy.create_team("Umbrella", "bob").await?;
    for team in [&acme, &umbrella] {
        ledger.create_chain(&team.id).await?;
    }
    let alice = tenancy.authenticate(alice_token.expose_secret()).await?;
    record(&ledger, &alice, "team.create", &acme.id.to_string(), serde_json::json!({ "name": acme.name })).await?;
    let wok = tenancy.create_wok(&alice, "billing", None).await?;
    record(&ledger, &alice, "wok.create", &wok.id.to_string(), serde_json::json!({ "name": wok.name })).await?;
    let (agent, _agent_token) =
        tenancy.add_principal(&alice, PrincipalKind::Agent, Role::Developer, "deploy-agent").await?;
    record(
        &ledger,
        &alice,
        "member.add",
        &agent.id.to_string(),
        serde_json::json!({ "role": "developer", "kind": "agent" }),
    )
    .await?;

    println!("\n== secrets (envelope-encrypted, per-Wok data key)");
    let vault = Vault::new(tellwang::vault::SqliteStore::from_pool(pool.clone()).await?, keys)
        .with_read_hook(Arc::new(AuditedReads { ledger: ledger.clone(), team: acme.id }));
    for (name, kind, value) in [
        ("POSTGRES_PASSWORD", SecretKind::EnvVar, "correct horse battery staple"),
        ("JWT_SECRET", SecretKind::JwtSecret, "a-jwt-signing-secret"),
        ("OPENAI_API_KEY", SecretKind::LlmApiKey, "sk-example-not-a-real-key"),
    ] {
        tenancy.authorize(&alice, Action::WriteSecret, &wok.id).await?;
        let version = vault.put(&wok.id, name, kind, value.as_bytes()).await?;
        record(
            &ledger,
            &alice,
            "secret.put",
            &wok.id.to_string(),
            serde_json::json!({ "name": name, "version": version }),
        )
        .await?;
    }
    for meta in vault.list(&wok.id).await? {
        println!("  listed: {} ({:?}, v{}) — a name, never a value", meta.name, meta.kind, meta.version);
    }

    println!("\n== authorization: one check for users and agents alike");
    let missing = WokId::generate()?;
    for (who, principal, action, target) in [
        ("agent reads a secret of billing", &agent, Action::ReadSecret, wok.id),
        ("agent deletes billing", &agent, Action::DeleteWok, wok.id),
        ("bob reads a secret of Acme's billing", &bob, Action::ReadSecret, wok.id),
        ("bob reads a secret of a missing wok", &bob, Action::ReadSecret, missing),
    ] {
        let shown = match tenancy.authorize(principal, action, &target).await {
            Ok(_) => "200".to_string(),
            Err(denied) => format!("{} {}", denied.http_status(), serde_json::to_string(&denied)?),
        };
        println!("  {who:<40} -> {shown}");
    }
    tenancy.authorize(&agent, Action::ReadSecret, &wok.id).await?;
    let value = vault.get(&agent.id, &wok.id, "OPENAI_API_KEY").await?;
    println!("  agent read OPENAI_API_KEY: {} bytes; printed it shows as {value:?}", value.expose_secret().len());

    println!("\n== export (no secret values, ever)");
    tenancy.authorize(&agent, Action::ExportWok, &wok.id).await?;
    let spec = WokSpec {
        services: vec![ServiceSpec {
            name: "realtime".into(),
            image: "tellwang/realtime:dev".into(),
            command: vec![],
            ports: vec![4000],
            env: BTreeMap::from([("LOG_LEVEL".into(), "info".into())]),
            secret_env: BTreeSet::from(["JWT_SECRET".into()]),
            health_check: Some(HealthCheck {
                command: vec!["/realtime".into(), "probe".into(), "127.0.0.1:4000".into()],
                interval_secs: 5,
                timeout_secs: 2,
                retries: 5,
                start_period_secs: 2,
            }),
            limits: Default::default(),
            volumes: vec![],
            restart: Default::default(),
        }],
        ..WokSpec::new()
    };
    for (target, export) in [("docker", Docker.export(&wok, &spec)?), ("kubernetes", Kubernetes.export(&wok, &spec)?)] {
        let out = dir.join(format!("export-{target}"));
        std::fs::create_dir_all(&out)?;
        let single = export.single_file();
        for secret in ["correct horse battery staple", "a-jwt-signing-secret", "sk-example-not-a-real-key"] {
            assert!(!single.contains(secret), "a secret value reached an export");
        }
        for (name, text) in export.files() {
            std::fs::write(out.join(name), text)?;
        }
        println!("  {target}: {} files, {} bytes, in {}", export.files().count(), single.len(), out.display());
    }
    record(
        &ledger,
        &agent,
        "wok.export",
        &wok.id.to_string(),
        serde_json::json!({ "targets": ["docker", "kubernetes"] }),
    )
    .await?;

    println!("\n== audit: verify, checkpoint, tamper");
    let report = ledger.verify(&acme.id, &[]).await?;
    println!("  acme chain: ok={} entries={} head={}", report.ok, report.entries_checked, hex(&report.head.hash));
    let signer = Checkpointer::generate()?;
    let checkpoint = signer.sign(&ledger.head(&acme.id).await?);
    println!("  signed checkpoint at seq {} (keep it outside the database)", checkpoint.seq);
    sqlx::query("UPDATE tw_audit_entries SET action = 'wok.rename' WHERE team_id = $1 AND seq = 2")
        .bind(acme.id.to_string())
        .execute(&pool)
        .await?;
    let report = ledger.verify(&acme.id, &[checkpoint.open(&signer.public_key())?]).await?;
    let found = report.first_break.ok_or("the edited row went unnoticed")?;
    println!("  after editing row 2 in SQL: ok={} first break at seq {} ({:?})", report.ok, found.seq, found.kind);
    Ok(())
}

fn hex(hash: &[u8; 32]) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}
