//! Inputs found by the fuzz targets in `fuzz/` (see fuzz/README.md), minimised. Each failed before
//! its fix; the comment says what happened.

mod common;

use common::{Opts, run};

fn all_unsafe() -> Opts<'static> {
    Opts {
        unsafe_fixes: true,
        ..Default::default()
    }
}

/// fix_bytes: `RUN npm i "` (an unterminated quote) made npm-cache-clean append
/// ` && npm cache clean --force` inside the open quote on every round, so the engine never reached a
/// fixed point and reported an internal error. Shell commands with unterminated quoting are now left
/// alone, with a skip that says why.
#[test]
fn unterminated_quote_in_run_is_left_alone() {
    for input in [
        "FROM .\nRUN npm i \"",
        "FROM node:20\nRUN npm i \"x\n",
        "FROM node:20\nRUN npm i 'x\n",
        "FROM node:20\nRUN npm i $(echo x\n",
        "FROM node:20\nRUN npm i `echo x\n",
        "FROM node:20\nRUN npm i ${X\n",
        "FROM node:20\nRUN npm i $'x\n",
        "FROM node:20\nRUN npm install && \\\n    echo \"unterminated\n",
    ] {
        let out = run(input, &all_unsafe()).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        let run_line = input.lines().nth(1).unwrap();
        assert!(
            out.output.contains(run_line),
            "{input:?}: the RUN was edited:\n{}",
            out.output
        );
        assert!(
            out.skipped.iter().any(|s| s.pass == "npm-cache-clean"
                && s.reason.contains("unterminated quote or substitution")),
            "{input:?}: no skip explains the refusal: {:?}",
            out.skipped
        );
        let again = run(&out.output, &all_unsafe()).expect("output runs again");
        assert!(!again.changed, "{input:?}: not idempotent");
    }
}

/// The same commands with their quoting closed are still fixed.
#[test]
fn terminated_quotes_are_still_fixed() {
    let out = run("FROM node:20\nRUN npm i \"x\"\n", &all_unsafe()).unwrap();
    assert!(
        out.output
            .contains("RUN npm i \"x\" && npm cache clean --force"),
        "{}",
        out.output
    );
}

/// fix_bytes: a comment whose text has a multi-byte character (here a BOM in mid-file) where the
/// pragma parser compared an ASCII prefix panicked slicing inside the character.
#[test]
fn pragma_prefix_inside_a_multibyte_character() {
    for input in [
        "FROM node:20\n# copy in \u{feff}FROM node\nRUN npm ci\n",
        "FROM node:20\n# dockopt\u{e9}: skip\nRUN npm ci\n",
        "FROM node:20\n# hadolin\u{e9} ignore=DL3008\nRUN npm ci\n",
        "FROM node:20\n#\u{2713}\u{2713}\u{2713}\u{2713}\u{2713}\nRUN npm ci\n",
    ] {
        let out = run(input, &all_unsafe()).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        let comment = input.lines().nth(1).unwrap();
        assert!(out.output.contains(comment), "{input:?}: comment lost");
    }
}
