//! Other parsers agree: a set of exports is written to a temporary
//! directory and checked by `tests/hcl2_check.py` with python-hcl2 (from
//! PyPI), and by `terraform fmt -check` where a `terraform` binary exists.
//!
//! Without python-hcl2 the first test fails under `CI=true` and is skipped
//! with a message elsewhere; without `terraform` the second is skipped with
//! a message.

#![allow(clippy::expect_used, clippy::panic, reason = "test helpers: a failed expectation is a failed test")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use tellwang_core::spec::WokSpec;
use tellwang_export::{MAIN_TF, TARGETS, TFVARS_EXAMPLE, VARIABLES_TF};

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The exports to check: the examples and the hostile spec, under a plain
/// and hostile Wok names, for every target. Returns each export's directory.
fn write_exports(root: &Path, with_expectations: bool) -> Vec<PathBuf> {
    let specs: Vec<(&str, WokSpec)> =
        vec![("small", common::small()), ("large", common::large()), ("hostile", common::hostile())];
    let mut dirs = Vec::new();
    for target in TARGETS {
        for (name, spec) in &specs {
            for (w, wok_name) in
                ["billing", common::HOSTILE[0], common::HOSTILE[2], common::HOSTILE[11]].iter().enumerate()
            {
                let export = target.export(&common::wok(wok_name), spec).expect("export");
                let dir = root.join(format!("{name}-{w}-{}", target.name()));
                std::fs::create_dir_all(&dir).expect("dir");
                for (file, content) in export.files() {
                    std::fs::write(dir.join(file), content).expect("write");
                }
                std::fs::write(dir.join("module.tf"), export.single_file()).expect("write");
                if with_expectations {
                    std::fs::write(dir.join("expect.json"), expectations(&export, spec)).expect("write");
                }
                dirs.push(dir);
            }
        }
    }
    dirs
}

/// What the checker must find, read from the export with hcl-rs and from the spec.
fn expectations(export: &tellwang_export::Export, spec: &WokSpec) -> String {
    let main: hcl::Body = hcl::parse(export.file(MAIN_TF).expect("main")).expect("parse");
    let variables: hcl::Body = hcl::parse(export.file(VARIABLES_TF).expect("variables")).expect("parse");
    let resources: Vec<[String; 2]> = common::resources(&main).into_iter().map(|(k, n, _)| [k, n]).collect();
    let variable_names: Vec<&str> =
        variables.blocks().filter(|b| b.identifier() == "variable").map(|b| b.labels[0].as_str()).collect();
    let mut strings = vec![spec.postgres.image.clone(), spec.postgres.password_secret.clone()];
    for s in &spec.services {
        strings.push(s.image.clone());
        if export.target() == "docker" {
            strings.extend(s.command.iter().cloned());
            strings.extend(s.env.iter().map(|(k, v)| format!("{k}={v}")));
        } else {
            // Kubernetes reads `$$` as `$` in args and env values.
            strings.extend(s.command.iter().chain(s.env.values()).map(|v| v.replace('$', "$$")));
            strings.extend(s.env.keys().cloned());
        }
        strings.extend(s.volumes.iter().map(|v| v.path.clone()));
    }
    serde_json::json!({ "resources": resources, "variables": variable_names, "strings": strings }).to_string()
}

#[test]
fn python_hcl2_parses_every_file() {
    let root = tempfile::tempdir().expect("tempdir");
    let dirs = write_exports(root.path(), true);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/hcl2_check.py");
    let output = Command::new("python3").arg(&script).arg(root.path()).output();
    let output = match output {
        Ok(output) => output,
        Err(e) if !in_ci() => {
            eprintln!("SKIPPED python_hcl2_parses_every_file: python3 cannot run ({e})");
            return;
        }
        Err(e) => panic!("python3 cannot run under CI: {e}"),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() == Some(2) {
        assert!(!in_ci(), "python-hcl2 must be installed under CI: {stderr}");
        eprintln!("SKIPPED python_hcl2_parses_every_file: python-hcl2 is not installed (pip install python-hcl2)");
        return;
    }
    assert!(output.status.success(), "python-hcl2 disagrees:\n{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("{} passed, 0 failed", dirs.len())), "{stdout}");
}

#[test]
fn terraform_fmt_leaves_every_file_unchanged() {
    let version = Command::new("terraform").arg("version").output();
    if !version.is_ok_and(|o| o.status.success()) {
        eprintln!("SKIPPED terraform_fmt_leaves_every_file_unchanged: no `terraform` binary on PATH");
        return;
    }
    let root = tempfile::tempdir().expect("tempdir");
    let dirs = write_exports(root.path(), false);
    for dir in &dirs {
        // `terraform fmt` reads `.tfvars` files, not `.tfvars.example`.
        std::fs::rename(dir.join(TFVARS_EXAMPLE), dir.join("example.tfvars")).expect("rename");
    }
    let output = Command::new("terraform")
        .args(["fmt", "-check", "-list=true", "-recursive"])
        .arg(root.path())
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .expect("terraform runs");
    let listed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success() && listed.trim().is_empty(), "terraform fmt would change:\n{listed}");
    // Each directory holds four files for fmt to check.
    let count = dirs.iter().map(|d| std::fs::read_dir(d).expect("dir").count()).sum::<usize>();
    assert_eq!(count, dirs.len() * 5);
}
