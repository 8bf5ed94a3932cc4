//! The rules for secret names: portable environment-variable names.
//!
//! A secret name is what a Wok's process sees as an environment variable,
//! so it follows the POSIX portable rules for one:
//!
//! * 1 to [`MAX_NAME_LEN`] bytes;
//! * only ASCII uppercase letters `A`–`Z`, digits `0`–`9` and underscore `_`;
//! * not starting with a digit.
//!
//! `DATABASE_URL`, `_PRIVATE` and `OPENAI_API_KEY_2` are names;
//! `database_url`, `2FA_SEED`, `MY-KEY`, `MY KEY` and the empty string are not.
//! One spelling per name (no lowercase) means two secrets can never collide
//! once exported to a case-insensitive environment.

use std::fmt;

use crate::Error;

/// The longest secret name, in bytes.
pub const MAX_NAME_LEN: usize = 128;

/// Why a name was rejected. Carries no part of the name itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameProblem {
    /// The name is empty.
    Empty,
    /// The name is longer than [`MAX_NAME_LEN`] bytes.
    TooLong,
    /// The name starts with a digit.
    LeadingDigit,
    /// The name has a character other than `A`–`Z`, `0`–`9` and `_`.
    BadCharacter,
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameProblem::Empty => "is empty",
            NameProblem::TooLong => "is longer than 128 bytes",
            NameProblem::LeadingDigit => "starts with a digit",
            NameProblem::BadCharacter => "has a character other than A-Z, 0-9 and _",
        })
    }
}

/// Checks `name` against the rules above.
pub fn validate(name: &str) -> Result<(), Error> {
    let problem = if name.is_empty() {
        NameProblem::Empty
    } else if name.len() > MAX_NAME_LEN {
        NameProblem::TooLong
    } else if name.as_bytes()[0].is_ascii_digit() {
        NameProblem::LeadingDigit
    } else if !name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') {
        NameProblem::BadCharacter
    } else {
        return Ok(());
    };
    Err(Error::InvalidName { problem })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_var_names_pass_and_others_fail() {
        for good in ["A", "_", "DATABASE_URL", "_PRIVATE", "OPENAI_API_KEY_2", &"X".repeat(MAX_NAME_LEN)] {
            assert!(validate(good).is_ok(), "{good:?} was rejected");
        }
        let cases = [
            ("", NameProblem::Empty),
            ("2FA_SEED", NameProblem::LeadingDigit),
            ("database_url", NameProblem::BadCharacter),
            ("MY-KEY", NameProblem::BadCharacter),
            ("MY KEY", NameProblem::BadCharacter),
            ("KEY=1", NameProblem::BadCharacter),
            ("ÜBER", NameProblem::BadCharacter),
            ("A\0B", NameProblem::BadCharacter),
        ];
        for (bad, expected) in cases {
            assert!(
                matches!(validate(bad), Err(Error::InvalidName { problem }) if problem == expected),
                "{bad:?} was not rejected as {expected:?}"
            );
        }
        let long = "X".repeat(MAX_NAME_LEN + 1);
        assert!(matches!(validate(&long), Err(Error::InvalidName { problem: NameProblem::TooLong })));
    }
}
