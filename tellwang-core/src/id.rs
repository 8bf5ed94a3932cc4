//! Random, unguessable identifiers.
//!
//! Every id is 128 bits from the operating system's random number generator,
//! written as a short type prefix, an underscore and 32 lowercase hex digits
//! (`wok_4f0c…`). Ids are never sequential, so knowing one Wok's id tells
//! nothing about any other, and an id cannot be guessed to probe for Woks.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

/// Fills a 16-byte array from the operating system's random number generator.
fn random_bytes() -> Result<[u8; 16], Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| Error::Entropy)?;
    Ok(bytes)
}

/// Parses `prefix_<32 hex digits>` into 16 bytes.
fn parse_prefixed(s: &str, prefix: &str) -> Option<[u8; 16]> {
    let hex_part = s.strip_prefix(prefix)?.strip_prefix('_')?;
    // Uppercase hex would give a second spelling of the same id; ids have one.
    if hex_part.len() != 32 || !hex_part.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut bytes = [0u8; 16];
    hex::decode_to_slice(hex_part, &mut bytes).ok()?;
    Some(bytes)
}

macro_rules! random_id {
    ($(#[$meta:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; 16]);

        impl $name {
            /// The prefix of this id's text form.
            pub const PREFIX: &'static str = $prefix;

            /// Draws a fresh id from the operating system's random number generator.
            pub fn generate() -> Result<Self, Error> {
                random_bytes().map(Self)
            }

            /// The id's 16 raw bytes.
            pub fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }

            /// Builds an id from 16 raw bytes (for stores that keep ids as bytes).
            pub fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(bytes)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($prefix)?;
                f.write_str("_")?;
                f.write_str(&hex::encode(self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl FromStr for $name {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self, Error> {
                parse_prefixed(s, $prefix)
                    .map(Self)
                    .ok_or(Error::MalformedId { kind: $kind })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

random_id!(
    /// Identifies a team, the unit of tenancy that owns Woks.
    TeamId,
    "team",
    "team"
);
random_id!(
    /// Identifies a Wok, one team's private backend.
    WokId,
    "wok",
    "wok"
);
random_id!(
    /// Identifies a principal: a user, a service token or an AI agent.
    PrincipalId,
    "prn",
    "principal"
);
random_id!(
    /// Identifies one Bearer token; the public half of a token's text.
    TokenId,
    "tok",
    "token"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips() -> Result<(), Error> {
        let id = WokId::generate()?;
        let text = id.to_string();
        assert!(text.starts_with("wok_") && text.len() == 36);
        assert_eq!(text.parse::<WokId>()?, id);
        Ok(())
    }

    #[test]
    fn ids_are_not_sequential() -> Result<(), Error> {
        let a = WokId::generate()?;
        let b = WokId::generate()?;
        assert_ne!(a, b);
        Ok(())
    }

    #[test]
    fn malformed_ids_are_typed_errors() {
        for bad in [
            "",
            "wok_",
            "wok",
            "team_00000000000000000000000000000000",
            "wok_0000000000000000000000000000000",
            "wok_000000000000000000000000000000000",
            "wok_0000000000000000000000000000000G",
            "wok_0000000000000000000000000000000A",
            "wok-00000000000000000000000000000000",
            "wok_0000000000000000000000000000000é",
        ] {
            assert!(matches!(bad.parse::<WokId>(), Err(Error::MalformedId { kind: "wok" })), "{bad:?} was accepted");
        }
    }
}
