//! An independent verifier — `verify_chain.py`, written in Python from
//! docs/audit-chain.md alone — must agree with this crate on the
//! document's vectors and on every small tampered chain.
#![allow(clippy::unwrap_used, reason = "test code: a failed step fails the test")]

use std::path::Path;
use std::process::Command;

use tellwang_audit::testing::{Field, Mutation, fill, read_all};
use tellwang_audit::{AuditLedger, MemoryLedger, Verification, verify_entries};
use tellwang_core::TeamId;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/verify_chain.py");

fn python() -> Option<&'static str> {
    if Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success()) {
        return Some("python3");
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "python3 is missing under CI=true");
    eprintln!("SKIPPED: no python3, so the independent verifier did not run");
    None
}

#[test]
fn independent_verifier_accepts_the_documented_vectors() {
    let Some(python) = python() else { return };
    let out = Command::new(python).arg(SCRIPT).arg("--vectors").output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

fn mutations(len: u64) -> Vec<Mutation> {
    let mut all = Vec::new();
    for seq in 1..=len {
        all.extend(Field::ALL.iter().map(|&field| Mutation::Field { seq, field }));
        all.extend([Mutation::Rehash { seq }, Mutation::Delete { seq }, Mutation::Truncate { seq }]);
        all.push(Mutation::RewriteSuffix { seq });
        if seq < len {
            all.push(Mutation::Swap { seq });
        }
    }
    all.extend((1..=len + 1).map(|seq| Mutation::Insert { seq }));
    all
}

/// Runs the script once over many chain documents; one report per chain.
fn run_python(python: &str, dir: &Path, documents: &[serde_json::Value]) -> Vec<serde_json::Value> {
    let file = dir.join("chains.json");
    std::fs::write(&file, serde_json::to_vec(documents).unwrap()).unwrap();
    let out = Command::new(python).arg(SCRIPT).arg("--many").arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

fn as_json(report: &Verification) -> serde_json::Value {
    serde_json::json!({
        "ok": report.ok,
        "entries_checked": report.entries_checked,
        "first_break": report.first_break,
    })
}

#[tokio::test]
async fn independent_verifier_agrees_on_every_small_tampered_chain() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let ledger = MemoryLedger::new();
    let (mut cases, mut documents, mut ours) = (Vec::new(), Vec::new(), Vec::new());
    for len in 1..=5u64 {
        let team = TeamId::generate().unwrap();
        fill(&ledger, &team, len).await.unwrap();
        let pristine = read_all(&ledger, &team).await.unwrap();
        let pristine_head = ledger.head(&team).await.unwrap();
        for mutation in mutations(len) {
            let (mut entries, mut head) = (pristine.clone(), pristine_head);
            mutation.apply(&mut entries, &mut head);
            ours.push(as_json(&verify_entries(&team, &entries, Some(&head), &[]).unwrap()));
            documents.push(serde_json::json!({ "team": team, "entries": entries, "head": head }));
            cases.push((mutation, len));
        }
    }
    let theirs = run_python(python, dir.path(), &documents);
    assert_eq!(theirs.len(), ours.len());
    for ((theirs, ours), (mutation, len)) in theirs.iter().zip(&ours).zip(&cases) {
        assert_eq!(theirs, ours, "{mutation:?} on {len} entries");
    }
    let compared = cases.len();
    assert!(compared > 100);
}
