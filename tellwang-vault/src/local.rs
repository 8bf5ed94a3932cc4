//! The local KEK provider: 32-byte KEKs in key files or the environment.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use zeroize::Zeroizing;

use crate::crypto::{Cipher, KEY_LEN, NONCE_LEN};
use crate::{DataKey, Error, KekRef, KeyProvider, WrappedKey};

/// The KEK id a [`LocalKeyProvider`] uses unless told otherwise.
pub const DEFAULT_KEK_ID: &str = "local";

/// Where the KEK versions live, which decides how rotation persists them.
#[derive(Debug)]
enum Source {
    /// One file per version, `kek-v<N>.key`, in this directory.
    Dir(PathBuf),
    /// Read once from an environment variable; rotation is the operator's job.
    Env,
    /// Held in memory only (tests, or a host that fetched them itself).
    Memory,
}

/// A [`KeyProvider`] holding 32-byte AES-256-GCM KEKs itself.
///
/// * [`LocalKeyProvider::open_dir`]: a keyring directory (mode 0700) with one
///   file per version, `kek-v1.key`, `kek-v2.key`, … — each exactly 32 raw
///   bytes, mode 0600. The first use creates `kek-v1.key` from the OS random
///   number generator; [`KeyProvider::rotate`] adds the next file;
///   [`KeyProvider::retire`] deletes one. A key file that group or others
///   may read is refused.
/// * [`LocalKeyProvider::from_env`]: a variable holding `<64 hex>` (version 1)
///   or `1:<64 hex>,2:<64 hex>,…`; the highest version is current.
/// * [`LocalKeyProvider::from_keys`]: versions handed over in memory.
///
/// A wrapped key is `nonce (12) || AES-256-GCM(KEK, nonce, key, aad) (32) || tag (16)`.
pub struct LocalKeyProvider {
    kek_id: String,
    source: Source,
    versions: RwLock<BTreeMap<u32, Arc<Cipher>>>,
}

impl fmt::Debug for LocalKeyProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let versions: Vec<u32> = self.versions.read().map(|v| v.keys().copied().collect()).unwrap_or_default();
        f.debug_struct("LocalKeyProvider")
            .field("kek_id", &self.kek_id)
            .field("source", &self.source)
            .field("versions", &versions)
            .finish()
    }
}

fn key_file(dir: &Path, version: u32) -> PathBuf {
    dir.join(format!("kek-v{version}.key"))
}

fn file_error(what: &'static str) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::KekFile { what, source }
}

/// Reads one key file, refusing one that others could read.
fn read_key_file(path: &Path) -> Result<DataKey, Error> {
    let mut file = std::fs::File::open(path).map_err(file_error("open"))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata().map_err(file_error("stat"))?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(Error::InvalidKek { reason: "the key file is readable by group or others (want mode 0600)" });
        }
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(KEY_LEN + 1));
    Read::by_ref(&mut file).take(KEY_LEN as u64 + 1).read_to_end(&mut bytes).map_err(file_error("read"))?;
    DataKey::from_slice(&bytes)
}

/// Creates a new key file with mode 0600, failing if it exists.
fn create_key_file(path: &Path, key: &DataKey) -> Result<(), Error> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(file_error("create"))?;
    file.write_all(key.expose_secret()).map_err(file_error("write"))?;
    file.sync_all().map_err(file_error("sync"))
}

/// Parses `<64 hex>` or `<version>:<64 hex>,…`.
fn parse_keyring(text: &str) -> Result<BTreeMap<u32, DataKey>, Error> {
    let mut keys = BTreeMap::new();
    for entry in text.trim().split(',') {
        let (version, hex_key) = match entry.split_once(':') {
            Some((version, key)) => {
                let version = version.trim().parse::<u32>().map_err(|_| Error::InvalidKek { reason: "bad version" })?;
                (version, key.trim())
            }
            None => (1, entry.trim()),
        };
        if version == 0 {
            return Err(Error::InvalidKek { reason: "versions start at 1" });
        }
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        hex::decode_to_slice(hex_key, bytes.as_mut_slice())
            .map_err(|_| Error::InvalidKek { reason: "a key must be 64 hex digits" })?;
        if keys.insert(version, DataKey::from_slice(bytes.as_slice())?).is_some() {
            return Err(Error::InvalidKek { reason: "a version appears twice" });
        }
    }
    Ok(keys)
}

impl LocalKeyProvider {
    /// Opens the keyring directory `dir`, creating it (mode 0700) and its
    /// first KEK (`kek-v1.key`, mode 0600, 32 random bytes) if there is none.
    pub fn open_dir(dir: impl AsRef<Path>) -> Result<Self, Error> {
        let dir = dir.as_ref();
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(dir).map_err(file_error("create directory"))?;
        let mut keys = BTreeMap::new();
        for entry in std::fs::read_dir(dir).map_err(file_error("list directory"))? {
            let entry = entry.map_err(file_error("list directory"))?;
            let name = entry.file_name();
            let version = name
                .to_str()
                .and_then(|n| n.strip_prefix("kek-v"))
                .and_then(|n| n.strip_suffix(".key"))
                .and_then(|n| n.parse::<u32>().ok())
                .filter(|v| *v > 0);
            if let Some(version) = version {
                keys.insert(version, read_key_file(&entry.path())?);
            }
        }
        if keys.is_empty() {
            let key = DataKey::generate()?;
            create_key_file(&key_file(dir, 1), &key)?;
            keys.insert(1, key);
        }
        Ok(Self::build(DEFAULT_KEK_ID, Source::Dir(dir.to_path_buf()), keys))
    }

    /// Reads a keyring from the environment variable `var`: `<64 hex>` for a
    /// single version 1, or `1:<64 hex>,2:<64 hex>,…`. Rotating such a
    /// keyring means adding a version to the variable and restarting.
    pub fn from_env(var: &str) -> Result<Self, Error> {
        let text = Zeroizing::new(
            std::env::var(var).map_err(|_| Error::InvalidKek { reason: "the KEK variable is unset or not UTF-8" })?,
        );
        Ok(Self::build(DEFAULT_KEK_ID, Source::Env, parse_keyring(&text)?))
    }

    /// A keyring of the given versions, held in memory only; rotation adds a
    /// random version in memory. For tests, and for hosts that load KEKs
    /// from somewhere of their own.
    pub fn from_keys(kek_id: &str, keys: impl IntoIterator<Item = (u32, DataKey)>) -> Result<Self, Error> {
        let keys: BTreeMap<u32, DataKey> = keys.into_iter().collect();
        if keys.is_empty() || keys.contains_key(&0) {
            return Err(Error::InvalidKek { reason: "a keyring needs at least one version, numbered from 1" });
        }
        Ok(Self::build(kek_id, Source::Memory, keys))
    }

    /// Gives the KEK another id (default [`DEFAULT_KEK_ID`]), to tell keyrings apart.
    pub fn with_kek_id(mut self, kek_id: &str) -> Self {
        self.kek_id = kek_id.to_owned();
        self
    }

    fn build(kek_id: &str, source: Source, keys: BTreeMap<u32, DataKey>) -> Self {
        let versions = keys.into_iter().map(|(v, key)| (v, Arc::new(key.cipher()))).collect();
        Self { kek_id: kek_id.to_owned(), source, versions: RwLock::new(versions) }
    }

    fn cipher(&self, version: u32) -> Result<Option<Arc<Cipher>>, Error> {
        Ok(self.versions.read().map_err(|_| poisoned())?.get(&version).cloned())
    }

    fn current_version(&self) -> Result<(u32, Arc<Cipher>), Error> {
        let versions = self.versions.read().map_err(|_| poisoned())?;
        let (version, cipher) = versions.last_key_value().ok_or(Error::InvalidKek { reason: "empty keyring" })?;
        Ok((*version, Arc::clone(cipher)))
    }
}

fn poisoned() -> Error {
    Error::InvalidKek { reason: "the keyring lock was poisoned by a panic" }
}

#[async_trait]
impl KeyProvider for LocalKeyProvider {
    async fn current(&self) -> Result<KekRef, Error> {
        Ok(KekRef { kek_id: self.kek_id.clone(), version: self.current_version()?.0 })
    }

    async fn wrap(&self, key: &DataKey, aad: &[u8]) -> Result<WrappedKey, Error> {
        let (version, cipher) = self.current_version()?;
        let (nonce, sealed) = cipher.seal(aad, key.expose_secret())?;
        let mut blob = Vec::with_capacity(NONCE_LEN + sealed.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&sealed);
        Ok(WrappedKey { kek_id: self.kek_id.clone(), kek_version: version, blob })
    }

    async fn unwrap(&self, wrapped: &WrappedKey, aad: &[u8]) -> Result<DataKey, Error> {
        let unavailable = || Error::KekUnavailable { kek_id: wrapped.kek_id.clone(), version: wrapped.kek_version };
        if wrapped.kek_id != self.kek_id {
            return Err(unavailable());
        }
        let cipher = self.cipher(wrapped.kek_version)?.ok_or_else(unavailable)?;
        let (nonce, sealed) = wrapped.blob.split_at_checked(NONCE_LEN).ok_or(Error::UnwrapFailed)?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| Error::UnwrapFailed)?;
        let key = Zeroizing::new(cipher.open(&nonce, aad, sealed).map_err(|_| Error::UnwrapFailed)?);
        DataKey::from_slice(&key).map_err(|_| Error::UnwrapFailed)
    }

    async fn rotate(&self) -> Result<KekRef, Error> {
        let next = self.current_version()?.0.checked_add(1).ok_or(Error::InvalidKek { reason: "out of versions" })?;
        let key = DataKey::generate()?;
        match &self.source {
            Source::Dir(dir) => create_key_file(&key_file(dir, next), &key)?,
            Source::Memory => {}
            Source::Env => return Err(Error::KekReadOnly),
        }
        self.versions.write().map_err(|_| poisoned())?.insert(next, Arc::new(key.cipher()));
        Ok(KekRef { kek_id: self.kek_id.clone(), version: next })
    }

    async fn retire(&self, kek: &KekRef) -> Result<(), Error> {
        if kek.kek_id != self.kek_id {
            return Err(Error::KekUnavailable { kek_id: kek.kek_id.clone(), version: kek.version });
        }
        if self.current_version()?.0 == kek.version {
            return Err(Error::InvalidKek { reason: "the current version cannot be retired" });
        }
        if let Source::Dir(dir) = &self.source {
            match std::fs::remove_file(key_file(dir, kek.version)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::KekFile { what: "delete", source: e }),
            }
        }
        // Dropping the last reference wipes the key schedule.
        self.versions.write().map_err(|_| poisoned())?.remove(&kek.version);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn key_dir_is_created_private_and_reloads() -> Result<(), Error> {
        let dir = tempfile::tempdir().map_err(file_error("tempdir"))?;
        let ring = dir.path().join("ring");
        let provider = LocalKeyProvider::open_dir(&ring)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let file_mode = std::fs::metadata(key_file(&ring, 1)).map_err(file_error("stat"))?.permissions().mode();
            assert_eq!(file_mode & 0o777, 0o600);
            let dir_mode = std::fs::metadata(&ring).map_err(file_error("stat"))?.permissions().mode();
            assert_eq!(dir_mode & 0o777, 0o700);
        }
        assert_eq!(std::fs::metadata(key_file(&ring, 1)).map_err(file_error("stat"))?.len(), 32);
        let key = DataKey::generate()?;
        let wrapped = provider.wrap(&key, b"aad").await?;
        assert_eq!((wrapped.kek_version, wrapped.blob.len()), (1, 60));

        let second = provider.rotate().await?;
        assert_eq!(second.version, 2);
        let reopened = LocalKeyProvider::open_dir(&ring)?;
        assert_eq!(reopened.current().await?.version, 2);
        assert_eq!(reopened.unwrap(&wrapped, b"aad").await?.expose_secret(), key.expose_secret());
        assert!(matches!(reopened.unwrap(&wrapped, b"aae").await, Err(Error::UnwrapFailed)));

        reopened.retire(&KekRef { kek_id: DEFAULT_KEK_ID.into(), version: 1 }).await?;
        assert!(matches!(reopened.unwrap(&wrapped, b"aad").await, Err(Error::KekUnavailable { version: 1, .. })));
        assert!(!key_file(&ring, 1).exists());
        assert!(matches!(
            reopened.retire(&KekRef { kek_id: DEFAULT_KEK_ID.into(), version: 2 }).await,
            Err(Error::InvalidKek { .. })
        ));
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn readable_key_file_and_bad_length_are_refused() -> Result<(), Error> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().map_err(file_error("tempdir"))?;
        std::fs::write(dir.path().join("kek-v1.key"), [7u8; 32]).map_err(file_error("write"))?;
        std::fs::set_permissions(dir.path().join("kek-v1.key"), std::fs::Permissions::from_mode(0o644))
            .map_err(file_error("chmod"))?;
        assert!(matches!(LocalKeyProvider::open_dir(dir.path()), Err(Error::InvalidKek { .. })));
        std::fs::write(dir.path().join("kek-v1.key"), [7u8; 31]).map_err(file_error("write"))?;
        std::fs::set_permissions(dir.path().join("kek-v1.key"), std::fs::Permissions::from_mode(0o600))
            .map_err(file_error("chmod"))?;
        assert!(matches!(LocalKeyProvider::open_dir(dir.path()), Err(Error::InvalidKek { .. })));
        Ok(())
    }

    #[test]
    fn a_missing_environment_kek_is_a_typed_error() {
        let missing = LocalKeyProvider::from_env("TELLWANG_VAULT_TEST_SURELY_UNSET_KEK");
        assert!(matches!(missing, Err(Error::InvalidKek { .. })));
    }

    #[tokio::test]
    async fn an_environment_keyring_cannot_be_rotated_from_here() -> Result<(), Error> {
        let provider = LocalKeyProvider::build(DEFAULT_KEK_ID, Source::Env, parse_keyring(&"42".repeat(32))?);
        assert_eq!(provider.current().await?.version, 1);
        assert!(matches!(provider.rotate().await, Err(Error::KekReadOnly)));
        Ok(())
    }

    #[test]
    fn keyring_text_parses_and_rejects() -> Result<(), Error> {
        let k = "11".repeat(32);
        assert_eq!(parse_keyring(&k)?.keys().copied().collect::<Vec<_>>(), vec![1]);
        let two = format!("1:{k}, 2:{}", "22".repeat(32));
        assert_eq!(parse_keyring(&two)?.keys().copied().collect::<Vec<_>>(), vec![1, 2]);
        for bad in ["", "zz", &"11".repeat(31), &format!("0:{k}"), &format!("1:{k},1:{k}"), &format!("x:{k}")] {
            assert!(matches!(parse_keyring(bad), Err(Error::InvalidKek { .. })), "{bad:?} was accepted");
        }
        Ok(())
    }
}
