//! Bearer tokens: 256 random bits, shown once, stored only as a hash.
//!
//! A token's text is `twk_<32 hex: token id>_<64 hex: secret>`. The token id
//! is public and finds the stored record; the 256-bit secret is never stored,
//! only `SHA-256("tellwang/token/v1\0" || secret)`, and a presented secret's
//! hash is compared with the stored one in constant time. The fixed `twk_`
//! prefix lets secret scanners recognise a leaked token.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::{Error, PrincipalId, Timestamp, TokenId};

const TOKEN_PREFIX: &str = "twk_";
const HASH_DOMAIN: &[u8] = b"tellwang/token/v1\0";
const SECRET_BYTES: usize = 32;

/// A freshly issued Bearer token. Its text is available exactly once, from
/// this value; the store keeps only a hash. The text is wiped from memory when
/// the value is dropped and never appears in `Debug` output.
pub struct IssuedToken {
    id: TokenId,
    text: Zeroizing<String>,
}

impl IssuedToken {
    pub(crate) fn generate(principal: PrincipalId, now: Timestamp) -> Result<(Self, TokenRecord), Error> {
        let id = TokenId::generate()?;
        let mut secret = Zeroizing::new([0u8; SECRET_BYTES]);
        getrandom::fill(secret.as_mut_slice()).map_err(|_| Error::Entropy)?;
        let secret_hex = Zeroizing::new(hex::encode(secret.as_slice()));
        let mut text = Zeroizing::new(String::with_capacity(TOKEN_PREFIX.len() + 32 + 1 + 64));
        text.push_str(TOKEN_PREFIX);
        text.push_str(&hex::encode(id.as_bytes()));
        text.push('_');
        text.push_str(&secret_hex);
        let record =
            TokenRecord { id, principal, secret_hash: hash_secret(&secret), created_at: now, revoked_at: None };
        Ok((Self { id, text }, record))
    }

    /// The token's public id, for listing and revocation.
    pub fn id(&self) -> TokenId {
        self.id
    }

    /// The Bearer token text. Hand it to its holder once; it cannot be shown again.
    pub fn expose_secret(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken").field("id", &self.id).field("text", &"<redacted>").finish()
    }
}

/// What a store keeps of a token: its id, owner, the hash of its secret and
/// whether it was revoked. Holds nothing that lets anyone present the token.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// The token's id.
    pub id: TokenId,
    /// The principal the token authenticates.
    pub principal: PrincipalId,
    /// `SHA-256("tellwang/token/v1\0" || secret)`.
    pub secret_hash: [u8; 32],
    /// When the token was issued.
    pub created_at: Timestamp,
    /// When the token was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

impl fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The hash is not a secret, but nothing gains from printing it.
        f.debug_struct("TokenRecord")
            .field("id", &self.id)
            .field("principal", &self.principal)
            .field("created_at", &self.created_at)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

impl TokenRecord {
    /// A record no secret matches, to compare against when no token has the
    /// presented id.
    pub(crate) fn unmatchable() -> Self {
        Self {
            id: TokenId::from_bytes([0; 16]),
            principal: PrincipalId::from_bytes([0; 16]),
            secret_hash: [0; 32],
            created_at: Timestamp::from_micros(0),
            revoked_at: None,
        }
    }

    /// Whether `secret` is this token's secret, compared in constant time.
    pub(crate) fn matches(&self, secret: &[u8; SECRET_BYTES]) -> bool {
        bool::from(hash_secret(secret).ct_eq(&self.secret_hash))
    }
}

fn hash_secret(secret: &[u8; SECRET_BYTES]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(HASH_DOMAIN);
    hasher.update(secret);
    hasher.finalize().into()
}

/// A presented token split into its id and secret. The secret is wiped on drop.
pub(crate) struct PresentedToken {
    pub(crate) id: TokenId,
    pub(crate) secret: Zeroizing<[u8; SECRET_BYTES]>,
}

impl PresentedToken {
    /// Parses a Bearer token's text. Errors never echo the text.
    pub(crate) fn parse(text: &str) -> Result<Self, Error> {
        let rest = text.strip_prefix(TOKEN_PREFIX).ok_or(Error::MalformedToken)?;
        let (id_hex, secret_hex) = rest.split_once('_').ok_or(Error::MalformedToken)?;
        let id: TokenId = format!("{}_{id_hex}", TokenId::PREFIX).parse().map_err(|_| Error::MalformedToken)?;
        if secret_hex.len() != 2 * SECRET_BYTES || !secret_hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(Error::MalformedToken);
        }
        let mut secret = Zeroizing::new([0u8; SECRET_BYTES]);
        if hex::decode_to_slice(secret_hex, secret.as_mut_slice()).is_err() {
            secret.zeroize();
            return Err(Error::MalformedToken);
        }
        Ok(Self { id, secret })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_token_parses_and_matches_only_its_record() -> Result<(), Error> {
        let owner = PrincipalId::generate()?;
        let (token, record) = IssuedToken::generate(owner, Timestamp::from_micros(0))?;
        let (_, other) = IssuedToken::generate(owner, Timestamp::from_micros(0))?;
        let presented = PresentedToken::parse(token.expose_secret())?;
        assert_eq!(presented.id, record.id);
        assert!(record.matches(&presented.secret));
        assert!(!other.matches(&presented.secret));
        Ok(())
    }

    #[test]
    fn debug_never_shows_the_secret() -> Result<(), Error> {
        let (token, record) = IssuedToken::generate(PrincipalId::generate()?, Timestamp::from_micros(0))?;
        let secret_part = token.expose_secret().rsplit('_').next().unwrap_or_default().to_owned();
        assert_eq!(secret_part.len(), 64);
        for shown in [format!("{token:?}"), format!("{record:?}")] {
            assert!(!shown.contains(&secret_part), "{shown}");
        }
        Ok(())
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for bad in [
            "",
            "twk_",
            "Bearer twk_x",
            "twk_00000000000000000000000000000000",
            "twk_00000000000000000000000000000000_",
            "twk_00000000000000000000000000000000_00",
            "twk_0000000000000000000000000000000g_0000000000000000000000000000000000000000000000000000000000000000",
            "twk_00000000000000000000000000000000_000000000000000000000000000000000000000000000000000000000000000G",
            "xyz_00000000000000000000000000000000_0000000000000000000000000000000000000000000000000000000000000000",
        ] {
            assert!(matches!(PresentedToken::parse(bad), Err(Error::MalformedToken)), "{bad:?}");
        }
    }
}
