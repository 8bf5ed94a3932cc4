//! docs/vault-format.md is enough to decrypt a stored secret: two
//! implementations written from that page alone — one here, in Rust, using
//! only aes-gcm, sha2 and SQL; one in Python (`independent_decrypt.py`, with
//! the `cryptography` package) — read what the vault wrote, and the vault
//! reads what the Python one wrote.
#![allow(clippy::expect_used, clippy::panic, reason = "test helpers: a failed step fails the test")]

use std::path::Path;
use std::process::Command;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::sqlite::SqlitePool;
use tellwang_core::{PrincipalId, WokId};
use tellwang_vault::{Error, LocalKeyProvider, SecretKind, SqliteStore, Vault};

fn be_u32(value: i64) -> [u8; 4] {
    u32::try_from(value).expect("a u32 column").to_be_bytes()
}

/// The steps of "Decrypting a stored secret, step by step", in order.
async fn decrypt_per_doc(pool: &SqlitePool, kek_dir: &Path, wok: &str, name: &str, version: i64) -> Vec<u8> {
    let secret = sqlx::query(
        "SELECT version, kind, key_generation, nonce, ciphertext, created_at FROM tw_vault_secrets \
         WHERE wok_id = ? AND name = ? AND version = ?",
    )
    .bind(wok)
    .bind(name)
    .bind(version)
    .fetch_one(pool)
    .await
    .expect("secret row");
    let generation: i64 = secret.get(2);
    let key_row = sqlx::query(
        "SELECT kek_id, kek_version, wrapped, commitment, created_at FROM tw_vault_data_keys \
         WHERE wok_id = ? AND generation = ?",
    )
    .bind(wok)
    .bind(generation)
    .fetch_one(pool)
    .await
    .expect("data key row");

    let wok_bytes = hex::decode(wok.strip_prefix("wok_").expect("wok id")).expect("hex");
    let kek_version: i64 = key_row.get(1);
    let wrapped: Vec<u8> = key_row.get(2);
    let commitment: Vec<u8> = key_row.get(3);
    let key_created_at: i64 = key_row.get(4);
    assert_eq!(key_row.get::<String, _>(0), "local");
    assert_eq!(wrapped.len(), 60);

    let mut dk_aad = vec![0x01];
    dk_aad.extend_from_slice(b"tellwang/vault/data-key\0");
    dk_aad.extend_from_slice(&wok_bytes);
    dk_aad.extend_from_slice(&be_u32(generation));
    dk_aad.extend_from_slice(&commitment);
    dk_aad.extend_from_slice(&key_created_at.to_be_bytes());
    assert_eq!(dk_aad.len(), 85);
    let kek = std::fs::read(kek_dir.join(format!("kek-v{kek_version}.key"))).expect("kek file");
    let data_key = Aes256Gcm::new_from_slice(&kek)
        .expect("kek length")
        .decrypt(&Nonce::try_from(&wrapped[..12]).expect("nonce"), Payload { msg: &wrapped[12..], aad: &dk_aad })
        .expect("unwrap");
    let mut hash = Sha256::new();
    hash.update(b"tellwang/vault/key-commitment/v1\0");
    hash.update(&data_key);
    assert_eq!(hash.finalize().as_slice(), commitment.as_slice(), "commitment");

    let version: i64 = secret.get(0);
    let kind: String = secret.get(1);
    let nonce: Vec<u8> = secret.get(3);
    let ciphertext: Vec<u8> = secret.get(4);
    let created_at: i64 = secret.get(5);
    let code = match kind.as_str() {
        "env_var" => 1u8,
        "jwt_secret" => 2,
        "oauth_client_secret" => 3,
        "llm_api_key" => 4,
        other => panic!("unknown kind {other}"),
    };
    let mut aad = vec![0x01];
    aad.extend_from_slice(b"tellwang/vault/secret\0");
    aad.extend_from_slice(&wok_bytes);
    aad.push(u8::try_from(name.len()).expect("short name"));
    aad.extend_from_slice(name.as_bytes());
    aad.extend_from_slice(&be_u32(version));
    aad.push(code);
    aad.extend_from_slice(&be_u32(generation));
    aad.extend_from_slice(&created_at.to_be_bytes());
    Aes256Gcm::new_from_slice(&data_key)
        .expect("data key length")
        .decrypt(&Nonce::try_from(nonce.as_slice()).expect("nonce"), Payload { msg: &ciphertext, aad: &aad })
        .expect("open")
}

/// `python3` with the `cryptography` package, or `None` after saying why
/// (under CI=true a missing one fails instead).
fn python() -> Option<&'static str> {
    let ok = Command::new("python3")
        .args(["-c", "import cryptography.hazmat.primitives.ciphers.aead"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some("python3");
    }
    assert!(
        std::env::var("CI").map_or(true, |v| v != "true"),
        "python3 with the cryptography package is required under CI=true (pip install cryptography)"
    );
    eprintln!("SKIPPED: python3 with the cryptography package is not installed; the Python half did not run");
    None
}

fn run_python(args: &[&str]) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/independent_decrypt.py");
    let out = Command::new("python3").arg(script).args(args).output().expect("run python3");
    assert!(
        out.status.success(),
        "independent_decrypt.py {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_stored_secret_decrypts_from_the_documented_format_alone() -> Result<(), Error> {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("vault.db");
    let kek_dir = dir.path().join("kek");
    let store = SqliteStore::open(&db).await?;
    let pool = store.pool().clone();
    // Small data-key limit and a KEK rotation, so the records span several
    // data-key generations and two KEK versions.
    let vault = Vault::new(store, LocalKeyProvider::open_dir(&kek_dir)?).with_max_encryptions_per_key(2);
    let wok = WokId::generate()?;
    let mut written = Vec::new();
    for (i, kind) in SecretKind::ALL.into_iter().enumerate() {
        let name = format!("SECRET_{i}");
        let value: Vec<u8> = format!("value {i} for {kind} ").bytes().chain((0..=255u8).take(i * 40)).collect();
        let version = vault.put(&wok, &name, kind, &value).await?;
        written.push((name, version, value));
        if i == 1 {
            vault.rotate_kek().await?;
        }
    }
    let (name, _, _) = written[0].clone();
    let second = b"second version".to_vec();
    let version = vault.put(&wok, &name, SecretKind::EnvVar, &second).await?;
    written.push((name, version, second));

    let wok_text = wok.to_string();
    let py = python();
    for (name, version, value) in &written {
        let decrypted = decrypt_per_doc(&pool, &kek_dir, &wok_text, name, i64::from(*version)).await;
        assert_eq!(&decrypted, value, "Rust, from the doc: {name} v{version}");
        if py.is_some() {
            let db_text = db.to_str().expect("utf-8 path");
            let kek_text = kek_dir.to_str().expect("utf-8 path");
            run_python(&["read", db_text, kek_text, &wok_text, name, &version.to_string(), &hex::encode(value)]);
        }
    }

    // The other direction: a record sealed by the Python implementation opens in the vault.
    if py.is_some() {
        let foreign = WokId::generate()?;
        let value = b"written from python, per the doc";
        run_python(&[
            "write",
            db.to_str().expect("utf-8 path"),
            kek_dir.to_str().expect("utf-8 path"),
            &foreign.to_string(),
            "FROM_PYTHON",
            &hex::encode(value),
        ]);
        let read = vault.get(&PrincipalId::generate()?, &foreign, "FROM_PYTHON").await?;
        assert_eq!(read.expose_secret(), value);
    }
    Ok(())
}
