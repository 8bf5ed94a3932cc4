//! The authorizer seam and its denials.

use async_trait::async_trait;
use serde::Serialize;

use crate::{Action, Principal, TeamId, Wok, WokId};

/// Why a principal may not do what it asked.
///
/// [`Denied::NotFound`] is the answer both for a Wok that does not exist and
/// for a Wok of another team. It carries no data, so the two cases have the
/// same `Display`, the same `Debug` and the same serialisation, byte for byte;
/// a server maps it to one 404 response. [`Denied::Forbidden`] is only ever
/// given for a Wok of the caller's own team, whose existence the caller may
/// already know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, thiserror::Error)]
#[serde(tag = "error", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Denied {
    /// No such Wok, as far as this principal can tell.
    #[error("not found")]
    NotFound,
    /// The Wok is the principal's team's, but its role does not allow the action.
    #[error("forbidden: the principal's role does not allow `{action}`")]
    Forbidden {
        /// The action that was refused.
        action: Action,
    },
    /// The decision could not be made (the store failed). Fails closed.
    #[error("authorization is unavailable")]
    Unavailable,
}

impl Denied {
    /// The HTTP status a server answers with: 404, 403 or 503.
    pub const fn http_status(self) -> u16 {
        match self {
            Denied::NotFound => 404,
            Denied::Forbidden { .. } => 403,
            Denied::Unavailable => 503,
        }
    }
}

/// Decides whether a principal may act, server-side, against the owning team.
///
/// Implementations must be total: every call ends in a decision, and any
/// failure to decide is a denial. [`crate::Tenancy`] is the implementation
/// this crate ships; a host may wrap it (to add a policy engine, say) and
/// compose from the outside.
#[async_trait]
pub trait Authorizer: Send + Sync {
    /// May `principal` perform the Wok-scoped `action` on `wok`?
    ///
    /// Returns the Wok when it may. A Wok of another team and a Wok that does
    /// not exist both give [`Denied::NotFound`], after the same single lookup.
    async fn authorize(&self, principal: &Principal, action: Action, wok: &WokId) -> Result<Wok, Denied>;

    /// May `principal` perform the team-scoped `action` (creating a Wok,
    /// reading the audit log, managing members) in its own team?
    async fn authorize_team(&self, principal: &Principal, action: Action) -> Result<TeamId, Denied>;
}

/// The decision itself, given what one lookup found: a pure, total function.
pub(crate) fn decide(principal: &Principal, action: Action, found: Option<Wok>) -> Result<Wok, Denied> {
    match found {
        // The lookup is already scoped to the principal's team; checking the
        // team again costs nothing and keeps a faulty store from leaking.
        Some(wok) if wok.team == principal.team => {
            if principal.role.allows(action) {
                Ok(wok)
            } else {
                Err(Denied::Forbidden { action })
            }
        }
        _ => Err(Denied::NotFound),
    }
}
