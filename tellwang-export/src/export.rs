//! The result of one export: a Terraform module as files.

/// The resources and the `terraform {}` block.
pub const MAIN_TF: &str = "main.tf";
/// One sensitive variable per secret.
pub const VARIABLES_TF: &str = "variables.tf";
/// What the module reports after `terraform apply`.
pub const OUTPUTS_TF: &str = "outputs.tf";
/// The variables to fill in, with empty values; copy it to
/// `terraform.tfvars` (and keep that file out of version control).
pub const TFVARS_EXAMPLE: &str = "terraform.tfvars.example";

/// A Wok as a Terraform module: [`MAIN_TF`], [`VARIABLES_TF`],
/// [`OUTPUTS_TF`] and [`TFVARS_EXAMPLE`], in that order.
///
/// The same Wok and spec always give byte-identical files. No file holds a
/// secret value: secrets are variables without defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    target: &'static str,
    files: [(&'static str, String); 4],
}

impl Export {
    /// The export of `target` from the texts of its four files, in order.
    pub(crate) fn new(target: &'static str, [main, variables, outputs, tfvars]: [String; 4]) -> Self {
        let files = [(MAIN_TF, main), (VARIABLES_TF, variables), (OUTPUTS_TF, outputs), (TFVARS_EXAMPLE, tfvars)];
        Self { target, files }
    }

    /// The name of the target that wrote it, e.g. `docker`.
    pub fn target(&self) -> &'static str {
        self.target
    }

    /// Every file as `(name, content)`, in a fixed order.
    pub fn files(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.files.iter().map(|(name, content)| (*name, content.as_str()))
    }

    /// The content of the file `name`, if the export has one.
    pub fn file(&self, name: &str) -> Option<&str> {
        self.files.iter().find(|(n, _)| *n == name).map(|(_, content)| content.as_str())
    }

    /// The whole module as one `.tf` file — the `terraform {}` block,
    /// resources, variables and outputs — for an HTTP response or a
    /// download. The example variable file is not part of it: a `.tf` file
    /// cannot hold variable values.
    ///
    /// The three files hold only blocks at their top level, so joining them
    /// with a blank line is exactly what writing their blocks as one body
    /// gives (a test holds it to that).
    pub fn single_file(&self) -> String {
        let module = &self.files[..3];
        let mut out = String::with_capacity(module.iter().map(|(_, c)| c.len() + 1).sum());
        for (i, (_, content)) in module.iter().enumerate() {
            if i > 0 && !content.is_empty() {
                out.push('\n');
            }
            out.push_str(content);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use hcl::Body;

    use super::*;
    use crate::literal::quoted;
    use crate::syntax::{attribute, block, render, resource};

    #[test]
    fn the_single_file_is_the_module_written_as_one_body() {
        let main = Body::builder()
            .add_block(resource("docker_network", "wok").add_attribute(attribute("name", quoted("n"))).build())
            .add_block(resource("docker_volume", "v").add_attribute(attribute("name", quoted("v"))).build())
            .build();
        let variables = Body::builder()
            .add_block(block("variable", vec![("sensitive", true.into())]).add_label("X").build())
            .build();
        let outputs =
            Body::builder().add_block(block("output", vec![("value", quoted("x"))]).add_label("o").build()).build();
        let tfvars = Body::builder().add_attribute(attribute("X", quoted(""))).build();
        let mut combined = Body(main.0.iter().chain(&variables.0).chain(&outputs.0).cloned().collect());
        let files = [main, variables, outputs, tfvars].map(|mut body| render(&mut body).unwrap());
        let export = Export::new("docker", files);
        assert_eq!(export.single_file(), render(&mut combined).unwrap());
    }
}
