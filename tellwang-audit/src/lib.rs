//! A tamper-evident audit ledger: one SHA-256 hash chain per team.
//!
//! Every state-changing control-plane call appends an [`Entry`] to its
//! team's chain. Each entry's hash covers the previous entry's hash, so
//! changing, removing, inserting or reordering any entry breaks every later
//! link; [`AuditLedger::verify`] walks the chain and reports the first
//! break, precisely ([`Break`]). The byte format is published in
//! `docs/audit-chain.md` and in [`format`](mod@format), so a verifier can be written in
//! any language from the document alone.
//!
//! ```
//! use tellwang_audit::{Actor, AuditLedger, MemoryLedger, NewEntry, Payload};
//! use tellwang_core::TeamId;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let ledger = MemoryLedger::new();
//! let team = TeamId::generate()?;
//! ledger.create_chain(&team).await?;
//!
//! let receipt = ledger
//!     .append(NewEntry {
//!         team,
//!         actor: Actor::operator("ops@example.com"),
//!         action: "wok.create".into(),
//!         target: "wok_00112233445566778899aabbccddeeff".into(),
//!         request_id: "req-1".into(),
//!         payload: Payload::from_json(r#"{"name": "billing", "region": "ca-central-1"}"#)?,
//!     })
//!     .await?;
//! assert_eq!(receipt.seq, 1);
//!
//! let report = ledger.verify(&team, &[]).await?;
//! assert!(report.ok);
//! assert_eq!(report.entries_checked, 1);
//! assert_eq!(report.head.hash, receipt.hash);
//! # Ok(())
//! # }
//! ```
//!
//! # Backends
//!
//! [`MemoryLedger`], [`SqliteLedger`] (feature `sqlite`, the embedded
//! default) and [`PostgresLedger`] (feature `postgres`) implement
//! [`AuditLedger`]. The SQL ledgers also offer `append_in`, which appends
//! inside the caller's own transaction: a state change and its audit row
//! commit together or not at all, so no change is ever left without its row,
//! even on a crash. Concurrent appenders to one team lock the team's head
//! record and so form one linear chain: no fork, no gap, no repeated
//! sequence number.
//!
//! # Threat model
//!
//! * **A leaked Bearer token** lets its holder make calls, and so *append*
//!   entries — which record what it did. It gives no way to change or remove
//!   entries: the control plane has no such call.
//! * **Someone who can write to the database** but not read the code can
//!   change rows. Any change to a field, hash or link, any deleted,
//!   inserted or swapped row, is caught by plain verification, at the
//!   sequence number where it happened ([`BreakKind`]).
//! * **Someone who can write to the database and knows the format** can do
//!   more: rewrite an entry and *recompute every later hash* and the head
//!   record, or cut the tail off and move the head record back. The chain is
//!   then self-consistent, and no check of the chain alone can notice. That
//!   is what **signed checkpoints** are for: [`Checkpointer`] signs a head
//!   (team, sequence, hash, time) with an Ed25519 key held *outside* the
//!   database, and customers keep the [`SignedCheckpoint`]s. Verifying
//!   against a kept checkpoint catches a rewrite at or before its sequence
//!   number ([`BreakKind::CheckpointMismatch`]) and a truncation below it
//!   ([`BreakKind::Truncated`]). What happened after the newest checkpoint
//!   is protected by the chain alone, so checkpoint often.
//! * **Someone who holds the checkpoint key and the database** can forge
//!   anything; keep the key in a KMS or HSM, away from the database's
//!   credentials.
//!
//! # Verification at scale
//!
//! Verification streams a chain in batches, so memory stays bounded for a
//! chain of any length, and hashes each batch on all cores while the next
//! is read. Each entry's hash depends only on its own stored fields, so the
//! hashing parallelises; the link checks compare stored values in order.

#![forbid(unsafe_code)]

mod checkpoint;
mod entry;
mod error;
pub mod format;
mod ledger;
pub mod limits;
mod memory;
mod verify;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "testing")]
pub mod testing;

// The public interface is:
pub use crate::checkpoint::{Checkpoint, Checkpointer, SignedCheckpoint};
pub use crate::entry::{Actor, Entry, Head, NewEntry, Payload, Receipt};
pub use crate::error::Error;
pub use crate::ledger::{AuditLedger, MAX_PAGE};
pub use crate::memory::MemoryLedger;
#[cfg(feature = "postgres")]
pub use crate::postgres::PostgresLedger;
#[cfg(feature = "sqlite")]
pub use crate::sqlite::SqliteLedger;
pub use crate::verify::{Break, BreakKind, Verification, VerifiedHead, verify_entries};
