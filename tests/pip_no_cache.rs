//! pip-no-cache: snapshots of realistic inputs, and the cases it must leave alone.

mod common;

use common::{Opts, report, run};

const ONLY: Opts = Opts {
    only: &["pip-no-cache"],
    unsafe_fixes: false,
    base_alpine: false,
    cache_mounts: false,
    context: None,
};

fn unchanged(input: &str) {
    let out = run(input, &ONLY).unwrap();
    assert_eq!(out.output, input, "pip-no-cache must leave this alone");
    assert!(out.applied.is_empty());
}

#[test]
fn flask_app_requirements() {
    let input = r#"FROM python:3.12
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
EXPOSE 8000
CMD ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]
"#;
    snap!("pip_no_cache__flask_app_requirements", report(input, &ONLY));
}

#[test]
fn spellings() {
    let input = r#"FROM python:3.12-slim
RUN pip3 install flask
RUN pip3.12 install gunicorn
RUN python -m pip install --upgrade pip
RUN python3 -m pip install uvicorn
RUN /usr/local/bin/pip install requests
RUN /opt/venv/bin/python3.12 -m pip install httpx
"#;
    snap!("pip_no_cache__spellings", report(input, &ONLY));
}

#[test]
fn chains_prefixes_and_continuations() {
    let input = r#"FROM python:3.11
RUN apt-get update \
    # build deps for psycopg2
    && apt-get install -y libpq-dev gcc \

    && PIP_DISABLE_PIP_VERSION_CHECK=1 pip install \
        -r requirements.txt \
        -c constraints.txt \
    && pip install --index-url https://pypi.org/simple -e . \
    && rm -rf /var/lib/apt/lists/*
"#;
    snap!(
        "pip_no_cache__chains_prefixes_and_continuations",
        report(input, &ONLY)
    );
}

#[test]
fn exec_form() {
    let input = "FROM python:3.12\nRUN [\"pip\", \"install\", \"-r\", \"requirements.txt\"]\nRUN [\"python3\", \"-m\", \"pip\", \"install\", \"flask\"]\n";
    snap!("pip_no_cache__exec_form", report(input, &ONLY));
}

#[test]
fn option_values_are_never_split() {
    let input = "FROM python:3.12\nRUN pip --disable-pip-version-check install -i https://pypi.org/simple -r req.txt\n";
    let out = run(input, &ONLY).unwrap();
    assert_eq!(
        out.output,
        "FROM python:3.12\nRUN pip --disable-pip-version-check install --no-cache-dir -i https://pypi.org/simple -r req.txt\n"
    );
}

#[test]
fn cache_mount_is_a_reported_skip() {
    let input = "# syntax=docker/dockerfile:1\nFROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt\n";
    snap!(
        "pip_no_cache__cache_mount_is_a_reported_skip",
        report(input, &ONLY)
    );
    unchanged(input);
}

#[test]
fn heredoc_body_is_reported_not_edited() {
    let input = "# syntax=docker/dockerfile:1\nFROM python:3.12\nRUN <<EOF\nset -e\npip install flask\nEOF\n";
    snap!(
        "pip_no_cache__heredoc_body_is_reported_not_edited",
        report(input, &ONLY)
    );
    unchanged(input);
}

#[test]
fn crlf_bom_and_backtick_escape_are_kept() {
    let input = "\u{feff}# escape=`\r\nFROM python:3.12\r\nRUN pip install `\r\n    flask\r\n";
    let out = run(input, &ONLY).unwrap();
    assert_eq!(
        out.output,
        "\u{feff}# escape=`\r\nFROM python:3.12\r\nRUN pip install --no-cache-dir `\r\n    flask\r\n"
    );
}

#[test]
fn already_has_the_flag() {
    unchanged("FROM python:3\nRUN pip install --no-cache-dir flask\n");
    unchanged("FROM python:3\nRUN pip --no-cache-dir install flask\n");
    unchanged("FROM python:3\nRUN pip install flask --no-cache-dir && echo ok\n");
}

#[test]
fn env_turns_the_cache_off() {
    unchanged("FROM python:3\nENV PIP_NO_CACHE_DIR=1\nRUN pip install flask\n");
    unchanged("FROM python:3\nENV PIP_NO_CACHE_DIR off\nRUN pip install flask\n");
    unchanged("FROM python:3 AS base\nENV PIP_NO_CACHE_DIR=1\nFROM base\nRUN pip install flask\n");
    unchanged("FROM python:3\nRUN PIP_NO_CACHE_DIR=1 pip install flask\n");
    unchanged("FROM python:3\nRUN env PIP_NO_CACHE_DIR=1 pip install flask\n");
}

#[test]
fn env_in_another_stage_does_not_count() {
    let input =
        "FROM python:3 AS a\nENV PIP_NO_CACHE_DIR=1\nFROM python:3 AS b\nRUN pip install flask\n";
    let out = run(input, &ONLY).unwrap();
    assert_eq!(out.applied.len(), 1);
}

#[test]
fn other_tools_and_quoted_text() {
    unchanged("FROM python:3\nRUN pipenv install --system --deploy\n");
    unchanged("FROM python:3\nRUN uv pip install --system flask\n");
    unchanged("FROM python:3\nRUN pipx install poetry && poetry install\n");
    unchanged("FROM python:3\nRUN echo \"pip install x\" && echo 'pip install y'\n");
    unchanged("FROM python:3\nRUN sh -c \"pip install flask\"\n");
    unchanged("FROM python:3\nRUN pip download flask && pip wheel flask\n");
}

#[test]
fn explicit_cache_dir_is_reported() {
    let input = "FROM python:3\nRUN pip install --cache-dir /tmp/pipcache flask\n";
    let out = run(input, &ONLY).unwrap();
    assert_eq!(out.output, input);
    assert!(out.skipped[0].reason.contains("--cache-dir"));
}

#[test]
fn cache_mount_at_a_custom_pip_cache_dir_is_respected() {
    unchanged(
        "FROM python:3\nENV PIP_CACHE_DIR=/var/cache/pip\nRUN --mount=type=cache,target=/var/cache/pip pip install -r requirements.txt\n",
    );
    unchanged(
        "FROM python:3\nRUN --mount=type=cache,target=/tmp/pipcache PIP_CACHE_DIR=/tmp/pipcache pip install flask\n",
    );
    // A cache mount elsewhere does not count.
    let out = run(
        "FROM python:3\nRUN --mount=type=cache,target=/root/.npm pip install flask\n",
        &ONLY,
    )
    .unwrap();
    assert_eq!(out.applied.len(), 1);
}

#[test]
fn heredoc_body_after_a_command_is_never_edited() {
    // The body line looks like an instruction to the parser crate; the engine must see a heredoc.
    unchanged("FROM python:3\nRUN cat <<EOF > /x.sh\nrun pip install flask \\\nEOF\n");
}
