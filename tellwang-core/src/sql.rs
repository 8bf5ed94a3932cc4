//! The SQL both sqlx backends share. The schema differs per database (see
//! `migrations/`), the statements and their mapping to the model do not, so
//! they are written once here and instantiated for each backend's pool type.

pub(crate) const INSERT_TEAM: &str = "INSERT INTO tw_teams (id, name, created_at) VALUES ($1, $2, $3)";
pub(crate) const INSERT_PRINCIPAL: &str =
    "INSERT INTO tw_principals (id, team_id, kind, role, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
pub(crate) const INSERT_TOKEN: &str =
    "INSERT INTO tw_tokens (id, principal_id, secret_hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5)";
pub(crate) const TOKEN_PRINCIPAL: &str = "SELECT t.id, t.principal_id, t.secret_hash, t.created_at, t.revoked_at, \
     p.team_id, p.kind, p.role, p.name, p.created_at \
     FROM tw_tokens t JOIN tw_principals p ON p.id = t.principal_id WHERE t.id = $1";
pub(crate) const REVOKE_TOKEN: &str = "UPDATE tw_tokens SET revoked_at = COALESCE(revoked_at, $3) \
     WHERE id = $2 AND principal_id IN (SELECT id FROM tw_principals WHERE team_id = $1)";
pub(crate) const INSERT_WOK: &str =
    "INSERT INTO tw_woks (id, team_id, name, region, created_at) VALUES ($1, $2, $3, $4, $5)";
/// The one statement behind every authorization decision: a primary-key
/// lookup that is also scoped to the caller's team.
pub(crate) const TEAM_WOK: &str =
    "SELECT id, team_id, name, region, created_at FROM tw_woks WHERE id = $1 AND team_id = $2";
pub(crate) const TEAM_WOKS: &str =
    "SELECT id, team_id, name, region, created_at FROM tw_woks WHERE team_id = $1 ORDER BY name";
pub(crate) const DELETE_WOK: &str = "DELETE FROM tw_woks WHERE id = $1 AND team_id = $2";

/// Parses a stored text column into a model type, reporting corruption as data.
pub(crate) fn parse<T: std::str::FromStr>(text: &str, what: &'static str) -> Result<T, crate::Error> {
    text.parse().map_err(|_| crate::Error::Corrupt { what })
}

/// Implements [`crate::TenancyStore`] for a struct with a `pool` field of a
/// sqlx pool type, using the statements above.
macro_rules! impl_sql_store {
    ($store:ty, $row:ty) => {
        fn wok_from_row(row: &$row) -> Result<$crate::Wok, $crate::Error> {
            use sqlx::Row;
            Ok($crate::Wok {
                id: $crate::sql::parse(row.try_get::<&str, _>(0)?, "wok id")?,
                team: $crate::sql::parse(row.try_get::<&str, _>(1)?, "team id")?,
                name: row.try_get(2)?,
                region: row.try_get(3)?,
                created_at: $crate::Timestamp::from_micros(row.try_get(4)?),
            })
        }

        #[async_trait::async_trait]
        impl $crate::TenancyStore for $store {
            async fn insert_team(
                &self,
                team: &$crate::Team,
                owner: &$crate::Principal,
                token: &$crate::TokenRecord,
            ) -> Result<(), $crate::Error> {
                let mut tx = self.pool.begin().await?;
                sqlx::query($crate::sql::INSERT_TEAM)
                    .bind(team.id.to_string())
                    .bind(&team.name)
                    .bind(team.created_at.as_micros())
                    .execute(&mut *tx)
                    .await?;
                insert_principal_and_token(&mut tx, owner, token).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn insert_principal(
                &self,
                principal: &$crate::Principal,
                token: &$crate::TokenRecord,
            ) -> Result<(), $crate::Error> {
                let mut tx = self.pool.begin().await?;
                insert_principal_and_token(&mut tx, principal, token).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn token_principal(
                &self,
                token: &$crate::TokenId,
            ) -> Result<Option<($crate::TokenRecord, $crate::Principal)>, $crate::Error> {
                use sqlx::Row;
                let Some(row) = sqlx::query($crate::sql::TOKEN_PRINCIPAL)
                    .bind(token.to_string())
                    .fetch_optional(&self.pool)
                    .await?
                else {
                    return Ok(None);
                };
                let principal_id = $crate::sql::parse(row.try_get::<&str, _>(1)?, "principal id")?;
                let hash: Vec<u8> = row.try_get(2)?;
                let record = $crate::TokenRecord {
                    id: $crate::sql::parse(row.try_get::<&str, _>(0)?, "token id")?,
                    principal: principal_id,
                    secret_hash: hash.try_into().map_err(|_| $crate::Error::Corrupt { what: "token hash" })?,
                    created_at: $crate::Timestamp::from_micros(row.try_get(3)?),
                    revoked_at: row.try_get::<Option<i64>, _>(4)?.map($crate::Timestamp::from_micros),
                };
                let principal = $crate::Principal {
                    id: principal_id,
                    team: $crate::sql::parse(row.try_get::<&str, _>(5)?, "team id")?,
                    kind: $crate::sql::parse(row.try_get::<&str, _>(6)?, "principal kind")?,
                    role: $crate::sql::parse(row.try_get::<&str, _>(7)?, "role")?,
                    name: row.try_get(8)?,
                    created_at: $crate::Timestamp::from_micros(row.try_get(9)?),
                };
                Ok(Some((record, principal)))
            }

            async fn revoke_token(
                &self,
                team: &$crate::TeamId,
                token: &$crate::TokenId,
                at: $crate::Timestamp,
            ) -> Result<bool, $crate::Error> {
                let done = sqlx::query($crate::sql::REVOKE_TOKEN)
                    .bind(team.to_string())
                    .bind(token.to_string())
                    .bind(at.as_micros())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn insert_wok(&self, wok: &$crate::Wok) -> Result<(), $crate::Error> {
                sqlx::query($crate::sql::INSERT_WOK)
                    .bind(wok.id.to_string())
                    .bind(wok.team.to_string())
                    .bind(&wok.name)
                    .bind(&wok.region)
                    .bind(wok.created_at.as_micros())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn team_wok(
                &self,
                team: &$crate::TeamId,
                wok: &$crate::WokId,
            ) -> Result<Option<$crate::Wok>, $crate::Error> {
                sqlx::query($crate::sql::TEAM_WOK)
                    .bind(wok.to_string())
                    .bind(team.to_string())
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(wok_from_row)
                    .transpose()
            }

            async fn team_woks(&self, team: &$crate::TeamId) -> Result<Vec<$crate::Wok>, $crate::Error> {
                sqlx::query($crate::sql::TEAM_WOKS)
                    .bind(team.to_string())
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(wok_from_row)
                    .collect()
            }

            async fn delete_wok(&self, team: &$crate::TeamId, wok: &$crate::WokId) -> Result<bool, $crate::Error> {
                let done = sqlx::query($crate::sql::DELETE_WOK)
                    .bind(wok.to_string())
                    .bind(team.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }
        }

        async fn insert_principal_and_token(
            tx: &mut sqlx::Transaction<'_, <$row as sqlx::Row>::Database>,
            principal: &$crate::Principal,
            token: &$crate::TokenRecord,
        ) -> Result<(), $crate::Error> {
            sqlx::query($crate::sql::INSERT_PRINCIPAL)
                .bind(principal.id.to_string())
                .bind(principal.team.to_string())
                .bind(principal.kind.as_str())
                .bind(principal.role.as_str())
                .bind(&principal.name)
                .bind(principal.created_at.as_micros())
                .execute(&mut **tx)
                .await?;
            sqlx::query($crate::sql::INSERT_TOKEN)
                .bind(token.id.to_string())
                .bind(token.principal.to_string())
                .bind(token.secret_hash.as_slice())
                .bind(token.created_at.as_micros())
                .bind(token.revoked_at.map(|t| t.as_micros()))
                .execute(&mut **tx)
                .await?;
            Ok(())
        }
    };
}

pub(crate) use impl_sql_store;
