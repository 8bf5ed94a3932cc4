//! The published hash format, version 1 (see `docs/audit-chain.md`).
//!
//! An entry's hash is SHA-256 over a byte string that encodes every field
//! exactly once, in a fixed order, each with its length, behind a version
//! tag that also separates this use of SHA-256 from every other:
//!
//! ```text
//! entry_hash = SHA-256(
//!     "tellwang/audit/v1" 0x00
//!     prev_hash                      32 bytes
//!     seq                            u64, big-endian
//!     str(team)                      team id text, e.g. "team_<32 hex>"
//!     at                             i64 microseconds since the Unix epoch, big-endian two's complement
//!     str(actor_id) str(actor_kind)
//!     str(action) str(target) str(request_id)
//!     str(payload)                   the stored JSON text, byte for byte
//! )
//! str(s) = u32 big-endian byte length of s's UTF-8, then those bytes
//! genesis(team) = SHA-256("tellwang/audit/v1/genesis" 0x00 str(team))
//! ```
//!
//! Length prefixes make the encoding injective: no two different entries
//! produce the same bytes, whatever their fields hold.

use sha2::{Digest, Sha256};
use tellwang_core::TeamId;

use crate::Entry;

/// The domain-separation and version tag that starts every hashed entry.
pub const ENTRY_TAG: &[u8] = b"tellwang/audit/v1\0";
/// The tag that starts the genesis value's preimage.
pub const GENESIS_TAG: &[u8] = b"tellwang/audit/v1/genesis\0";

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The `prev_hash` of a team's first entry.
pub fn genesis(team: &TeamId) -> Hash {
    let mut buf = Vec::with_capacity(GENESIS_TAG.len() + 4 + TEAM_TEXT_LEN);
    buf.extend_from_slice(GENESIS_TAG);
    buf.extend_from_slice(&(TEAM_TEXT_LEN as u32).to_be_bytes());
    buf.extend_from_slice(&TeamText::new(team).0);
    Sha256::digest(&buf).into()
}

/// Appends the canonical bytes of an entry — everything but its own hash —
/// to `buf`.
pub fn encode_into(buf: &mut Vec<u8>, entry: &Entry) {
    encode_with(buf, entry, &TeamText::new(&entry.team));
}

/// The hash an entry should carry, given its fields and `prev_hash`.
pub fn entry_hash(entry: &Entry) -> Hash {
    let mut buf = Vec::with_capacity(512);
    entry_hash_with(&mut buf, entry, &TeamText::new(&entry.team))
}

/// Like [`entry_hash`], reusing `buf` and the team's text form, which
/// `team` must hold for `entry.team`: verification hashes every entry of a
/// chain and saves an allocation and a hex encoding per entry this way.
pub(crate) fn entry_hash_with(buf: &mut Vec<u8>, entry: &Entry, team: &TeamText) -> Hash {
    buf.clear();
    encode_with(buf, entry, team);
    Sha256::digest(buf.as_slice()).into()
}

/// `team_` and 32 hex digits.
const TEAM_TEXT_LEN: usize = TeamId::PREFIX.len() + 1 + 32;
/// Everything up to and including `at`: tag, `prev_hash`, `seq`, `str(team)`, `at`.
const FIXED_LEN: usize = ENTRY_TAG.len() + 32 + 8 + 4 + TEAM_TEXT_LEN + 8;

/// A team id's text form, as hashed.
pub(crate) struct TeamText([u8; TEAM_TEXT_LEN]);

impl TeamText {
    pub(crate) fn new(team: &TeamId) -> Self {
        let mut text = [0u8; TEAM_TEXT_LEN];
        let prefix = TeamId::PREFIX.len();
        text[..prefix].copy_from_slice(TeamId::PREFIX.as_bytes());
        text[prefix] = b'_';
        // 16 bytes always fit 32 hex digits.
        let _ = hex::encode_to_slice(team.as_bytes(), &mut text[prefix + 1..]);
        Self(text)
    }
}

fn encode_with(buf: &mut Vec<u8>, entry: &Entry, team: &TeamText) {
    // The fixed-size fields go in as one block: this runs once per entry
    // when a chain is verified, next to a SHA-256 of about 330 bytes.
    let mut fixed = [0u8; FIXED_LEN];
    let (tag, rest) = fixed.split_at_mut(ENTRY_TAG.len());
    tag.copy_from_slice(ENTRY_TAG);
    let (prev, rest) = rest.split_at_mut(32);
    prev.copy_from_slice(&entry.prev_hash);
    let (seq, rest) = rest.split_at_mut(8);
    seq.copy_from_slice(&entry.seq.to_be_bytes());
    let (len, rest) = rest.split_at_mut(4);
    len.copy_from_slice(&(TEAM_TEXT_LEN as u32).to_be_bytes());
    let (text, at) = rest.split_at_mut(TEAM_TEXT_LEN);
    text.copy_from_slice(&team.0);
    at.copy_from_slice(&entry.at.as_micros().to_be_bytes());
    let strings = [
        entry.actor.id.as_str(),
        entry.actor.kind.as_str(),
        entry.action.as_str(),
        entry.target.as_str(),
        entry.request_id.as_str(),
        entry.payload.as_str(),
    ];
    buf.reserve(FIXED_LEN + strings.iter().map(|s| 4 + s.len()).sum::<usize>());
    buf.extend_from_slice(&fixed);
    for s in strings {
        put_str(buf, s);
    }
}

fn put_str(buf: &mut Vec<u8>, s: &str) {
    // Every field is capped far below 4 GiB at append (see `crate::limits`).
    let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
    buf.extend_from_slice(&len.to_be_bytes());
    buf.extend_from_slice(s.as_bytes());
}
