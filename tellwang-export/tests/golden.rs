//! Golden files: the exports of a small and a large example Wok, for each
//! target, compared byte for byte with files under `tests/golden/`.
//!
//! After an intended change, rewrite them with
//! `TELLWANG_BLESS=1 cargo test -p tellwang-export --test golden`
//! and review the diff by eye.

#![allow(clippy::expect_used, clippy::panic, reason = "test helpers: a failed expectation is a failed test")]

mod common;

use std::path::PathBuf;

use tellwang_export::{Export, TARGETS};

fn check(name: &str, export: &Export) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name).join(export.target());
    let bless = std::env::var_os("TELLWANG_BLESS").is_some();
    let single = export.single_file();
    let files = export.files().chain([("module.tf", single.as_str())]);
    for (file, content) in files {
        let path = dir.join(file);
        if bless {
            std::fs::create_dir_all(&dir).expect("golden dir");
            std::fs::write(&path, content).expect("write golden file");
            continue;
        }
        let expected = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run with TELLWANG_BLESS=1 to create it)", path.display()));
        assert!(expected == content, "{} differs from the export; review and bless if intended", path.display());
    }
}

#[test]
fn small_wok_matches_its_golden_files() {
    for target in TARGETS {
        check("small", &target.export(&common::wok("billing"), &common::small()).expect("export"));
    }
}

#[test]
fn large_wok_matches_its_golden_files() {
    for target in TARGETS {
        check("large", &target.export(&common::wok("acme-prod"), &common::large()).expect("export"));
    }
}
