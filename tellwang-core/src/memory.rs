//! The in-memory store: for tests, examples and hosts that keep tenancy elsewhere.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use async_trait::async_trait;

use crate::{Error, Principal, PrincipalId, Team, TeamId, TenancyStore, Timestamp, TokenId, TokenRecord, Wok, WokId};

/// A [`TenancyStore`] held in process memory. Nothing survives a restart.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    teams: HashMap<TeamId, Team>,
    principals: HashMap<PrincipalId, Principal>,
    tokens: HashMap<TokenId, TokenRecord>,
    woks: HashMap<WokId, Wok>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        // Every write below completes its checks before mutating, so a
        // panic elsewhere cannot leave a half-written state behind a poisoned lock.
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl TenancyStore for MemoryStore {
    async fn insert_team(&self, team: &Team, owner: &Principal, token: &TokenRecord) -> Result<(), Error> {
        let mut inner = self.write();
        inner.teams.insert(team.id, team.clone());
        inner.principals.insert(owner.id, owner.clone());
        inner.tokens.insert(token.id, token.clone());
        Ok(())
    }

    async fn insert_principal(&self, principal: &Principal, token: &TokenRecord) -> Result<(), Error> {
        let mut inner = self.write();
        if !inner.teams.contains_key(&principal.team) {
            return Err(Error::UnknownTeam);
        }
        inner.principals.insert(principal.id, principal.clone());
        inner.tokens.insert(token.id, token.clone());
        Ok(())
    }

    async fn token_principal(&self, token: &TokenId) -> Result<Option<(TokenRecord, Principal)>, Error> {
        let inner = self.read();
        Ok(inner.tokens.get(token).and_then(|record| {
            let principal = inner.principals.get(&record.principal)?;
            Some((record.clone(), principal.clone()))
        }))
    }

    async fn revoke_token(&self, team: &TeamId, token: &TokenId, at: Timestamp) -> Result<bool, Error> {
        let mut inner = self.write();
        let Inner { principals, tokens, .. } = &mut *inner;
        match tokens.get_mut(token) {
            Some(record) if principals.get(&record.principal).is_some_and(|p| p.team == *team) => {
                record.revoked_at.get_or_insert(at);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn insert_wok(&self, wok: &Wok) -> Result<(), Error> {
        let mut inner = self.write();
        if !inner.teams.contains_key(&wok.team) {
            return Err(Error::UnknownTeam);
        }
        if inner.woks.values().any(|w| w.team == wok.team && w.name == wok.name) {
            return Err(Error::NameTaken);
        }
        inner.woks.insert(wok.id, wok.clone());
        Ok(())
    }

    async fn team_wok(&self, team: &TeamId, wok: &WokId) -> Result<Option<Wok>, Error> {
        Ok(self.read().woks.get(wok).filter(|w| w.team == *team).cloned())
    }

    async fn team_woks(&self, team: &TeamId) -> Result<Vec<Wok>, Error> {
        let mut woks: Vec<Wok> = self.read().woks.values().filter(|w| w.team == *team).cloned().collect();
        woks.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(woks)
    }

    async fn delete_wok(&self, team: &TeamId, wok: &WokId) -> Result<bool, Error> {
        let mut inner = self.write();
        if inner.woks.get(wok).is_some_and(|w| w.team == *team) {
            inner.woks.remove(wok);
            Ok(true)
        } else {
            Ok(false)
        }
    }
}
