//! Export of a whole Wok as Terraform HCL, in one call, for real providers.
//!
//! An [`ExportTarget`] turns a Wok ([`Wok`] and its [`WokSpec`]) into a
//! Terraform module ([`Export`]): `main.tf` with a `terraform {}` block that
//! pins the Terraform and provider versions and the resources,
//! `variables.tf` with one `sensitive` variable per secret (no defaults),
//! `outputs.tf`, and `terraform.tfvars.example` listing the variables to
//! fill in. [`Export::single_file`] gives the module as one `.tf` file.
//!
//! ```
//! use std::collections::{BTreeMap, BTreeSet};
//!
//! use tellwang_core::spec::{ServiceSpec, WokSpec};
//! use tellwang_core::{TeamId, Timestamp, Wok, WokId};
//! use tellwang_export::{Docker, ExportTarget, Kubernetes, MAIN_TF, VARIABLES_TF};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let wok = Wok {
//!     id: WokId::generate()?,
//!     team: TeamId::generate()?,
//!     name: "billing".into(),
//!     region: "ca-central-1".into(),
//!     created_at: Timestamp::now(),
//! };
//! let mut spec = WokSpec::new();
//! spec.services.push(ServiceSpec {
//!     name: "api".into(),
//!     image: "ghcr.io/acme/api:1.4.2".into(),
//!     command: vec![],
//!     ports: vec![8080],
//!     // Tenant text is data: it is escaped, never interpreted.
//!     env: BTreeMap::from([("GREETING".into(), "hello ${name}".into())]),
//!     secret_env: BTreeSet::from(["JWT_SECRET".into()]),
//!     health_check: None,
//!     limits: Default::default(),
//!     volumes: vec![],
//!     restart: Default::default(),
//! });
//!
//! let export = Docker.export(&wok, &spec)?;
//! let main_tf = export.file(MAIN_TF).unwrap_or_default();
//! assert!(main_tf.contains(r#"docker = { source = "kreuzwerker/docker", version = "~> 4.5" }"#));
//! assert!(main_tf.contains(r#""GREETING=hello $${name}""#));
//! assert!(main_tf.contains(r#""JWT_SECRET=${var.JWT_SECRET}""#));
//! let variables_tf = export.file(VARIABLES_TF).unwrap_or_default();
//! assert!(variables_tf.contains(r#"variable "JWT_SECRET" {"#));
//! assert!(variables_tf.contains("sensitive   = true"));
//!
//! // The same Wok always gives the same bytes.
//! assert_eq!(export, Docker.export(&wok, &spec)?);
//!
//! let k8s = Kubernetes.export(&wok, &spec)?;
//! assert!(k8s.single_file().contains(r#"resource "kubernetes_deployment_v1" "api" {"#));
//! # Ok(())
//! # }
//! ```
//!
//! # Targets
//!
//! * [`Docker`] (`docker`) — the `kreuzwerker/docker` provider (`~> 4.5`), for
//!   self-hosting: a private network (internal when the Wok has no egress),
//!   volumes, images, and one container per service with its environment,
//!   network alias, mounts, health check, restart policy, memory and CPU
//!   limits and labels.
//! * [`Kubernetes`] (`kubernetes`) — the `hashicorp/kubernetes` provider
//!   (`>= 3.2.1, < 4.0.0`, its `_v1` resources; Terraform 1.11 or newer for
//!   write-only arguments), for another cloud: a namespace per Wok,
//!   a default-deny network policy that admits only the Wok's own pods (and
//!   DNS), a stateful set for Postgres with its volume claim, a deployment
//!   (and a service, where it has ports) per service, claims for named
//!   volumes, and one secret whose data comes from variables through the
//!   write-only `data_wo` argument.
//!
//! Each target's page lists what its provider cannot express and how the
//! spec's value is kept anyway (as a label or annotation).
//!
//! # Secrets and Terraform state
//!
//! No file ever holds a secret value: each secret named in the spec is a
//! variable marked `sensitive = true`, with no default, to be set in
//! `terraform.tfvars` or `TF_VAR_<name>`. What reaches Terraform's *state*
//! depends on the provider:
//!
//! * **docker**: the provider has no write-only argument for container
//!   environment. A secret's value is part of the container's `env`, and the
//!   provider stores `env` in the state **in plain text**. `sensitive` only
//!   hides it in plan output.
//! * **kubernetes**: secret values go only into `kubernetes_secret_v1`'s
//!   write-only `data_wo`, and the variables are `ephemeral`, so values stay
//!   out of plans and state (Terraform 1.11 or newer). Containers read them
//!   through `secret_key_ref`. To change a value, set the new value and
//!   raise `secrets_revision`; write-only data is only sent when it changes.
//!   The secret is still stored in the cluster (etcd); enable encryption at
//!   rest there.
//!
//! Either way, treat the state as confidential: keep it in an encrypted
//! remote backend with access control (for example S3 with server-side KMS
//! encryption and a locking table, GCS with a customer-managed key, or
//! Terraform Cloud/Enterprise), never in a local file in version control,
//! and keep `terraform.tfvars` out of version control too. With OpenTofu,
//! state encryption can be turned on in the `terraform {}` block.
//!
//! # Hostile input
//!
//! The exporter does not rely on [`WokSpec::validate`]: any text in any
//! field comes out as data. Every tenant string is written as a one-line
//! quoted string with only Terraform's escapes (`\n`, `\r`, `\t`, `\"`,
//! `\\`, `\uNNNN`, `\UNNNNNNNN`) and with `${` and `%{` written as `$${` and
//! `%%{` (as `$\u007B` and `%\u007B` where no `}` follows in the string, which
//! Terraform reads the same and python-hcl2's grammar also accepts), so it
//! reads back as exactly the input and never as an
//! interpolation, a directive or a heredoc. Names that must be Terraform
//! identifiers (resource and variable names) are mapped deterministically,
//! with collisions resolved rather than merged; the spec's own names stay in
//! the resources as data. What a provider cannot express without changing
//! the meaning is an [`Error::Unrepresentable`] instead of wrong output.
//!
//! # Determinism
//!
//! Output depends only on the Wok and the spec: blocks follow the spec's
//! order (services, then volumes by first use), maps and secrets are
//! sorted, and nothing reads the clock. Files are formatted as
//! `terraform fmt` would leave them.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

mod docker;
mod error;
mod export;
mod ident;
mod kubernetes;
mod literal;
mod module;
mod syntax;

use tellwang_core::{Wok, WokSpec};

// The public interface is:
pub use crate::docker::Docker;
pub use crate::error::Error;
pub use crate::export::{Export, MAIN_TF, OUTPUTS_TF, TFVARS_EXAMPLE, VARIABLES_TF};
pub use crate::kubernetes::Kubernetes;

/// Where an export is aimed: one Terraform provider. Implemented by
/// [`Docker`] and [`Kubernetes`]; [`target`] picks one by name.
///
/// Exporting is pure computation over the spec — no I/O — so the trait is
/// synchronous.
pub trait ExportTarget: Send + Sync {
    /// The target's stable name, as [`target`] takes it: `docker`, `kubernetes`.
    fn name(&self) -> &'static str;

    /// The Wok as a Terraform module. Fails only with
    /// [`Error::Unrepresentable`] when the spec asks for something the
    /// provider cannot express.
    fn export(&self, wok: &Wok, spec: &WokSpec) -> Result<Export, Error>;
}

/// Every target, in a fixed order.
pub const TARGETS: &[&dyn ExportTarget] = &[&Docker, &Kubernetes];

/// The target called `name`, if there is one.
pub fn target(name: &str) -> Option<&'static dyn ExportTarget> {
    TARGETS.iter().copied().find(|t| t.name() == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_found_by_name() {
        assert_eq!(target("docker").map(|t| t.name()), Some("docker"));
        assert_eq!(target("kubernetes").map(|t| t.name()), Some("kubernetes"));
        assert!(target("nomad").is_none());
        let names: Vec<&str> = TARGETS.iter().map(|t| t.name()).collect();
        assert_eq!(names, ["docker", "kubernetes"]);
    }
}
