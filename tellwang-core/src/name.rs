//! Validation of the names people and programs give to teams, principals and Woks.
//!
//! | what | length | characters |
//! |------|--------|------------|
//! | team and principal names (display names) | 1–64 characters | any Unicode except control characters; no leading or trailing white space |
//! | Wok names | 1–40 bytes | `a`–`z`, `0`–`9`, `-`; starts with a letter, does not end with `-` |
//! | regions | 1–32 bytes | `a`–`z`, `0`–`9`, `-`; starts with a letter, does not end with `-` |
//!
//! A Wok's name becomes part of container, network, volume and Kubernetes
//! namespace names downstream, so it follows the DNS-label rules (RFC 1123)
//! with room left for the suffixes those resources add.

use std::fmt;

/// Which kind of name failed validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameKind {
    /// A team's display name.
    Team,
    /// A principal's display name.
    Principal,
    /// A Wok's name.
    Wok,
    /// A region name.
    Region,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::Team => "team name",
            NameKind::Principal => "principal name",
            NameKind::Wok => "wok name",
            NameKind::Region => "region",
        })
    }
}

/// Why a name was refused. The rejected text is deliberately not kept: it
/// may hold control characters or anything else a caller sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameProblem {
    /// The name is empty.
    Empty,
    /// The name is longer than allowed.
    TooLong {
        /// The longest name allowed, in characters.
        max: usize,
    },
    /// The name holds a character it may not.
    BadCharacter,
    /// The name starts or ends with a character it may not start or end with.
    BadEdge,
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameProblem::Empty => f.write_str("is empty"),
            NameProblem::TooLong { max } => write!(f, "is longer than {max} characters"),
            NameProblem::BadCharacter => f.write_str("holds a character that is not allowed"),
            NameProblem::BadEdge => f.write_str("starts or ends with a character that is not allowed"),
        }
    }
}

/// The longest team or principal display name, in characters.
pub const MAX_DISPLAY_NAME: usize = 64;
/// The longest Wok name, in bytes.
pub const MAX_WOK_NAME: usize = 40;
/// The longest region name, in bytes.
pub const MAX_REGION: usize = 32;

pub(crate) fn check_display_name(name: &str) -> Result<(), NameProblem> {
    if name.is_empty() {
        return Err(NameProblem::Empty);
    }
    if name.chars().count() > MAX_DISPLAY_NAME {
        return Err(NameProblem::TooLong { max: MAX_DISPLAY_NAME });
    }
    if name.chars().any(char::is_control) {
        return Err(NameProblem::BadCharacter);
    }
    if name.starts_with(char::is_whitespace) || name.ends_with(char::is_whitespace) {
        return Err(NameProblem::BadEdge);
    }
    Ok(())
}

pub(crate) fn check_label(name: &str, max: usize) -> Result<(), NameProblem> {
    if name.is_empty() {
        return Err(NameProblem::Empty);
    }
    if name.len() > max {
        return Err(NameProblem::TooLong { max });
    }
    if !name.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-')) {
        return Err(NameProblem::BadCharacter);
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) || name.ends_with('-') {
        return Err(NameProblem::BadEdge);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(check_label("billing-api", MAX_WOK_NAME), Ok(()));
        assert_eq!(check_label("a", MAX_WOK_NAME), Ok(()));
        assert_eq!(check_label("", MAX_WOK_NAME), Err(NameProblem::Empty));
        assert_eq!(check_label(&"a".repeat(41), MAX_WOK_NAME), Err(NameProblem::TooLong { max: 40 }));
        assert_eq!(check_label("Billing", MAX_WOK_NAME), Err(NameProblem::BadCharacter));
        assert_eq!(check_label("a_b", MAX_WOK_NAME), Err(NameProblem::BadCharacter));
        assert_eq!(check_label("a.b", MAX_WOK_NAME), Err(NameProblem::BadCharacter));
        assert_eq!(check_label("1abc", MAX_WOK_NAME), Err(NameProblem::BadEdge));
        assert_eq!(check_label("-abc", MAX_WOK_NAME), Err(NameProblem::BadEdge));
        assert_eq!(check_label("abc-", MAX_WOK_NAME), Err(NameProblem::BadEdge));
    }

    #[test]
    fn display_names() {
        assert_eq!(check_display_name("Acme Inc."), Ok(()));
        assert_eq!(check_display_name("Ünïcödé ✓"), Ok(()));
        assert_eq!(check_display_name(&"é".repeat(64)), Ok(()));
        assert_eq!(check_display_name(&"é".repeat(65)), Err(NameProblem::TooLong { max: 64 }));
        assert_eq!(check_display_name(""), Err(NameProblem::Empty));
        assert_eq!(check_display_name("a\nb"), Err(NameProblem::BadCharacter));
        assert_eq!(check_display_name("a\u{0}"), Err(NameProblem::BadCharacter));
        assert_eq!(check_display_name(" a"), Err(NameProblem::BadEdge));
        assert_eq!(check_display_name("a "), Err(NameProblem::BadEdge));
    }
}
