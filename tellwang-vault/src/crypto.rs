//! The envelope format: data keys, associated data, sealing and opening.
//! docs/vault-format.md describes every byte here; keep the two in step.

use std::fmt;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tellwang_core::{Timestamp, WokId};
use zeroize::Zeroize;

use crate::{Error, SecretKind};

/// The envelope format version, the first byte of every associated data.
pub const FORMAT_VERSION: u8 = 1;
/// Length of an AES-256 key.
pub const KEY_LEN: usize = 32;
/// Length of an AES-GCM nonce.
pub const NONCE_LEN: usize = 12;
/// Length of an AES-GCM tag.
pub const TAG_LEN: usize = 16;

const SECRET_DOMAIN: &[u8] = b"tellwang/vault/secret\0";
const DATA_KEY_DOMAIN: &[u8] = b"tellwang/vault/data-key\0";
const COMMITMENT_DOMAIN: &[u8] = b"tellwang/vault/key-commitment/v1\0";

// The caches rely on dropping a cipher to wipe its round keys.
const _: fn() = || {
    fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    wiped_on_drop::<Aes256Gcm>();
};

/// A 256-bit data key (or KEK) in memory: boxed so moves copy no key bytes,
/// wiped on drop, and never printed.
pub struct DataKey(Box<[u8; KEY_LEN]>);

impl Drop for DataKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl zeroize::ZeroizeOnDrop for DataKey {}

impl DataKey {
    /// A fresh key from the operating system's random number generator.
    pub fn generate() -> Result<Self, Error> {
        let mut key = Self(Box::new([0u8; KEY_LEN]));
        getrandom::fill(key.0.as_mut_slice()).map_err(|_| Error::Entropy)?;
        Ok(key)
    }

    /// Copies a key out of `bytes`, which must be exactly 32 bytes long.
    /// The caller still owns (and should wipe) `bytes`.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != KEY_LEN {
            return Err(Error::InvalidKek { reason: "a key must be exactly 32 bytes" });
        }
        let mut key = Self(Box::new([0u8; KEY_LEN]));
        key.0.copy_from_slice(bytes);
        Ok(key)
    }

    /// The key bytes, for a [`KeyProvider`](crate::KeyProvider) to wrap.
    pub fn expose_secret(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// This key's commitment: `SHA-256("tellwang/vault/key-commitment/v1" || 0x00 || key)`.
    pub fn commitment(&self) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(COMMITMENT_DOMAIN);
        hash.update(self.0.as_slice());
        hash.finalize().into()
    }

    /// Checks this key against a stored commitment, in constant time.
    pub fn check_commitment(&self, stored: &[u8; 32]) -> Result<(), Error> {
        if bool::from(self.commitment().ct_eq(stored)) { Ok(()) } else { Err(Error::CommitmentMismatch) }
    }

    pub(crate) fn cipher(&self) -> Cipher {
        Cipher(Aes256Gcm::new((&*self.0).into()))
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// An AES-256-GCM instance ready to seal and open; its key schedule is wiped
/// when it is dropped.
pub(crate) struct Cipher(Aes256Gcm);

impl Cipher {
    /// Encrypts `plaintext` under a fresh random nonce, returning the nonce and
    /// `ciphertext || tag`. The plaintext is copied once, into the buffer that
    /// is encrypted in place, so no second plaintext copy is left behind.
    pub(crate) fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<([u8; NONCE_LEN], Vec<u8>), Error> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| Error::Entropy)?;
        let mut buffer = Vec::with_capacity(plaintext.len() + TAG_LEN);
        buffer.extend_from_slice(plaintext);
        let tag = match self.0.encrypt_inout_detached(&Nonce::from(nonce), aad, buffer.as_mut_slice().into()) {
            Ok(tag) => tag,
            Err(_) => {
                buffer.zeroize();
                return Err(Error::ValueTooLarge { len: plaintext.len(), max: crate::MAX_VALUE_LEN });
            }
        };
        buffer.extend_from_slice(&tag);
        Ok((nonce, buffer))
    }

    /// Decrypts `ciphertext || tag` into a buffer of exactly the plaintext's
    /// size (so it is never reallocated), wiping it if authentication fails.
    pub(crate) fn open(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], sealed: &[u8]) -> Result<Box<[u8]>, Error> {
        let Some(split) = sealed.len().checked_sub(TAG_LEN) else {
            return Err(Error::AuthenticationFailed);
        };
        let (ciphertext, tag) = sealed.split_at(split);
        let tag = Tag::try_from(tag).map_err(|_| Error::AuthenticationFailed)?;
        let mut plaintext: Box<[u8]> = ciphertext.into();
        match self.0.decrypt_inout_detached(&Nonce::from(*nonce), aad, plaintext.as_mut().into(), &tag) {
            Ok(()) => Ok(plaintext),
            Err(_) => {
                plaintext.zeroize();
                Err(Error::AuthenticationFailed)
            }
        }
    }
}

/// Where a secret version lives, as bound into its associated data.
pub(crate) struct SecretPlace<'a> {
    pub(crate) wok: &'a WokId,
    pub(crate) name: &'a str,
    pub(crate) version: u32,
    pub(crate) kind: SecretKind,
    pub(crate) key_generation: u32,
    pub(crate) created_at: Timestamp,
}

impl SecretPlace<'_> {
    /// `0x01 || "tellwang/vault/secret" || 0x00 || wok (16) || len(name) (1) || name
    /// || version (u32 BE) || kind (1) || key generation (u32 BE) || created_at (i64 BE)`.
    pub(crate) fn associated_data(&self) -> Result<Vec<u8>, Error> {
        let name_len = u8::try_from(self.name.len()).map_err(|_| Error::Corrupt { what: "secret name" })?;
        let mut aad = Vec::with_capacity(1 + SECRET_DOMAIN.len() + 16 + 1 + self.name.len() + 4 + 1 + 4 + 8);
        aad.push(FORMAT_VERSION);
        aad.extend_from_slice(SECRET_DOMAIN);
        aad.extend_from_slice(self.wok.as_bytes());
        aad.push(name_len);
        aad.extend_from_slice(self.name.as_bytes());
        aad.extend_from_slice(&self.version.to_be_bytes());
        aad.push(self.kind.code());
        aad.extend_from_slice(&self.key_generation.to_be_bytes());
        aad.extend_from_slice(&self.created_at.as_micros().to_be_bytes());
        Ok(aad)
    }
}

/// The associated data a data key is wrapped with:
/// `0x01 || "tellwang/vault/data-key" || 0x00 || wok (16) || generation (u32 BE)
/// || commitment (32) || created_at (i64 BE)`.
pub(crate) fn data_key_associated_data(
    wok: &WokId,
    generation: u32,
    commitment: &[u8; 32],
    created_at: Timestamp,
) -> Vec<u8> {
    let mut aad = Vec::with_capacity(1 + DATA_KEY_DOMAIN.len() + 16 + 4 + 32 + 8);
    aad.push(FORMAT_VERSION);
    aad.extend_from_slice(DATA_KEY_DOMAIN);
    aad.extend_from_slice(wok.as_bytes());
    aad.extend_from_slice(&generation.to_be_bytes());
    aad.extend_from_slice(commitment);
    aad.extend_from_slice(&created_at.as_micros().to_be_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_tamper() -> Result<(), Error> {
        let cipher = DataKey::generate()?.cipher();
        let (nonce, sealed) = cipher.seal(b"aad", b"hello")?;
        assert_eq!(sealed.len(), 5 + TAG_LEN);
        assert_eq!(&*cipher.open(&nonce, b"aad", &sealed)?, b"hello");
        assert!(matches!(cipher.open(&nonce, b"aae", &sealed), Err(Error::AuthenticationFailed)));
        assert!(matches!(cipher.open(&nonce, b"aad", &sealed[..10]), Err(Error::AuthenticationFailed)));
        assert!(matches!(cipher.open(&nonce, b"aad", &[]), Err(Error::AuthenticationFailed)));
        Ok(())
    }

    #[test]
    fn commitment_checks_the_key() -> Result<(), Error> {
        let a = DataKey::generate()?;
        let b = DataKey::generate()?;
        a.check_commitment(&a.commitment())?;
        assert!(matches!(b.check_commitment(&a.commitment()), Err(Error::CommitmentMismatch)));
        assert_eq!(format!("{a:?}"), "DataKey(<redacted>)");
        Ok(())
    }
}
