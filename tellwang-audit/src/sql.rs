//! The SQL both sqlx ledgers share: the statements, and the append and
//! streaming-verify logic, instantiated for each backend's types.

pub(crate) const CREATE_CHAIN: &str =
    "INSERT INTO tw_audit_heads (team_id, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (team_id) DO NOTHING";
pub(crate) const HEAD: &str = "SELECT seq, hash FROM tw_audit_heads WHERE team_id = $1";
/// Takes the team's write lock: a row lock in PostgreSQL, the database
/// write lock in SQLite. The head row exists from `create_chain` on, so
/// the first append of a chain locks like every other.
pub(crate) const LOCK_HEAD: &str = "UPDATE tw_audit_heads SET seq = seq WHERE team_id = $1 RETURNING seq, hash";
pub(crate) const INSERT_ENTRY: &str = "INSERT INTO tw_audit_entries \
     (team_id, seq, at, actor_id, actor_kind, action, target, request_id, payload, prev_hash, hash) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
pub(crate) const ADVANCE_HEAD: &str = "UPDATE tw_audit_heads SET seq = $2, hash = $3 WHERE team_id = $1";
/// The insert and the head update as one statement, for databases whose
/// `WITH` takes data-modifying statements (PostgreSQL): one round trip
/// less while the team's lock is held.
pub(crate) const INSERT_AND_ADVANCE: &str = "WITH entry AS (INSERT INTO tw_audit_entries \
     (team_id, seq, at, actor_id, actor_kind, action, target, request_id, payload, prev_hash, hash) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)) \
     UPDATE tw_audit_heads SET seq = $2, hash = $11 WHERE team_id = $1";
pub(crate) const READ: &str = "SELECT seq, at, actor_id, actor_kind, action, target, request_id, payload, prev_hash, hash \
     FROM tw_audit_entries WHERE team_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
pub(crate) const SCAN: &str = "SELECT seq, at, actor_id, actor_kind, action, target, request_id, payload, prev_hash, hash \
     FROM tw_audit_entries WHERE team_id = $1 ORDER BY seq";
pub(crate) const TEAMS: &str = "SELECT team_id FROM tw_audit_heads ORDER BY team_id";

pub(crate) fn to_db(seq: u64) -> Result<i64, crate::Error> {
    i64::try_from(seq).map_err(|_| crate::Error::Corrupt { what: "sequence number" })
}

pub(crate) fn from_db(seq: i64) -> Result<u64, crate::Error> {
    u64::try_from(seq).map_err(|_| crate::Error::Corrupt { what: "sequence number" })
}

pub(crate) fn hash(bytes: Vec<u8>, what: &'static str) -> Result<crate::format::Hash, crate::Error> {
    bytes.try_into().map_err(|_| crate::Error::Corrupt { what })
}

/// Implements the ledger for a struct with a `pool` field.
/// `$conn` is the backend's connection type, `$row` its row type,
/// `$snapshot` the statement (if any) that makes a transaction read one
/// consistent snapshot, and `$combined` whether the backend runs
/// [`INSERT_AND_ADVANCE`].
macro_rules! impl_sql_ledger {
    ($ledger:ty, $conn:ty, $row:ty, $snapshot:expr, $combined:expr) => {
        fn entry_from_row(row: &$row, team: &tellwang_core::TeamId) -> Result<$crate::Entry, $crate::Error> {
            use sqlx::Row;
            Ok($crate::Entry {
                seq: $crate::sql::from_db(row.try_get(0)?)?,
                team: *team,
                at: tellwang_core::Timestamp::from_micros(row.try_get(1)?),
                actor: $crate::Actor { id: row.try_get(2)?, kind: row.try_get(3)? },
                action: row.try_get(4)?,
                target: row.try_get(5)?,
                request_id: row.try_get(6)?,
                payload: $crate::Payload::from_stored(row.try_get(7)?),
                prev_hash: $crate::sql::hash(row.try_get(8)?, "previous hash")?,
                hash: $crate::sql::hash(row.try_get(9)?, "hash")?,
            })
        }

        async fn read_head(conn: &mut $conn, team: &tellwang_core::TeamId) -> Result<$crate::Head, $crate::Error> {
            use sqlx::Row;
            let row = sqlx::query($crate::sql::HEAD)
                .bind(team.to_string())
                .fetch_optional(&mut *conn)
                .await?
                .ok_or($crate::Error::UnknownTeam)?;
            Ok($crate::Head {
                team: *team,
                seq: $crate::sql::from_db(row.try_get(0)?)?,
                hash: $crate::sql::hash(row.try_get(1)?, "head hash")?,
            })
        }

        impl $ledger {
            /// Appends `entry` inside the caller's own transaction (or on a
            /// plain connection), so that a state change and its audit row
            /// commit or roll back together. The team's chain stays locked
            /// until the caller's transaction ends.
            pub async fn append_in(
                &self,
                conn: &mut $conn,
                entry: $crate::NewEntry,
            ) -> Result<$crate::Receipt, $crate::Error> {
                use sqlx::Row;
                entry.check()?;
                let team = entry.team.to_string();
                let locked = sqlx::query($crate::sql::LOCK_HEAD)
                    .bind(&team)
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or($crate::Error::UnknownTeam)?;
                let seq = $crate::sql::from_db(locked.try_get(0)?)? + 1;
                let prev = $crate::sql::hash(locked.try_get(1)?, "head hash")?;
                // Read the clock under the lock, so times never run backwards
                // along a chain while the clock itself does not.
                let sealed = entry.seal(seq, tellwang_core::Timestamp::now(), prev);
                let statement = if $combined { $crate::sql::INSERT_AND_ADVANCE } else { $crate::sql::INSERT_ENTRY };
                sqlx::query(statement)
                    .bind(&team)
                    .bind($crate::sql::to_db(seq)?)
                    .bind(sealed.at.as_micros())
                    .bind(&sealed.actor.id)
                    .bind(&sealed.actor.kind)
                    .bind(&sealed.action)
                    .bind(&sealed.target)
                    .bind(&sealed.request_id)
                    .bind(sealed.payload.as_str())
                    .bind(sealed.prev_hash.as_slice())
                    .bind(sealed.hash.as_slice())
                    .execute(&mut *conn)
                    .await?;
                if !$combined {
                    sqlx::query($crate::sql::ADVANCE_HEAD)
                        .bind(&team)
                        .bind($crate::sql::to_db(seq)?)
                        .bind(sealed.hash.as_slice())
                        .execute(&mut *conn)
                        .await?;
                }
                Ok($crate::Receipt { seq, hash: sealed.hash })
            }
        }

        #[async_trait::async_trait]
        impl $crate::AuditLedger for $ledger {
            async fn create_chain(&self, team: &tellwang_core::TeamId) -> Result<$crate::Head, $crate::Error> {
                let mut conn = self.pool.acquire().await?;
                sqlx::query($crate::sql::CREATE_CHAIN)
                    .bind(team.to_string())
                    .bind($crate::format::genesis(team).as_slice())
                    .execute(&mut *conn)
                    .await?;
                read_head(&mut conn, team).await
            }

            async fn append(&self, entry: $crate::NewEntry) -> Result<$crate::Receipt, $crate::Error> {
                let mut tx = self.pool.begin().await?;
                let receipt = self.append_in(&mut tx, entry).await?;
                tx.commit().await?;
                Ok(receipt)
            }

            async fn read(
                &self,
                team: &tellwang_core::TeamId,
                after: u64,
                limit: u32,
            ) -> Result<Vec<$crate::Entry>, $crate::Error> {
                $crate::ledger::check_limit(limit)?;
                let mut tx = self.pool.begin().await?;
                read_head(&mut tx, team).await?;
                let rows = sqlx::query($crate::sql::READ)
                    .bind(team.to_string())
                    .bind($crate::sql::to_db(after)?)
                    .bind(i64::from(limit))
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                rows.iter().map(|row| entry_from_row(row, team)).collect()
            }

            async fn head(&self, team: &tellwang_core::TeamId) -> Result<$crate::Head, $crate::Error> {
                let mut conn = self.pool.acquire().await?;
                read_head(&mut conn, team).await
            }

            async fn verify(
                &self,
                team: &tellwang_core::TeamId,
                checkpoints: &[$crate::Checkpoint],
            ) -> Result<$crate::Verification, $crate::Error> {
                use futures_util::TryStreamExt;
                // One snapshot for the head record and every entry, so
                // appends made meanwhile neither show up half nor look like
                // a truncation.
                let mut tx = self.pool.begin().await?;
                if let Some(statement) = $snapshot {
                    sqlx::query(statement).execute(&mut *tx).await?;
                }
                let head = read_head(&mut tx, team).await?;
                let mut verifier = $crate::verify::Verifier::new(*team, Some(head), checkpoints)?;
                let team_text = team.to_string();
                let mut rows = sqlx::query($crate::sql::SCAN).bind(&team_text).fetch(&mut *tx);
                // Hashing runs on a blocking thread (and from there on all
                // cores) while the next batches are read from the database;
                // at most a few batches are in memory at once.
                let (batches, mut incoming) = tokio::sync::mpsc::channel::<Vec<$crate::Entry>>(2);
                let worker = tokio::task::spawn_blocking(move || {
                    while let Some(batch) = incoming.blocking_recv() {
                        verifier.feed(&batch);
                        if verifier.is_broken() {
                            break;
                        }
                    }
                    verifier
                });
                let mut batch = Vec::with_capacity($crate::verify::BATCH);
                while let Some(row) = rows.try_next().await? {
                    batch.push(entry_from_row(&row, team)?);
                    if batch.len() == $crate::verify::BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity($crate::verify::BATCH));
                        if batches.send(full).await.is_err() {
                            break; // The worker found a break and stopped.
                        }
                    }
                }
                drop(rows);
                if !batch.is_empty() {
                    // An error here means the worker already stopped at a break.
                    let _ = batches.send(batch).await;
                }
                drop(batches);
                let verifier = worker.await.map_err(|e| $crate::Error::Backend(tellwang_core::BackendError::new(e)))?;
                tx.commit().await?;
                Ok(verifier.finish())
            }

            async fn teams(&self) -> Result<Vec<tellwang_core::TeamId>, $crate::Error> {
                use sqlx::Row;
                sqlx::query($crate::sql::TEAMS)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|row| {
                        row.try_get::<&str, _>(0)?.parse().map_err(|_| $crate::Error::Corrupt { what: "team id" })
                    })
                    .collect()
            }
        }
    };
}

pub(crate) use impl_sql_ledger;
