//! [`Tenancy`]: validation, authentication and authorization over any store.

use std::sync::Arc;

use async_trait::async_trait;

use crate::authz::decide;
use crate::name::{self, NameKind};
use crate::token::PresentedToken;
use crate::{
    Action, Authorizer, DEFAULT_REGION, Denied, Error, IssuedToken, Principal, PrincipalId, PrincipalKind, Role, Team,
    TeamId, TenancyStore, Timestamp, TokenId, TokenRecord, Wok, WokId,
};

/// The tenancy service: every operation a control plane performs on teams,
/// principals and Woks, checked against the caller, over any [`TenancyStore`].
///
/// Cloning is cheap; clones share the store.
#[derive(Debug, Clone)]
pub struct Tenancy {
    store: Arc<dyn TenancyStore>,
}

impl Tenancy {
    /// Serves tenancy from `store`.
    pub fn new(store: impl TenancyStore) -> Self {
        Self { store: Arc::new(store) }
    }

    /// Serves tenancy from a store that is already shared.
    pub fn from_shared(store: Arc<dyn TenancyStore>) -> Self {
        Self { store }
    }

    /// The underlying store.
    pub fn store(&self) -> &Arc<dyn TenancyStore> {
        &self.store
    }

    /// Creates a team with its first owner (a user) — an operator action,
    /// taken before any principal of the team exists. Returns the owner's
    /// Bearer token, which is shown only this once.
    pub async fn create_team(&self, name: &str, owner_name: &str) -> Result<(Team, Principal, IssuedToken), Error> {
        check(NameKind::Team, name::check_display_name(name))?;
        check(NameKind::Principal, name::check_display_name(owner_name))?;
        let now = Timestamp::now();
        let team = Team { id: TeamId::generate()?, name: name.to_owned(), created_at: now };
        let owner = Principal {
            id: PrincipalId::generate()?,
            team: team.id,
            kind: PrincipalKind::User,
            role: Role::Owner,
            name: owner_name.to_owned(),
            created_at: now,
        };
        let (token, record) = IssuedToken::generate(owner.id, now)?;
        self.store.insert_team(&team, &owner, &record).await?;
        Ok((team, owner, token))
    }

    /// Adds a principal — a user, a service token or an agent — to the
    /// caller's team. Needs [`Action::ManageMembers`].
    pub async fn add_principal(
        &self,
        by: &Principal,
        kind: PrincipalKind,
        role: Role,
        name: &str,
    ) -> Result<(Principal, IssuedToken), Error> {
        let team = self.authorize_team(by, Action::ManageMembers).await?;
        check(NameKind::Principal, name::check_display_name(name))?;
        let now = Timestamp::now();
        let principal =
            Principal { id: PrincipalId::generate()?, team, kind, role, name: name.to_owned(), created_at: now };
        let (token, record) = IssuedToken::generate(principal.id, now)?;
        self.store.insert_principal(&principal, &record).await?;
        Ok((principal, token))
    }

    /// Finds the principal a Bearer token belongs to.
    ///
    /// The token's secret is compared with the stored hash in constant time.
    /// [`Error::MalformedToken`], [`Error::UnknownToken`] and
    /// [`Error::RevokedToken`] tell the host why; a server should answer all
    /// three with the same 401.
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal, Error> {
        let presented = PresentedToken::parse(bearer)?;
        let found = self.store.token_principal(&presented.id).await?;
        // Hash and compare even when no token has this id, so that an
        // unknown id and a wrong secret cost the same.
        let matches = match &found {
            Some((record, _)) => record.matches(&presented.secret),
            None => {
                std::hint::black_box(TokenRecord::unmatchable().matches(&presented.secret));
                false
            }
        };
        let Some((record, principal)) = found.filter(|_| matches) else {
            return Err(Error::UnknownToken);
        };
        if record.revoked_at.is_some() {
            return Err(Error::RevokedToken);
        }
        Ok(principal)
    }

    /// Revokes a token of the caller's team. A principal may always revoke
    /// its own tokens; revoking another's needs [`Action::ManageMembers`].
    /// A token of another team answers [`Denied::NotFound`], like a missing one.
    pub async fn revoke_token(&self, by: &Principal, token: &TokenId) -> Result<(), Error> {
        let own = match self.store.token_principal(token).await? {
            Some((record, _)) => record.principal == by.id,
            None => false,
        };
        if !own {
            self.authorize_team(by, Action::ManageMembers).await?;
        }
        if self.store.revoke_token(&by.team, token, Timestamp::now()).await? {
            Ok(())
        } else {
            Err(Denied::NotFound.into())
        }
    }

    /// Creates a Wok in the caller's team. Needs [`Action::CreateWok`].
    /// `region` defaults to [`DEFAULT_REGION`].
    pub async fn create_wok(&self, by: &Principal, name: &str, region: Option<&str>) -> Result<Wok, Error> {
        let team = self.authorize_team(by, Action::CreateWok).await?;
        check(NameKind::Wok, name::check_label(name, name::MAX_WOK_NAME))?;
        let region = region.unwrap_or(DEFAULT_REGION);
        check(NameKind::Region, name::check_label(region, name::MAX_REGION))?;
        let wok = Wok {
            id: WokId::generate()?,
            team,
            name: name.to_owned(),
            region: region.to_owned(),
            created_at: Timestamp::now(),
        };
        self.store.insert_wok(&wok).await?;
        Ok(wok)
    }

    /// The caller's team's Woks, ordered by name; never another team's.
    /// Needs [`Action::ReadWok`].
    pub async fn list_woks(&self, by: &Principal) -> Result<Vec<Wok>, Error> {
        let team = self.authorize_team(by, Action::ReadWok).await?;
        self.store.team_woks(&team).await
    }

    /// Deletes a Wok of the caller's team and returns it. Needs [`Action::DeleteWok`].
    pub async fn delete_wok(&self, by: &Principal, wok: &WokId) -> Result<Wok, Error> {
        let found = self.authorize(by, Action::DeleteWok, wok).await?;
        if self.store.delete_wok(&by.team, wok).await? {
            Ok(found)
        } else {
            // Deleted by a concurrent call between the check and the delete.
            Err(Denied::NotFound.into())
        }
    }
}

#[async_trait]
impl Authorizer for Tenancy {
    async fn authorize(&self, principal: &Principal, action: Action, wok: &WokId) -> Result<Wok, Denied> {
        match self.store.team_wok(&principal.team, wok).await {
            Ok(found) => decide(principal, action, found),
            Err(error) => {
                tracing::warn!(%error, "authorization failed closed: the tenancy store is unavailable");
                Err(Denied::Unavailable)
            }
        }
    }

    async fn authorize_team(&self, principal: &Principal, action: Action) -> Result<TeamId, Denied> {
        if principal.role.allows(action) { Ok(principal.team) } else { Err(Denied::Forbidden { action }) }
    }
}

fn check(kind: NameKind, result: Result<(), name::NameProblem>) -> Result<(), Error> {
    result.map_err(|problem| Error::InvalidName { kind, problem })
}
