//! multi-stage: a snapshot per language on a sample project (tests/fixtures/multi-stage/<case>/), the
//! combination with every default pass, and a refusal test for each refusal.

mod common;

use std::path::{Path, PathBuf};

use common::{Opts, report, run};

const ONLY: Opts = Opts {
    only: &["multi-stage"],
    unsafe_fixes: true,
    base_alpine: false,
    cache_mounts: false,
    context: None,
};

/// Every default pass, unsafe fixes applied.
const ALL_UNSAFE: Opts = Opts {
    only: &[],
    unsafe_fixes: true,
    ..ONLY
};

fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/multi-stage")
        .join(case)
}

fn dockerfile(case: &str) -> String {
    std::fs::read_to_string(fixture(case).join("Dockerfile")).unwrap()
}

/// Runs the pass on a fixture directory (its Dockerfile, the directory as context).
fn case_report(case: &str, opts: &Opts) -> String {
    let dir = fixture(case);
    let o = Opts {
        context: Some(&dir),
        ..opts.clone()
    };
    report(&dockerfile(case), &o)
}

fn split(input: &str, context: Option<&Path>) -> String {
    let o = Opts { context, ..ONLY };
    let out = run(input, &o).unwrap();
    assert!(
        out.applied.iter().any(|a| a.pass == "multi-stage"),
        "expected a split: {:?}",
        out.skipped
    );
    out.output
}

/// Asserts the pass leaves `input` alone (also with --unsafe) and returns its skip reasons.
fn refused_in(input: &str, context: Option<&Path>) -> Vec<String> {
    let o = Opts { context, ..ONLY };
    let out = run(input, &o).unwrap();
    assert_eq!(out.output, input, "multi-stage must leave this alone");
    assert!(out.applied.is_empty());
    out.skipped
        .into_iter()
        .filter(|s| s.pass == "multi-stage")
        .map(|s| s.reason)
        .collect()
}

fn refused(input: &str) -> Vec<String> {
    refused_in(input, None)
}

fn assert_refused(input: &str, needle: &str) {
    let reasons = refused(input);
    assert!(
        reasons.iter().any(|r| r.contains(needle)),
        "expected a refusal containing {needle:?}, got {reasons:?}"
    );
}

// ---- Python ----

#[test]
fn flask_gunicorn_psycopg2_lxml() {
    snap!(
        "multi_stage__flask_psycopg2",
        case_report("flask-psycopg2", &ONLY)
    );
    let dir = fixture("flask-psycopg2");
    let out = split(&dockerfile("flask-psycopg2"), Some(&dir));
    let runtime = out.split("\nFROM python:3.12-slim\n").nth(1).unwrap();
    // Build-only packages stay in the builder; -dev packages become their runtime libraries.
    assert!(runtime.contains("libpq5 libxml2 libxslt1.1"));
    assert!(runtime.contains("ffmpeg"));
    assert!(!runtime.contains("gcc") && !runtime.contains("-dev"));
    // The venv goes whole to the same path, and the HEALTHCHECK's curl is installed.
    assert!(runtime.contains("COPY --from=builder /opt/venv /opt/venv\n"));
    assert!(runtime.contains("apt-get install -y --no-install-recommends curl && rm"));
    // The user is created before USER, in the same order.
    let useradd = runtime.find("useradd").unwrap();
    let user = runtime.find("USER feeds").unwrap();
    assert!(useradd < user);
}

#[test]
fn flask_with_every_default_pass_converges() {
    snap!(
        "multi_stage__flask_all_passes",
        case_report("flask-psycopg2", &ALL_UNSAFE)
    );
}

#[test]
fn fastapi_uvicorn() {
    snap!(
        "multi_stage__fastapi_uvicorn",
        case_report("fastapi-uvicorn", &ONLY)
    );
    let dir = fixture("fastapi-uvicorn");
    let out = split(&dockerfile("fastapi-uvicorn"), Some(&dir));
    // Same Python minor version and the same Debian release.
    assert!(out.contains("\nFROM python:3.11-slim-bookworm\n"));
}

#[test]
fn poetry_installs_into_the_venv() {
    snap!("multi_stage__poetry", case_report("poetry-app", &ONLY));
}

#[test]
fn django_collectstatic_runs_again_in_the_runtime() {
    snap!(
        "multi_stage__django",
        case_report("django-app", &ALL_UNSAFE)
    );
}

#[test]
fn the_example_flask_app() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/flask-app");
    let input = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
    let out = split(&input, Some(&dir));
    assert!(out.contains("FROM python:3.12 AS builder\nRUN python -m venv /opt/venv\n"));
}

#[test]
fn without_unsafe_nothing_is_split() {
    let dir = fixture("flask-psycopg2");
    let input = dockerfile("flask-psycopg2");
    let o = Opts {
        unsafe_fixes: false,
        context: Some(&dir),
        ..ONLY
    };
    let out = run(&input, &o).unwrap();
    assert_eq!(out.output, input);
    assert!(
        out.skipped
            .iter()
            .any(|s| s.pass == "multi-stage" && s.reason.contains("unsafe"))
    );
}

#[test]
fn crlf_and_no_final_newline_are_kept() {
    let input = "FROM python:3.12\r\nWORKDIR /app\r\nCOPY . .\r\nRUN pip install -r requirements.txt\r\nCMD [\"python\", \"app.py\"]";
    let out = split(input, None);
    assert!(
        !out.replace("\r\n", "").contains('\n'),
        "only CRLF: {out:?}"
    );
    assert!(out.ends_with("CMD [\"python\", \"app.py\"]\r\n"));
}

#[test]
fn own_output_is_refused_as_already_multi_stage() {
    let dir = fixture("flask-psycopg2");
    let out = split(&dockerfile("flask-psycopg2"), Some(&dir));
    let reasons = refused_in(&out, Some(&dir));
    assert!(reasons[0].starts_with("already multi-stage"));
}

// ---- Python refusals ----

#[test]
fn refuses_multi_stage_files() {
    assert_refused(
        "FROM python:3.12 AS build\nRUN pip install x\nFROM python:3.12-slim\nCOPY --from=build /usr/local /usr/local\n",
        "already multi-stage",
    );
}

#[test]
fn refuses_editable_installs() {
    assert_refused(
        "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -e .\nCMD [\"app\"]\n",
        "editable",
    );
    assert_refused(
        "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install --editable=.[dev]\n",
        "editable",
    );
    let dir = fixture("editable-requirements");
    let reasons = refused_in(&dockerfile("editable-requirements"), Some(&dir));
    assert!(
        reasons[0].contains("`-e ./libs/shared` editable"),
        "{reasons:?}"
    );
    // A non-editable install of the project itself is fine.
    split(
        "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install .\nCMD [\"app\"]\n",
        None,
    );
}

#[test]
fn refuses_python_packages_from_apt() {
    assert_refused(
        "FROM python:3.12\nRUN apt-get update && apt-get install -y python3-numpy\nRUN pip install flask\n",
        "python3-numpy comes from apt",
    );
}

#[test]
fn refuses_the_system_python() {
    assert_refused(
        "FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y python3-pip\nRUN pip3 install flask\nCMD [\"flask\", \"run\"]\n",
        "system Python",
    );
}

#[test]
fn refuses_onbuild() {
    assert_refused(
        "FROM python:3.12\nONBUILD COPY . /app\nRUN pip install flask\n",
        "ONBUILD",
    );
}

#[test]
fn refuses_unknown_commands_after_the_install() {
    assert_refused(
        "FROM python:3.12\nWORKDIR /app\nRUN pip install flask\nRUN curl -fsSL https://example.com/model.bin -o /models/model.bin\nCMD [\"flask\", \"run\"]\n",
        "line 4 runs `curl -fsSL https://example.com/model.bin`, which may produce files the runtime needs",
    );
    assert_refused(
        "FROM python:3.12\nRUN pip install nltk\nRUN python -c \"import nltk; nltk.download('punkt')\"\n",
        "line 3 runs `python -c",
    );
}

#[test]
fn refuses_what_it_cannot_prove() {
    // COPY --from another image.
    assert_refused(
        "FROM python:3.12\nCOPY --from=ghcr.io/astral-sh/uv:latest /uv /bin/uv\nRUN uv pip install flask\n",
        "--from",
    );
    // Base from a build argument, pinned by digest, FROM --platform, Windows.
    assert_refused(
        "ARG BASE=python:3.12\nFROM $BASE\nRUN pip install flask\n",
        "build argument",
    );
    assert_refused(
        "FROM python:3.12@sha256:4e7024df2f2099e87d0a41893c299230d2a974c3474e681b0996f141951f9817\nRUN pip install flask\n",
        "pinned by digest",
    );
    assert_refused(
        "FROM --platform=linux/amd64 python:3.12\nRUN pip install flask\n",
        "--platform",
    );
    assert_refused(
        "FROM python:3.12-windowsservercore\nRUN pip install flask\n",
        "`python:3.12-windowsservercore` is a Windows image: not supported",
    );
    assert_refused(
        "FROM python:3.12-windowsservercore-ltsc2022\nRUN pip install flask\n",
        "is a Windows image: not supported",
    );
    for input in [
        "FROM python:3.12-windowsservercore\nRUN pip install flask\n",
        "FROM python:3.12-nanoserver-ltsc2022\nRUN pip install flask\n",
    ] {
        for r in refused(input) {
            assert!(!r.contains("small variant"), "{r}");
        }
    }
    // Already slim, alpine (never glibc to musl).
    assert_refused(
        "FROM python:3.12-slim\nRUN pip install flask\n",
        "already a small variant (slim)",
    );
    assert_refused(
        "FROM python:3.12-alpine\nRUN pip install flask\n",
        "already a small variant",
    );
    // An unknown -dev package is a refusal, not a guess.
    assert_refused(
        "FROM python:3.12\nRUN apt-get update && apt-get install -y libfrobnicate-dev\nRUN pip install frob\n",
        "no runtime library is known for libfrobnicate-dev",
    );
    // Heredoc and exec-form RUN.
    assert_refused(
        "FROM python:3.12\nRUN <<EOF\npip install flask\nEOF\n",
        "heredoc",
    );
    assert_refused(
        "FROM python:3.12\nRUN [\"pip\", \"install\", \"flask\"]\n",
        "exec-form RUN",
    );
    // Installs as a non-root user, or elsewhere than the venv.
    assert_refused(
        "FROM python:3.12\nRUN useradd app\nUSER app\nRUN pip install --user flask\n",
        "--user",
    );
    assert_refused(
        "FROM python:3.12\nRUN useradd app\nUSER app\nRUN pip install flask\n",
        "runs as USER app",
    );
    assert_refused(
        "FROM python:3.12\nENV PATH=/usr/local/bin:/usr/bin:/bin\nRUN pip install flask\n",
        "ENV PATH replaces PATH",
    );
    assert_refused(
        "FROM python:3.12\nENV PIP_TARGET=/deps\nRUN pip install flask\n",
        "ENV PIP_TARGET",
    );
    assert_refused(
        "FROM python:3.12\nRUN python -m venv /venv\nRUN /venv/bin/pip install flask\n",
        "own virtualenv",
    );
    // Poetry installing the project editable, uv sync, uv into the system.
    assert_refused(
        "FROM python:3.12\nRUN pip install poetry\nCOPY . .\nRUN poetry install\n",
        "--no-root",
    );
    assert_refused(
        "FROM python:3.12\nRUN pip install uv\nCOPY . .\nRUN uv sync --frozen\n",
        "uv sync",
    );
    assert_refused(
        "FROM python:3.12\nRUN pip install uv\nRUN uv pip install --system flask\n",
        "--system",
    );
    // A shell construct around an install that must be rebuilt for the runtime.
    assert_refused(
        "FROM python:3.12\nRUN apt-get update && apt-get install -y ffmpeg || true\nRUN pip install flask\n",
        "shell constructs",
    );
    // Nothing to build.
    assert_refused(
        "FROM python:3.12\nCOPY app.py .\nCMD [\"python\", \"app.py\"]\n",
        "installs no Python packages",
    );
    // Python or a console script called by its system path would miss the venv.
    assert_refused(
        "FROM python:3.12\nRUN pip install gunicorn\nCMD [\"/usr/local/bin/gunicorn\", \"app:app\"]\n",
        "runs /usr/local/bin/gunicorn",
    );
    // A tool the slim image lacks that cannot just be installed.
    assert_refused(
        "FROM python:3.12\nRUN pip install flask\nCMD convert in.png out.jpg\n",
        "ImageMagick",
    );
}

#[test]
fn uv_pip_install_into_the_venv_is_split() {
    let out = split(
        "FROM python:3.12\nRUN pip install uv\nCOPY requirements.txt .\nRUN uv pip install -r requirements.txt\nCMD [\"python\"]\n",
        None,
    );
    assert!(out.contains("\nFROM python:3.12-slim\n"));
}

#[test]
fn unrelated_images_are_silent() {
    let input = "FROM nginx:1.27\nCOPY site /usr/share/nginx/html\n";
    let out = run(input, &ONLY).unwrap();
    assert_eq!(out.output, input);
    assert!(out.skipped.is_empty());
}

// ---- Node ----

#[test]
fn express_with_a_build_step() {
    snap!(
        "multi_stage__express_build",
        case_report("express-build", &ONLY)
    );
    let dir = fixture("express-build");
    let out = split(&dockerfile("express-build"), Some(&dir));
    assert!(out.contains("RUN npm run build\nRUN npm prune --omit=dev\n"));
    assert!(out.contains("\nFROM node:20-bookworm-slim\n"));
    assert!(out.contains("COPY --from=builder /usr/src/app /usr/src/app\n"));
}

#[test]
fn express_with_every_default_pass_converges() {
    snap!(
        "multi_stage__express_all_passes",
        case_report("express-build", &ALL_UNSAFE)
    );
}

#[test]
fn old_npm_prunes_with_production() {
    let out = split(
        "FROM node:14-bullseye\nWORKDIR /app\nCOPY . .\nRUN npm install\nCMD [\"node\", \"server.js\"]\n",
        None,
    );
    assert!(out.contains("RUN npm prune --production\n"));
    assert!(out.contains("FROM node:14-bullseye-slim\n"));
}

#[test]
fn node_chown_follows_the_build_user() {
    let out = split(
        "FROM node:20\nWORKDIR /home/node/app\nRUN chown node:node /home/node/app\nUSER node\nCOPY --chown=node:node . .\nRUN npm ci\nCMD [\"node\", \"index.js\"]\n",
        None,
    );
    assert!(
        out.contains("COPY --from=builder --chown=node:node /home/node/app /home/node/app\n"),
        "{out}"
    );
}

#[test]
fn node_refusals() {
    let dir = fixture("ts-node-start");
    let reasons = refused_in(&dockerfile("ts-node-start"), Some(&dir));
    assert!(
        reasons[0].contains("uses the devDependency ts-node"),
        "{reasons:?}"
    );
    let reasons = refused_in(
        &dockerfile("npm-start-unreadable"),
        Some(&fixture("npm-start-unreadable")),
    );
    assert!(
        reasons[0].contains("package.json cannot be read"),
        "{reasons:?}"
    );
    assert_refused(
        "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN yarn install --frozen-lockfile\nCMD [\"node\", \"index.js\"]\n",
        "yarn builds: not supported yet",
    );
    assert_refused(
        "FROM node:20\nWORKDIR /app\nRUN npm install -g pm2\nCOPY . .\nRUN npm ci\nCMD [\"pm2-runtime\", \"index.js\"]\n",
        "-g",
    );
    assert_refused(
        "FROM node:20\nCOPY . .\nRUN npm ci\nCMD [\"node\", \"index.js\"]\n",
        "working directory",
    );
    assert_refused(
        "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci && npx prisma generate\nCMD [\"node\", \"index.js\"]\n",
        "line 4 runs `npx prisma generate`",
    );
    assert_refused(
        "FROM node:20\nWORKDIR /app\nCOPY --chown=node:node . .\nRUN npm ci\nCMD [\"node\", \"index.js\"]\n",
        "different owners",
    );
}

// ---- Go ----

#[test]
fn go_service() {
    snap!("multi_stage__go_service", case_report("go-service", &ONLY));
    let dir = fixture("go-service");
    let out = split(&dockerfile("go-service"), Some(&dir));
    assert!(out.contains(
        "RUN CGO_ENABLED=0 go build -trimpath -ldflags=\"-s -w\" -o /usr/local/bin/inventory ./cmd/inventory\n"
    ));
    assert!(out.contains("\nFROM debian:bookworm-slim\n"));
    assert!(
        out.contains("COPY --from=builder /usr/local/bin/inventory /usr/local/bin/inventory\n")
    );
}

#[test]
fn go_with_cgo_keeps_glibc_and_the_debian_release() {
    snap!("multi_stage__go_cgo", case_report("go-cgo", &ALL_UNSAFE));
    let dir = fixture("go-cgo");
    let out = split(&dockerfile("go-cgo"), Some(&dir));
    assert!(
        out.contains("RUN go build -o bin/notes .\n"),
        "cgo build kept as is"
    );
    assert!(out.contains("COPY --from=builder /app/bin/notes /app/bin/notes\n"));
}

#[test]
fn go_without_a_context_keeps_cgo() {
    let out = split(
        "FROM golang:1.23\nWORKDIR /app\nCOPY . .\nRUN go build -o /out/app .\nCMD [\"/out/app\"]\n",
        None,
    );
    assert!(out.contains("RUN go build -o /out/app .\n"));
    assert!(out.contains("FROM debian:bookworm-slim\n"));
}

#[test]
fn go_refusals() {
    assert_refused(
        "FROM golang:1.22\nWORKDIR /app\nCOPY . .\nRUN go build .\nCMD [\"./app\"]\n",
        "without -o",
    );
    assert_refused(
        "FROM golang:1.22\nWORKDIR /app\nCOPY . .\nRUN go install ./cmd/app\nCMD [\"app\"]\n",
        "go install",
    );
    assert_refused(
        "FROM golang:1.22\nWORKDIR /app\nCOPY . .\nRUN go build -o app .\nCMD go run .\n",
        "go tool",
    );
    assert_refused(
        "FROM golang:1.22-alpine\nWORKDIR /app\nRUN go build -o app .\n",
        "only Debian-based golang tags",
    );
    assert_refused(
        "FROM golang:1.17\nWORKDIR /app\nCOPY . .\nRUN go build -o app .\nCMD [\"./app\"]\n",
        "Debian release of golang:1.17 is unknown",
    );
}

// ---- Java ----

#[test]
fn spring_boot_jar_on_a_jre() {
    snap!(
        "multi_stage__spring_boot",
        case_report("spring-boot", &ALL_UNSAFE)
    );
    let dir = fixture("spring-boot");
    let out = split(&dockerfile("spring-boot"), Some(&dir));
    let runtime = out.split("\nFROM eclipse-temurin:21-jre\n").nth(1).unwrap();
    assert!(runtime.contains("COPY --from=builder /workspace/app.jar /workspace/app.jar\n"));
    // The sources and the build files stay in the builder.
    assert!(!runtime.contains("pom.xml") && !runtime.contains("src"));
}

#[test]
fn java_refusals() {
    assert_refused(
        "FROM maven:3.9-eclipse-temurin-21\nWORKDIR /app\nCOPY . .\nRUN mvn -B package\nCMD [\"mvn\", \"spring-boot:run\"]\n",
        "does not start with `java -jar FILE`",
    );
    assert_refused(
        "FROM maven:3.9-eclipse-temurin-21\nWORKDIR /app\nCOPY . .\nRUN mvn -B package\nCMD java -jar target/*.jar\n",
        "is not known",
    );
    assert_refused(
        "FROM maven:3.9-eclipse-temurin-21-alpine\nWORKDIR /app\nCOPY . .\nRUN mvn -B package\nCMD [\"java\", \"-jar\", \"target/app.jar\"]\n",
        "Java: not supported yet for other images",
    );
    assert_refused(
        "FROM gradle:8.8-jdk21\nWORKDIR /app\nCOPY . .\nRUN gradle bootJar && curl -o agent.jar https://example.com/agent.jar\nCMD [\"java\", \"-jar\", \"build/libs/app.jar\"]\n",
        "runs `curl -o agent.jar`",
    );
}

#[test]
fn gradle_wrapper_chmod_stays_in_the_builder() {
    let out = split(
        "FROM eclipse-temurin:17-jdk-jammy\nWORKDIR /app\nCOPY gradlew .\nCOPY gradle gradle\nCOPY build.gradle settings.gradle ./\nCOPY src src\nRUN chmod +x gradlew && ./gradlew bootJar --no-daemon\nCOPY config /app/config\nEXPOSE 8080\nCMD [\"java\", \"-jar\", \"build/libs/app.jar\"]\n",
        None,
    );
    let runtime = out
        .split("\nFROM eclipse-temurin:17-jre-jammy\n")
        .nth(1)
        .unwrap();
    assert_eq!(
        runtime,
        "WORKDIR /app\nCOPY --from=builder /app/build/libs/app.jar /app/build/libs/app.jar\nCOPY config /app/config\nEXPOSE 8080\nCMD [\"java\", \"-jar\", \"build/libs/app.jar\"]\n"
    );
}

// ---- Rust ----

#[test]
fn rust_binary_on_debian_slim() {
    snap!(
        "multi_stage__rust_binary",
        case_report("rust-binary", &ALL_UNSAFE)
    );
    let dir = fixture("rust-binary");
    let out = split(&dockerfile("rust-binary"), Some(&dir));
    // Same Debian release; the openssl-sys crate's library is installed.
    assert!(out.contains("\nFROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y --no-install-recommends libssl3 && rm -rf /var/lib/apt/lists/*\n"));
}

#[test]
fn the_example_rust_service() {
    // tests/e2e/run.sh builds this split for real (stand-in rust:1.80 and debian:bookworm-slim).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/rust-service");
    let input = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
    let o = Opts {
        context: Some(&dir),
        ..ONLY
    };
    snap!("multi_stage__example_rust_service", report(&input, &o));
    let out = split(&input, Some(&dir));
    // A std-only Cargo.lock: no runtime library to install, only the binary and the CA bundle.
    assert!(out.contains("FROM rust:1.80 AS builder\n"));
    assert!(out.contains(
        "\nFROM debian:bookworm-slim\nCOPY --from=builder /etc/ssl/certs/ca-certificates.crt"
    ));
    assert!(!out.contains("apt-get"));
    assert!(out.contains(
        "COPY --from=builder /app/target/release/rust-service /app/target/release/rust-service\n"
    ));
}

#[test]
fn cargo_install_binary_goes_to_usr_local_bin() {
    let dir = fixture("rust-binary");
    let out = split(
        "FROM rust:1.80\nWORKDIR /src\nCOPY . .\nRUN cargo install --path . --locked\nCMD [\"shortener\"]\n",
        Some(&dir),
    );
    assert!(
        out.contains(
            "COPY --from=builder /usr/local/cargo/bin/shortener /usr/local/bin/shortener\n"
        )
    );
}

#[test]
fn rust_refusals() {
    let reasons = refused_in(&dockerfile("rust-no-lock"), Some(&fixture("rust-no-lock")));
    assert!(
        reasons[0].contains("Cargo.lock cannot be read"),
        "{reasons:?}"
    );
    let dir = fixture("rust-binary");
    let r = refused_in(
        "FROM rust:1.79\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\nCMD [\"cargo\", \"run\", \"--release\"]\n",
        Some(&dir),
    );
    assert!(r[0].contains("runs cargo"), "{r:?}");
    let r = refused_in(
        "FROM rust:1.79\nRUN cargo install ripgrep\nCMD [\"rg\"]\n",
        Some(&dir),
    );
    assert!(r[0].contains("published crate"), "{r:?}");
    let r = refused_in(
        "FROM rust:1.60\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\nCMD [\"./target/release/app\"]\n",
        Some(&dir),
    );
    assert!(
        r[0].contains("Debian release of rust:1.60 is unknown"),
        "{r:?}"
    );
    assert_refused(
        "FROM rust:1.79-slim-bookworm\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\nCMD [\"./target/release/app\"]\n",
        "already a small variant",
    );
}

#[test]
fn rust_unknown_sys_crate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Cargo.lock"),
        "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"rdkafka-sys\"\nversion = \"4.7.0\"\n",
    )
    .unwrap();
    let r = refused_in(
        "FROM rust:1.79\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\nCMD [\"./target/release/app\"]\n",
        Some(dir.path()),
    );
    assert!(r[0].contains("rdkafka-sys"), "{r:?}");
}

#[test]
fn the_documented_example_is_what_the_pass_does() {
    let input = "FROM python:3.12\nWORKDIR /app\nRUN apt-get update && apt-get install -y gcc libpq-dev\nCOPY . .\nRUN pip install -r requirements.txt\nCMD [\"gunicorn\", \"app:app\"]\n";
    let out = split(input, None);
    let doc = dockopt::passes::by_name("multi-stage").unwrap().info().doc;
    let example = doc.split("becomes\n```dockerfile\n").nth(1).unwrap();
    let example = example.split("```").next().unwrap();
    assert_eq!(out, example);
}

#[test]
fn psycopg2_built_against_the_full_image_gets_libpq_at_run_time() {
    // python:3.12 has libpq-dev without any apt-get: the runtime needs libpq5 all the same.
    let out = split(
        "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -i https://pypi.org/simple psycopg2==2.9.9 gunicorn\nCMD [\"gunicorn\", \"app:app\"]\n",
        None,
    );
    assert!(out.contains(
        "\nFROM python:3.12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends libpq5 && rm -rf /var/lib/apt/lists/*\n"
    ));
    // Also through a requirements file in the context (flask-psycopg2 installs libpq-dev itself, so
    // libpq5 is not added twice).
    let dir = fixture("flask-psycopg2");
    let out = split(&dockerfile("flask-psycopg2"), Some(&dir));
    assert_eq!(out.matches("libpq5").count(), 1);
    assert_refused(
        "FROM python:3.12\nRUN pip install python-ldap\n",
        "python-ldap builds against OpenLDAP",
    );
}
