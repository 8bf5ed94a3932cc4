//! tellwang: the security building blocks of a control plane for Woks —
//! private, per-tenant backends, each with its own Postgres, services and
//! private network.
//!
//! This crate is a thin facade. Each part is its own crate, re-exported here
//! behind a cargo feature, so a host depends on `tellwang` and picks parts:
//!
//! | feature     | crate                | what it holds |
//! |-------------|----------------------|---------------|
//! | `core`      | [`tellwang-core`]    | teams, Woks, principals, Bearer tokens, the 404-not-403 authorizer |
//! | `audit`     | `tellwang-audit`     | the tamper-evident, hash-chained audit ledger |
//! | `vault`     | `tellwang-vault`     | envelope encryption of per-Wok secrets |
//! | `export`    | `tellwang-export`    | a whole Wok as Terraform HCL |
//! | `provision` | `tellwang-provision` | Woks on a Docker engine |
//! | `sqlite`    |                      | the embedded SQLite backends (default) |
//! | `postgres`  |                      | the PostgreSQL backends |
//!
//! [`tellwang-core`]: core
//!
//! ```
//! # #[cfg(feature = "core")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), tellwang::core::Error> {
//! use tellwang::core::{MemoryStore, Tenancy};
//!
//! let tenancy = Tenancy::new(MemoryStore::new());
//! let (_team, owner, _token) = tenancy.create_team("Acme", "alice").await?;
//! let wok = tenancy.create_wok(&owner, "billing", None).await?;
//! assert_eq!(tenancy.list_woks(&owner).await?, vec![wok]);
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "core"))]
//! # fn main() {}
//! ```

#![forbid(unsafe_code)]

#[cfg(feature = "audit")]
pub use tellwang_audit as audit;
#[cfg(feature = "core")]
pub use tellwang_core as core;
#[cfg(feature = "export")]
pub use tellwang_export as export;
#[cfg(feature = "provision")]
pub use tellwang_provision as provision;
#[cfg(feature = "vault")]
pub use tellwang_vault as vault;
