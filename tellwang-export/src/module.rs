//! What every target's module has in common: the names it gives to the
//! spec's services, volumes and secrets, the `terraform {}` block, the
//! variables and the example variable file.

use std::collections::BTreeSet;

use hcl::expr::Expression;
use hcl::{Block, Body};
use tellwang_core::Wok;
use tellwang_core::spec::{RestartPolicy, ServiceSpec, WokSpec};

use crate::ident::Namespace;
use crate::literal::{quoted, quoted_owned, word_key};
use crate::syntax::{attribute, block, builder, object, render, word};
use crate::{Error, Export};

/// The variable that bumps write-only secret data (kubernetes), reserved in
/// both targets so that a secret's variable has the same name in each.
pub(crate) const SECRETS_REVISION: &str = "secrets_revision";

/// Resource names of the exporter's own, never given to a service or volume.
const RESERVED: &[&str] = &["postgres", "wok"];

/// The identifiers one export uses for the spec's names.
pub(crate) struct Names<'a> {
    /// Each service with its resource name, in spec order.
    pub(crate) services: Vec<(&'a ServiceSpec, String)>,
    /// Each distinct volume name with its resource name, in order of first use.
    pub(crate) volumes: Vec<(&'a str, String)>,
    /// Each distinct secret name (the Postgres password and every service's
    /// `secret_env`) with its variable name, sorted by secret name.
    pub(crate) secrets: Vec<(&'a str, String)>,
}

impl<'a> Names<'a> {
    pub(crate) fn new(spec: &'a WokSpec) -> Self {
        let mut service_ns = Namespace::new(RESERVED);
        let services = spec.services.iter().map(|s| (s, service_ns.claim(&s.name))).collect();
        let mut volume_ns = Namespace::new(RESERVED);
        let mut seen = BTreeSet::new();
        let mut volumes = Vec::new();
        for volume in spec.services.iter().flat_map(|s| &s.volumes) {
            if seen.insert(volume.name.as_str()) {
                volumes.push((volume.name.as_str(), volume_ns.claim(&volume.name)));
            }
        }
        let mut secret_names: BTreeSet<&str> =
            spec.services.iter().flat_map(|s| &s.secret_env).map(String::as_str).collect();
        secret_names.insert(spec.postgres.password_secret.as_str());
        let mut variable_ns = Namespace::new(&[SECRETS_REVISION]);
        let secrets = secret_names.into_iter().map(|s| (s, variable_ns.claim(s))).collect();
        Self { services, volumes, secrets }
    }

    /// The variable that holds the secret `name`.
    pub(crate) fn secret(&self, name: &str) -> &str {
        // Every secret name of the spec was collected in `new`; the search
        // cannot miss, and an empty name would only yield a bad reference.
        self.secrets.binary_search_by(|(n, _)| (*n).cmp(name)).map_or("", |i| self.secrets[i].1.as_str())
    }

    /// The resource name of the volume `name`.
    pub(crate) fn volume(&self, name: &str) -> &str {
        self.volumes.iter().find(|(n, _)| *n == name).map_or("", |(_, id)| id.as_str())
    }
}

/// One provider requirement.
pub(crate) struct Provider {
    pub(crate) local_name: &'static str,
    pub(crate) source: &'static str,
    pub(crate) version: &'static str,
}

/// The `terraform {}` block: the Terraform version and the provider, pinned.
pub(crate) fn terraform_block(required_version: &str, provider: &Provider) -> Block {
    builder("terraform")
        .add_attribute(attribute("required_version", quoted(required_version)))
        .add_block(
            block(
                "required_providers",
                [(
                    provider.local_name,
                    object(vec![
                        (word_key("source"), quoted(provider.source)),
                        (word_key("version"), quoted(provider.version)),
                    ]),
                )],
            )
            .build(),
        )
        .build()
}

/// `variables.tf`: one sensitive variable per secret, without a default.
/// `ephemeral` keeps the value out of plans and state, and is only possible
/// where every use is a write-only argument.
pub(crate) fn variables(names: &Names<'_>, ephemeral: bool, extra: Vec<Block>) -> Body {
    let mut body = Body::builder();
    for (secret, variable) in &names.secrets {
        let mut attributes = vec![
            ("description", quoted_owned(format!("The Wok's secret `{secret}`. Never commit its value."))),
            ("type", word("string")),
            ("sensitive", Expression::Bool(true)),
            ("nullable", Expression::Bool(false)),
        ];
        if ephemeral {
            attributes.push(("ephemeral", Expression::Bool(true)));
        }
        body = body.add_block(block("variable", attributes).add_label(variable.as_str()).build());
    }
    body.add_blocks(extra).build()
}

/// `terraform.tfvars.example`: every secret variable, to be filled in.
pub(crate) fn tfvars_example(names: &Names<'_>) -> Body {
    names
        .secrets
        .iter()
        .fold(Body::builder(), |b, (_, variable)| b.add_attribute(attribute(variable, quoted(""))))
        .build()
}

/// What the targets write about the Wok itself, worked out once per export.
pub(crate) struct Meta<'a> {
    /// The Wok's id, as text.
    pub(crate) id: String,
    /// The Wok's name.
    pub(crate) name: &'a str,
    /// Labels every object of the Wok carries: which Wok and team it
    /// belongs to (each target adds its own prefix to the keys).
    pub(crate) labels: [(&'static str, String); 3],
}

impl<'a> Meta<'a> {
    pub(crate) fn new(wok: &'a Wok) -> Self {
        let id = wok.id.to_string();
        let labels = [("wok", id.clone()), ("team", wok.team.to_string()), ("wok-name", wok.name.clone())];
        Self { id, name: &wok.name, labels }
    }
}

/// Renders the other three files and puts them beside `main`, already
/// written, into an [`Export`].
pub(crate) fn finish(
    target: &'static str,
    main: String,
    mut variables: Body,
    mut outputs: Body,
    mut tfvars: Body,
) -> Result<Export, Error> {
    let files = [main, render(&mut variables)?, render(&mut outputs)?, render(&mut tfvars)?];
    Ok(Export::new(target, files))
}

/// The spec's restart policy in Docker's words, which both targets write.
pub(crate) fn restart_policy(policy: RestartPolicy) -> &'static str {
    match policy {
        RestartPolicy::No => "no",
        RestartPolicy::OnFailure => "on-failure",
        RestartPolicy::UnlessStopped => "unless-stopped",
        RestartPolicy::Always => "always",
    }
}

/// `n` thousandths as a decimal, without trailing zeros: 500 → `0.5`.
pub(crate) fn thousandths(n: u32) -> String {
    let (whole, frac) = (n / 1000, n % 1000);
    if frac == 0 {
        return whole.to_string();
    }
    let frac = format!("{frac:03}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousandths_are_decimals() {
        assert_eq!(thousandths(500), "0.5");
        assert_eq!(thousandths(1000), "1");
        assert_eq!(thousandths(1250), "1.25");
        assert_eq!(thousandths(1), "0.001");
        assert_eq!(thousandths(u32::MAX), "4294967.295");
    }
}
