//! Terraform identifiers for names that come from a spec.
//!
//! Resource and variable names in Terraform are identifiers
//! (`[A-Za-z_][A-Za-z0-9_-]*` here), while service, volume and secret names
//! in a spec may be any text. A name that already is a short identifier is
//! kept; any other is mapped to one: characters outside the identifier set
//! become `_`, the result is cut to [`MAX_BASE`] bytes, and 8 hex digits of
//! the name's SHA-256 are appended, so two names that map to the same text
//! still differ. Should two names still meet (or a name meet a reserved
//! one), the later one gets `_2`, `_3`, … — names are never merged.
//!
//! The mapping depends only on the names and the order they are claimed in,
//! which is the spec's own order, so it is deterministic.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

/// The longest identifier kept as it is, and the longest stem a mapped one keeps.
const MAX_BASE: usize = 48;

/// Words that cannot name a variable in Terraform, or that read as
/// keywords in an expression; names equal to one are mapped like any other
/// name that is not an identifier.
const KEYWORDS: &[&str] = &[
    "count",
    "data",
    "depends_on",
    "each",
    "else",
    "endfor",
    "endif",
    "false",
    "for",
    "for_each",
    "if",
    "in",
    "lifecycle",
    "local",
    "locals",
    "module",
    "null",
    "path",
    "providers",
    "self",
    "source",
    "terraform",
    "true",
    "var",
    "version",
];

/// One namespace of identifiers, such as the resource names of one target.
#[derive(Debug)]
pub(crate) struct Namespace {
    taken: HashSet<String>,
}

impl Namespace {
    /// A namespace where `reserved` (the exporter's own fixed names) are taken.
    pub(crate) fn new(reserved: &[&str]) -> Self {
        Self { taken: reserved.iter().map(|r| (*r).to_owned()).collect() }
    }

    /// A fresh identifier for `name`.
    pub(crate) fn claim(&mut self, name: &str) -> String {
        let base = mapped(name);
        let mut candidate = base.clone();
        let mut n = 2u64;
        while self.taken.contains(&candidate) {
            candidate = format!("{base}_{n}");
            n += 1;
        }
        self.taken.insert(candidate.clone());
        candidate
    }
}

/// Whether `name` is kept as its own identifier.
fn is_plain(name: &str) -> bool {
    name.len() <= MAX_BASE
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !KEYWORDS.contains(&name)
}

/// `name` itself when it is a plain identifier, otherwise its mapped form.
fn mapped(name: &str) -> String {
    if is_plain(name) {
        return name.to_owned();
    }
    let mut stem: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' })
        .take(MAX_BASE)
        .collect();
    if !stem.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        stem.insert(0, '_');
    }
    let digest = Sha256::digest(name.as_bytes());
    let mut out = stem;
    out.push('_');
    for byte in &digest[..4] {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xF)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    fn is_identifier(s: &str) -> bool {
        s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }

    #[test]
    fn plain_names_are_kept() {
        let mut ns = Namespace::new(&[]);
        assert_eq!(ns.claim("api"), "api");
        assert_eq!(ns.claim("JWT_SECRET"), "JWT_SECRET");
        assert_eq!(ns.claim("my-service"), "my-service");
    }

    #[test]
    fn other_names_are_mapped_with_a_digest() {
        let mut ns = Namespace::new(&[]);
        let a = ns.claim("a b");
        let b = ns.claim("a.b");
        assert!(a.starts_with("a_b_") && b.starts_with("a_b_"));
        assert_ne!(a, b);
        for hostile in ["", "1x", "${x}", "for", "\"\n", "日本", &"x".repeat(500)] {
            let id = ns.claim(hostile);
            assert!(is_identifier(&id), "{id:?}");
            assert!(id.len() <= MAX_BASE + 10, "{id:?}");
        }
    }

    #[test]
    fn collisions_get_a_counter_and_reserved_names_are_respected() {
        let mut ns = Namespace::new(&["postgres"]);
        assert_eq!(ns.claim("postgres"), "postgres_2");
        assert_eq!(ns.claim("postgres_2"), "postgres_2_2");
        assert_eq!(ns.claim("postgres"), "postgres_3");
    }

    #[test]
    fn the_mapping_is_deterministic() {
        let names = ["a b", "postgres", "x", "x", "${}"];
        let run = || {
            let mut ns = Namespace::new(&["postgres"]);
            names.iter().map(|n| ns.claim(n)).collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }
}
