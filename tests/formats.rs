//! `--format json|sarif|github` and `passes --format json`: parsed back and checked; SARIF is validated
//! against the official SARIF 2.1.0 schema (shipped inside the serde-sarif crate's sources).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_dockopt");

fn dockopt(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn project() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    fs::write(
        d.path().join("Dockerfile"),
        "FROM python:3.12\nRUN pip install flask\nRUN --mount=type=cache,target=/root/.cache/pip pip install x\n",
    )
    .unwrap();
    fs::write(d.path().join("bad.Dockerfile"), "FROM alpine\nBOGUS\n").unwrap();
    d
}

#[test]
fn json_report_has_every_field_and_the_version() {
    let d = project();
    let out = dockopt(
        d.path(),
        &["fix", "--format", "json", "--only", "pip-no-cache", "."],
    );
    assert_eq!(out.status.code(), Some(2), "the bad file is an error");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(v["version"], 1);
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    let good = &files[0];
    assert_eq!(good["path"], "Dockerfile");
    assert_eq!(good["changed"], true);
    assert_eq!(good["applied"][0]["pass"], "pip-no-cache");
    assert_eq!(good["applied"][0]["line"], 2);
    assert_eq!(good["applied"][0]["column"], 9);
    assert_eq!(good["applied"][0]["applicability"], "safe");
    assert_eq!(good["skipped"][0]["line"], 3);
    assert!(
        good["diff"]
            .as_str()
            .unwrap()
            .contains("+RUN pip install --no-cache-dir flask")
    );
    let bad = &files[1];
    assert_eq!(bad["path"], "bad.Dockerfile");
    assert_eq!(bad["errors"][0]["kind"], "parse");
    assert_eq!(bad["errors"][0]["line"], 2);
    assert_eq!(v["summary"]["changed"], 1);
    assert_eq!(v["summary"]["errors"], 1);
}

fn sarif_schema() -> serde_json::Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let meta = Command::new(cargo)
        .args(["metadata", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let meta: serde_json::Value = serde_json::from_slice(&meta.stdout).unwrap();
    let manifest = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "serde-sarif")
        .expect("serde-sarif is a dev-dependency")["manifest_path"]
        .as_str()
        .unwrap()
        .to_string();
    let schema = PathBuf::from(manifest)
        .parent()
        .unwrap()
        .join("src/schema.json");
    let mut schema: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(schema).unwrap()).unwrap();
    // The official 2.1.0 schema has a malformed regex for `language` (a stray `]`, in `run` and
    // `toolComponent`) that strict meta-validation rejects; replace it with the intended pattern.
    // dockopt never emits `language`.
    let bad = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    let mut fixed = 0;
    for def in ["run", "toolComponent"] {
        let lang = &mut schema["definitions"][def]["properties"]["language"]["pattern"];
        if lang == bad {
            *lang = serde_json::Value::from("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
            fixed += 1;
        }
    }
    assert_eq!(fixed, 2);
    schema
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let d = project();
    let out = dockopt(
        d.path(),
        &["fix", "--format", "sarif", "--only", "pip-no-cache", "."],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema = sarif_schema();
    assert!(schema["title"].as_str().unwrap().contains("SARIF"));
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&v)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &v["runs"][0];
    assert!(
        run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "pip-no-cache")
    );
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "pip-no-cache");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    let rep = &result["fixes"][0]["artifactChanges"][0]["replacements"][0];
    assert_eq!(rep["insertedContent"]["text"], " --no-cache-dir");
    assert_eq!(rep["deletedRegion"]["startLine"], 2);
    assert_eq!(rep["deletedRegion"]["startColumn"], 16);
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    // Typed parse with the serde-sarif model as a second opinion.
    let _typed: serde_sarif::sarif::Sarif = serde_json::from_value(v).unwrap();
}

#[test]
fn github_annotations() {
    let d = project();
    let out = dockopt(
        d.path(),
        &[
            "fix",
            "--check",
            "--format",
            "github",
            "--only",
            "pip-no-cache",
            "Dockerfile",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("::warning file=Dockerfile,line=2,col=9,title=dockopt pip-no-cache::added --no-cache-dir to pip install\n"), "{s}");
    assert!(s.contains("::notice file=Dockerfile,line=3,"), "{s}");
    let out = dockopt(d.path(), &["fix", "--format", "github", "bad.Dockerfile"]);
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("::error file=bad.Dockerfile,line=2,col=1,")
    );
}

#[test]
fn passes_json_lists_every_pass_with_its_doc() {
    let d = tempfile::tempdir().unwrap();
    let out = dockopt(d.path(), &["passes", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = v
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "pip-no-cache")
        .unwrap();
    assert_eq!(p["hadolint"][0], "DL3042");
    assert!(p["doc"].as_str().unwrap().contains("## Fix safety"));
}

#[test]
fn completions_and_man_page() {
    let d = tempfile::tempdir().unwrap();
    let out = dockopt(d.path(), &["completions", "bash"]);
    assert!(String::from_utf8(out.stdout).unwrap().contains("dockopt"));
    let out = dockopt(d.path(), &["man"]);
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains(".TH dockopt")
    );
}
