//! The test vectors published in docs/audit-chain.md: the code must
//! produce exactly the hashes the document states, and must report the
//! document's tampered entry where the document says.
#![allow(clippy::unwrap_used, reason = "test code: a failed step fails the test")]

use tellwang_audit::format::{self, Hash};
use tellwang_audit::{Actor, BreakKind, Checkpointer, Entry, Head, Payload, verify_entries};
use tellwang_core::{TeamId, Timestamp};

const DOC: &str = include_str!("../../docs/audit-chain.md");

fn team() -> TeamId {
    "team_00112233445566778899aabbccddeeff".parse().unwrap()
}

/// at, (actor id, actor kind), action, target, request id, payload.
type Row = (i64, (&'static str, &'static str), &'static str, &'static str, &'static str, &'static str);

/// The three entries of the document's example chain, with hashes computed.
fn chain() -> Vec<Entry> {
    let rows: [Row; 3] = [
        (
            1_767_225_600_000_000,
            ("prn_0123456789abcdef0123456789abcdef", "user"),
            "wok.create",
            "wok_fedcba9876543210fedcba9876543210",
            "req-0001",
            r#"{"name":"billing","region":"ca-central-1"}"#,
        ),
        (
            1_767_225_601_500_000,
            ("prn_aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb", "agent"),
            "secret.put",
            "wok_fedcba9876543210fedcba9876543210",
            "req-0002",
            r#"{"kind":"env_var","name":"DATABASE_URL","version":1}"#,
        ),
        (
            1_767_225_662_000_001,
            ("ops@example.com", "operator"),
            "wok.delete",
            "",
            "",
            r#"{"note":"ünïcödé ✓","n":-7}"#,
        ),
    ];
    let mut prev = format::genesis(&team());
    let mut entries = Vec::new();
    for (i, (at, (actor_id, actor_kind), action, target, request_id, payload)) in rows.into_iter().enumerate() {
        let mut entry = Entry {
            seq: i as u64 + 1,
            team: team(),
            at: Timestamp::from_micros(at),
            actor: Actor { id: actor_id.into(), kind: actor_kind.into() },
            action: action.into(),
            target: target.into(),
            request_id: request_id.into(),
            payload: Payload::from_json(payload).unwrap(),
            prev_hash: prev,
            hash: [0; 32],
        };
        entry.hash = format::entry_hash(&entry);
        prev = entry.hash;
        entries.push(entry);
    }
    entries
}

fn hex(hash: &Hash) -> String {
    hex::encode(hash)
}

#[test]
fn the_documented_hashes_are_the_codes() {
    let entries = chain();
    let genesis = hex(&format::genesis(&team()));
    let expected = [
        ("genesis", genesis.as_str()),
        ("entry 1", &hex(&entries[0].hash)),
        ("entry 2", &hex(&entries[1].hash)),
        ("entry 3", &hex(&entries[2].hash)),
    ];
    for (what, value) in expected {
        println!("{what}: {value}");
    }
    let mut preimage = Vec::new();
    format::encode_into(&mut preimage, &entries[0]);
    println!("entry 1 preimage: {}", hex::encode(&preimage));
    for (what, value) in expected {
        assert!(DOC.contains(value), "docs/audit-chain.md lacks the {what} hash {value}");
    }
    assert!(DOC.contains(&hex::encode(&preimage)), "docs/audit-chain.md lacks entry 1's preimage");
    // The payload text is canonical: keys sorted, no white space.
    assert_eq!(entries[2].payload.as_str(), r#"{"n":-7,"note":"ünïcödé ✓"}"#);
}

#[test]
fn the_documented_tampering_is_found_where_the_document_says() {
    let mut entries = chain();
    assert!(verify_entries(&team(), &entries, None, &[]).unwrap().ok);
    // The document's tampered entry: entry 2's payload says version 2; its
    // stored hash is unchanged.
    entries[1].payload = Payload::from_json(r#"{"kind":"env_var","name":"DATABASE_URL","version":2}"#).unwrap();
    let report = verify_entries(&team(), &entries, None, &[]).unwrap();
    assert!(!report.ok);
    let found = report.first_break.unwrap();
    assert_eq!((found.seq, found.kind), (2, BreakKind::ContentChanged));
    assert_eq!(report.head.seq, 1);
    let recomputed = hex(&format::entry_hash(&entries[1]));
    println!("tampered entry 2 recomputes to: {recomputed}");
    assert!(DOC.contains(&recomputed), "docs/audit-chain.md lacks the tampered entry's recomputed hash");
}

#[test]
fn the_documented_checkpoint_signature_is_the_codes() {
    let entries = chain();
    let secret: [u8; 32] = std::array::from_fn(|i| i as u8 + 1);
    let signer = Checkpointer::from_secret_bytes(&secret);
    let head = Head { team: team(), seq: 3, hash: entries[2].hash };
    let signed = signer.sign_at(&head, Timestamp::from_micros(1_767_225_700_000_000));
    let public = hex::encode(signer.public_key());
    let signature = hex::encode(&signed.signature);
    println!("public key: {public}\nsignature: {signature}");
    assert!(DOC.contains(&public), "docs/audit-chain.md lacks the checkpoint public key");
    assert!(DOC.contains(&signature), "docs/audit-chain.md lacks the checkpoint signature");
    let opened = signed.open(&signer.public_key()).unwrap();
    assert!(verify_entries(&team(), &entries, Some(&head), &[opened]).unwrap().ok);
    let mut forged = signed.clone();
    forged.seq = 2;
    assert!(forged.open(&signer.public_key()).is_err());
}

#[test]
fn entry_3_payload_bytes_are_documented() {
    let entries = chain();
    let payload_hex = hex::encode(entries[2].payload.as_str().as_bytes());
    assert!(DOC.contains(&payload_hex), "docs/audit-chain.md lacks entry 3's payload bytes {payload_hex}");
}
