//! slim-base: snapshots of each mapping kind and each refusal, and the cases it must leave alone.

mod common;

use std::path::Path;

use common::{Opts, report, run};

const ONLY: Opts = Opts {
    only: &["slim-base"],
    unsafe_fixes: false,
    base_alpine: false,
    cache_mounts: false,
    context: None,
};

const UNSAFE: Opts = Opts {
    unsafe_fixes: true,
    ..ONLY
};

const ALPINE: Opts = Opts {
    base_alpine: true,
    ..ONLY
};

const ALPINE_UNSAFE: Opts = Opts {
    base_alpine: true,
    unsafe_fixes: true,
    ..ONLY
};

fn with_context<'a>(opts: &Opts<'a>, dir: &'a Path) -> Opts<'a> {
    Opts {
        context: Some(dir),
        ..opts.clone()
    }
}

/// Asserts the pass leaves `input` byte for byte alone with these options.
fn unchanged_with(input: &str, opts: &Opts) {
    let out = run(input, opts).unwrap();
    assert_eq!(out.output, input, "slim-base must leave this alone");
    assert!(out.applied.is_empty());
}

fn unchanged(input: &str) {
    unchanged_with(input, &ONLY);
    unchanged_with(input, &UNSAFE);
}

fn skip_reasons(input: &str, opts: &Opts) -> Vec<String> {
    run(input, opts)
        .unwrap()
        .skipped
        .into_iter()
        .map(|s| s.reason)
        .collect()
}

fn first_line(input: &str, opts: &Opts) -> String {
    let out = run(input, opts).unwrap();
    out.output.lines().next().unwrap_or("").to_string()
}

#[test]
fn flask_app_is_swapped_with_an_estimate() {
    let input = r#"FROM python:3.12
WORKDIR /app
RUN pip install --no-cache-dir flask gunicorn
COPY . .
EXPOSE 8000
CMD ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]
"#;
    snap!("slim_base__flask_app", report(input, &ONLY));
    let out = run(input, &ONLY).unwrap();
    assert_eq!(
        out.notes[0].message,
        "estimated saving ~890 MB (python:3.12 ~1.0 GB -> python:3.12-slim ~130 MB; estimates from transforms/base-images.yaml)"
    );
}

#[test]
fn mapping_kinds() {
    // Each reference as the only, final stage; the report lists what it became.
    let refs = [
        "python:3.12",
        "python:3.12.4",
        "python:3",
        "python:3.12-bookworm",
        "python:latest",
        "python",
        "docker.io/library/python:3.12",
        "library/python:3.11",
        "docker.io/python:3.10-bullseye",
        "node:20",
        "node:20-bookworm",
        "node:lts",
        "ruby:3.3",
        "ruby:3.3-bookworm",
        "perl:5.40",
        "perl:5.40-threaded",
        "debian:bookworm",
        "debian:12",
        "debian",
        "debian:bookworm-20240311",
        "rust:1.77",
        "rust:1.77-bookworm",
        "eclipse-temurin:21-jdk-noble",
        "openjdk:17-jdk",
    ];
    let mut s = String::new();
    for r in refs {
        let input = format!("FROM {r}\nCMD [\"true\"]\n");
        let out = run(&input, &UNSAFE).unwrap();
        let again = run(&out.output, &UNSAFE).unwrap();
        assert_eq!(again.output, out.output, "not idempotent: {r}");
        let line = out.output.lines().next().unwrap();
        let tag = match out.applied.first() {
            Some(a) => format!("{:?}", a.applicability),
            None => "kept".to_string(),
        };
        s.push_str(&format!("{r:40} -> {line} [{tag}]\n"));
    }
    snap!("slim_base__mapping_kinds", s);
}

#[test]
fn platform_alias_and_keyword_case_are_kept() {
    let input =
        "from --platform=$TARGETPLATFORM python:3.12-bookworm as App\nrun pip install flask\n";
    snap!(
        "slim_base__platform_alias_and_keyword_case",
        report(input, &ONLY)
    );
    assert_eq!(
        first_line(input, &ONLY),
        "from --platform=$TARGETPLATFORM python:3.12-slim-bookworm as App"
    );
}

#[test]
fn arg_tag() {
    let input = r#"ARG PYTHON_VERSION=3.12
ARG SUITE=bookworm
FROM python:${PYTHON_VERSION}-$SUITE
RUN pip install requests
"#;
    snap!("slim_base__arg_tag", report(input, &ONLY));
    // The rewrite is right for the defaults only: an unsafe fix.
    not_safe(input, &ONLY);
    assert_eq!(
        run(input, &UNSAFE).unwrap().output.lines().nth(2).unwrap(),
        "FROM python:${PYTHON_VERSION}-slim-$SUITE"
    );
}

#[test]
fn arg_tag_is_unsafe_because_build_args_can_change_it() {
    // `--build-arg PY=3.12-bookworm` would make `python:${PY}-slim` name python:3.12-bookworm-slim,
    // which does not exist.
    let input = "ARG PY=3.12
FROM python:${PY}
RUN pip install --no-cache-dir flask
";
    not_safe(input, &ONLY);
    let r = skip_reasons(input, &ONLY);
    assert!(
        r[0].contains("the tag depends on ARG PY (default 3.12)"),
        "{r:?}"
    );
    assert_eq!(
        run(input, &UNSAFE).unwrap().output,
        "ARG PY=3.12
FROM python:${PY}-slim
RUN pip install --no-cache-dir flask
"
    );
}

#[test]
fn arg_that_cannot_carry_the_slim_tag_is_refused() {
    let input = "ARG TAG=3.12-bookworm\nFROM python:${TAG}\nRUN echo hi\n";
    snap!("slim_base__arg_cannot_carry_slim_tag", report(input, &ONLY));
    unchanged(input);
    // No default: the tag is unknown.
    let input = "ARG TAG\nFROM python:${TAG}\nRUN echo hi\n";
    unchanged(input);
    assert!(skip_reasons(input, &ONLY)[0].contains("has no default"));
    // The whole image from an ARG.
    let input = "ARG BASE=python:3.12\nFROM ${BASE}\nRUN echo hi\n";
    unchanged(input);
    assert!(skip_reasons(input, &ONLY)[0].contains("image name comes from an ARG"));
}

#[test]
fn digest_is_reported_not_changed() {
    let input = "FROM python:3.12@sha256:4e7024df2f2099e87d0a41893c299230d2a974c3474e681b0996f141951f9817\nRUN pip install flask\n";
    snap!("slim_base__digest", report(input, &ONLY));
    unchanged(input);
}

#[test]
fn compile_step_is_refused() {
    let input = r#"FROM python:3.12
WORKDIR /src
COPY . .
RUN ./configure --prefix=/usr/local && make && make install
CMD ["myapp"]
"#;
    snap!("slim_base__compile_step_refused", report(input, &ONLY));
    unchanged(input);
}

#[test]
fn compile_with_its_own_compiler_is_unsafe() {
    let input = r#"FROM python:3.12
RUN apt-get update && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
COPY ext/ /ext/
RUN make -C /ext
"#;
    snap!(
        "slim_base__compile_own_compiler_unsafe",
        report(input, &ONLY)
    );
    unchanged_with(input, &ONLY);
    snap!(
        "slim_base__compile_own_compiler_unsafe_applied",
        report(input, &UNSAFE)
    );
}

#[test]
fn git_in_a_run_adds_git() {
    let input = r#"FROM node:20-bookworm
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends jq && rm -rf /var/lib/apt/lists/*
RUN git clone --depth 1 https://github.com/example/assets.git /app/assets
COPY server.js .
CMD ["node", "server.js"]
"#;
    snap!("slim_base__git_in_run_adds_git", report(input, &ONLY));
}

#[test]
fn tool_installed_by_the_stage_needs_nothing() {
    let input = r#"FROM python:3.11
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
RUN curl -fsSL -o /tmp/data.json https://example.com/data.json
CMD ["python", "-m", "http.server"]
"#;
    let out = run(input, &ONLY).unwrap();
    assert_eq!(
        out.output,
        input.replacen("python:3.11", "python:3.11-slim", 1)
    );
    assert_eq!(out.applied.len(), 1);
}

#[test]
fn healthcheck_curl_adds_curl() {
    let input = r#"FROM python:3.12
RUN apt-get update && apt-get install -y --no-install-recommends libmagic1 && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir fastapi uvicorn
HEALTHCHECK --interval=30s CMD curl -fsS http://localhost:8000/health || exit 1
CMD ["uvicorn", "main:app", "--host", "0.0.0.0"]
"#;
    snap!("slim_base__healthcheck_curl", report(input, &ONLY));
}

#[test]
fn curl_in_a_stage_without_apt_is_unsafe() {
    let input = "FROM node:22\nRUN curl -fsSL https://example.com/x.tgz | tar xz -C /opt\nCMD [\"node\", \"/opt/x/index.js\"]\n";
    snap!("slim_base__curl_without_apt_unsafe", report(input, &ONLY));
    unchanged_with(input, &ONLY);
}

#[test]
fn requirements_from_the_build_context() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("requirements.txt"),
        "# app\nDjango>=5.0\npsycopg2 ; sys_platform == 'linux'\n-r requirements-git.txt\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("requirements-git.txt"),
        "git+https://github.com/example/lib.git@v1.2#egg=lib\n",
    )
    .unwrap();
    let input = r#"FROM python:3.12
WORKDIR /app
COPY requirements*.txt ./
RUN apt-get update && rm -rf /var/lib/apt/lists/* && pip install --no-cache-dir -r requirements.txt
COPY . .
CMD ["python", "manage.py", "runserver", "0.0.0.0:8000"]
"#;
    let opts = with_context(&ONLY, dir.path());
    snap!("slim_base__requirements_from_context", report(input, &opts));
    // Without the context the file cannot be read: unsafe.
    unchanged_with(input, &ONLY);
    assert!(skip_reasons(input, &ONLY)[0].contains("could not be read"));
}

#[test]
fn refused_pip_package() {
    let input = "FROM python:3.12\nRUN pip install python-ldap\n";
    unchanged(input);
    assert!(skip_reasons(input, &ONLY)[0].contains("OpenLDAP"));
}

#[test]
fn entrypoint_script_from_context_is_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("docker-entrypoint.sh"),
        "#!/bin/sh\nset -e\nwget -qO- \"$CONFIG_URL\" > /app/config.json\nexec \"$@\"\n",
    )
    .unwrap();
    let input = r#"FROM python:3.12
RUN apt-get update && rm -rf /var/lib/apt/lists/*
COPY docker-entrypoint.sh /usr/local/bin/
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["python", "-m", "app"]
"#;
    let out = run(input, &with_context(&ONLY, dir.path())).unwrap();
    assert!(
        out.output
            .contains("apt-get install -y --no-install-recommends wget && rm"),
        "{}",
        out.output
    );
}

#[test]
fn multi_stage_only_final_stages_are_slimmed() {
    let input = r#"FROM python:3.12 AS build
RUN pip wheel --wheel-dir /wheels flask gunicorn

FROM python:3.12 AS test
COPY --from=build /wheels /wheels
RUN pip install /wheels/*.whl pytest

FROM python:3.12
COPY --from=0 /wheels /wheels
RUN pip install --no-index --find-links=/wheels flask gunicorn
CMD ["gunicorn", "app:app"]
"#;
    snap!("slim_base__multi_stage", report(input, &UNSAFE));
    let out = run(input, &UNSAFE).unwrap();
    // The builder keeps its full image.
    assert!(out.output.starts_with("FROM python:3.12 AS build\n"));
}

#[test]
fn copies_from_a_native_builder_are_unsafe() {
    let input = r#"FROM python:3.12 AS build
RUN pip install --prefix=/install uwsgi

FROM python:3.12
COPY --from=build /install /usr/local
CMD ["uwsgi", "--http", ":8000"]
"#;
    unchanged_with(input, &ONLY);
    let r = skip_reasons(input, &ONLY);
    assert!(r[0].contains("copies from stage `build`"), "{r:?}");
}

#[test]
fn onbuild_image_is_refused() {
    let input = "FROM ruby:3.3\nWORKDIR /app\nONBUILD COPY Gemfile Gemfile.lock ./\nONBUILD RUN bundle install\n";
    unchanged(input);
    assert!(skip_reasons(input, &ONLY)[0].contains("ONBUILD"));
}

#[test]
fn jdk_tools_on_a_jre_are_refused() {
    let input = "FROM eclipse-temurin:21\nCOPY . /src\nRUN javac -d /out /src/Main.java\nCMD [\"java\", \"-cp\", \"/out\", \"Main\"]\n";
    unchanged(input);
    assert!(skip_reasons(input, &ONLY)[0].contains("javac"));
    let ok = "FROM eclipse-temurin:21-jdk\nCOPY app.jar /app.jar\nCMD [\"java\", \"-jar\", \"/app.jar\"]\n";
    assert_eq!(first_line(ok, &UNSAFE), "FROM eclipse-temurin:21-jre");
    unchanged_with(ok, &ONLY);
}

#[test]
fn bundle_install_is_refused_without_a_compiler() {
    let input = "FROM ruby:3.3\nWORKDIR /app\nCOPY Gemfile Gemfile.lock ./\nRUN bundle install\nCOPY . .\nCMD [\"bundle\", \"exec\", \"puma\"]\n";
    snap!("slim_base__bundle_install_refused", report(input, &ONLY));
    unchanged(input);
}

#[test]
fn alpine_when_safe() {
    let input =
        "FROM python:3.12\nRUN pip install --no-cache-dir flask\nCMD [\"flask\", \"run\"]\n";
    snap!("slim_base__alpine_when_safe", report(input, &ALPINE_UNSAFE));
    // Without --unsafe it is only reported.
    unchanged_with(input, &ALPINE);
}

#[test]
fn alpine_refusals_fall_back_to_slim() {
    let cases = [
        (
            "apt-get",
            "FROM python:3.12\nRUN apt-get update && apt-get install -y --no-install-recommends libpq5 && rm -rf /var/lib/apt/lists/*\n",
        ),
        (
            "glibc wheels",
            "FROM python:3.12\nRUN pip install numpy pandas\n",
        ),
        (
            "bash shell",
            "FROM python:3.12\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN echo ok | tee /ok\n",
        ),
        ("bash run", "FROM python:3.12\nRUN bash -c 'echo ok'\n"),
        (
            "locales",
            "FROM python:3.12\nENV LANG=en_US.UTF-8\nRUN pip install flask\n",
        ),
        (
            "useradd",
            "FROM python:3.12\nRUN useradd -m app\nUSER app\n",
        ),
        (
            "glibc builder",
            "FROM python:3.12 AS build\nRUN pip install --prefix=/install flask\nFROM python:3.12\nCOPY --from=build /install /usr/local\n",
        ),
        (
            "unknown command",
            "FROM node:20\nCOPY tool /usr/local/bin/tool\nRUN tool --init\n",
        ),
    ];
    let mut s = String::new();
    for (name, input) in cases {
        s.push_str(&format!("## {name}\n{}", report(input, &ALPINE_UNSAFE)));
        let out = run(input, &ALPINE_UNSAFE).unwrap();
        assert!(
            !out.output.contains("alpine"),
            "{name}: alpine must be refused"
        );
    }
    snap!("slim_base__alpine_refusals", s);
}

#[test]
fn alpine_for_golang_needs_cgo_off() {
    let input =
        "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /app .\nCMD [\"/app\"]\n";
    unchanged_with(input, &ALPINE_UNSAFE);
    assert!(skip_reasons(input, &ALPINE_UNSAFE)[0].contains("CGO_ENABLED=0"));
    let ok = "FROM golang:1.22\nENV CGO_ENABLED=0\nWORKDIR /src\nCOPY . .\nRUN go build -o /app .\nCMD [\"/app\"]\n";
    assert_eq!(first_line(ok, &ALPINE_UNSAFE), "FROM golang:1.22-alpine");
    // Without --base alpine golang has no smaller variant: reported, not changed.
    unchanged(ok);
    assert!(skip_reasons(ok, &ONLY)[0].contains("no slim variant"));
}

#[test]
fn node_npm_ci_is_unsafe() {
    let input = r#"FROM node:20
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY . .
CMD ["node", "server.js"]
"#;
    snap!("slim_base__node_npm_ci_unsafe", report(input, &ONLY));
    unchanged_with(input, &ONLY);
    assert_eq!(first_line(input, &UNSAFE), "FROM node:20-slim");
}

#[test]
fn pipe_to_shell_is_unsafe() {
    let input = "FROM python:3.12\nRUN apt-get update && apt-get install -y --no-install-recommends curl && curl -fsSL https://example.com/install.sh | sh\n";
    unchanged_with(input, &ONLY);
    assert!(skip_reasons(input, &ONLY)[0].contains("a script from a pipe"));
}

#[test]
fn crlf_bom_and_comments_are_kept() {
    let input = "\u{feff}# base image\r\nFROM python:3.12\r\n# fetch data\r\nRUN apt-get update && wget -q https://example.com/a.csv\r\n";
    let out = run(input, &ONLY).unwrap();
    assert_eq!(
        out.output,
        "\u{feff}# base image\r\nFROM python:3.12-slim\r\nRUN apt-get update && apt-get install -y --no-install-recommends wget && rm -rf /var/lib/apt/lists/*\r\n# fetch data\r\nRUN apt-get update && wget -q https://example.com/a.csv\r\n"
    );
    let again = run(&out.output, &ONLY).unwrap();
    assert_eq!(again.output, out.output);
}

#[test]
fn paths_slim_drops_are_refused() {
    let input = "FROM python:3.12\nRUN apt-get update && apt-get install -y nginx && cp /usr/share/doc/nginx/copyright /licenses/\n";
    unchanged(input);
    assert!(skip_reasons(input, &ONLY)[0].contains("/usr/share/doc"));
}

#[test]
fn must_not_touch() {
    for input in [
        // Already small or special variants.
        "FROM python:3.12-slim\nRUN pip install flask\n",
        "FROM python:3.12-slim-bookworm\nRUN pip install flask\n",
        "FROM python:3.12-alpine\nRUN pip install flask\n",
        "FROM node:20-alpine3.19\nRUN npm ci\n",
        "FROM eclipse-temurin:21-jre\nCOPY app.jar /app.jar\n",
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN echo hi\n",
        "FROM python:3.12-windowsservercore-ltsc2022\nRUN echo hi\n",
        "FROM scratch\nCOPY app /app\n",
        "FROM gcr.io/distroless/python3-debian12\nCOPY . /app\n",
        // Unknown images and registries.
        "FROM ubuntu:22.04\nRUN echo hi\n",
        "FROM bitnami/python:3.12\nRUN echo hi\n",
        "FROM ghcr.io/example/python:3.12\nRUN echo hi\n",
        "FROM public.ecr.aws/docker/library/python:3.12\nRUN echo hi\n",
        "FROM python:3.12-bookworm-custom\nRUN echo hi\n",
        // Only a builder uses the full image.
        "FROM python:3.12 AS build\nRUN pip install flask\nFROM gcr.io/distroless/python3\nCOPY --from=build /usr/local /usr/local\n",
        "FROM python:3.12 AS base\nFROM base\nRUN pip install flask\n",
        "# syntax=docker/dockerfile:1\nFROM node:20 AS deps\nRUN echo x > /x\nFROM alpine:3.19\nRUN --mount=type=bind,from=deps,source=/x,target=/x cat /x\n",
        // Empty file pieces.
        "FROM python:3.12-slim AS a\nFROM a\n",
    ] {
        unchanged(input);
        unchanged_with(input, &ALPINE_UNSAFE);
        assert!(
            skip_reasons(input, &UNSAFE).is_empty(),
            "no report expected for {input}"
        );
    }
}

#[test]
fn arg_longer_than_its_reference() {
    let input = "ARG V=3.12.10\nFROM python:${V}-bookworm\n";
    assert_eq!(
        run(input, &UNSAFE).unwrap().output,
        "ARG V=3.12.10\nFROM python:${V}-slim-bookworm\n"
    );
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn on_odd_images_and_commands(
            arg in "[A-Za-z0-9_=.${}:-]{0,16}",
            image in "[a-zé./:@${}_0-9-]{0,30}",
            cmd in "[ -~é]{0,40}",
        ) {
            let input = format!("ARG {arg}\nFROM {image} AS x\nRUN {cmd}\nFROM x\nCOPY --from=x / /\nFROM {image}\nRUN {cmd}\n");
            for opts in [&ONLY, &ALPINE_UNSAFE] {
                if let Ok(out) = run(&input, opts) {
                    let again = run(&out.output, opts).unwrap();
                    prop_assert_eq!(again.output, out.output);
                }
            }
        }
    }
}

#[test]
fn native_build_on_a_jre_is_refused() {
    let input = "FROM eclipse-temurin:21-jdk\nRUN apt-get update && apt-get install -y gcc make libapr1-dev \\\n && cd /src/native && ./configure --with-java-home=\"$JAVA_HOME\" && make && make install\nCMD [\"java\", \"-jar\", \"/app.jar\"]\n";
    unchanged(input);
    assert!(
        skip_reasons(input, &ONLY)[0].contains("jni.h"),
        "{:?}",
        skip_reasons(input, &ONLY)
    );
}

/// The swap is not applied by default (refused or only offered as unsafe).
fn not_safe(input: &str, opts: &Opts) {
    let out = run(input, opts).unwrap();
    assert_eq!(out.output, input, "must not be a safe swap:\n{input}");
    assert!(out.applied.is_empty());
    assert!(
        !out.skipped.is_empty(),
        "the refusal must be reported:\n{input}"
    );
}

#[test]
fn source_builds_behind_wrappers_are_seen() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("req-prod.txt"), "uwsgi\n").unwrap();
    let opts = with_context(&ONLY, dir.path());
    for run_line in [
        "RUN timeout 600 pip install --no-cache-dir uwsgi",
        "RUN timeout -k 5 --signal=KILL 10m pip install --no-cache-dir uwsgi",
        "RUN nice -n 10 pip install --no-cache-dir uwsgi",
        "RUN nice -10 pip install --no-cache-dir uwsgi",
        "RUN ionice -c 3 pip install --no-cache-dir uwsgi",
        "RUN stdbuf -oL pip install --no-cache-dir uwsgi",
        "RUN chrt -b 0 pip install --no-cache-dir uwsgi",
        "RUN time pip install --no-cache-dir uwsgi",
        "RUN su root -c \"pip install --no-cache-dir uwsgi\"",
        "RUN su -c \"pip install --no-cache-dir uwsgi\" root",
        "RUN eval \"pip install --no-cache-dir uwsgi\"",
        "RUN bash -c \"pip install --no-cache-dir uwsgi\"",
        "RUN sh -ec 'pip install --no-cache-dir uwsgi'",
        "RUN xargs -a req-prod.txt pip install",
        "RUN cat req-prod.txt | xargs pip install",
        "RUN xargs -n 1 pip install < req-prod.txt",
        "RUN /venv/bin/pip install --no-cache-dir uwsgi",
    ] {
        let input = format!(
            "FROM python:3.12\nCOPY req-prod.txt .\n{run_line}\nCMD [\"uwsgi\", \"--http\", \":8000\"]\n"
        );
        not_safe(&input, &opts);
        not_safe(&input, &ONLY);
    }
    let input = "FROM python:3.12\nCOPY req-prod.txt .\nRUN xargs -a req-prod.txt pip install\nCMD [\"uwsgi\", \"--http\", \":8000\"]\n";
    snap!("slim_base__xargs_pip_install", report(input, &opts));
    let input = "FROM python:3.12\nRUN timeout 600 pip install --no-cache-dir uwsgi\n";
    snap!("slim_base__timeout_pip_install", report(input, &ONLY));
    // A wrapper around a harmless command stays a safe swap.
    let ok = "FROM python:3.12\nRUN timeout 60 pip install --no-cache-dir flask\n";
    assert_eq!(first_line(ok, &ONLY), "FROM python:3.12-slim");
}

#[test]
fn pip_no_binary_env_and_c_extras_build_from_source() {
    for input in [
        "FROM python:3.12\nENV PIP_NO_BINARY=:all:\nRUN pip install numpy pandas\n",
        "FROM python:3.12\nENV PIP_NO_BINARY=numpy\nRUN pip install numpy pandas\n",
        "FROM python:3.12\nARG PIP_NO_BINARY=:all:\nRUN pip install numpy pandas\n",
        "FROM python:3.12\nRUN PIP_NO_BINARY=:all: pip install numpy pandas\n",
        "FROM python:3.12\nRUN env PIP_NO_BINARY=:all: pip install numpy pandas\n",
        "FROM python:3.12\nRUN export PIP_NO_BINARY=:all: && pip install numpy pandas\n",
        "FROM python:3.12\nRUN pip install \"psycopg[c]\"\n",
        "FROM python:3.12\nRUN pip install 'psycopg[c,pool]'\n",
        "FROM python:3.12\nRUN pip install \"psycopg[c]>=3.1\"\n",
    ] {
        not_safe(input, &ONLY);
    }
    let input = "FROM python:3.12\nENV PIP_NO_BINARY=:all:\nRUN pip install numpy pandas\n";
    snap!("slim_base__pip_no_binary_env", report(input, &ONLY));
    let input = "FROM python:3.12\nRUN pip install \"psycopg[c]\"\n";
    snap!("slim_base__psycopg_c_extra", report(input, &ONLY));
    // `:none:` turns it off; a binary extra is fine.
    let ok = "FROM python:3.12\nENV PIP_NO_BINARY=:none:\nRUN pip install numpy\n";
    assert_eq!(first_line(ok, &ONLY), "FROM python:3.12-slim");
    let ok = "FROM python:3.12\nRUN pip install \"psycopg[binary]\"\n";
    assert_eq!(first_line(ok, &ONLY), "FROM python:3.12-slim");
}

#[test]
fn full_final_stage_copying_from_a_slim_native_builder_is_not_safe() {
    let input = r#"FROM python:3.12-slim AS builder
RUN apt-get update && apt-get install -y --no-install-recommends build-essential libpq-dev \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir psycopg2
FROM python:3.12
COPY --from=builder /venv /venv
ENV PATH=/venv/bin:$PATH
CMD ["python", "-m", "app"]
"#;
    not_safe(input, &ONLY);
    snap!("slim_base__slim_native_builder", report(input, &ONLY));
    // Only -dev libraries installed, nothing visibly compiled: still not safe.
    let input = r#"FROM debian:bookworm-slim AS builder
RUN apt-get update && apt-get install -y libpq-dev && rm -rf /var/lib/apt/lists/*
RUN ./build-it
FROM python:3.12
COPY --from=builder /out /usr/local
CMD ["python", "-m", "app"]
"#;
    not_safe(input, &ONLY);
    let r = skip_reasons(input, &ONLY);
    assert!(r[0].contains("copies from stage `builder`"), "{r:?}");
}

/// Writes `files` (path, text) into a fresh build context.
fn context_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

#[test]
fn build_time_python_using_git_is_not_a_safe_swap() {
    let dir = context_with(&[
        (
            "scripts/stamp_version.py",
            "import subprocess\nv = subprocess.check_output([\"git\", \"--version\"])\nopen(\"VERSION\", \"w\").write(v.decode())\n",
        ),
        ("app.py", "print('hi')\n"),
    ]);
    let opts = with_context(&ONLY, dir.path());
    let input = "FROM python:3.12\nWORKDIR /a\nCOPY . .\nRUN python scripts/stamp_version.py\nCMD [\"python\",\"app.py\"]\n";
    not_safe(input, &opts);
    snap!("slim_base__python_script_uses_git", report(input, &opts));
    // With apt already in use the tool is added back, as for a shell script.
    let input = "FROM python:3.12\nWORKDIR /a\nRUN apt-get update && apt-get install -y --no-install-recommends libpq5 && rm -rf /var/lib/apt/lists/*\nCOPY . .\nRUN python3 -u scripts/stamp_version.py\nCMD [\"python\",\"app.py\"]\n";
    let out = run(input, &opts).unwrap();
    assert!(
        out.output
            .contains("apt-get install -y --no-install-recommends git && rm"),
        "{}",
        out.output
    );
    // Inline code, a module of the context, a heredoc, imports of local modules.
    let dir = context_with(&[
        ("tools/__init__.py", ""),
        (
            "tools/fetch.py",
            "import os\nos.system('curl -fsSL https://example.com/x -o x')\n",
        ),
        ("build.py", "from tools import fetch\n"),
        (
            "gen.py",
            "import shutil\nif not shutil.which('gcc'):\n    raise SystemExit(1)\n",
        ),
    ]);
    let opts = with_context(&ONLY, dir.path());
    for run_line in [
        "RUN python -c \"import subprocess; subprocess.run(['git', 'describe'])\"",
        "RUN python -m tools.fetch",
        "RUN python build.py",
        "RUN python gen.py",
        "RUN python3 <<EOF\nimport subprocess\nsubprocess.run([\"wget\", \"https://example.com\"])\nEOF",
        "RUN curl -fsSL https://example.com/get.py | python3",
        "RUN ./build.py",
    ] {
        let input = format!("FROM python:3.12\nWORKDIR /src\nCOPY . .\n{run_line}\n");
        not_safe(&input, &opts);
    }
    // A script that is not in the context cannot be checked: unsafe, and the reason says so.
    let input = "FROM python:3.12\nWORKDIR /a\nCOPY . .\nRUN python scripts/stamp_version.py\n";
    not_safe(input, &ONLY);
    let r = skip_reasons(input, &ONLY);
    assert!(
        r[0].contains("Python script scripts/stamp_version.py, which could not be read"),
        "{r:?}"
    );
    // Too big to read: said so.
    let big = format!("x = 1\n{}", "# filler\n".repeat(70_000));
    let dir = context_with(&[("big.py", &big)]);
    let input = "FROM python:3.12\nCOPY big.py .\nRUN python big.py\n";
    let r = skip_reasons(input, &with_context(&ONLY, dir.path()));
    assert!(r[0].contains("larger than 512 KiB"), "{r:?}");
}

#[test]
fn django_collectstatic_stays_safe_unless_settings_use_git() {
    let manage = "#!/usr/bin/env python\nimport os\nimport sys\n\ndef main():\n    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n    from django.core.management import execute_from_command_line\n    execute_from_command_line(sys.argv)\n\nif __name__ == '__main__':\n    main()\n";
    let settings = "from pathlib import Path\nBASE_DIR = Path(__file__).resolve().parent.parent\nINSTALLED_APPS = ['django.contrib.admin', 'django.contrib.staticfiles']\nSTATIC_ROOT = BASE_DIR / 'static'\nDATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': 'db.sqlite3'}}\nhttp_method_names = ['get', 'post', 'patch']\n";
    let input = "FROM python:3.12\nWORKDIR /app\nRUN pip install --no-cache-dir django\nCOPY . .\nRUN python manage.py collectstatic --noinput\nCMD [\"python\", \"manage.py\", \"runserver\", \"0.0.0.0:8000\"]\n";
    let dir = context_with(&[
        ("manage.py", manage),
        ("mysite/__init__.py", ""),
        ("mysite/settings.py", settings),
    ]);
    assert_eq!(
        first_line(input, &with_context(&ONLY, dir.path())),
        "FROM python:3.12-slim"
    );
    // The settings module asks git for the version: not safe.
    let settings_git = format!(
        "{settings}import subprocess\nVERSION = subprocess.check_output(['git', 'rev-parse', 'HEAD']).decode()\n"
    );
    let dir = context_with(&[
        ("manage.py", manage),
        ("mysite/__init__.py", ""),
        ("mysite/settings.py", &settings_git),
    ]);
    not_safe(input, &with_context(&ONLY, dir.path()));
}

#[test]
fn pins_in_constraint_files_count_like_pins() {
    let opts_for = |files: &[(&str, &str)]| context_with(files);
    // The pin written in requirements.txt itself is unsafe; the same pin in a constraints file too.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: [Case; 5] = [
        (
            &[("requirements.txt", "lxml==4.6.0\n")],
            "",
            "pip install --no-cache-dir -r requirements.txt",
        ),
        (
            &[
                ("requirements.txt", "lxml\n-c constraints.txt\n"),
                ("constraints.txt", "lxml==4.6.0\n"),
            ],
            "",
            "pip install --no-cache-dir -r requirements.txt",
        ),
        (
            &[
                ("requirements.txt", "lxml\n"),
                (
                    "constraints.txt",
                    "# pins\nlxml==4.6.0 ; python_version >= '3'\n",
                ),
            ],
            "",
            "pip install --no-cache-dir -c constraints.txt -r requirements.txt",
        ),
        (
            &[
                ("requirements.txt", "lxml\n"),
                ("constraints.txt", "lxml==4.6.0\n"),
            ],
            "ENV PIP_CONSTRAINT=constraints.txt\n",
            "pip install --no-cache-dir -r requirements.txt",
        ),
        (
            &[
                ("requirements.txt", "lxml\n"),
                ("pins/constraints.txt", "lxml<5\n"),
            ],
            "ENV PIP_CONSTRAINT=/app/pins/constraints.txt\n",
            "pip install --no-cache-dir -r requirements.txt",
        ),
    ];
    for (files, env, pip) in cases {
        let dir = opts_for(files);
        let opts = with_context(&ONLY, dir.path());
        let input = format!("FROM python:3.12\nWORKDIR /app\n{env}COPY . .\nRUN {pip}\n");
        not_safe(&input, &opts);
        let r = skip_reasons(&input, &opts);
        assert!(r[0].contains("pip pins lxml"), "{input}: {r:?}");
    }
    // An unpinned constraint changes nothing; a constraints file that cannot be read is unsafe.
    let dir = opts_for(&[
        ("requirements.txt", "lxml\n-c constraints.txt\n"),
        ("constraints.txt", "lxml>=4\nnumpy==1.26.4\n"),
    ]);
    let input = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\n";
    assert_eq!(
        first_line(input, &with_context(&ONLY, dir.path())),
        "FROM python:3.12-slim"
    );
    let dir = opts_for(&[("requirements.txt", "lxml\n")]);
    let input = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -c constraints.txt -r requirements.txt\n";
    let opts = with_context(&ONLY, dir.path());
    not_safe(input, &opts);
    assert!(
        skip_reasons(input, &opts)[0]
            .contains("constraints file constraints.txt, which could not be read")
    );
    snap!("slim_base__constraints_file_pin", {
        let dir = opts_for(&[
            ("requirements.txt", "lxml\n-c constraints.txt\n"),
            ("constraints.txt", "lxml==4.6.0\n"),
        ]);
        report(
            input.replace("-c constraints.txt ", "").as_str(),
            &with_context(&ONLY, dir.path()),
        )
    });
}

#[test]
fn python_code_without_missing_tools_stays_safe() {
    let dir = context_with(&[(
        "tool.py",
        "#!/usr/bin/env python3\nimport json\nprint(json.dumps({'file': 1}))\n",
    )]);
    for run_line in [
        "RUN python3 <<EOF\nprint(\"hi\")\nEOF",
        "RUN python --version",
        "RUN python -m pip install --no-cache-dir flask",
        "RUN python -c \"import json; print(json.dumps({'file': 1, 'top': 2}))\"",
        "RUN python -m compileall -q /usr/local/lib",
        "RUN ./tool.py",
    ] {
        let input = format!("FROM python:3.12\nCOPY tool.py .\n{run_line}\n");
        assert_eq!(
            first_line(&input, &with_context(&ONLY, dir.path())),
            "FROM python:3.12-slim",
            "{run_line}"
        );
    }
}
