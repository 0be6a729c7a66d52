//! The pre-commit hook and GitHub Action definitions parse and call dockopt the way the docs say.

use std::path::Path;

fn yaml(name: &str) -> serde_yaml_ng::Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    serde_yaml_ng::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn pre_commit_hooks() {
    let v = yaml(".pre-commit-hooks.yaml");
    let hooks = v.as_sequence().unwrap();
    let ids: Vec<&str> = hooks.iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["dockopt-fix", "dockopt-check"]);
    assert_eq!(hooks[0]["entry"].as_str(), Some("dockopt fix --write"));
    assert_eq!(hooks[1]["entry"].as_str(), Some("dockopt fix --check"));
    for h in hooks {
        assert_eq!(h["language"].as_str(), Some("rust"));
    }
}

#[test]
fn github_action() {
    let v = yaml("action.yml");
    assert_eq!(v["runs"]["using"].as_str(), Some("composite"));
    let steps = v["runs"]["steps"].as_sequence().unwrap();
    let runs: String = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(runs.contains("dockopt fix --check --format github"));
    assert!(runs.contains("dockopt fix --format sarif"));
}
