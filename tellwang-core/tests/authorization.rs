//! Property tests of the authorizer over random tenancy graphs, on every
//! backend: no principal ever gets Ok on another team's Wok, foreign and
//! missing Woks give byte-identical denials, and every decision equals the
//! reference model below.

use std::sync::Arc;

use proptest::prelude::*;
use tellwang_core::testing::{assert_denials_identical, fresh_postgres_pool};
use tellwang_core::{
    Action, Authorizer, Denied, Error, MemoryStore, PostgresStore, Principal, PrincipalKind, Role, SqliteStore,
    Tenancy, TenancyStore, Wok, WokId,
};

/// The reference model: the documented matrix, written out as data rather
/// than derived from `Role::allows`.
const ALLOWED: &[(&str, &[&str])] = &[
    ("viewer", &["read_wok"]),
    ("developer", &["read_wok", "write_wok", "read_secret", "write_secret", "export_wok", "create_wok"]),
    (
        "admin",
        &[
            "read_wok",
            "write_wok",
            "read_secret",
            "write_secret",
            "export_wok",
            "create_wok",
            "delete_wok",
            "read_audit",
        ],
    ),
    (
        "owner",
        &[
            "read_wok",
            "write_wok",
            "read_secret",
            "write_secret",
            "export_wok",
            "create_wok",
            "delete_wok",
            "read_audit",
            "manage_members",
        ],
    ),
];

fn reference(principal: &Principal, action: Action, wok: Option<&Wok>) -> Result<Wok, Denied> {
    match wok {
        Some(wok) if wok.team == principal.team => {
            let allowed = ALLOWED
                .iter()
                .any(|(role, actions)| *role == principal.role.as_str() && actions.contains(&action.as_str()));
            if allowed { Ok(wok.clone()) } else { Err(Denied::Forbidden { action }) }
        }
        _ => Err(Denied::NotFound),
    }
}

#[derive(Debug, Clone)]
struct TeamSpec {
    members: Vec<(PrincipalKind, Role)>,
    woks: usize,
}

fn graph() -> impl Strategy<Value = Vec<TeamSpec>> {
    let kind = prop::sample::select(PrincipalKind::ALL);
    let role = prop::sample::select(Role::ALL);
    let team =
        (prop::collection::vec((kind, role), 0..4), 0usize..4).prop_map(|(members, woks)| TeamSpec { members, woks });
    prop::collection::vec(team, 1..4)
}

async fn check_graph(store: Arc<dyn TenancyStore>, teams: Vec<TeamSpec>) -> Result<(), Error> {
    let tenancy = Tenancy::from_shared(store);
    let mut principals = Vec::new();
    let mut woks = Vec::new();
    for (t, spec) in teams.iter().enumerate() {
        let (_, owner, _) = tenancy.create_team(&format!("team {t}"), "owner").await?;
        for (m, (kind, role)) in spec.members.iter().enumerate() {
            let (principal, _) = tenancy.add_principal(&owner, *kind, *role, &format!("member {m}")).await?;
            principals.push(principal);
        }
        for w in 0..spec.woks {
            woks.push(tenancy.create_wok(&owner, &format!("wok-{w}"), None).await?);
        }
        principals.push(owner);
    }
    let missing = WokId::generate()?;
    for principal in &principals {
        let listed = tenancy.list_woks(principal).await;
        match listed {
            Ok(listed) => assert!(listed.iter().all(|w| w.team == principal.team)),
            Err(Error::Denied(_)) => assert!(!principal.role.allows(Action::ReadWok)),
            Err(other) => return Err(other),
        }
        for action in Action::ALL.iter().copied() {
            let missing_decision = tenancy.authorize(principal, action, &missing).await;
            assert_eq!(missing_decision, Err(Denied::NotFound));
            for wok in &woks {
                let decision = tenancy.authorize(principal, action, &wok.id).await;
                assert_eq!(decision, reference(principal, action, Some(wok)), "{principal:?} {action} {wok:?}");
                if wok.team != principal.team {
                    assert!(decision.is_err(), "cross-team access: {principal:?} {action} {wok:?}");
                    assert_denials_identical(&decision, &missing_decision);
                }
            }
        }
    }
    Ok(())
}

fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => unreachable!("a tokio runtime always builds here: {e}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn memory_decisions_match_the_model(teams in graph()) {
        let result = runtime().block_on(check_graph(Arc::new(MemoryStore::new()), teams));
        prop_assert!(result.is_ok(), "{result:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn sqlite_decisions_match_the_model(teams in graph()) {
        let rt = runtime();
        let result = rt.block_on(async {
            let dir = tempfile::tempdir().map_err(|e| Error::Backend(tellwang_core::BackendError::new(e)))?;
            let store = SqliteStore::open(dir.path().join("t.db")).await?;
            check_graph(Arc::new(store), teams).await
        });
        prop_assert!(result.is_ok(), "{result:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn postgres_decisions_match_the_model(teams in graph()) {
        let rt = runtime();
        let result = rt.block_on(async {
            // One database per case keeps cases independent; creating one is cheap.
            let Some(pool) = fresh_postgres_pool().await else { return Ok(()) };
            check_graph(Arc::new(PostgresStore::from_pool(pool).await?), teams).await
        });
        prop_assert!(result.is_ok(), "{result:?}");
    }
}
