//! dockerignore: snapshots on sample build contexts built in temporary directories (new files,
//! merges and refusals), the matcher against Docker's documented examples, and idempotence after the
//! proposed file is written.

mod common;

use std::path::Path;

use common::{Opts, report, run};
use dockopt::dockerignore_match::Matcher;
use dockopt::engine::Outcome;

/// Builds a context: `("dir/", "")` makes a directory, anything else a file with that content.
fn context(dockerfile: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let p = d.path().join(path);
        if path.ends_with('/') {
            std::fs::create_dir_all(&p).unwrap();
        } else {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, content).unwrap();
        }
    }
    std::fs::write(d.path().join("Dockerfile"), dockerfile).unwrap();
    d
}

fn opts(dir: &Path) -> Opts<'_> {
    Opts {
        only: &["dockerignore"],
        context: Some(dir),
        ..Opts::default()
    }
}

/// The outcome, with the Dockerfile itself checked untouched.
fn outcome(dockerfile: &str, dir: &Path) -> Outcome {
    let out = run(dockerfile, &opts(dir)).unwrap();
    assert_eq!(out.output, dockerfile, "the Dockerfile is never changed");
    out
}

/// Writes the proposed side file, runs again, and checks that nothing more is proposed.
fn settles(dockerfile: &str, dir: &Path) {
    let out = outcome(dockerfile, dir);
    for s in &out.side_files {
        std::fs::write(&s.path, &s.new).unwrap();
    }
    let again = outcome(dockerfile, dir);
    assert!(
        again.side_files.is_empty(),
        "a second run proposes more: {:?}",
        again.side_files
    );
}

fn skipped(out: &Outcome) -> String {
    out.skipped
        .iter()
        .map(|s| s.reason.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

const PY_DOCKERFILE: &str = r#"FROM python:3.12-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
CMD ["python", "app.py"]
"#;

#[test]
fn python_app_gets_a_new_file() {
    let dir = context(
        PY_DOCKERFILE,
        &[
            ("requirements.txt", "flask==3.0.0\n"),
            ("app.py", "print('hi')\n"),
            (".git/HEAD", "ref: refs/heads/main\n"),
            (".git/objects/pack/pack-1.pack", &"x".repeat(40_000)),
            (".venv/pyvenv.cfg", "home = /usr/bin\n"),
            (".venv/lib/site.py", &"y".repeat(20_000)),
            ("__pycache__/app.cpython-312.pyc", "pyc"),
            (".pytest_cache/README.md", "cache"),
            (".env", "SECRET_KEY=abc\n"),
            ("docker-compose.yml", "services: {}\n"),
            (".idea/workspace.xml", "<x/>"),
        ],
    );
    snap!(
        "dockerignore__python_app_gets_a_new_file",
        report(PY_DOCKERFILE, &opts(dir.path()))
    );
    let out = outcome(PY_DOCKERFILE, dir.path());
    let new = &out.side_files[0].new;
    assert!(out.side_files[0].old.is_none());
    let m = Matcher::try_parse(new).unwrap();
    for gone in [".git/HEAD", ".venv/pyvenv.cfg", "__pycache__/x.pyc", ".env"] {
        assert!(m.excluded(gone), "{gone}");
    }
    for kept in ["requirements.txt", "app.py"] {
        assert!(!m.excluded(kept), "{kept}");
    }
    settles(PY_DOCKERFILE, dir.path());
}

#[test]
fn node_build_keeps_env_files_and_refuses_nothing_else() {
    let df = r#"FROM node:20 AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM nginx:1.27-alpine
COPY --from=build /app/dist /usr/share/nginx/html
"#;
    let dir = context(
        df,
        &[
            ("package.json", "{\"scripts\":{\"build\":\"vite build\"}}"),
            ("package-lock.json", "{}"),
            ("src/main.js", "console.log(1)\n"),
            ("node_modules/vite/index.js", &"v".repeat(30_000)),
            (".env.production", "VITE_API=https://api.example.com\n"),
            ("npm-debug.log", "oops\n"),
        ],
    );
    snap!(
        "dockerignore__node_build_keeps_env_files",
        report(df, &opts(dir.path()))
    );
    let out = outcome(df, dir.path());
    assert!(skipped(&out).contains("npm run build"));
    assert!(!out.side_files[0].new.contains(".env"));
}

#[test]
fn allow_list_gets_nothing() {
    let df = "FROM python:3.12-slim\nCOPY src/ /app/src/\nCOPY requirements.txt /app/\n";
    let existing = "*\n!src\n!requirements.txt\n";
    let dir = context(
        df,
        &[
            (".dockerignore", existing),
            ("src/__pycache__/m.pyc", "x"),
            ("src/m.py", "x"),
            ("requirements.txt", "x"),
            (".git/HEAD", "x"),
        ],
    );
    snap!(
        "dockerignore__allow_list_gets_nothing",
        report(df, &opts(dir.path()))
    );
    let out = outcome(df, dir.path());
    assert!(out.side_files.is_empty());
    assert!(skipped(&out).contains("allow-list"));
}

#[test]
fn setuptools_scm_keeps_git() {
    let df = r#"FROM python:3.12-slim
WORKDIR /src
COPY . .
RUN pip install --no-cache-dir .
"#;
    let dir = context(
        df,
        &[
            (
                "pyproject.toml",
                "[build-system]\nrequires = [\"setuptools>=64\", \"setuptools_scm>=8\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"pkg\"\ndynamic = [\"version\"]\nreadme = \"README.md\"\n",
            ),
            ("README.md", "# pkg\n"),
            ("LICENSE", "MIT\n"),
            ("pkg/__init__.py", ""),
            (".git/HEAD", "ref: refs/heads/main\n"),
        ],
    );
    snap!(
        "dockerignore__setuptools_scm_keeps_git",
        report(df, &opts(dir.path()))
    );
    let out = outcome(df, dir.path());
    let m = Matcher::try_parse(&out.side_files[0].new).unwrap();
    assert!(!m.excluded(".git/HEAD"));
    assert!(!m.excluded("README.md"));
    assert!(skipped(&out).contains("setuptools_scm"));
}

#[test]
fn bind_mounted_git_is_kept() {
    let df = r#"# syntax=docker/dockerfile:1
FROM golang:1.23 AS build
WORKDIR /src
RUN --mount=type=bind,source=go.mod,target=go.mod \
    --mount=type=bind,source=.git,target=.git \
    go mod download
COPY . .
RUN go build -o /out/app ./cmd/app
"#;
    let dir = context(
        df,
        &[
            ("go.mod", "module x\n"),
            ("cmd/app/main.go", "package main\n"),
            (".git/HEAD", "ref: refs/heads/main\n"),
            (".vscode/settings.json", "{}"),
        ],
    );
    snap!(
        "dockerignore__bind_mounted_git_is_kept",
        report(df, &opts(dir.path()))
    );
    let out = outcome(df, dir.path());
    assert!(!out.side_files[0].new.contains(".git\n"));
    assert!(skipped(&out).contains("RUN --mount on line 4 reads `.git`"));
}

#[test]
fn git_command_in_run_keeps_git() {
    let df = "FROM alpine:3.20\nCOPY . /src\nRUN cd /src && git describe --tags > VERSION\n";
    let dir = context(df, &[(".git/HEAD", "x"), ("main.c", "int main;")]);
    let out = outcome(df, dir.path());
    assert!(skipped(&out).contains("`git describe`"));
    assert!(out.side_files.iter().all(|s| !s.new.contains("\n.git\n")));
    // `git clone` reads nothing from the context.
    let df2 = "FROM alpine:3.20\nCOPY . /src\nRUN git clone https://example.com/x.git /x\n";
    let dir2 = context(df2, &[(".git/HEAD", "x"), ("main.c", "int main;")]);
    let out2 = outcome(df2, dir2.path());
    assert!(out2.side_files[0].new.contains("\n.git\n"));
}

#[test]
fn pip_install_with_readme_warns_about_existing_exclusion() {
    let df = r#"FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir .
"#;
    let dir = context(
        df,
        &[
            (".dockerignore", "# docs are not needed\n*.md\n.git"),
            (
                "pyproject.toml",
                "[project]\nname = \"pkg\"\nversion = \"1.0\"\nreadme = \"README.md\"\nlicense = {file = \"LICENSE.txt\"}\n",
            ),
            ("README.md", "# pkg\n"),
            ("LICENSE.txt", "MIT\n"),
            ("pkg/__init__.py", ""),
            ("pkg/__pycache__/__init__.cpython-312.pyc", "x"),
        ],
    );
    snap!(
        "dockerignore__pip_install_with_readme",
        report(df, &opts(dir.path()))
    );
    let out = outcome(df, dir.path());
    assert!(skipped(&out).contains("already excludes `README.md`"));
    let side = &out.side_files[0];
    assert!(side.new.starts_with(side.old.as_deref().unwrap()));
    settles(df, dir.path());
}

#[test]
fn copy_env_example_keeps_that_file() {
    let df = r#"FROM php:8.3-fpm
WORKDIR /var/www
COPY .env.example .env
COPY . .
"#;
    let dir = context(
        df,
        &[
            (".env", "APP_KEY=secret\n"),
            (".env.example", "APP_KEY=\n"),
            (".env.local", "APP_KEY=local-secret\n"),
            ("artisan", "<?php\n"),
            ("composer.json", "{}"),
        ],
    );
    snap!(
        "dockerignore__copy_env_example_keeps_that_file",
        report(df, &opts(dir.path()))
    );
    let out = outcome(df, dir.path());
    let m = Matcher::try_parse(&out.side_files[0].new).unwrap();
    assert!(!m.excluded(".env.example"));
    assert!(m.excluded(".env.local"));
    assert!(m.excluded(".env"));
    settles(df, dir.path());
}

#[test]
fn cp_of_env_example_in_run_keeps_it() {
    let df = "FROM php:8.3-fpm\nWORKDIR /var/www\nCOPY . .\nRUN cp .env.example .env\n";
    let dir = context(df, &[(".env.example", "A=\n"), (".env.testing", "A=1\n")]);
    let out = outcome(df, dir.path());
    let m = Matcher::try_parse(&out.side_files[0].new).unwrap();
    assert!(!m.excluded(".env.example"));
    assert!(m.excluded(".env.testing"));
}

#[test]
fn existing_file_gets_a_marked_block() {
    let df = PY_DOCKERFILE;
    let existing = "# local stuff\r\nnode_modules\r\n*.log";
    let dir = context(
        df,
        &[
            (".dockerignore", existing),
            ("requirements.txt", "flask\n"),
            ("app.py", "x\n"),
            ("__pycache__/app.pyc", "x"),
            (".DS_Store", "x"),
        ],
    );
    snap!(
        "dockerignore__existing_file_gets_a_marked_block",
        report(df, &opts(dir.path()))
    );
    let out = outcome(df, dir.path());
    let side = &out.side_files[0];
    assert_eq!(side.old.as_deref(), Some(existing));
    assert!(side.new.starts_with(existing));
    assert!(side.new.contains("\r\n# Added by dockopt"));
    settles(df, dir.path());
}

#[test]
fn existing_exception_is_never_overridden() {
    let df = "FROM python:3.12-slim\nCOPY . /app\n";
    let dir = context(
        df,
        &[
            (".dockerignore", "src\n!src/app\n"),
            ("src/app/main.py", "x"),
            ("src/app/__pycache__/main.pyc", "x"),
            ("requirements.txt", "x"),
        ],
    );
    let out = outcome(df, dir.path());
    let new = &out.side_files[0].new;
    assert!(!new.contains("__pycache__"), "{new}");
    assert!(skipped(&out).contains("brings back"));
    let m = Matcher::try_parse(new).unwrap();
    assert!(!m.excluded("src/app/__pycache__/main.pyc"));
}

#[test]
fn java_jar_copied_from_target_keeps_target() {
    let df = "FROM eclipse-temurin:21-jre\nCOPY target/*.jar /app/app.jar\nCMD [\"java\", \"-jar\", \"/app/app.jar\"]\n";
    let dir = context(
        df,
        &[
            ("pom.xml", "<project/>"),
            ("src/main/java/App.java", "class App {}"),
            ("target/app-1.0.jar", "jar"),
            (".git/HEAD", "x"),
        ],
    );
    snap!(
        "dockerignore__java_jar_copied_from_target_keeps_target",
        report(df, &opts(dir.path()))
    );
    let out = outcome(df, dir.path());
    let m = Matcher::try_parse(&out.side_files[0].new).unwrap();
    assert!(!m.excluded("target/app-1.0.jar"));
    assert!(skipped(&out).contains("`target` not excluded: COPY on line 2 reads `target/*.jar`"));
}

#[test]
fn dockerfile_specific_ignore_file_is_the_one_extended() {
    let df = "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\n";
    let dir = context(
        df,
        &[
            ("Dockerfile.dockerignore", "dist\n"),
            ("package.json", "{}"),
            ("node_modules/a.js", "x"),
        ],
    );
    let out = outcome(df, dir.path());
    assert_eq!(out.side_files.len(), 1);
    let side = &out.side_files[0];
    assert_eq!(
        side.path.file_name().unwrap().to_string_lossy(),
        "Dockerfile.dockerignore"
    );
    assert_eq!(side.old.as_deref(), Some("dist\n"));
    assert!(side.new.contains("**/node_modules"));
}

#[test]
fn shared_context_suits_every_dockerfile() {
    let df = "FROM python:3.12-slim\nCOPY . /app\n";
    let worker = "FROM python:3.12-slim\nCOPY .git /app/.git\nCOPY . /app\n";
    let dir = context(
        df,
        &[
            ("Dockerfile.worker", worker),
            (".git/HEAD", "x"),
            ("app.py", "x"),
        ],
    );
    let out = outcome(df, dir.path());
    assert!(
        skipped(&out).contains("COPY in Dockerfile.worker line 2 reads `.git`"),
        "{}",
        skipped(&out)
    );
    let m = Matcher::try_parse(&out.side_files[0].new).unwrap();
    assert!(!m.excluded(".git/HEAD"));
    // Both Dockerfiles propose the same file.
    let from_worker = run(
        worker,
        &Opts {
            only: &["dockerignore"],
            context: Some(dir.path()),
            ..Opts::default()
        },
    )
    .unwrap();
    assert_eq!(from_worker.side_files[0].new, out.side_files[0].new);
}

#[test]
fn node_without_install_keeps_node_modules() {
    let df = "FROM node:20-slim\nWORKDIR /app\nCOPY . .\nCMD [\"node\", \"index.js\"]\n";
    let dir = context(
        df,
        &[
            ("package.json", "{}"),
            ("index.js", "x"),
            ("node_modules/express/index.js", "x"),
        ],
    );
    let out = outcome(df, dir.path());
    assert!(skipped(&out).contains("runs Node without installing dependencies"));
    assert!(
        out.side_files
            .iter()
            .all(|s| !s.new.contains("node_modules"))
    );
    // `rm -rf node_modules && npm ci` does not read the host's node_modules.
    let df2 = "FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN rm -rf node_modules && npm ci\nCMD [\"node\", \"index.js\"]\n";
    let dir2 = context(
        df2,
        &[
            ("package.json", "{}"),
            ("node_modules/express/index.js", "x"),
        ],
    );
    let out2 = outcome(df2, dir2.path());
    assert!(out2.side_files[0].new.contains("**/node_modules"));
}

#[test]
fn refusals_without_side_files() {
    let df = "FROM alpine:3.20\nCOPY . /src\n";
    // A .dockerignore Docker would reject.
    let bad = context(
        df,
        &[(".dockerignore", "node_modules\n!\n"), (".git/HEAD", "x")],
    );
    let out = outcome(df, bad.path());
    assert!(out.side_files.is_empty());
    assert!(skipped(&out).contains("invalid for Docker"));
    // podman's ignore file and no .dockerignore.
    let pod = context(df, &[(".containerignore", ".git\n"), (".git/HEAD", "x")]);
    let out = outcome(df, pod.path());
    assert!(out.side_files.is_empty());
    assert!(skipped(&out).contains(".containerignore"));
    // No build context (standard input without --context).
    let out = run(
        df,
        &Opts {
            only: &["dockerignore"],
            ..Opts::default()
        },
    )
    .unwrap();
    assert!(out.side_files.is_empty() && out.skipped.is_empty());
    // Nothing worth excluding: no file.
    let tiny = context(
        "FROM alpine:3.20\nCOPY entrypoint.sh /\n",
        &[("entrypoint.sh", "x")],
    );
    let out = outcome("FROM alpine:3.20\nCOPY entrypoint.sh /\n", tiny.path());
    assert!(out.side_files.is_empty());
}

#[test]
fn runs_with_the_other_passes() {
    let df = "FROM python:3.12\nCOPY . /app\nRUN pip install -r /app/requirements.txt\n";
    let dir = context(df, &[("requirements.txt", "x"), (".git/HEAD", "x")]);
    let all = Opts {
        context: Some(dir.path()),
        ..Opts::default()
    };
    let out = run(df, &all).unwrap();
    assert!(out.output.contains("--no-cache-dir"));
    assert_eq!(out.side_files.len(), 1);
    snap!("dockerignore__runs_with_the_other_passes", report(df, &all));
}

/// The examples of Docker's build-context documentation (".dockerignore files": Syntax, Matching,
/// Negating matches), checked against the matcher.
#[test]
fn matcher_follows_dockers_documented_examples() {
    // Leading and trailing slashes are disregarded.
    for p in ["/foo/bar/", "/foo/bar", "foo/bar/", "foo/bar"] {
        let m = Matcher::try_parse(p).unwrap();
        assert!(m.excluded("foo/bar"), "{p}");
        assert!(m.excluded("foo/bar/baz.txt"), "{p}");
        assert!(!m.excluded("bar"), "{p}");
        assert!(!m.excluded("foo"), "{p}");
        assert!(!m.excluded("x/foo/bar"), "{p}");
    }
    // The Matching example.
    let m = Matcher::try_parse("# comment\n*/temp*\n*/*/temp*\ntemp?\n").unwrap();
    assert!(m.excluded("somedir/temporary.txt"));
    assert!(m.excluded("somedir/temp"));
    assert!(m.excluded("somedir/temp/inside.txt"));
    assert!(m.excluded("somedir/subdir/temporary.txt"));
    assert!(m.excluded("tempa"));
    assert!(m.excluded("tempb"));
    assert!(!m.excluded("temporary.txt"));
    assert!(!m.excluded("temp"));
    assert!(!m.excluded("tempab"));
    assert!(!m.excluded("# comment"));
    // `**` matches any number of directories, including none.
    let m = Matcher::try_parse("**/*.go").unwrap();
    assert!(m.excluded("main.go"));
    assert!(m.excluded("a/b/c/main.go"));
    assert!(!m.excluded("main.gox"));
    // The pattern `.` is ignored.
    let m = Matcher::try_parse(".\n").unwrap();
    assert!(!m.excluded("anything"));
    // Negating matches: markdown files under subdirectories are still included.
    let m = Matcher::try_parse("*.md\n!README.md\n").unwrap();
    assert!(m.excluded("CHANGES.md"));
    assert!(!m.excluded("README.md"));
    assert!(!m.excluded("docs/guide.md"));
    // The last matching line decides.
    let m = Matcher::try_parse("*.md\n!README*.md\nREADME-secret.md\n").unwrap();
    assert!(m.excluded("README-secret.md"));
    assert!(!m.excluded("README-public.md"));
    assert!(m.excluded("notes.md"));
    let m = Matcher::try_parse("*.md\nREADME-secret.md\n!README*.md\n").unwrap();
    assert!(!m.excluded("README-secret.md"));
    // The first example: plain names exclude directories with their content.
    let m = Matcher::try_parse("node_modules\nbar\n").unwrap();
    assert!(m.excluded("node_modules/react/index.js"));
    assert!(m.excluded("bar"));
    assert!(!m.excluded("src/bar"));
    // An allow-list: `*` then exceptions.
    let m = Matcher::try_parse("*\n!src\n!package.json\n").unwrap();
    assert!(!m.excluded("src/index.ts"));
    assert!(!m.excluded("package.json"));
    assert!(m.excluded(".git/HEAD"));
    // A comment only in column 1.
    let m = Matcher::try_parse("#/this/is/a/comment\n").unwrap();
    assert!(!m.excluded("#/this/is/a/comment"));
}

#[test]
fn build_arg_source_keeps_what_it_could_name() {
    // The Spring Boot guide: `docker build --build-arg JAR_FILE=target/*.jar .`
    let df = "FROM eclipse-temurin:17-jre\nARG JAR_FILE\nCOPY ${JAR_FILE} app.jar\nENTRYPOINT [\"java\", \"-jar\", \"/app.jar\"]\n";
    let dir = context(df, &[("pom.xml", "<project/>"), ("target/app.jar", "jar")]);
    let out = outcome(df, dir.path());
    assert!(out.side_files.is_empty(), "{:?}", out.side_files);
    assert!(skipped(&out).contains("`target` not excluded: COPY on line 3 reads `${JAR_FILE}`"));
    // With a default, the default is what it reads.
    let df2 = "FROM eclipse-temurin:17-jre\nARG JAR_FILE=target/*.jar\nCOPY ${JAR_FILE} app.jar\n";
    let out2 = outcome(df2, dir.path());
    assert!(skipped(&out2).contains("reads `target/*.jar`"));
}

/// The proposed file (if any) keeps every path in `kept`.
fn keeps_all(dockerfile: &str, dir: &Path, kept: &[&str]) -> Outcome {
    let out = outcome(dockerfile, dir);
    for s in &out.side_files {
        let m = Matcher::try_parse(&s.new).unwrap();
        for k in kept {
            assert!(
                !m.excluded(k),
                "`{k}` excluded for:\n{dockerfile}\n{}",
                s.new
            );
        }
    }
    out
}

#[test]
fn globs_in_commands_are_reads() {
    for df in [
        "FROM eclipse-temurin:21-jdk\nWORKDIR /src\nCOPY . .\nRUN cp target/*.jar /app.jar\n",
        "FROM eclipse-temurin:21-jdk\nWORKDIR /src\nCOPY . .\nRUN mv ./target/*.jar /app.jar\n",
        "FROM eclipse-temurin:21-jdk\nWORKDIR /src\nCOPY . .\nENTRYPOINT [\"sh\", \"-c\", \"java -jar target/*.jar\"]\n",
        "FROM eclipse-temurin:21-jdk\nWORKDIR /src\nCOPY . .\nCMD java -jar $(ls target/*.jar)\n",
        "FROM eclipse-temurin:21-jdk\nWORKDIR /src\nCOPY . .\nRUN sh -c 'cp target/*.jar /app.jar'\n",
    ] {
        // With the jar built on the host, and with `target` not there yet (Maven predicts it).
        let dir = context(
            df,
            &[
                ("pom.xml", "<project/>"),
                ("target/app-1.0.jar", "jar"),
                (".git/HEAD", "x"),
            ],
        );
        keeps_all(df, dir.path(), &["target/app-1.0.jar"]);
        let dir = context(df, &[("pom.xml", "<project/>"), (".git/HEAD", "x")]);
        keeps_all(df, dir.path(), &["target/app-1.0.jar"]);
    }
    let df = "FROM eclipse-temurin:21-jdk\nWORKDIR /src\nCOPY . .\nRUN cp target/*.jar /app.jar\n";
    let dir = context(
        df,
        &[
            ("pom.xml", "<project/>"),
            ("target/app-1.0.jar", "jar"),
            (".git/HEAD", "x"),
        ],
    );
    snap!(
        "dockerignore__glob_in_run_keeps_target",
        report(df, &opts(dir.path()))
    );
}

#[test]
fn whole_context_bind_mount_reads_what_its_commands_name() {
    let df = "# syntax=docker/dockerfile:1\nFROM debian:bookworm-slim\nRUN --mount=type=bind,target=/ctx cp /ctx/server.key /etc/ssl/\n";
    let dir = context(
        df,
        &[
            ("server.key", "KEY"),
            ("other.key", "K2"),
            (".git/HEAD", "x"),
        ],
    );
    let out = keeps_all(df, dir.path(), &["server.key"]);
    snap!(
        "dockerignore__bind_mount_whole_context",
        report(df, &opts(dir.path()))
    );
    assert!(!out.side_files.is_empty());
    let df = "# syntax=docker/dockerfile:1\nFROM debian:bookworm-slim\nWORKDIR /w\nRUN --mount=type=bind,source=.,target=ctx cp ctx/server.key /etc/ssl/\n";
    keeps_all(df, dir.path(), &["server.key"]);
    let df = "# syntax=docker/dockerfile:1\nFROM debian:bookworm-slim\nRUN --mount=type=bind,source=conf,target=/c cp /c/tls/server.pem /etc/ssl/\n";
    let dir = context(df, &[("conf/tls/server.pem", "PEM"), (".git/HEAD", "x")]);
    keeps_all(df, dir.path(), &["conf/tls/server.pem"]);
}

#[test]
fn scripts_the_build_runs_are_read() {
    for run in [
        "RUN ./build.sh",
        "RUN sh build.sh",
        "RUN bash ./build.sh",
        "RUN chmod +x build.sh && ./build.sh",
    ] {
        let df = format!("FROM debian:bookworm-slim\nWORKDIR /app\nCOPY . .\n{run}\n");
        let dir = context(
            &df,
            &[
                (
                    "build.sh",
                    "#!/bin/sh\nset -e\n. ./.env\ncp certs/ca.pem /etc/ssl/\n",
                ),
                (".env", "A=1\n"),
                ("certs/ca.pem", "PEM"),
                (".git/HEAD", "x"),
            ],
        );
        keeps_all(&df, dir.path(), &[".env", "certs/ca.pem"]);
    }
    let df = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN python scripts/prepare.py\n";
    let dir = context(
        df,
        &[
            ("scripts/prepare.py", "open('config/secret.key').read()\n"),
            ("config/secret.key", "K"),
            (".git/HEAD", "x"),
        ],
    );
    keeps_all(df, dir.path(), &["config/secret.key"]);
    let df = "FROM debian:bookworm-slim\nWORKDIR /app\nCOPY . .\nRUN ./build.sh\n";
    let dir = context(
        df,
        &[
            ("build.sh", "#!/bin/sh\n. ./.env\n"),
            (".env", "A=1\n"),
            (".git/HEAD", "x"),
        ],
    );
    snap!(
        "dockerignore__script_sources_env",
        report(df, &opts(dir.path()))
    );
    // A script the build runs that cannot be read: `.env` and keys stay.
    let df = "FROM debian:bookworm-slim\nWORKDIR /app\nCOPY . .\nRUN ./tools/build.sh\n";
    let dir = context(
        df,
        &[(".env", "A=1\n"), ("tls.key", "K"), (".git/HEAD", "x")],
    );
    let out = keeps_all(df, dir.path(), &[".env", "tls.key"]);
    assert!(
        skipped(&out).contains("tools/build.sh"),
        "{}",
        skipped(&out)
    );
}

#[test]
fn git_versioning_backends_keep_git() {
    for backend in [
        "versioningit",
        "uv-dynamic-versioning",
        "setuptools-git-versioning",
        "poetry-dynamic-versioning",
        "dunamai",
        "pbr",
        "setuptools-scm",
        "setuptools_scm",
        "hatch-vcs",
        "hatch_vcs",
        "versioneer",
    ] {
        let df =
            "FROM python:3.12-slim\nWORKDIR /src\nCOPY . .\nRUN pip install --no-cache-dir .\n";
        let pyproject = format!(
            "[build-system]\nrequires = [\"setuptools>=64\", \"{backend}>=1\"]\nbuild-backend = \"setuptools.build_meta\"\n"
        );
        let dir = context(
            df,
            &[
                ("pyproject.toml", &pyproject),
                ("pkg/__init__.py", ""),
                (".git/HEAD", "x"),
            ],
        );
        let out = keeps_all(df, dir.path(), &[".git/HEAD"]);
        assert!(
            skipped(&out).contains(backend),
            "{backend}: {}",
            skipped(&out)
        );
    }
}

#[test]
fn dotenv_loaded_at_run_time_keeps_env_files() {
    let df = "FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev\nCMD [\"node\", \"index.js\"]\n";
    let files = [
        (
            "package.json",
            r#"{"name":"a","version":"1.0.0","dependencies":{"dotenv":"16.4.5"}}"#,
        ),
        ("package-lock.json", "{}"),
        (
            "index.js",
            "require('dotenv').config();\nconsole.log(process.env.API_KEY);\n",
        ),
        (".env", "API_KEY=x\n"),
        ("id_rsa", "key\n"),
    ];
    let dir = context(df, &files);
    let out = outcome(df, dir.path());
    let m = Matcher::try_parse(&out.side_files[0].new).unwrap();
    assert!(!m.excluded(".env"), "{}", out.side_files[0].new);
    // Other secrets still go.
    assert!(m.excluded("id_rsa"), "{}", out.side_files[0].new);
    assert!(
        skipped(&out).contains("package.json names `dotenv`"),
        "{}",
        skipped(&out)
    );
    // Without the library, .env is excluded as before.
    let plain = context(
        df,
        &[
            ("package.json", r#"{"name":"a","version":"1.0.0"}"#),
            ("index.js", "console.log(1);\n"),
            (".env", "API_KEY=x\n"),
        ],
    );
    let out = outcome(df, plain.path());
    let m = Matcher::try_parse(&out.side_files[0].new).unwrap();
    assert!(m.excluded(".env"));
    // python-dotenv in requirements.txt does the same.
    let py = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\nCMD [\"python\", \"app.py\"]\n";
    let dir = context(
        py,
        &[
            ("requirements.txt", "flask==3.0.3\npython-dotenv==1.0.1\n"),
            ("app.py", "from dotenv import load_dotenv\nload_dotenv()\n"),
            (".env", "SECRET=x\n"),
        ],
    );
    let out = outcome(py, dir.path());
    let m = Matcher::try_parse(&out.side_files[0].new).unwrap();
    assert!(!m.excluded(".env"));
    settles(py, dir.path());
}
