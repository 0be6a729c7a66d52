//! exec-form: snapshots of realistic inputs, and the cases it must leave alone.

mod common;

use common::{Opts, report, run};

const SAFE: Opts = Opts {
    only: &["exec-form"],
    unsafe_fixes: false,
    base_alpine: false,
    cache_mounts: false,
    context: None,
};

const UNSAFE: Opts = Opts {
    only: &["exec-form"],
    unsafe_fixes: true,
    base_alpine: false,
    cache_mounts: false,
    context: None,
};

fn unchanged(input: &str) {
    for o in [&SAFE, &UNSAFE] {
        let out = run(input, o).unwrap();
        assert_eq!(out.output, input, "exec-form must leave this alone");
        assert!(out.applied.is_empty());
    }
}

fn fixed(input: &str) -> String {
    run(input, &UNSAFE).unwrap().output
}

#[test]
fn flask_gunicorn() {
    let input = r#"FROM python:3.12-slim
WORKDIR /app
COPY . .
EXPOSE 8000
CMD gunicorn --bind 0.0.0.0:8000 \
    --workers 2 "app:create_app()"
"#;
    snap!("exec_form__flask_gunicorn", report(input, &UNSAFE));
    // Without --unsafe it is only reported.
    let out = run(input, &SAFE).unwrap();
    assert_eq!(out.output, input);
    assert!(out.skipped[0].reason.contains("rerun with --unsafe"));
}

#[test]
fn quoting_is_resolved_like_the_shell() {
    assert_eq!(
        fixed("FROM x\nCMD exec java -Dname='a b' -jar \"/opt/my app.jar\" a\\ b '*'\n"),
        "FROM x\nCMD [\"java\", \"-Dname=a b\", \"-jar\", \"/opt/my app.jar\", \"a b\", \"*\"]\n"
    );
    assert_eq!(
        fixed("FROM x\nENTRYPOINT /usr/local/bin/server --config /etc/server.toml\n"),
        "FROM x\nENTRYPOINT [\"/usr/local/bin/server\", \"--config\", \"/etc/server.toml\"]\n"
    );
    assert_eq!(
        fixed("FROM x\r\ncmd ./run.sh\r\n"),
        "FROM x\r\ncmd [\"./run.sh\"]\r\n"
    );
}

#[test]
fn shell_syntax_is_reported() {
    let input = r#"FROM node:20
CMD node server.js --port $PORT
"#;
    snap!(
        "exec_form__shell_syntax_is_reported",
        report(input, &UNSAFE)
    );
    for cmd in [
        "node $APP",
        "node ${APP:-x}",
        "node `cat x`",
        "node $(cat x)",
        "npm start && echo done",
        "npm start; echo done",
        "npm start | tee log",
        "npm start > log 2>&1",
        "npm start &",
        "NODE_ENV=production node app.js",
        "node *.js",
        "node ~/app.js",
        "node {a,b}.js",
        "node app.js # the server",
        "cd /app && node app.js",
        "source env.sh",
        "echo hello",
        "if true; then node x; fi",
        "['node', 'app.js']",
        "exec",
    ] {
        unchanged(&format!("FROM node:20\nCMD {cmd}\n"));
    }
}

#[test]
fn context_that_changes_meaning_is_reported() {
    let cases = [
        (
            "FROM python:3\nSHELL [\"/bin/bash\", \"-lc\"]\nCMD python app.py\n",
            "SHELL on line 2",
        ),
        (
            "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nCMD ping localhost\n",
            "Windows image",
        ),
        (
            "FROM python:3\nCMD [\"--help\"]\nENTRYPOINT python app.py\n",
            "CMD on line 2 would become its arguments",
        ),
        (
            "FROM python:3\nENTRYPOINT [\"/entry.sh\"]\nCMD python app.py\n",
            "ENTRYPOINT on line 2",
        ),
        (
            "FROM python:3 AS base\nENTRYPOINT [\"/entry.sh\"]\nFROM base\nCMD python app.py\n",
            "ENTRYPOINT on line 2",
        ),
        (
            "FROM python:3\nCMD python \\\n  # the app\n  app.py\n",
            "comment line",
        ),
    ];
    for (input, reason) in cases {
        unchanged(input);
        let out = run(input, &UNSAFE).unwrap();
        assert!(
            out.skipped.iter().any(|s| s.reason.contains(reason)),
            "{input}: {:?}",
            out.skipped
        );
    }
}

#[test]
fn exec_forms_and_healthchecks_are_left_alone() {
    unchanged("FROM x\nCMD [\"node\", \"app.js\"]\n");
    unchanged("FROM x\nENTRYPOINT []\n");
    unchanged("FROM x\nHEALTHCHECK CMD curl -f http://localhost/\n");
    unchanged("FROM x\nRUN make\n");
}
