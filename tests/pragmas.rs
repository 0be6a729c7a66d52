//! Inline pragmas: `# dockopt: skip=...`, `# dockopt: skip-file`, and hadolint's ignore comments.

mod common;

use common::{Opts, run};

const PIP: Opts = Opts {
    only: &["pip-no-cache"],
    unsafe_fixes: false,
    base_alpine: false,
    cache_mounts: false,
    context: None,
};

#[test]
fn skip_pass_on_the_next_instruction_only() {
    let input = "FROM python:3.12\n# dockopt: skip=pip-no-cache\nRUN pip install flask\nRUN pip install gunicorn\n";
    let out = run(input, &PIP).unwrap();
    assert_eq!(
        out.output,
        "FROM python:3.12\n# dockopt: skip=pip-no-cache\nRUN pip install flask\nRUN pip install --no-cache-dir gunicorn\n"
    );
    assert!(out.skipped.iter().any(|s| {
        s.line == 3
            && s.reason
                .starts_with("suppressed by `# dockopt: skip=pip-no-cache` (line 2)")
    }));
}

#[test]
fn skip_all_passes_and_stacked_comments() {
    let input = "FROM python:3.12\n# dockopt: skip\n# install the app\nRUN pip install flask\n";
    assert_eq!(run(input, &PIP).unwrap().output, input);
}

#[test]
fn skip_file() {
    let input = "# dockopt: skip-file\nFROM python:3.12\nRUN pip install flask\n";
    let out = run(input, &PIP).unwrap();
    assert_eq!(out.output, input);
    assert_eq!(
        out.skipped[0].reason,
        "file skipped by `# dockopt: skip-file`"
    );
}

#[test]
fn hadolint_ignore_is_honoured_for_the_pass_that_fixes_the_rule() {
    let input = "FROM python:3.12\n# hadolint ignore=DL3013,DL3042\nRUN pip install flask\n";
    assert_eq!(run(input, &PIP).unwrap().output, input);
    let global = "# hadolint global ignore=DL3042\nFROM python:3.12\nRUN pip install flask\n";
    assert_eq!(run(global, &PIP).unwrap().output, global);
    // A rule dockopt does not fix: the pragma neither suppresses nor is reported.
    let other = "FROM python:3.12\n# hadolint ignore=DL3008\nRUN pip install flask\n";
    let out = run(other, &PIP).unwrap();
    assert_eq!(out.applied.len(), 1);
    assert!(
        out.skipped.iter().all(|s| s.pass != "pragma"),
        "{:?}",
        out.skipped
    );
}

#[test]
fn pragmas_that_suppress_nothing_or_are_malformed_are_reported() {
    let input = "FROM python:3.12\n# dockopt: skip=pip-no-cache\nRUN echo hi\n# dockopt: skip=no-such-pass\nRUN true\n# dockopt: frobnicate\nRUN true\n";
    let out = run(input, &PIP).unwrap();
    let reasons: Vec<(usize, &str)> = out
        .skipped
        .iter()
        .filter(|s| s.pass == "pragma")
        .map(|s| (s.line, s.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            (2, "`# dockopt: skip=pip-no-cache` suppressed nothing"),
            (4, "pragma names an unknown pass `no-such-pass`"),
            (
                6,
                "unknown pragma `# dockopt: frobnicate` (use `skip=PASS,...`, `skip` or `skip-file`)"
            ),
        ]
    );
}

/// A pass that moves an instruction moves its pragma with it: the pragma still governs it.
#[test]
fn pragmas_move_with_the_instruction_deps_first_moves() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("requirements.txt"), "flask==3.0.3\n").unwrap();
    let input = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\n\n# hadolint ignore=DL3042\nRUN pip install -r requirements.txt\nCMD [\"python\", \"app.py\"]\n";
    let opts = Opts {
        only: &["deps-first", "pip-no-cache"],
        context: Some(d.path()),
        ..PIP
    };
    let out = run(input, &opts).unwrap();
    assert_eq!(
        out.output,
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt ./\n# hadolint ignore=DL3042\nRUN pip install -r requirements.txt\n\nCOPY . .\nCMD [\"python\", \"app.py\"]\n"
    );
    assert!(
        out.skipped.iter().any(|s| s.pass == "pip-no-cache"
            && s.line == 6
            && s.reason
                .starts_with("suppressed by `# hadolint ignore=DL3042` (line 5)")),
        "{:?}",
        out.skipped
    );
}
