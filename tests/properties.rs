//! Property tests: generated Dockerfiles mixing instructions, continuations, comments, heredocs, CRLF,
//! BOM and the escape directive. With no passes the output is byte-identical; with the default passes the
//! output parses and a second run changes nothing; pip-no-cache changes nothing but its insertions.

mod common;

use dockopt::engine;
use dockopt::passes::PassContext;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Style {
    crlf: bool,
    bom: bool,
    backtick: bool,
    final_newline: bool,
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("flask".to_string()),
        Just("-r requirements.txt".to_string()),
        Just("\"quoted arg\"".to_string()),
        Just("'single'".to_string()),
        Just("$HOME".to_string()),
        Just("${VAR:-x}".to_string()),
        Just("a=b".to_string()),
        "[a-z]{1,8}",
    ]
}

fn command() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(word(), 0..4).prop_map(|w| format!("pip install {}", w.join(" "))),
        prop::collection::vec(word(), 0..4)
            .prop_map(|w| format!("python3 -m pip install {}", w.join(" "))),
        prop::collection::vec(word(), 1..4).prop_map(|w| format!("echo {}", w.join(" "))),
        Just("apt-get update".to_string()),
        Just("apt-get install -y curl".to_string()),
        Just("PIP_X=1 pip3 install x".to_string()),
        Just("echo \"pip install nope\"".to_string()),
    ]
}

/// A RUN whose commands are joined by operators, optionally split over continuation lines that may
/// carry comment and blank lines.
fn run_instr() -> impl Strategy<Value = Vec<String>> {
    (
        prop::collection::vec(
            (command(), prop::sample::select(vec!["&&", "||", ";", "|"])),
            1..5,
        ),
        prop::collection::vec(0u8..4, 5),
    )
        .prop_map(|(cmds, breaks)| {
            // Each element is a line; the renderer adds the continuation character.
            let mut lines = vec![String::from("RUN ")];
            for (i, (c, op)) in cmds.iter().enumerate() {
                if i > 0 {
                    match breaks[i % breaks.len()] {
                        0 => {
                            lines.push(String::from("\u{1}    ")); // continuation
                        }
                        1 => {
                            lines.push(String::from("\u{1}    # a comment inside"));
                            lines.push(String::from("    "));
                        }
                        2 => {
                            lines.push(String::from("\u{1}"));
                            lines.push(String::new());
                            lines.push(String::from("    "));
                        }
                        _ => {}
                    }
                    let last = lines.last_mut().unwrap();
                    last.push_str(&format!(" {op} "));
                }
                lines.last_mut().unwrap().push_str(c);
            }
            lines
        })
}

fn instr() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        3 => run_instr(),
        1 => Just(vec!["RUN [\"pip\", \"install\", \"flask\"]".to_string()]),
        1 => Just(vec!["COPY . /app".to_string()]),
        1 => Just(vec!["WORKDIR /app".to_string()]),
        1 => Just(vec!["ENV A=1 B=\"two words\"".to_string()]),
        1 => Just(vec!["# a comment line".to_string()]),
        1 => Just(vec![String::new()]),
        1 => Just(vec!["CMD [\"python\", \"app.py\"]".to_string()]),
        1 => Just(vec!["RUN <<EOF".to_string(), "pip install inside".to_string(), "EOF".to_string()]),
        1 => Just(vec!["  run echo lower".to_string()]),
    ]
}

fn dockerfile() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(instr(), 0..12),
        any::<(bool, bool, bool, bool)>(),
    )
        .prop_map(|(instrs, (crlf, bom, backtick, final_newline))| {
            let st = Style {
                crlf,
                bom,
                backtick,
                final_newline,
            };
            render(&instrs, &st)
        })
}

fn render(instrs: &[Vec<String>], st: &Style) -> String {
    let eol = if st.crlf { "\r\n" } else { "\n" };
    let esc = if st.backtick { "`" } else { "\\" };
    let mut lines: Vec<String> = Vec::new();
    if st.backtick {
        lines.push("# escape=`".to_string());
    }
    lines.push("FROM python:3.12".to_string());
    for i in instrs {
        let mut pending: Vec<String> = Vec::new();
        for l in i {
            if let Some(rest) = l.strip_prefix('\u{1}') {
                // The previous line ends with a continuation.
                if let Some(prev) = pending.last_mut() {
                    prev.push(' ');
                    prev.push_str(esc);
                }
                pending.push(rest.to_string());
            } else {
                pending.push(l.clone());
            }
        }
        lines.extend(pending);
    }
    let mut s = String::new();
    if st.bom {
        s.push('\u{feff}');
    }
    s.push_str(&lines.join(eol));
    if st.final_newline {
        s.push_str(eol);
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn lossless_without_passes(df in dockerfile()) {
        let out = engine::run(df.as_bytes(), &[], &PassContext::default());
        let out = out.map_err(|e| TestCaseError::fail(format!("{e}\n{df:?}")))?;
        prop_assert_eq!(out.output, df);
    }

    #[test]
    fn default_passes_are_idempotent_and_parse(df in dockerfile()) {
        let opts = common::Opts::default();
        let once = common::run(&df, &opts).map_err(|e| TestCaseError::fail(format!("{e}\n{df:?}")))?;
        let twice = common::run(&once.output, &opts).map_err(|e| TestCaseError::fail(format!("own output: {e}")))?;
        prop_assert_eq!(&twice.output, &once.output);
    }

    #[test]
    fn pip_no_cache_only_inserts_its_flag(df in dockerfile()) {
        let opts = common::Opts { only: &["pip-no-cache"], ..Default::default() };
        let out = common::run(&df, &opts).map_err(|e| TestCaseError::fail(format!("{e}\n{df:?}")))?;
        let stripped = out.output.replace(" --no-cache-dir", "").replace(", \"--no-cache-dir\"", "");
        prop_assert_eq!(stripped, df);
    }
}

#[test]
fn generator_produces_interesting_files() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut continuations, mut changed, mut crlf) = (0, 0, 0);
    for _ in 0..200 {
        let df = dockerfile().new_tree(&mut runner).unwrap().current();
        continuations += usize::from(
            df.contains("\\\n")
                || df.contains("`\r\n")
                || df.contains("\\\r\n")
                || df.contains("`\n"),
        );
        crlf += usize::from(df.contains("\r\n"));
        let out = common::run(&df, &common::Opts::default()).unwrap();
        changed += usize::from(out.changed);
    }
    assert!(
        continuations > 50 && changed > 50 && crlf > 50,
        "{continuations} {changed} {crlf}"
    );
}
