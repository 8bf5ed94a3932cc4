//! Ledger entries: what is appended, what is stored, what an append returns.

use std::fmt;

use serde::{Deserialize, Serialize};
use tellwang_core::{Principal, TeamId, Timestamp};

use crate::format::Hash;
use crate::{Error, limits};

/// One stored entry of a team's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Position in the team's chain, from 1, without gaps.
    pub seq: u64,
    /// The team whose chain this is.
    pub team: TeamId,
    /// When the entry was appended (microseconds since the Unix epoch).
    pub at: Timestamp,
    /// Who made the call.
    pub actor: Actor,
    /// What was done, e.g. `wok.create`.
    pub action: String,
    /// What it was done to, e.g. a Wok id; may be empty.
    pub target: String,
    /// The request that did it, for correlation with logs; may be empty.
    pub request_id: String,
    /// Details, as canonical JSON text.
    pub payload: Payload,
    /// The previous entry's hash, or the team's genesis value for seq 1.
    #[serde(with = "hex_hash")]
    pub prev_hash: Hash,
    /// This entry's hash: see [`crate::format`].
    #[serde(with = "hex_hash")]
    pub hash: Hash,
}

/// What a caller appends; the ledger adds the sequence, time and hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    /// The team whose chain to append to.
    pub team: TeamId,
    /// Who made the call.
    pub actor: Actor,
    /// What was done, e.g. `wok.create` (1–128 bytes, no control characters).
    pub action: String,
    /// What it was done to (at most 256 bytes, no control characters).
    pub target: String,
    /// The request that did it (at most 128 bytes, no control characters).
    pub request_id: String,
    /// Details.
    pub payload: Payload,
}

impl NewEntry {
    /// An entry by `principal` in its own team, with an empty payload and request id.
    pub fn by(principal: &Principal, action: impl Into<String>, target: impl Into<String>) -> Self {
        Self {
            team: principal.team,
            actor: Actor::from(principal),
            action: action.into(),
            target: target.into(),
            request_id: String::new(),
            payload: Payload::empty(),
        }
    }

    /// Sets the request id.
    pub fn request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = request_id.into();
        self
    }

    /// Sets the payload.
    pub fn payload(mut self, payload: Payload) -> Self {
        self.payload = payload;
        self
    }

    /// Checks every field against [`crate::limits`].
    pub(crate) fn check(&self) -> Result<(), Error> {
        limits::check_text("actor id", &self.actor.id, 1, limits::MAX_ACTOR)?;
        limits::check_text("actor kind", &self.actor.kind, 1, limits::MAX_ACTOR)?;
        limits::check_text("action", &self.action, 1, limits::MAX_ACTION)?;
        limits::check_text("target", &self.target, 0, limits::MAX_TARGET)?;
        limits::check_text("request id", &self.request_id, 0, limits::MAX_REQUEST_ID)?;
        Ok(())
    }

    /// The stored entry this becomes at `seq`, after `prev_hash`, at time `at`.
    pub(crate) fn seal(self, seq: u64, at: Timestamp, prev_hash: Hash) -> Entry {
        let mut entry = Entry {
            seq,
            team: self.team,
            at,
            actor: self.actor,
            action: self.action,
            target: self.target,
            request_id: self.request_id,
            payload: self.payload,
            prev_hash,
            hash: [0; 32],
        };
        entry.hash = crate::format::entry_hash(&entry);
        entry
    }
}

/// Who made a call: a principal's id and kind, or an operator.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    /// The principal id (`prn_…`), or an operator's name.
    pub id: String,
    /// `user`, `service_token`, `agent` or `operator`.
    pub kind: String,
}

impl Actor {
    /// An operator of the control plane, acting outside any team's principals.
    pub fn operator(name: impl Into<String>) -> Self {
        Self { id: name.into(), kind: "operator".into() }
    }
}

impl From<&Principal> for Actor {
    fn from(principal: &Principal) -> Self {
        Self { id: principal.id.to_string(), kind: principal.kind.as_str().into() }
    }
}

/// An entry's details as canonical JSON text: object keys sorted, no
/// insignificant white space, numbers only as integers (no floats, whose
/// text form differs between implementations). The text is stored and
/// hashed byte for byte; a database never gets to re-encode it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Payload(String);

impl Payload {
    /// The empty object, `{}`.
    pub fn empty() -> Self {
        Self("{}".into())
    }

    /// Parses JSON text and brings it to canonical form.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|_| Error::InvalidJson)?;
        Self::from_value(&value)
    }

    /// Brings a JSON value to canonical form.
    pub fn from_value(value: &serde_json::Value) -> Result<Self, Error> {
        if has_float(value) {
            return Err(Error::FloatInPayload);
        }
        // serde_json's map is ordered by key (its `preserve_order` feature is
        // off), so this writes keys sorted and without white space.
        let text = serde_json::to_string(value).map_err(|_| Error::InvalidJson)?;
        if text.len() > limits::MAX_PAYLOAD {
            return Err(Error::TooLarge { field: "payload", max: limits::MAX_PAYLOAD });
        }
        Ok(Self(text))
    }

    /// A payload read back from storage, kept byte for byte as stored.
    pub(crate) fn from_stored(text: String) -> Self {
        Self(text)
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

fn has_float(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Number(n) => !(n.is_i64() || n.is_u64()),
        serde_json::Value::Array(items) => items.iter().any(has_float),
        serde_json::Value::Object(map) => map.values().any(has_float),
        _ => false,
    }
}

/// What an append returns: where the entry landed and its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The entry's sequence number.
    pub seq: u64,
    /// The entry's hash.
    #[serde(with = "hex_hash")]
    pub hash: Hash,
}

/// The end of a team's chain: the last entry's sequence and hash, or
/// `seq == 0` and the genesis value for an empty chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// The team.
    pub team: TeamId,
    /// The last entry's sequence number; 0 for an empty chain.
    pub seq: u64,
    /// The last entry's hash; the genesis value for an empty chain.
    #[serde(with = "hex_hash")]
    pub hash: Hash,
}

/// Serialises hashes as lowercase hex.
pub(crate) mod hex_hash {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(hash: &[u8; 32], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(hash))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<[u8; 32], D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        let mut hash = [0u8; 32];
        hex::decode_to_slice(text.as_bytes(), &mut hash).map_err(serde::de::Error::custom)?;
        Ok(hash)
    }
}
