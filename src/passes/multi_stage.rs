//! multi-stage: split a single-stage build into a builder stage and a slim runtime stage.
//!
//! The original stage stays in the file, byte for byte, as the builder (`AS builder` added, plus the few
//! lines a language needs there, such as the virtualenv for Python). The runtime stage is appended at the
//! end: it replays the original stage's instructions in order on the smaller image, with the builds
//! replaced by copies of their results from the builder. Anything dockopt cannot prove it can carry over
//! is a refusal with its reason.

mod common;
mod data;
mod go;
mod java;
mod node;
mod python;
mod rust;

use crate::fix::{Applicability, Edit, Findings};
use crate::model::{Detail, Document, Kind};
use crate::passes::{Pass, PassContext, PassInfo};
use crate::recognize;

pub use common::Refusal;

pub struct MultiStage;

const NAME: &str = "multi-stage";

static INFO: PassInfo = PassInfo {
    name: NAME,
    summary: "Split a single-stage build into a builder stage and a slim runtime stage (Python, Node, Go, Java, Rust)",
    hadolint: &[],
    default_enabled: true,
    doc: r#"# multi-stage

## What it does
Turns a single-stage Dockerfile into two stages. The original stage is kept as it is and becomes
`FROM <image> AS builder`. A runtime stage on a smaller image of the same language, version and Debian
release is appended. It replays the original instructions in order (WORKDIR, ENV, ARG, USER and the
useradd that creates it, COPY from the context, EXPOSE, VOLUME, LABEL, HEALTHCHECK, STOPSIGNAL, SHELL,
ENTRYPOINT, CMD), and in place of each build step it copies that step's result from the builder:

- **Python** (`python:*`): the builder creates a virtualenv at `/opt/venv` (`ENV PATH=/opt/venv/bin:$PATH`)
  right after FROM, so the file's own `pip install -r`, `pip install .`, `poetry install --no-root` or
  `uv pip install` installs into it. The runtime is the slim variant of the same tag (`python:3.12` ->
  `python:3.12-slim`, never musl): it copies `/opt/venv` whole to the same path, so site-packages and
  console scripts (gunicorn, uvicorn) come along. Build-only system packages (gcc, build-essential, ...) stay
  in the builder; other apt packages (ffmpeg) are installed again in the runtime, and every `-dev` package
  is replaced by its runtime library from `transforms/multi-stage.yaml` (libpq-dev -> libpq5, libxml2-dev
  -> libxml2, ...). Django's `manage.py collectstatic`/`compilemessages` run again in the runtime stage.
- **Node** (`node:*`, npm): the builder runs the file's `npm ci`/`npm install` and build scripts, then
  `npm prune --omit=dev`. The runtime is `node:<same tag>-slim` and copies the application directory (the
  build output such as `dist/`, `build/` or `.next/` and the production `node_modules`) from the builder.
- **Go** (`golang:*`): the builder runs the file's own `go build -o ...`, with `CGO_ENABLED=0` when the
  project provably uses no cgo. The runtime comes from the table (`debian:bookworm-slim` by default; a
  cgo build gets the slim image of the builder's own Debian release) and receives the binary and the CA
  bundle. Files the original copied from the context are copied again, since the program may read them
  (go.mod, go.sum and Go sources only feed the build and are not).
- **Java** (`maven:*-eclipse-temurin-N`, `gradle:*-jdkN`, `eclipse-temurin:N` with mvn/gradle or their
  wrappers): the builder runs the file's build; the runtime is `eclipse-temurin:N-jre` (same major, same
  Ubuntu release) and gets the jar the container runs (`java -jar FILE`). Build files and sources (pom.xml,
  build.gradle, src, the wrappers) are not copied again; other files are.
- **Rust** (`rust:*`): the builder runs `cargo build --release` or `cargo install --path .`; the runtime
  is `debian:<the same release>-slim` with the binary the container runs (a `cargo install`ed one goes to
  /usr/local/bin), the CA bundle, and the runtime library of every `-sys` crate in Cargo.lock
  (openssl-sys -> libssl3, pq-sys -> libpq5, ...).

Every runtime image and rule (which files to copy, which packages to keep, which commands run again)
is in `transforms/multi-stage.yaml`.

## Why
A full language image carries compilers, headers and the whole build toolchain: often 800 MB or more
that the running program never uses. A runtime stage on the slim image keeps only what runs.
The textbook split (copy `/app` into a slim image) is wrong for Python: it loses site-packages and the
console scripts in /usr/local/bin. A virtualenv at a fixed path carries both.

## Example
```dockerfile
FROM python:3.12
WORKDIR /app
RUN apt-get update && apt-get install -y gcc libpq-dev
COPY . .
RUN pip install -r requirements.txt
CMD ["gunicorn", "app:app"]
```
becomes
```dockerfile
FROM python:3.12 AS builder
RUN python -m venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH
WORKDIR /app
RUN apt-get update && apt-get install -y gcc libpq-dev
COPY . .
RUN pip install -r requirements.txt
CMD ["gunicorn", "app:app"]

FROM python:3.12-slim
WORKDIR /app
RUN apt-get update && apt-get install -y libpq5 && rm -rf /var/lib/apt/lists/*
COPY . .
COPY --from=builder /opt/venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH
CMD ["gunicorn", "app:app"]
```

## When it refuses
- The file is already multi-stage (this is also what keeps its own output a fixed point).
- The base image is unknown, comes from a build argument, is pinned by digest, has no slim variant of
  the same distribution, or FROM has flags (`--platform`).
- The stage has ONBUILD, copies from another image or stage (`COPY --from`, `RUN --mount=from=`), uses an
  exec-form or heredoc RUN, or runs a command that may produce files the runtime needs and that dockopt
  cannot replay in the runtime stage (anything outside `replay` in the table: curl downloads, scripts,
  `python -c`, ...).
- Python: the project is installed editable (`pip install -e .`, a `-e` line in the requirements file,
  `poetry install` without `--no-root`); packages come from apt (`python3-*`); pip installs elsewhere
  (`--user`, `--target`, `--prefix`, `--root`, `uv ... --system`, `PIP_TARGET`); the file builds its own
  virtualenv or sets PATH without `$PATH`; a non-root USER is in effect at the install; `uv sync`.
- A `-dev` package whose runtime library is not in the table; apt removes a package it also needs.
- The runtime would run a command the slim image lacks and that cannot simply be installed (compilers,
  ImageMagick), or a build tool (`go run`, `npm install` at start).
- Node: yarn and pnpm (not supported yet), `npm install -g`, files owned by different users, a start script
  that uses a devDependency (or a package.json dockopt cannot read when CMD is `npm start`).
- Go: `go install` or `go build` without `-o`, a cgo build whose Debian release is unknown, `go` at runtime.
- Java: other base images (alpine, other JDK vendors: not supported yet), a container that does not start
  with `java -jar FILE` at a known path, the build tool at run time.
- Rust: an unreadable Cargo.lock or a `-sys` crate whose runtime library is not in the table, `cargo
  install` of a published crate, `cargo run` at start, CARGO_TARGET_DIR/CARGO_HOME, `--target`, a rust
  tag whose Debian release is unknown.
- Yarn and pnpm (Node), pipenv and `uv sync` (Python): not supported yet.

## Fix safety
Unsafe: applied only with `--unsafe`. The split changes the image's structure and its base. dockopt
checks what it can see in the Dockerfile, but not what the program does at run time: a subprocess that
calls a tool the full image had (`git`, `curl` from application code or from a start script), a native
module linked against a library the full image had without any apt-get (node-gyp against libpq, for
example), or a Python package that writes outside the virtualenv while installing. A demanding user
wants to look at this diff and build the result once before shipping it, so it is never applied
silently. The pass stays enabled by default so that `dockopt fix` shows it as an unsafe suggestion.
"#,
};

impl Pass for MultiStage {
    fn info(&self) -> &'static PassInfo {
        &INFO
    }

    fn run(&self, doc: &Document, cx: &PassContext, out: &mut Findings) {
        // Nothing to do without a stage.
        let Some(stage) = doc.stages.first() else {
            return;
        };
        let from = &doc.instructions[stage.from];
        let lang = language_of(doc, 0);
        // Already multi-stage: the split is done (this is also our own output).
        if doc.stages.len() > 1 {
            if lang.is_some() {
                out.skip(
                    NAME,
                    doc.instructions[doc.stages[1].from].keyword.start,
                    format!(
                        "already multi-stage ({} stages): nothing to split",
                        doc.stages.len()
                    ),
                );
            }
            return;
        }
        // Only stages that build something in a language we know get a report.
        let Some(lang) = lang else { return };
        match plan(doc, cx, lang) {
            Ok(p) => out.fix(
                NAME,
                from.keyword.start,
                Applicability::Unsafe,
                p.message,
                p.edits,
            ),
            Err(r) => out.skip(NAME, r.anchor, r.reason),
        }
    }
}

/// The language whose build a stage runs, judged by its base image or its commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Python,
    Node,
    Go,
    Java,
    Rust,
}

/// What the split produces: the edits and the message for the report.
struct Plan {
    edits: Vec<Edit>,
    message: String,
}

fn language_of(doc: &Document, si: usize) -> Option<Lang> {
    let st = &doc.stages[si];
    let by_image = recognize_image(&st.image);
    if by_image.is_some() {
        return by_image;
    }
    // Otherwise by the build commands the stage runs (for the refusal message only).
    for (_, inst) in doc.stage_body(si) {
        let Some(script) = inst.run_script() else {
            continue;
        };
        for cmd in &script.commands {
            if recognize::pip_call(cmd).is_some() {
                return Some(Lang::Python);
            }
            let words = recognize::effective_words(cmd);
            let Some(first) = words.first() else { continue };
            let sub = words.get(1).map(|w| w.value.as_str()).unwrap_or("");
            match recognize::basename(&first.value) {
                "npm" | "yarn" | "pnpm" if matches!(sub, "ci" | "install" | "i") => {
                    return Some(Lang::Node);
                }
                "go" if sub == "build" => return Some(Lang::Go),
                "mvn" | "./mvnw" | "gradle" | "./gradlew" | "mvnw" | "gradlew" => {
                    return Some(Lang::Java);
                }
                "cargo" if sub == "build" => return Some(Lang::Rust),
                _ => {}
            }
        }
    }
    None
}

fn recognize_image(image: &str) -> Option<Lang> {
    let r = crate::images::parse_ref(image)?;
    match r.name {
        "python" => Some(Lang::Python),
        "node" => Some(Lang::Node),
        "golang" => Some(Lang::Go),
        "maven" | "gradle" | "openjdk" | "eclipse-temurin" | "amazoncorretto" => Some(Lang::Java),
        "rust" => Some(Lang::Rust),
        _ => None,
    }
}

fn plan(doc: &Document, cx: &PassContext, lang: Lang) -> Result<Plan, Refusal> {
    let st = &doc.stages[0];
    let from = &doc.instructions[st.from];
    let Detail::From { image, alias } = &from.detail else {
        return Err(Refusal::at(from.keyword.start, "FROM could not be read"));
    };
    // FROM flags (--platform) would have to be carried to the runtime stage.
    if let Some(f) = from.flags.first() {
        return Err(Refusal::at(
            f.range.start,
            format!("FROM has the flag --{}: not handled", f.name),
        ));
    }
    // The base image must be known, not come from a build argument and not be pinned by digest.
    if image.value.contains('$') {
        return Err(Refusal::at(
            image.range.start,
            format!(
                "the base image `{}` comes from a build argument: the runtime image cannot be chosen",
                image.value
            ),
        ));
    }
    if image.value.contains('@') {
        return Err(Refusal::at(
            image.range.start,
            format!(
                "the base image `{}` is pinned by digest: the digest of its runtime image is unknown offline",
                image.value
            ),
        ));
    }
    if recognize_image(&image.value).is_none() {
        let reason = if lang == Lang::Python {
            format!(
                "the base image `{}` is not an official python image: its Python is the distribution's system Python, which a virtualenv copied to another image cannot carry",
                image.value
            )
        } else {
            format!(
                "the base image `{}` is not an official language image dockopt knows how to split",
                image.value
            )
        };
        return Err(Refusal::at(image.range.start, reason));
    }
    // The stage's instructions must all be ones the split can carry over.
    for (_, inst) in doc.stage_body(0) {
        common::check_instruction(doc, inst)?;
    }
    let builder = alias
        .as_ref()
        .map(|a| a.value.clone())
        .unwrap_or_else(|| "builder".to_string());
    let mut edits = Vec::new();
    if alias.is_none() {
        edits.push(Edit::insert(image.range.end, " AS builder"));
    }
    let s = common::Split {
        doc,
        cx,
        builder,
        from_idx: st.from,
        image: image.value.clone(),
    };
    let (more, runtime, message) = match lang {
        Lang::Python => python::plan(&s)?,
        Lang::Node => node::plan(&s)?,
        Lang::Go => go::plan(&s)?,
        Lang::Java => java::plan(&s)?,
        Lang::Rust => rust::plan(&s)?,
    };
    edits.extend(more);
    edits.push(common::append_stage(doc, &runtime));
    Ok(Plan { edits, message })
}

/// Whether an instruction kind is copied verbatim into the runtime stage.
fn is_kept(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Arg
            | Kind::Env
            | Kind::Workdir
            | Kind::Label
            | Kind::Maintainer
            | Kind::Expose
            | Kind::Volume
            | Kind::Healthcheck
            | Kind::Stopsignal
            | Kind::Shell
            | Kind::Entrypoint
            | Kind::Cmd
            | Kind::User
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses() {
        let d = &*data::DATA;
        assert_eq!(d.venv, "/opt/venv");
        assert_eq!(d.dev_runtime["libpq-dev"], vec!["libpq5".to_string()]);
        assert!(d.build_only.iter().any(|p| p == "gcc"));
        assert!(d.go.runtime_options.contains(&d.go.runtime));
        assert!(d.node.legacy_below > 0);
    }

    #[test]
    fn images_are_recognised() {
        assert_eq!(recognize_image("python:3.12"), Some(Lang::Python));
        assert_eq!(
            recognize_image("docker.io/library/node:20"),
            Some(Lang::Node)
        );
        assert_eq!(recognize_image("golang:1.22"), Some(Lang::Go));
        assert_eq!(recognize_image("ubuntu:22.04"), None);
    }
}
