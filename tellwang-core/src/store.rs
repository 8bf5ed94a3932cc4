//! The tenancy store seam: persistence only, no policy.

use std::fmt;

use async_trait::async_trait;

use crate::{Error, Principal, Team, TeamId, Timestamp, TokenId, TokenRecord, Wok, WokId};

/// Where teams, principals, tokens and Woks are kept.
///
/// A store only persists and fetches; validation, token hashing and every
/// authorization decision live in [`crate::Tenancy`], written once for all
/// backends. Every lookup that takes a [`TeamId`] must be scoped to that team
/// in the store's own query, so that a Wok of another team is never loaded.
/// Each method is one round trip to the backend.
#[async_trait]
pub trait TenancyStore: Send + Sync + fmt::Debug + 'static {
    /// Stores a new team together with its first owner and that owner's
    /// token, atomically: a team never exists without an owner.
    async fn insert_team(&self, team: &Team, owner: &Principal, token: &TokenRecord) -> Result<(), Error>;

    /// Stores a new principal with its first token, atomically.
    /// [`Error::UnknownTeam`] if the principal's team does not exist.
    async fn insert_principal(&self, principal: &Principal, token: &TokenRecord) -> Result<(), Error>;

    /// The token with this id and the principal it belongs to.
    async fn token_principal(&self, token: &TokenId) -> Result<Option<(TokenRecord, Principal)>, Error>;

    /// Marks a token of a principal of `team` revoked at `at`. Returns false
    /// when the team has no such token; revoking twice keeps the first time.
    async fn revoke_token(&self, team: &TeamId, token: &TokenId, at: Timestamp) -> Result<bool, Error>;

    /// Stores a new Wok. [`Error::NameTaken`] if its team already has one of
    /// that name, [`Error::UnknownTeam`] if the team does not exist.
    async fn insert_wok(&self, wok: &Wok) -> Result<(), Error>;

    /// The Wok with this id, only if it belongs to `team`.
    async fn team_wok(&self, team: &TeamId, wok: &WokId) -> Result<Option<Wok>, Error>;

    /// Every Wok of `team`, ordered by name.
    async fn team_woks(&self, team: &TeamId) -> Result<Vec<Wok>, Error>;

    /// Deletes the Wok with this id if it belongs to `team`; false otherwise.
    async fn delete_wok(&self, team: &TeamId, wok: &WokId) -> Result<bool, Error>;
}
