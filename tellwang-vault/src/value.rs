//! The one way a secret value leaves the vault.

use std::fmt;

use secrecy::{ExposeSecret, SecretBox};

/// A decrypted secret value. Its bytes are wiped from memory when it is
/// dropped, it has no `Display`, its `Debug` shows nothing of it, and it is
/// not `Clone` or serialisable: reading it takes an explicit
/// [`SecretValue::expose_secret`].
pub struct SecretValue(SecretBox<[u8]>);

impl SecretValue {
    pub(crate) fn new(bytes: Box<[u8]>) -> Self {
        Self(SecretBox::new(bytes))
    }

    /// The value's bytes.
    pub fn expose_secret(&self) -> &[u8] {
        self.0.expose_secret()
    }

    /// The value as text, if it is UTF-8 (env vars and API keys usually are).
    pub fn expose_str(&self) -> Option<&str> {
        std::str::from_utf8(self.expose_secret()).ok()
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(<redacted>)")
    }
}
