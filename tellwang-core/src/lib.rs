//! Tenancy and authorization for a tellwang control plane.
//!
//! Teams own Woks. Every call that touches a Wok is authorized server-side
//! against the owning team, and a Wok of another team answers exactly like a
//! Wok that does not exist. Users, service tokens and AI agents are one
//! [`Principal`] type and go through one check, with no path around it.
//!
//! ```
//! use tellwang_core::{Action, Authorizer, Denied, MemoryStore, PrincipalKind, Role, Tenancy, WokId};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), tellwang_core::Error> {
//! let tenancy = Tenancy::new(MemoryStore::new());
//!
//! // An operator creates two teams; each gets an owner and a Bearer token.
//! let (_acme, _alice, alice_token) = tenancy.create_team("Acme", "alice").await?;
//! let (_umbrella, bob, _) = tenancy.create_team("Umbrella", "bob").await?;
//!
//! // Requests carry a token; the server resolves it to a principal.
//! let alice = tenancy.authenticate(alice_token.expose_secret()).await?;
//! let billing = tenancy.create_wok(&alice, "billing", None).await?;
//! assert_eq!(billing.region, "ca-central-1");
//!
//! // An agent is a principal like any other: a role, a team, one check.
//! let (agent, _agent_token) = tenancy.add_principal(&alice, PrincipalKind::Agent, Role::Viewer, "triage-bot").await?;
//! assert!(tenancy.authorize(&agent, Action::ReadWok, &billing.id).await.is_ok());
//! assert_eq!(
//!     tenancy.authorize(&agent, Action::DeleteWok, &billing.id).await,
//!     Err(Denied::Forbidden { action: Action::DeleteWok })
//! );
//!
//! // Bob's team cannot tell Acme's Wok from one that does not exist.
//! let foreign = tenancy.authorize(&bob, Action::ReadWok, &billing.id).await;
//! let missing = tenancy.authorize(&bob, Action::ReadWok, &WokId::generate()?).await;
//! assert_eq!(foreign, Err(Denied::NotFound));
//! assert_eq!(foreign, missing);
//! assert!(tenancy.list_woks(&bob).await?.is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! # Design
//!
//! * [`TenancyStore`] is the persistence seam: a handful of one-round-trip
//!   methods, implemented by [`MemoryStore`], [`SqliteStore`] (feature
//!   `sqlite`, the embedded default) and [`PostgresStore`] (feature
//!   `postgres`). A host can bring its own.
//! * [`Tenancy`] holds everything else — name validation, token issuing and
//!   hashing, and the decision — written once for every store.
//! * [`Authorizer`] is the decision seam. An authorization is a single
//!   lookup of the Wok *scoped to the caller's team*, followed by the pure
//!   role matrix of [`Role::allows`]. A foreign Wok and a missing Wok take the
//!   same query and come back the same way, so neither the answer
//!   ([`Denied::NotFound`]: same `Display`, same serialisation) nor its cost
//!   tells them apart. [`Denied::Forbidden`] (a 403) is given only for a Wok
//!   of the caller's own team.
//! * Ids ([`TeamId`], [`WokId`], …) are 128 random bits from the OS.
//!   Bearer tokens are 256 random bits, shown once, stored as a SHA-256 hash
//!   and compared in constant time; see [`IssuedToken`].
//! * Names follow the rules in [`name`]; bad input is a typed [`Error`].
//!
//! # The authorization matrix
//!
//! | action           | viewer | developer | admin | owner |
//! |------------------|:------:|:---------:|:-----:|:-----:|
//! | `read_wok`       |   ✓    |     ✓     |   ✓   |   ✓   |
//! | `write_wok`      |        |     ✓     |   ✓   |   ✓   |
//! | `read_secret`    |        |     ✓     |   ✓   |   ✓   |
//! | `write_secret`   |        |     ✓     |   ✓   |   ✓   |
//! | `export_wok`     |        |     ✓     |   ✓   |   ✓   |
//! | `create_wok`     |        |     ✓     |   ✓   |   ✓   |
//! | `delete_wok`     |        |           |   ✓   |   ✓   |
//! | `read_audit`     |        |           |   ✓   |   ✓   |
//! | `manage_members` |        |           |       |   ✓   |
//!
//! A principal belongs to exactly one team; a person who works in two teams
//! holds a principal in each. That keeps every decision about one team only.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

mod authz;
mod error;
mod id;
mod memory;
mod model;
pub mod name;
pub mod spec;
mod store;
mod tenancy;
mod time;
mod token;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "testing")]
pub mod testing;

// The public interface is:
pub use crate::authz::{Authorizer, Denied};
pub use crate::error::{BackendError, Error};
pub use crate::id::{PrincipalId, TeamId, TokenId, WokId};
pub use crate::memory::MemoryStore;
pub use crate::model::{Action, DEFAULT_REGION, Principal, PrincipalKind, Role, Team, Wok};
#[cfg(feature = "postgres")]
pub use crate::postgres::PostgresStore;
pub use crate::spec::WokSpec;
#[cfg(feature = "sqlite")]
pub use crate::sqlite::SqliteStore;
pub use crate::store::TenancyStore;
pub use crate::tenancy::Tenancy;
pub use crate::time::Timestamp;
pub use crate::token::{IssuedToken, TokenRecord};
