//! Where secret values come from when a Wok starts.
//!
//! A spec names its secrets ([`tellwang_core::spec::ServiceSpec::secret_env`],
//! [`tellwang_core::spec::PostgresSpec::password_secret`]); the host answers
//! with their values through [`SecretSource`] — typically backed by the vault.
//! Values are read only when containers are created and are zeroized when
//! dropped.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use async_trait::async_trait;
use tellwang_core::WokId;
use zeroize::Zeroizing;

use crate::Error;

/// A secret's value. Its `Debug` shows nothing of it, and its memory is
/// zeroized when dropped.
#[derive(Clone)]
pub struct SecretValue(Zeroizing<String>);

impl SecretValue {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    /// The value, for the one place that must hand it to the engine.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(<redacted>)")
    }
}

/// The seam to the vault: the values of a Wok's secrets, by name.
#[async_trait]
pub trait SecretSource: Send + Sync {
    /// The value of the secret `name` of `wok`, or `None` when it has none.
    async fn secret(&self, wok: &WokId, name: &str) -> Result<Option<SecretValue>, Error>;
}

/// Secrets held in memory, per Wok: for tests, examples and hosts that
/// resolve secrets up front.
#[derive(Default)]
pub struct MemorySecrets {
    values: Mutex<HashMap<(WokId, String), SecretValue>>,
}

impl MemorySecrets {
    /// An empty source.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the secret `name` of `wok`.
    pub fn insert(&self, wok: &WokId, name: &str, value: SecretValue) {
        if let Ok(mut values) = self.values.lock() {
            values.insert((*wok, name.to_owned()), value);
        }
    }
}

impl fmt::Debug for MemorySecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.values.lock().map(|v| v.len()).unwrap_or(0);
        f.debug_struct("MemorySecrets").field("secrets", &count).finish_non_exhaustive()
    }
}

#[async_trait]
impl SecretSource for MemorySecrets {
    async fn secret(&self, wok: &WokId, name: &str) -> Result<Option<SecretValue>, Error> {
        let values = self.values.lock().map_err(|_| Error::Config("secret store lock poisoned".into()))?;
        Ok(values.get(&(*wok, name.to_owned())).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn values_are_per_wok_and_never_debug_printed() {
        let secrets = MemorySecrets::new();
        let (a, b) = (WokId::generate().unwrap(), WokId::generate().unwrap());
        secrets.insert(&a, "TOKEN", SecretValue::new("hunter2"));
        assert_eq!(secrets.secret(&a, "TOKEN").await.unwrap().unwrap().expose_secret(), "hunter2");
        assert!(secrets.secret(&b, "TOKEN").await.unwrap().is_none());
        assert!(secrets.secret(&a, "OTHER").await.unwrap().is_none());
        let shown = format!("{:?} {:?}", secrets.secret(&a, "TOKEN").await.unwrap(), secrets);
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
