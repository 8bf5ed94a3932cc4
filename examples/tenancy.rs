//! The main job until the reference server lands: a walk through tenancy on
//! the embedded SQLite default.
//!
//! ```text
//! cargo run --example tenancy -- [DATABASE_FILE]
//! ```
//!
//! It creates two teams in the SQLite file (default `tellwang-example.db` in
//! the system temporary directory), gives one an agent, creates Woks, and
//! shows each decision the authorizer makes — including that a foreign Wok
//! and a missing Wok get the same 404.

use std::process::ExitCode;

use tellwang::core::{Action, Authorizer, Denied, Error, PrincipalKind, Role, SqliteStore, Tenancy, WokId};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Error> {
    let path = std::env::args_os()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("tellwang-example.db"));
    println!("database: {}", path.display());
    let tenancy = Tenancy::new(SqliteStore::open(&path).await?);

    let (acme, _, alice_token) = tenancy.create_team("Acme", "alice").await?;
    let (umbrella, bob, _) = tenancy.create_team("Umbrella", "bob").await?;
    println!("teams: {} ({}), {} ({})", acme.name, acme.id, umbrella.name, umbrella.id);

    // Each request authenticates its Bearer token first.
    let alice = tenancy.authenticate(alice_token.expose_secret()).await?;
    let billing = tenancy.create_wok(&alice, "billing", None).await?;
    let search = tenancy.create_wok(&alice, "search", Some("eu-west-1")).await?;
    println!("acme woks: {} in {}, {} in {}", billing.id, billing.region, search.id, search.region);

    let (agent, agent_token) =
        tenancy.add_principal(&alice, PrincipalKind::Agent, Role::Developer, "deploy-agent").await?;
    println!("agent {} issued token {:?}", agent.id, agent_token);

    let missing = WokId::generate()?;
    let checks = [
        ("alice reads billing", &alice, Action::ReadWok, billing.id),
        ("agent exports billing", &agent, Action::ExportWok, billing.id),
        ("agent deletes billing", &agent, Action::DeleteWok, billing.id),
        ("bob reads acme's billing", &bob, Action::ReadWok, billing.id),
        ("bob reads a missing wok", &bob, Action::ReadWok, missing),
    ];
    for (what, principal, action, wok) in checks {
        let decision = tenancy.authorize(principal, action, &wok).await;
        let shown = match &decision {
            Ok(wok) => format!("200 ok ({})", wok.name),
            Err(denied) => format!("{} {}", denied.http_status(), denied),
        };
        println!("{what:<28} -> {shown}");
    }
    let foreign = tenancy.authorize(&bob, Action::ReadWok, &billing.id).await;
    let absent = tenancy.authorize(&bob, Action::ReadWok, &missing).await;
    assert_eq!(foreign, Err(Denied::NotFound));
    assert_eq!(foreign, absent);
    println!(
        "bob lists {} woks; alice lists {}",
        tenancy.list_woks(&bob).await?.len(),
        tenancy.list_woks(&alice).await?.len()
    );

    tenancy.revoke_token(&alice, &agent_token.id()).await?;
    match tenancy.authenticate(agent_token.expose_secret()).await {
        Err(Error::RevokedToken) => println!("agent token revoked: 401"),
        other => println!("unexpected: {other:?}"),
    }
    Ok(())
}
