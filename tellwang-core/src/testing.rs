//! Test support: the [`TenancyStore`] conformance suite and PostgreSQL
//! test databases. Enabled by the `testing` feature; not for production use.
//!
//! The suite is written once and run against every backend (memory, SQLite,
//! PostgreSQL, and any store a host brings): call [`conformance`] from a
//! test with a fresh store. Every check asserts, so a failing store fails the
//! calling test.

use std::sync::Arc;

use sqlx::postgres::{PgConnectOptions, PgPool};

use crate::{
    Action, Authorizer, Denied, Error, PrincipalKind, Role, Team, Tenancy, TenancyStore, Timestamp, TokenRecord, Wok,
    WokId,
};

/// The environment variable that holds the PostgreSQL URL tests connect to.
/// It names a role allowed to create databases; each test gets its own.
pub const POSTGRES_URL_VAR: &str = "TELLWANG_TEST_POSTGRES_URL";

/// The PostgreSQL URL for tests, or `None` (after saying so loudly) when it
/// is not set. Under CI (`CI=true`) a missing URL fails the test instead:
/// PostgreSQL tests must never be skipped silently where they should run.
#[expect(clippy::panic, reason = "failing the calling test is the point under CI")]
pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{POSTGRES_URL_VAR} is not set under CI=true: the PostgreSQL tests must run here")
        }
        _ => {
            eprintln!("SKIPPED: {POSTGRES_URL_VAR} is not set, so this PostgreSQL test did not run");
            None
        }
    }
}

/// A pool on a new, empty PostgreSQL database of its own, or `None` as for
/// [`postgres_url`].
#[expect(clippy::panic, reason = "a test helper: failing the calling test is the point")]
pub async fn fresh_postgres_pool() -> Option<PgPool> {
    use std::str::FromStr;
    let url = postgres_url()?;
    let setup = async {
        let admin = PgPool::connect(&url).await?;
        let name = format!("tw_test_{}", hex::encode(crate::WokId::generate()?.as_bytes()));
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await?;
        admin.close().await;
        let options = PgConnectOptions::from_str(&url)?.database(&name);
        Ok::<_, Error>(PgPool::connect_with(options).await?)
    };
    match setup.await {
        Ok(pool) => Some(pool),
        Err(error) => panic!("could not create a PostgreSQL test database at {POSTGRES_URL_VAR}: {error}"),
    }
}

/// Runs every conformance check against a fresh, empty store.
pub async fn conformance(store: Arc<dyn TenancyStore>) -> Result<(), Error> {
    let tenancy = Tenancy::from_shared(store);
    tokens(&tenancy).await?;
    woks_are_scoped_to_their_team(&tenancy).await?;
    roles_and_agents(&tenancy).await?;
    member_management(&tenancy).await?;
    bad_input(&tenancy).await?;
    store_refuses_orphans(tenancy.store().as_ref()).await?;
    Ok(())
}

/// Tokens authenticate their principal until revoked; wrong, unknown and
/// malformed tokens are typed errors.
pub async fn tokens(tenancy: &Tenancy) -> Result<(), Error> {
    let (team, owner, token) = tenancy.create_team("Token Team", "owner").await?;
    let principal = tenancy.authenticate(token.expose_secret()).await?;
    assert_eq!(principal, owner);
    assert_eq!(principal.team, team.id);
    assert_eq!(principal.role, Role::Owner);

    // Same id, different secret: unknown, not a hint that the id exists.
    let text = token.expose_secret();
    let last = text.chars().last().unwrap_or('0');
    let flipped = format!("{}{}", &text[..text.len() - 1], if last == '0' { '1' } else { '0' });
    assert!(matches!(tenancy.authenticate(&flipped).await, Err(Error::UnknownToken)));
    let (_, _, other_team_token) = tenancy.create_team("Other", "o").await?;
    let id_part = &other_team_token.expose_secret()[..37];
    let mixed = format!("{id_part}{}", &text[37..]);
    assert!(matches!(tenancy.authenticate(&mixed).await, Err(Error::UnknownToken)));
    assert!(matches!(tenancy.authenticate("twk_nope").await, Err(Error::MalformedToken)));
    assert!(matches!(tenancy.authenticate("").await, Err(Error::MalformedToken)));

    let (_, second) = tenancy.add_principal(&owner, PrincipalKind::ServiceToken, Role::Developer, "ci").await?;
    tenancy.revoke_token(&owner, &second.id()).await?;
    assert!(matches!(tenancy.authenticate(second.expose_secret()).await, Err(Error::RevokedToken)));
    // Revoking again is fine; the owner's own token still works.
    tenancy.revoke_token(&owner, &second.id()).await?;
    assert_eq!(tenancy.authenticate(token.expose_secret()).await?, owner);
    Ok(())
}

/// Listing, lookups and deletes never cross a team boundary, and a foreign
/// Wok is denied exactly like a missing one.
pub async fn woks_are_scoped_to_their_team(tenancy: &Tenancy) -> Result<(), Error> {
    let (_, alice, _) = tenancy.create_team("Acme", "alice").await?;
    let (_, bob, _) = tenancy.create_team("Umbrella", "bob").await?;
    let zeta = tenancy.create_wok(&alice, "zeta", None).await?;
    let alpha = tenancy.create_wok(&alice, "alpha", Some("eu-west-1")).await?;
    let bobs = tenancy.create_wok(&bob, "alpha", None).await?;
    assert_eq!(zeta.region, crate::DEFAULT_REGION);
    assert_eq!(alpha.region, "eu-west-1");

    assert_eq!(tenancy.list_woks(&alice).await?, vec![alpha.clone(), zeta.clone()]);
    assert_eq!(tenancy.list_woks(&bob).await?, vec![bobs.clone()]);
    assert!(matches!(tenancy.create_wok(&alice, "zeta", None).await, Err(Error::NameTaken)));

    for action in Action::ALL.iter().copied() {
        assert_eq!(tenancy.authorize(&alice, action, &zeta.id).await, Ok(zeta.clone()));
        let foreign = tenancy.authorize(&bob, action, &zeta.id).await;
        let missing = tenancy.authorize(&bob, action, &WokId::generate()?).await;
        assert_eq!(foreign, Err(Denied::NotFound));
        assert_denials_identical(&foreign, &missing);
    }

    // A foreign delete is a not-found and deletes nothing.
    assert!(matches!(tenancy.delete_wok(&bob, &zeta.id).await, Err(Error::Denied(Denied::NotFound))));
    assert_eq!(tenancy.authorize(&alice, Action::ReadWok, &zeta.id).await, Ok(zeta.clone()));
    assert_eq!(tenancy.delete_wok(&alice, &zeta.id).await?, zeta);
    assert_eq!(tenancy.authorize(&alice, Action::ReadWok, &zeta.id).await, Err(Denied::NotFound));
    assert_eq!(tenancy.list_woks(&alice).await?, vec![alpha]);
    assert_eq!(tenancy.list_woks(&bob).await?, vec![bobs]);
    Ok(())
}

/// Asserts that two denials cannot be told apart by any of their forms.
pub fn assert_denials_identical(a: &Result<Wok, Denied>, b: &Result<Wok, Denied>) {
    assert_eq!(a, b);
    if let (Err(a), Err(b)) = (a, b) {
        assert_eq!(a.to_string(), b.to_string());
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_eq!(serde_json::to_vec(a).ok(), serde_json::to_vec(b).ok());
        assert_eq!(a.http_status(), b.http_status());
    }
}

/// Every role gets exactly the matrix, and an agent gets exactly what a user
/// of the same role gets.
pub async fn roles_and_agents(tenancy: &Tenancy) -> Result<(), Error> {
    let (_, owner, _) = tenancy.create_team("Roles", "owner").await?;
    let wok = tenancy.create_wok(&owner, "roles", None).await?;
    for role in Role::ALL.iter().copied() {
        let (user, _) = tenancy.add_principal(&owner, PrincipalKind::User, role, "user").await?;
        let (agent, _) = tenancy.add_principal(&owner, PrincipalKind::Agent, role, "agent").await?;
        for action in Action::ALL.iter().copied() {
            let expected = if role.allows(action) { Ok(wok.clone()) } else { Err(Denied::Forbidden { action }) };
            assert_eq!(tenancy.authorize(&user, action, &wok.id).await, expected);
            assert_eq!(tenancy.authorize(&agent, action, &wok.id).await, expected);
            let expected_team = if role.allows(action) { Ok(owner.team) } else { Err(Denied::Forbidden { action }) };
            assert_eq!(tenancy.authorize_team(&agent, action).await, expected_team);
        }
    }
    Ok(())
}

/// Only owners manage members; anyone may revoke their own token; another
/// team's token is not found.
pub async fn member_management(tenancy: &Tenancy) -> Result<(), Error> {
    let (_, owner, _) = tenancy.create_team("Members", "owner").await?;
    let (admin, admin_token) = tenancy.add_principal(&owner, PrincipalKind::User, Role::Admin, "admin").await?;
    assert!(matches!(
        tenancy.add_principal(&admin, PrincipalKind::Agent, Role::Owner, "escalate").await,
        Err(Error::Denied(Denied::Forbidden { action: Action::ManageMembers }))
    ));
    let (dev, dev_token) = tenancy.add_principal(&owner, PrincipalKind::User, Role::Developer, "dev").await?;
    assert!(matches!(
        tenancy.revoke_token(&admin, &dev_token.id()).await,
        Err(Error::Denied(Denied::Forbidden { .. }))
    ));
    tenancy.revoke_token(&admin, &admin_token.id()).await?;
    assert!(matches!(tenancy.authenticate(admin_token.expose_secret()).await, Err(Error::RevokedToken)));
    assert_eq!(tenancy.authenticate(dev_token.expose_secret()).await?, dev);

    let (_, stranger, stranger_token) = tenancy.create_team("Strangers", "s").await?;
    assert!(matches!(tenancy.revoke_token(&owner, &stranger_token.id()).await, Err(Error::Denied(Denied::NotFound))));
    assert_eq!(tenancy.authenticate(stranger_token.expose_secret()).await?, stranger);
    Ok(())
}

/// Bad names are typed errors and store nothing.
pub async fn bad_input(tenancy: &Tenancy) -> Result<(), Error> {
    assert!(matches!(tenancy.create_team("", "x").await, Err(Error::InvalidName { .. })));
    assert!(matches!(tenancy.create_team("ok", "\u{7}").await, Err(Error::InvalidName { .. })));
    assert!(matches!(tenancy.create_team(&"x".repeat(65), "x").await, Err(Error::InvalidName { .. })));
    let (_, owner, _) = tenancy.create_team("Input", "owner").await?;
    for bad in ["", "Upper", "has space", "-dash", "dash-", "ünï", "a/b", "a\0b", &"a".repeat(41)] {
        assert!(
            matches!(tenancy.create_wok(&owner, bad, None).await, Err(Error::InvalidName { .. })),
            "wok name {bad:?} was accepted"
        );
    }
    assert!(matches!(tenancy.create_wok(&owner, "fine", Some("Mars 1")).await, Err(Error::InvalidName { .. })));
    assert!(tenancy.list_woks(&owner).await?.is_empty());
    assert!(matches!("wok_123".parse::<WokId>(), Err(Error::MalformedId { .. })));
    Ok(())
}

/// The store itself refuses principals and Woks of a team that does not exist.
pub async fn store_refuses_orphans(store: &dyn TenancyStore) -> Result<(), Error> {
    let ghost = Team { id: crate::TeamId::generate()?, name: "ghost".into(), created_at: Timestamp::now() };
    let wok = Wok {
        id: WokId::generate()?,
        team: ghost.id,
        name: "orphan".into(),
        region: crate::DEFAULT_REGION.into(),
        created_at: Timestamp::now(),
    };
    assert!(matches!(store.insert_wok(&wok).await, Err(Error::UnknownTeam)));
    let principal = crate::Principal {
        id: crate::PrincipalId::generate()?,
        team: ghost.id,
        kind: PrincipalKind::User,
        role: Role::Owner,
        name: "ghost".into(),
        created_at: Timestamp::now(),
    };
    let token = TokenRecord {
        id: crate::TokenId::generate()?,
        principal: principal.id,
        secret_hash: [7; 32],
        created_at: Timestamp::now(),
        revoked_at: None,
    };
    assert!(matches!(store.insert_principal(&principal, &token).await, Err(Error::UnknownTeam)));
    assert_eq!(store.token_principal(&token.id).await?, None);
    Ok(())
}
