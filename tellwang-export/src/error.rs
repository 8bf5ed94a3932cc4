//! The crate's one error type.

/// Why an export failed. Spec text is never echoed: a path names the place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The spec asks for something the target's provider cannot express
    /// without changing its meaning.
    #[error("the {target} target cannot express `{path}`: {problem}")]
    Unrepresentable {
        /// The target's name, e.g. `docker`.
        target: &'static str,
        /// Where in the spec, e.g. `services[1].env`.
        path: String,
        /// What cannot be expressed.
        problem: &'static str,
    },
    /// hcl-rs failed to write a body. Not expected: the bodies are built
    /// from valid parts.
    #[error("writing HCL failed: {0}")]
    Format(String),
}
