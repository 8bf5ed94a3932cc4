//! Test support: the [`AuditLedger`] conformance suite, and tampering with a
//! ledger's storage behind its back. Enabled by the `testing` feature; not
//! for production use.

use std::sync::Arc;

use async_trait::async_trait;
use tellwang_core::{TeamId, Timestamp};

use crate::{
    Actor, AuditLedger, Break, BreakKind, Checkpoint, Checkpointer, Entry, Error, Head, NewEntry, Payload, format,
};

/// A way to change a ledger's stored rows directly, as someone with write
/// access to its storage could.
#[async_trait]
pub trait Tamper: Send + Sync {
    /// Replaces `team`'s stored entries and head record with the given ones,
    /// without going through the ledger.
    async fn overwrite(&self, team: &TeamId, entries: &[Entry], head: &Head) -> Result<(), Error>;
}

/// One change to a stored chain, and where verification must report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutation {
    /// Changes one field of the entry at `seq`, keeping its stored hash.
    Field {
        /// The entry.
        seq: u64,
        /// Which field.
        field: Field,
    },
    /// Changes the entry at `seq` and recomputes its hash, but no later one.
    Rehash {
        /// The entry.
        seq: u64,
    },
    /// Deletes the entry at `seq`; nothing is renumbered.
    Delete {
        /// The entry.
        seq: u64,
    },
    /// Slips a well-formed entry in at `seq` — hashed for that position and
    /// linked to the entry before — renumbering the entries from there on.
    Insert {
        /// Where.
        seq: u64,
    },
    /// Exchanges the positions of the entries at `seq` and `seq + 1`.
    Swap {
        /// The first of the two.
        seq: u64,
    },
    /// Cuts the chain off before `seq` and moves the head record back.
    Truncate {
        /// The first entry removed.
        seq: u64,
    },
    /// Changes the entry at `seq` and recomputes every later hash and the
    /// head record: a chain that is consistent in itself.
    RewriteSuffix {
        /// The first entry changed.
        seq: u64,
    },
}

/// The fields [`Mutation::Field`] can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The time.
    At,
    /// The actor's id.
    ActorId,
    /// The actor's kind.
    ActorKind,
    /// The action.
    Action,
    /// The target.
    Target,
    /// The request id.
    RequestId,
    /// The payload text.
    Payload,
    /// The stored previous hash.
    PrevHash,
    /// The stored hash.
    Hash,
}

impl Field {
    /// Every field.
    pub const ALL: [Field; 9] = [
        Field::At,
        Field::ActorId,
        Field::ActorKind,
        Field::Action,
        Field::Target,
        Field::RequestId,
        Field::Payload,
        Field::PrevHash,
        Field::Hash,
    ];
}

impl Mutation {
    /// Applies the mutation to a chain's entries (in sequence order) and head record.
    pub fn apply(self, entries: &mut Vec<Entry>, head: &mut Head) {
        let index = |seq: u64| entries.iter().position(|e| e.seq == seq);
        match self {
            Mutation::Field { seq, field } => {
                if let Some(i) = index(seq) {
                    change_field(&mut entries[i], field);
                }
            }
            Mutation::Rehash { seq } => {
                if let Some(i) = index(seq) {
                    entries[i].target.push_str("-changed");
                    entries[i].hash = format::entry_hash(&entries[i]);
                }
            }
            Mutation::Delete { seq } => entries.retain(|e| e.seq != seq),
            Mutation::Insert { seq } => {
                let prev = if seq == 1 { format::genesis(&head.team) } else { entries[(seq - 2) as usize].hash };
                let forged = NewEntry {
                    team: head.team,
                    actor: Actor::operator("intruder"),
                    action: "forged".into(),
                    target: String::new(),
                    request_id: String::new(),
                    payload: Payload::empty(),
                }
                .seal(seq, Timestamp::now(), prev);
                for e in entries.iter_mut().filter(|e| e.seq >= seq) {
                    e.seq += 1;
                }
                entries.insert((seq - 1) as usize, forged);
            }
            Mutation::Swap { seq } => {
                if let (Some(a), Some(b)) = (index(seq), index(seq + 1)) {
                    entries[a].seq = seq + 1;
                    entries[b].seq = seq;
                    entries.swap(a, b);
                }
            }
            Mutation::Truncate { seq } => {
                entries.retain(|e| e.seq < seq);
                *head = match entries.last() {
                    Some(last) => Head { team: head.team, seq: last.seq, hash: last.hash },
                    None => Head { team: head.team, seq: 0, hash: format::genesis(&head.team) },
                };
            }
            Mutation::RewriteSuffix { seq } => {
                let Some(start) = index(seq) else { return };
                entries[start].action.push_str("-rewritten");
                for i in start..entries.len() {
                    if i > 0 {
                        entries[i].prev_hash = entries[i - 1].hash;
                    }
                    entries[i].hash = format::entry_hash(&entries[i]);
                }
                if let Some(last) = entries.last() {
                    head.hash = last.hash;
                }
            }
        }
    }

    /// The break verification must report for this mutation of a chain of
    /// `len` entries, verified against a checkpoint at `checkpoint` (if any).
    pub fn expected(self, len: u64, checkpoint: Option<u64>) -> Option<Break> {
        let at = |seq, kind| Some(Break { seq, kind });
        match self {
            Mutation::Field { seq, .. } => at(seq, BreakKind::ContentChanged),
            // The entry itself is consistent; the next one's link, or for
            // the last entry the head record, no longer is.
            Mutation::Rehash { seq } if checkpoint == Some(seq) => at(seq, BreakKind::CheckpointMismatch),
            Mutation::Rehash { seq } if seq == len => at(seq, BreakKind::HeadMismatch),
            Mutation::Rehash { seq } => at(seq + 1, BreakKind::LinkBroken),
            Mutation::Delete { seq } if seq == len => at(seq, BreakKind::Truncated),
            Mutation::Delete { seq } => at(seq, BreakKind::Missing),
            // A checkpoint at the very position of the slipped-in entry
            // catches it one step before the entry after it can.
            Mutation::Insert { seq } if checkpoint == Some(seq) => at(seq, BreakKind::CheckpointMismatch),
            // Slipped in just before the last entry, it sits where the head
            // record names another hash.
            Mutation::Insert { seq } if seq == len => at(seq, BreakKind::HeadMismatch),
            Mutation::Insert { seq } => at(seq, BreakKind::Inserted),
            Mutation::Swap { seq } => at(seq, BreakKind::OutOfOrder),
            Mutation::Truncate { seq } => match checkpoint {
                Some(c) if c >= seq => at(seq, BreakKind::Truncated),
                _ => None,
            },
            Mutation::RewriteSuffix { seq } => match checkpoint {
                Some(c) if c >= seq => at(c, BreakKind::CheckpointMismatch),
                _ => None,
            },
        }
    }
}

fn change_field(entry: &mut Entry, field: Field) {
    match field {
        Field::At => entry.at = Timestamp::from_micros(entry.at.as_micros() ^ 1),
        Field::ActorId => entry.actor.id.push('x'),
        Field::ActorKind => entry.actor.kind = format!("{}x", entry.actor.kind),
        Field::Action => entry.action.push('x'),
        Field::Target => entry.target.push('x'),
        Field::RequestId => entry.request_id.push('x'),
        // Still valid JSON, and a change a JSONB column could make on its own.
        Field::Payload => entry.payload = Payload::from_stored(format!(" {}", entry.payload.as_str())),
        Field::PrevHash => entry.prev_hash[31] ^= 1,
        Field::Hash => entry.hash[0] ^= 0x80,
    }
}

/// Appends `n` varied entries to `team`'s chain (creating it).
pub async fn fill(ledger: &dyn AuditLedger, team: &TeamId, n: u64) -> Result<(), Error> {
    ledger.create_chain(team).await?;
    for i in 0..n {
        ledger
            .append(NewEntry {
                team: *team,
                actor: Actor {
                    id: format!("prn_{i:032x}"),
                    kind: ["user", "agent", "service_token"][i as usize % 3].into(),
                },
                action: ["wok.create", "secret.put", "wok.export"][i as usize % 3].into(),
                target: format!("wok_{:032x}", i * 7919),
                request_id: format!("req-{i}"),
                payload: Payload::from_value(
                    &serde_json::json!({ "i": i, "note": "ünïcödé \"quoted\"", "n": [1, -2] }),
                )?,
            })
            .await?;
    }
    Ok(())
}

/// Reads a whole chain.
pub async fn read_all(ledger: &dyn AuditLedger, team: &TeamId) -> Result<Vec<Entry>, Error> {
    let mut all = Vec::new();
    loop {
        let page = ledger.read(team, all.last().map_or(0, |e: &Entry| e.seq), crate::MAX_PAGE).await?;
        if page.is_empty() {
            return Ok(all);
        }
        all.extend(page);
    }
}

/// Builds a chain of `len` entries, applies `mutation` through `tamper`, and
/// checks that verification (against a checkpoint at `checkpoint`, signed
/// before the tampering) reports exactly [`Mutation::expected`].
pub async fn check_mutation(
    ledger: &dyn AuditLedger,
    tamper: &dyn Tamper,
    len: u64,
    mutation: Mutation,
    checkpoint: Option<u64>,
) -> Result<(), Error> {
    let team = TeamId::generate().map_err(|_| Error::Entropy)?;
    fill(ledger, &team, len).await?;
    assert!(ledger.verify(&team, &[]).await?.ok, "the untouched chain must verify");
    let signer = Checkpointer::generate()?;
    let mut entries = read_all(ledger, &team).await?;
    let mut head = ledger.head(&team).await?;
    let checkpoints: Vec<Checkpoint> = match checkpoint {
        Some(seq) => {
            let at = &entries[(seq - 1) as usize];
            vec![signer.sign(&Head { team, seq, hash: at.hash }).open(&signer.public_key())?]
        }
        None => vec![],
    };
    mutation.apply(&mut entries, &mut head);
    tamper.overwrite(&team, &entries, &head).await?;
    let report = ledger.verify(&team, &checkpoints).await?;
    let expected = mutation.expected(len, checkpoint);
    assert_eq!(report.first_break, expected, "{mutation:?} on {len} entries, checkpoint {checkpoint:?}");
    assert_eq!(report.ok, expected.is_none());
    if let Some(found) = expected {
        assert!(report.head.seq < found.seq, "{mutation:?} {len} {checkpoint:?}: {report:?}");
    }
    Ok(())
}

/// Runs every conformance check against a ledger.
pub async fn conformance(ledger: Arc<dyn AuditLedger>) -> Result<(), Error> {
    append_read_verify(ledger.as_ref()).await?;
    bad_input_changes_nothing(ledger.as_ref()).await?;
    concurrent_appends_form_one_chain(ledger.clone(), 1, 16, 12).await?;
    concurrent_appends_form_one_chain(ledger.clone(), 8, 4, 8).await?;
    Ok(())
}

/// Appends, pages through and verifies a chain; chains of other teams stay apart.
pub async fn append_read_verify(ledger: &dyn AuditLedger) -> Result<(), Error> {
    let team = TeamId::generate().map_err(|_| Error::Entropy)?;
    let other = TeamId::generate().map_err(|_| Error::Entropy)?;
    let empty = ledger.create_chain(&team).await?;
    assert_eq!(empty, Head { team, seq: 0, hash: format::genesis(&team) });
    assert_eq!(ledger.create_chain(&team).await?, empty, "create_chain is idempotent");
    assert!(ledger.verify(&team, &[]).await?.ok);
    fill(ledger, &other, 3).await?;
    fill(ledger, &team, 25).await?;
    let entries = read_all(ledger, &team).await?;
    assert_eq!(entries.len(), 25);
    assert!(entries.iter().all(|e| e.team == team));
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=25).collect::<Vec<_>>());
    assert_eq!(entries[0].prev_hash, format::genesis(&team));
    for pair in entries.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
        assert!(pair[1].at >= pair[0].at, "time runs forward along a chain");
    }
    let page = ledger.read(&team, 10, 5).await?;
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![11, 12, 13, 14, 15]);
    assert_eq!(page[0], entries[10], "what is read back is what was stored");
    let head = ledger.head(&team).await?;
    assert_eq!((head.seq, head.hash), (25, entries[24].hash));
    let report = ledger.verify(&team, &[]).await?;
    assert!(report.ok && report.first_break.is_none());
    assert_eq!((report.entries_checked, report.head.seq, report.head.hash), (25, 25, head.hash));
    let all = ledger.verify_all().await?;
    assert!(all.iter().any(|v| v.team == team && v.ok));
    assert!(all.iter().any(|v| v.team == other && v.ok && v.entries_checked == 3));
    Ok(())
}

/// Bad input is a typed error and leaves the chain exactly as it was.
pub async fn bad_input_changes_nothing(ledger: &dyn AuditLedger) -> Result<(), Error> {
    let team = TeamId::generate().map_err(|_| Error::Entropy)?;
    fill(ledger, &team, 2).await?;
    let before = ledger.head(&team).await?;
    let entry = |action: &str| NewEntry {
        team,
        actor: Actor::operator("ops"),
        action: action.into(),
        target: String::new(),
        request_id: String::new(),
        payload: Payload::empty(),
    };
    assert!(matches!(ledger.append(entry("")).await, Err(Error::Empty { field: "action" })));
    assert!(matches!(ledger.append(entry("a\nb")).await, Err(Error::ControlCharacter { .. })));
    assert!(matches!(ledger.append(entry(&"a".repeat(200))).await, Err(Error::TooLarge { .. })));
    let stranger = TeamId::generate().map_err(|_| Error::Entropy)?;
    assert!(matches!(ledger.append(NewEntry { team: stranger, ..entry("x") }).await, Err(Error::UnknownTeam)));
    assert!(matches!(ledger.head(&stranger).await, Err(Error::UnknownTeam)));
    assert!(matches!(ledger.read(&team, 0, 0).await, Err(Error::PageLimit { .. })));
    assert!(matches!(Payload::from_json("{not json"), Err(Error::InvalidJson)));
    assert!(matches!(Payload::from_json(r#"{"x": 1.5}"#), Err(Error::FloatInPayload)));
    let huge = format!("\"{}\"", "a".repeat(crate::limits::MAX_PAYLOAD));
    assert!(matches!(Payload::from_json(&huge), Err(Error::TooLarge { field: "payload", .. })));
    assert_eq!(ledger.head(&team).await?, before);
    assert!(ledger.verify(&team, &[]).await?.ok);
    Ok(())
}

/// `tasks` concurrent appenders on each of `teams` teams, `each` appends
/// apiece, leave one linear chain per team: no fork, no gap, no repeat.
pub async fn concurrent_appends_form_one_chain(
    ledger: Arc<dyn AuditLedger>,
    teams: usize,
    tasks: usize,
    each: u64,
) -> Result<(), Error> {
    let mut ids = Vec::new();
    for _ in 0..teams {
        let team = TeamId::generate().map_err(|_| Error::Entropy)?;
        ledger.create_chain(&team).await?;
        ids.push(team);
    }
    let mut handles = Vec::new();
    for team in &ids {
        for task in 0..tasks {
            let (ledger, team) = (ledger.clone(), *team);
            handles.push(tokio::spawn(async move {
                let mut seqs = Vec::new();
                for i in 0..each {
                    let entry = NewEntry {
                        team,
                        actor: Actor::operator(format!("task-{task}")),
                        action: "concurrent".into(),
                        target: format!("{i}"),
                        request_id: String::new(),
                        payload: Payload::empty(),
                    };
                    seqs.push(ledger.append(entry).await?.seq);
                }
                Ok::<_, Error>((team, seqs))
            }));
        }
    }
    let mut seen: std::collections::HashMap<TeamId, Vec<u64>> = std::collections::HashMap::new();
    for handle in handles {
        let (team, seqs) = handle.await.map_err(|e| Error::Backend(tellwang_core::BackendError::new(e)))??;
        seen.entry(team).or_default().extend(seqs);
    }
    let total = tasks as u64 * each;
    for team in &ids {
        let mut seqs = seen.remove(team).unwrap_or_default();
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=total).collect::<Vec<_>>(), "receipts: every sequence number exactly once");
        let report = ledger.verify(team, &[]).await?;
        assert!(report.ok, "{report:?}");
        assert_eq!(report.entries_checked, total);
    }
    Ok(())
}

#[async_trait]
impl Tamper for crate::MemoryLedger {
    async fn overwrite(&self, team: &TeamId, entries: &[Entry], head: &Head) -> Result<(), Error> {
        self.tamper(team, |stored, stored_head| {
            *stored = entries.to_vec();
            *stored_head = *head;
        })
        .ok_or(Error::UnknownTeam)
    }
}

macro_rules! impl_sql_tamper {
    ($ledger:ty) => {
        #[async_trait]
        impl Tamper for $ledger {
            async fn overwrite(&self, team: &TeamId, entries: &[Entry], head: &Head) -> Result<(), Error> {
                let team_text = team.to_string();
                let mut tx = self.pool().begin().await?;
                sqlx::query("DELETE FROM tw_audit_entries WHERE team_id = $1")
                    .bind(&team_text)
                    .execute(&mut *tx)
                    .await?;
                for e in entries {
                    sqlx::query(crate::sql::INSERT_ENTRY)
                        .bind(&team_text)
                        .bind(crate::sql::to_db(e.seq)?)
                        .bind(e.at.as_micros())
                        .bind(&e.actor.id)
                        .bind(&e.actor.kind)
                        .bind(&e.action)
                        .bind(&e.target)
                        .bind(&e.request_id)
                        .bind(e.payload.as_str())
                        .bind(e.prev_hash.as_slice())
                        .bind(e.hash.as_slice())
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(crate::sql::ADVANCE_HEAD)
                    .bind(&team_text)
                    .bind(crate::sql::to_db(head.seq)?)
                    .bind(head.hash.as_slice())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

#[cfg(feature = "sqlite")]
impl_sql_tamper!(crate::SqliteLedger);
#[cfg(feature = "postgres")]
impl_sql_tamper!(crate::PostgresLedger);
