//! The SQL both sqlx backends share. The schema differs per database (see
//! `migrations/`), the statements and their mapping to records do not, so
//! they are written once here and instantiated for each backend's pool type.
//! Every `u32` is stored as a 64-bit integer (PostgreSQL has no unsigned type).

pub(crate) const INSERT_DATA_KEY: &str = "INSERT INTO tw_vault_data_keys \
     (wok_id, generation, kek_id, kek_version, wrapped, commitment, created_at, encryptions) \
     SELECT $1, $2, $3, $4, $5, $6, $7, 0 \
     WHERE NOT EXISTS (SELECT 1 FROM tw_vault_shredded WHERE wok_id = $1)";
const DATA_KEY_COLUMNS: &str = "wok_id, generation, kek_id, kek_version, wrapped, commitment, created_at";
pub(crate) fn data_key_query() -> String {
    format!("SELECT {DATA_KEY_COLUMNS} FROM tw_vault_data_keys WHERE wok_id = $1 AND generation = $2")
}
pub(crate) fn latest_data_key_query() -> String {
    format!("SELECT {DATA_KEY_COLUMNS} FROM tw_vault_data_keys WHERE wok_id = $1 ORDER BY generation DESC LIMIT 1")
}
pub(crate) fn keys_not_under_query(after: bool) -> String {
    // A row-value comparison, so both databases walk the primary key from the cursor.
    let cursor = if after { "AND (wok_id, generation) > ($4, $5)" } else { "" };
    format!(
        "SELECT {DATA_KEY_COLUMNS} FROM tw_vault_data_keys WHERE NOT (kek_id = $1 AND kek_version = $2) {cursor} \
         ORDER BY wok_id, generation LIMIT $3"
    )
}
pub(crate) const RESERVE: &str = "UPDATE tw_vault_data_keys SET encryptions = encryptions + $3 \
     WHERE wok_id = $1 AND generation = $2 AND encryptions + $3 <= $4";
pub(crate) const REWRAP: &str = "UPDATE tw_vault_data_keys SET kek_id = $3, kek_version = $4, wrapped = $5 \
     WHERE wok_id = $1 AND generation = $2 AND kek_id = $6 AND kek_version = $7 AND wrapped = $8";
pub(crate) const COUNT_UNDER: &str = "SELECT COUNT(*) FROM tw_vault_data_keys WHERE kek_id = $1 AND kek_version = $2";
pub(crate) const LATEST_VERSION: &str = "SELECT MAX(version) FROM tw_vault_secrets WHERE wok_id = $1 AND name = $2";
/// Inserts only a version higher than every stored one, so a writer with a
/// stale idea of the latest version can never slip an older-numbered row in.
pub(crate) const INSERT_SECRET: &str = "INSERT INTO tw_vault_secrets \
     (wok_id, name, version, kind, key_generation, nonce, ciphertext, created_at) \
     SELECT $1, $2, $3, $4, $5, $6, $7, $8 \
     WHERE NOT EXISTS (SELECT 1 FROM tw_vault_secrets WHERE wok_id = $1 AND name = $2 AND version >= $3) \
     AND EXISTS (SELECT 1 FROM tw_vault_data_keys WHERE wok_id = $1 AND generation = $5)";
pub(crate) const KEY_EXISTS: &str = "SELECT 1 FROM tw_vault_data_keys WHERE wok_id = $1 AND generation = $2";
// The Wok and name are the query's own arguments, so they are not read back.
pub(crate) const SECRET_LATEST: &str = "SELECT version, kind, key_generation, nonce, ciphertext, created_at \
     FROM tw_vault_secrets WHERE wok_id = $1 AND name = $2 ORDER BY version DESC LIMIT 1";
pub(crate) const SECRET_VERSION: &str = "SELECT version, kind, key_generation, nonce, ciphertext, created_at \
     FROM tw_vault_secrets WHERE wok_id = $1 AND name = $2 AND version = $3";
/// Names, kinds, versions and times only: the listing cannot carry a value
/// because its query does not select one.
pub(crate) const LIST: &str = "SELECT s.name, s.kind, s.version, f.first_at, s.created_at \
     FROM tw_vault_secrets s JOIN \
     (SELECT name, MAX(version) AS latest, MIN(created_at) AS first_at FROM tw_vault_secrets \
      WHERE wok_id = $1 GROUP BY name) f ON f.name = s.name AND f.latest = s.version \
     WHERE s.wok_id = $1 ORDER BY s.name";
pub(crate) const DELETE_SECRET: &str = "DELETE FROM tw_vault_secrets WHERE wok_id = $1 AND name = $2";
pub(crate) const SHRED_SECRETS: &str = "DELETE FROM tw_vault_secrets WHERE wok_id = $1";
pub(crate) const SHRED_KEYS: &str = "DELETE FROM tw_vault_data_keys WHERE wok_id = $1";
pub(crate) const TOMBSTONE: &str =
    "INSERT INTO tw_vault_shredded (wok_id, shredded_at) VALUES ($1, $2) ON CONFLICT (wok_id) DO NOTHING";
pub(crate) const SHREDDED_AT: &str = "SELECT shredded_at FROM tw_vault_shredded WHERE wok_id = $1";

#[cfg(feature = "testing")]
pub(crate) const REPLACE_SECRET: &str = "UPDATE tw_vault_secrets SET wok_id = $4, name = $5, version = $6, \
     kind = $7, key_generation = $8, nonce = $9, ciphertext = $10, created_at = $11 \
     WHERE wok_id = $1 AND name = $2 AND version = $3";
#[cfg(feature = "testing")]
pub(crate) const REPLACE_DATA_KEY: &str = "UPDATE tw_vault_data_keys SET kek_id = $3, kek_version = $4, \
     wrapped = $5, commitment = $6, created_at = $7 WHERE wok_id = $1 AND generation = $2";

/// Parses a stored text column, reporting corruption as data.
pub(crate) fn parse<T: std::str::FromStr>(text: &str, what: &'static str) -> Result<T, crate::Error> {
    text.parse().map_err(|_| crate::Error::Corrupt { what })
}

/// Reads a stored 64-bit integer back as the `u32` it was written from.
pub(crate) fn to_u32(value: i64, what: &'static str) -> Result<u32, crate::Error> {
    u32::try_from(value).map_err(|_| crate::Error::Corrupt { what })
}

/// Implements [`crate::SecretStore`] for a struct with a `pool` field of a
/// sqlx pool type, using the statements above.
macro_rules! impl_sql_store {
    ($store:ty, $row:ty) => {
        fn data_key_from_row(row: &$row) -> Result<$crate::DataKeyRecord, $crate::Error> {
            use sqlx::Row;
            let commitment: Vec<u8> = row.try_get(5)?;
            Ok($crate::DataKeyRecord {
                wok: $crate::sql::parse(row.try_get::<&str, _>(0)?, "wok id")?,
                generation: $crate::sql::to_u32(row.try_get(1)?, "key generation")?,
                wrapped: $crate::WrappedKey {
                    kek_id: row.try_get(2)?,
                    kek_version: $crate::sql::to_u32(row.try_get(3)?, "kek version")?,
                    blob: row.try_get(4)?,
                },
                commitment: commitment.try_into().map_err(|_| $crate::Error::Corrupt { what: "key commitment" })?,
                created_at: tellwang_core::Timestamp::from_micros(row.try_get(6)?),
            })
        }

        fn secret_from_row(
            wok: &tellwang_core::WokId,
            name: &str,
            row: &$row,
        ) -> Result<$crate::SecretRecord, $crate::Error> {
            use sqlx::Row;
            let nonce: &[u8] = row.try_get(3)?;
            Ok($crate::SecretRecord {
                wok: *wok,
                name: name.to_owned(),
                version: $crate::sql::to_u32(row.try_get(0)?, "secret version")?,
                kind: $crate::sql::parse(row.try_get::<&str, _>(1)?, "secret kind")?,
                key_generation: $crate::sql::to_u32(row.try_get(2)?, "key generation")?,
                nonce: nonce.try_into().map_err(|_| $crate::Error::Corrupt { what: "nonce" })?,
                ciphertext: row.try_get(4)?,
                created_at: tellwang_core::Timestamp::from_micros(row.try_get(5)?),
            })
        }

        fn to_i64(value: u64) -> Result<i64, $crate::Error> {
            i64::try_from(value).map_err(|_| $crate::Error::Corrupt { what: "counter" })
        }

        #[async_trait::async_trait]
        impl $crate::SecretStore for $store {
            async fn insert_data_key(&self, key: &$crate::DataKeyRecord) -> Result<(), $crate::Error> {
                let done = sqlx::query($crate::sql::INSERT_DATA_KEY)
                    .bind(key.wok.to_string())
                    .bind(i64::from(key.generation))
                    .bind(&key.wrapped.kek_id)
                    .bind(i64::from(key.wrapped.kek_version))
                    .bind(&key.wrapped.blob)
                    .bind(key.commitment.as_slice())
                    .bind(key.created_at.as_micros())
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 { Err($crate::Error::Shredded) } else { Ok(()) }
            }

            async fn data_key(
                &self,
                wok: &tellwang_core::WokId,
                generation: u32,
            ) -> Result<Option<$crate::DataKeyRecord>, $crate::Error> {
                sqlx::query(&$crate::sql::data_key_query())
                    .bind(wok.to_string())
                    .bind(i64::from(generation))
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(data_key_from_row)
                    .transpose()
            }

            async fn latest_data_key(
                &self,
                wok: &tellwang_core::WokId,
            ) -> Result<Option<$crate::DataKeyRecord>, $crate::Error> {
                sqlx::query(&$crate::sql::latest_data_key_query())
                    .bind(wok.to_string())
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(data_key_from_row)
                    .transpose()
            }

            async fn reserve_encryptions(
                &self,
                wok: &tellwang_core::WokId,
                generation: u32,
                count: u64,
                limit: u64,
            ) -> Result<bool, $crate::Error> {
                let done = sqlx::query($crate::sql::RESERVE)
                    .bind(wok.to_string())
                    .bind(i64::from(generation))
                    .bind(to_i64(count)?)
                    .bind(to_i64(limit)?)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn data_keys_not_under(
                &self,
                kek_id: &str,
                kek_version: u32,
                after: Option<(tellwang_core::WokId, u32)>,
                limit: u32,
            ) -> Result<Vec<$crate::DataKeyRecord>, $crate::Error> {
                let sql = $crate::sql::keys_not_under_query(after.is_some());
                let mut query = sqlx::query(&sql).bind(kek_id).bind(i64::from(kek_version)).bind(i64::from(limit));
                if let Some((wok, generation)) = after {
                    query = query.bind(wok.to_string()).bind(i64::from(generation));
                }
                query.fetch_all(&self.pool).await?.iter().map(data_key_from_row).collect()
            }

            async fn rewrap_data_keys(
                &self,
                rewraps: &[($crate::DataKeyRecord, $crate::WrappedKey)],
            ) -> Result<u64, $crate::Error> {
                let mut tx = self.pool.begin().await?;
                let mut done = 0;
                for (old, new) in rewraps {
                    done += sqlx::query($crate::sql::REWRAP)
                        .bind(old.wok.to_string())
                        .bind(i64::from(old.generation))
                        .bind(&new.kek_id)
                        .bind(i64::from(new.kek_version))
                        .bind(&new.blob)
                        .bind(&old.wrapped.kek_id)
                        .bind(i64::from(old.wrapped.kek_version))
                        .bind(&old.wrapped.blob)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                }
                tx.commit().await?;
                Ok(done)
            }

            async fn count_data_keys_under(&self, kek_id: &str, kek_version: u32) -> Result<u64, $crate::Error> {
                let count: i64 = sqlx::query_scalar($crate::sql::COUNT_UNDER)
                    .bind(kek_id)
                    .bind(i64::from(kek_version))
                    .fetch_one(&self.pool)
                    .await?;
                u64::try_from(count).map_err(|_| $crate::Error::Corrupt { what: "count" })
            }

            async fn latest_version(
                &self,
                wok: &tellwang_core::WokId,
                name: &str,
            ) -> Result<Option<u32>, $crate::Error> {
                let latest: Option<i64> = sqlx::query_scalar($crate::sql::LATEST_VERSION)
                    .bind(wok.to_string())
                    .bind(name)
                    .fetch_one(&self.pool)
                    .await?;
                latest.map(|v| $crate::sql::to_u32(v, "secret version")).transpose()
            }

            async fn insert_secret(&self, secret: $crate::SecretRecord) -> Result<(), $crate::Error> {
                let done = sqlx::query($crate::sql::INSERT_SECRET)
                    .bind(secret.wok.to_string())
                    .bind(&secret.name)
                    .bind(i64::from(secret.version))
                    .bind(secret.kind.as_str())
                    .bind(i64::from(secret.key_generation))
                    .bind(secret.nonce.as_slice())
                    .bind(&secret.ciphertext)
                    .bind(secret.created_at.as_micros())
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() > 0 {
                    return Ok(());
                }
                // Refused: tell a newer version from a destroyed key.
                let key: Option<i32> = sqlx::query_scalar($crate::sql::KEY_EXISTS)
                    .bind(secret.wok.to_string())
                    .bind(i64::from(secret.key_generation))
                    .fetch_optional(&self.pool)
                    .await?;
                Err(if key.is_some() { $crate::Error::Conflict } else { $crate::Error::Shredded })
            }

            async fn secret(
                &self,
                wok: &tellwang_core::WokId,
                name: &str,
                version: Option<u32>,
            ) -> Result<Option<$crate::SecretRecord>, $crate::Error> {
                let row = match version {
                    None => {
                        sqlx::query($crate::sql::SECRET_LATEST)
                            .bind(wok.to_string())
                            .bind(name)
                            .fetch_optional(&self.pool)
                            .await?
                    }
                    Some(version) => {
                        sqlx::query($crate::sql::SECRET_VERSION)
                            .bind(wok.to_string())
                            .bind(name)
                            .bind(i64::from(version))
                            .fetch_optional(&self.pool)
                            .await?
                    }
                };
                row.as_ref().map(|row| secret_from_row(wok, name, row)).transpose()
            }

            async fn list_secrets(&self, wok: &tellwang_core::WokId) -> Result<Vec<$crate::SecretMeta>, $crate::Error> {
                use sqlx::Row;
                sqlx::query($crate::sql::LIST)
                    .bind(wok.to_string())
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|row| {
                        Ok($crate::SecretMeta {
                            name: row.try_get(0)?,
                            kind: $crate::sql::parse(row.try_get::<&str, _>(1)?, "secret kind")?,
                            version: $crate::sql::to_u32(row.try_get(2)?, "secret version")?,
                            created_at: tellwang_core::Timestamp::from_micros(row.try_get(3)?),
                            updated_at: tellwang_core::Timestamp::from_micros(row.try_get(4)?),
                        })
                    })
                    .collect()
            }

            async fn delete_secret(&self, wok: &tellwang_core::WokId, name: &str) -> Result<u64, $crate::Error> {
                let done = sqlx::query($crate::sql::DELETE_SECRET)
                    .bind(wok.to_string())
                    .bind(name)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn shred(
                &self,
                wok: &tellwang_core::WokId,
                at: tellwang_core::Timestamp,
            ) -> Result<(u64, u64), $crate::Error> {
                let mut tx = self.pool.begin().await?;
                Self::before_shred(&mut tx).await?;
                let secrets = sqlx::query($crate::sql::SHRED_SECRETS).bind(wok.to_string()).execute(&mut *tx).await?;
                let keys = sqlx::query($crate::sql::SHRED_KEYS).bind(wok.to_string()).execute(&mut *tx).await?;
                sqlx::query($crate::sql::TOMBSTONE)
                    .bind(wok.to_string())
                    .bind(at.as_micros())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                self.after_shred().await?;
                Ok((keys.rows_affected(), secrets.rows_affected()))
            }

            async fn shredded_at(
                &self,
                wok: &tellwang_core::WokId,
            ) -> Result<Option<tellwang_core::Timestamp>, $crate::Error> {
                let at: Option<i64> = sqlx::query_scalar($crate::sql::SHREDDED_AT)
                    .bind(wok.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(at.map(tellwang_core::Timestamp::from_micros))
            }
        }

        #[cfg(feature = "testing")]
        #[async_trait::async_trait]
        impl $crate::testing::RawAccess for $store {
            async fn replace_secret(
                &self,
                old: &$crate::SecretRecord,
                new: &$crate::SecretRecord,
            ) -> Result<(), $crate::Error> {
                let done = sqlx::query($crate::sql::REPLACE_SECRET)
                    .bind(old.wok.to_string())
                    .bind(&old.name)
                    .bind(i64::from(old.version))
                    .bind(new.wok.to_string())
                    .bind(&new.name)
                    .bind(i64::from(new.version))
                    .bind(new.kind.as_str())
                    .bind(i64::from(new.key_generation))
                    .bind(new.nonce.as_slice())
                    .bind(&new.ciphertext)
                    .bind(new.created_at.as_micros())
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 1 { Ok(()) } else { Err($crate::Error::NotFound) }
            }

            async fn replace_data_key(
                &self,
                old: &$crate::DataKeyRecord,
                new: &$crate::DataKeyRecord,
            ) -> Result<(), $crate::Error> {
                let done = sqlx::query($crate::sql::REPLACE_DATA_KEY)
                    .bind(old.wok.to_string())
                    .bind(i64::from(old.generation))
                    .bind(&new.wrapped.kek_id)
                    .bind(i64::from(new.wrapped.kek_version))
                    .bind(&new.wrapped.blob)
                    .bind(new.commitment.as_slice())
                    .bind(new.created_at.as_micros())
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 1 { Ok(()) } else { Err($crate::Error::NotFound) }
            }
        }
    };
}

pub(crate) use impl_sql_store;
