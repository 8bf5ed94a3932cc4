//! Chain verification: a streaming check that reports the first break, precisely.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use tellwang_core::TeamId;

use crate::entry::hex_hash;
use crate::format::{self, Hash};
use crate::{Checkpoint, Entry, Error, Head};

/// The outcome of verifying one team's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// The team whose chain was verified.
    pub team: TeamId,
    /// Whether the chain is intact: no break, and consistent with its head
    /// record and every checkpoint given.
    pub ok: bool,
    /// How many entries were checked and found intact.
    pub entries_checked: u64,
    /// The last entry whose hash and link verified, before any break: the
    /// end of the part of the chain that can be trusted (seq 0 and the
    /// genesis value when none can).
    pub head: VerifiedHead,
    /// The first break, if any.
    pub first_break: Option<Break>,
}

/// The end of the verified part of a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedHead {
    /// Its sequence number.
    pub seq: u64,
    /// Its hash.
    #[serde(with = "hex_hash")]
    pub hash: Hash,
}

/// Where a chain first breaks, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Break {
    /// The sequence number at which the chain stops being trustworthy.
    pub seq: u64,
    /// What was found there.
    pub kind: BreakKind,
}

/// The kinds of break verification tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BreakKind {
    /// The entry's stored hash is not the hash of its stored fields: a field,
    /// its `prev_hash` or its hash was changed.
    ContentChanged,
    /// The entry is self-consistent but its `prev_hash` is not the previous
    /// entry's hash: the entry before it was rewritten (and rehashed), or
    /// this entry was forged.
    LinkBroken,
    /// No entry has this sequence number, but a later one exists.
    Missing,
    /// The entry at this sequence number was inserted: the entry after it
    /// carries a hash made for this position and links to the entry before.
    Inserted,
    /// The entry at this sequence number was made for a later position
    /// (entries were swapped or renumbered), or a sequence number repeats.
    OutOfOrder,
    /// The chain ends before this sequence number, though its head record
    /// or a checkpoint says it reached it.
    Truncated,
    /// The entry differs from what a signed checkpoint recorded for this
    /// sequence number: history was rewritten with every later hash recomputed.
    CheckpointMismatch,
    /// The chain's head record names a different hash for its last entry.
    HeadMismatch,
}

/// A streaming verifier: feed it a chain's entries in sequence order, in
/// batches of any size; memory stays bounded by the batch. Batches are
/// hashed on all cores.
pub(crate) struct Verifier {
    team: TeamId,
    expected: u64,
    prev: Hash,
    before_prev: Hash,
    head: Option<Head>,
    checkpoints: Vec<Checkpoint>,
    next_checkpoint: usize,
    first_break: Option<Break>,
}

/// Entries per batch handed to the verifier by streaming backends.
pub(crate) const BATCH: usize = 8192;

impl Verifier {
    /// A verifier for `team`'s chain, holding it to its head record `head`
    /// (where the backend keeps one) and to `checkpoints` as well.
    pub(crate) fn new(team: TeamId, head: Option<Head>, checkpoints: &[Checkpoint]) -> Result<Self, Error> {
        if checkpoints.iter().any(|c| c.team != team) {
            return Err(Error::CheckpointTeam);
        }
        let mut checkpoints = checkpoints.to_vec();
        checkpoints.sort_by_key(|c| c.seq);
        let genesis = format::genesis(&team);
        Ok(Self {
            team,
            expected: 1,
            prev: genesis,
            before_prev: genesis,
            head,
            checkpoints,
            next_checkpoint: 0,
            first_break: None,
        })
    }

    /// Whether a break was found; further entries are then ignored.
    pub(crate) fn is_broken(&self) -> bool {
        self.first_break.is_some()
    }

    /// Checks the next entries of the chain.
    pub(crate) fn feed(&mut self, batch: &[Entry]) {
        if self.is_broken() || batch.is_empty() {
            return;
        }
        // Each entry's hash depends only on its own stored fields, so the
        // hashing — nearly all of the work — runs in parallel; the link
        // checks that follow compare stored values in order.
        let team = format::TeamText::new(&self.team);
        let hash_all = |chunk: &[Entry]| {
            let mut buf = Vec::with_capacity(512);
            chunk
                .iter()
                .map(|e| {
                    if e.team == self.team {
                        format::entry_hash_with(&mut buf, e, &team)
                    } else {
                        format::entry_hash(e)
                    }
                })
                .collect::<Vec<Hash>>()
        };
        let computed: Vec<Hash> =
            if batch.len() >= 512 { batch.par_chunks(256).flat_map_iter(hash_all).collect() } else { hash_all(batch) };
        for (entry, computed) in batch.iter().zip(computed) {
            if let Err(found) = self.check(entry, &computed) {
                self.stop(found);
                return;
            }
        }
    }

    /// Records the first break. An insertion is seen one entry late, at the
    /// entry after it, so it takes the entry accepted before back out of the
    /// trusted part.
    fn stop(&mut self, found: Break) {
        if found.seq < self.expected {
            self.expected -= 1;
            self.prev = self.before_prev;
        }
        self.first_break = Some(found);
    }

    fn check(&mut self, entry: &Entry, computed: &Hash) -> Result<(), Break> {
        let at = |kind| Break { seq: entry.seq, kind };
        if entry.seq > self.expected {
            return Err(Break { seq: self.expected, kind: BreakKind::Missing });
        }
        if entry.seq < self.expected {
            return Err(at(BreakKind::OutOfOrder));
        }
        if !eq(computed, &entry.hash) {
            return Err(self.classify_mismatch(entry));
        }
        if !eq(&entry.prev_hash, &self.prev) {
            return Err(at(BreakKind::LinkBroken));
        }
        if let Some(head) = &self.head
            && entry.seq > head.seq
        {
            // Every append moves the head record in the same transaction:
            // an entry past it was written around the ledger.
            return Err(at(BreakKind::Inserted));
        }
        if let Some(checkpoint) = self.checkpoints.get(self.next_checkpoint)
            && checkpoint.seq == entry.seq
        {
            if !eq(&checkpoint.hash, &entry.hash) {
                return Err(at(BreakKind::CheckpointMismatch));
            }
            self.next_checkpoint += 1;
        }
        if let Some(head) = &self.head
            && head.seq == entry.seq
            && !eq(&head.hash, &entry.hash)
        {
            return Err(at(BreakKind::HeadMismatch));
        }
        self.before_prev = self.prev;
        self.prev = entry.hash;
        self.expected += 1;
        Ok(())
    }

    /// Tells why an entry's hash does not match its fields: was the entry
    /// made for a neighbouring position, or was it changed?
    fn classify_mismatch(&self, entry: &Entry) -> Break {
        let hash_at = |seq: u64| format::entry_hash(&Entry { seq, ..entry.clone() });
        if entry.seq > 1 && eq(&hash_at(entry.seq - 1), &entry.hash) && eq(&entry.prev_hash, &self.before_prev) {
            // Intact, but made for the previous position and linked to the
            // entry before that: the entry now at `seq - 1` was slipped in.
            return Break { seq: entry.seq - 1, kind: BreakKind::Inserted };
        }
        if eq(&hash_at(entry.seq + 1), &entry.hash) {
            return Break { seq: entry.seq, kind: BreakKind::OutOfOrder };
        }
        Break { seq: entry.seq, kind: BreakKind::ContentChanged }
    }

    /// Ends verification.
    pub(crate) fn finish(mut self) -> Verification {
        let last = self.expected - 1;
        let promised = self.head.map_or(0, |h| h.seq).max(self.checkpoints.last().map_or(0, |c| c.seq));
        if self.first_break.is_none() && promised > last {
            // The head record or a checkpoint says the chain went further.
            self.first_break = Some(Break { seq: last + 1, kind: BreakKind::Truncated });
        }
        Verification {
            team: self.team,
            ok: self.first_break.is_none(),
            entries_checked: last,
            head: VerifiedHead { seq: last, hash: self.prev },
            first_break: self.first_break,
        }
    }
}

/// Constant-time equality of two hashes, a word at a time: this runs twice
/// per entry, and byte-wise comparison would cost as much as the hashing.
fn eq(a: &Hash, b: &Hash) -> bool {
    let word = |h: &Hash, i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&h[i * 8..i * 8 + 8]);
        u64::from_ne_bytes(w)
    };
    (0..4).fold(subtle::Choice::from(1), |same, i| same & word(a, i).ct_eq(&word(b, i))).into()
}

/// Verifies a chain held in memory — for instance one a customer exported
/// with [`crate::AuditLedger::read`] — exactly as the ledgers do.
/// `head` is the chain's head record, if one is kept; `checkpoints` are
/// opened checkpoints of the same team.
pub fn verify_entries(
    team: &TeamId,
    entries: &[Entry],
    head: Option<&Head>,
    checkpoints: &[Checkpoint],
) -> Result<Verification, Error> {
    let mut verifier = Verifier::new(*team, head.copied(), checkpoints)?;
    for batch in entries.chunks(BATCH) {
        verifier.feed(batch);
        if verifier.is_broken() {
            break;
        }
    }
    Ok(verifier.finish())
}
