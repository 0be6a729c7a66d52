//! apt-hygiene: snapshots of realistic inputs, and the cases it must leave alone.

mod common;

use common::{Opts, report, run};

const ONLY: Opts = Opts {
    only: &["apt-hygiene"],
    unsafe_fixes: false,
    base_alpine: false,
    cache_mounts: false,
    context: None,
};

const UNSAFE: Opts = Opts {
    only: &["apt-hygiene"],
    unsafe_fixes: true,
    base_alpine: false,
    cache_mounts: false,
    context: None,
};

fn unchanged_with(input: &str, opts: &Opts) {
    let out = run(input, opts).unwrap();
    assert_eq!(out.output, input, "apt-hygiene must leave this alone");
    assert!(out.applied.is_empty());
}

fn unchanged(input: &str) {
    unchanged_with(input, &ONLY);
    unchanged_with(input, &UNSAFE);
}

fn fixed(input: &str, opts: &Opts) -> String {
    run(input, opts).unwrap().output
}

#[test]
fn debian_web_app() {
    let input = r#"FROM debian:bookworm-slim
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
    # build and runtime tools
    && apt-get install \
        curl \
        ca-certificates \
        nginx \
    && apt-get clean # keep the layer small
COPY site/ /var/www/html/
CMD ["nginx", "-g", "daemon off;"]
"#;
    snap!("apt_hygiene__debian_web_app", report(input, &ONLY));
}

#[test]
fn debian_web_app_unsafe() {
    let input = r#"FROM ubuntu:24.04
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y python3 python3-venv
RUN apt-get update && apt-get -q install --yes git && apt-get install -qy make
"#;
    snap!("apt_hygiene__debian_web_app_unsafe", report(input, &UNSAFE));
}

#[test]
fn apt_becomes_apt_get() {
    let input = r#"FROM ubuntu:22.04
RUN apt update && apt install -y build-essential
RUN apt purge -y --auto-remove ruby && apt autoremove -y && apt clean
RUN apt show bash && apt full-upgrade -y
RUN apt upgrade -y && apt list --installed
"#;
    snap!("apt_hygiene__apt_becomes_apt_get", report(input, &ONLY));
    snap!(
        "apt_hygiene__apt_becomes_apt_get_unsafe",
        report(input, &UNSAFE)
    );
}

#[test]
fn later_runs_that_need_the_lists() {
    let input = r#"FROM debian:12 AS base
RUN apt-get update && apt-get install -y curl
RUN curl -fsSL https://example.com/key.asc -o /etc/apt/keyrings/example.asc

FROM base AS build
RUN apt-get install -y build-essential

FROM debian:12 AS other
RUN apt-get update && apt-get install -y git
RUN apt-get update && apt-get install -y make
"#;
    snap!(
        "apt_hygiene__later_runs_that_need_the_lists",
        report(input, &ONLY)
    );
    let out = fixed(input, &ONLY);
    // base keeps its lists (stage `build` installs without updating); `other` removes them in both RUNs.
    assert!(out.contains("RUN apt-get update && apt-get install -y curl\n"));
    assert!(out.contains("apt-get install -y git && rm -rf /var/lib/apt/lists/*\n"));
    assert!(out.contains("apt-get install -y make && rm -rf /var/lib/apt/lists/*\n"));
}

#[test]
fn a_later_update_makes_the_lists_unneeded() {
    let input = "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nRUN apt-get update\nRUN apt-get install -y git\n";
    assert_eq!(
        fixed(input, &ONLY),
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\nRUN apt-get update\nRUN apt-get install -y git\n"
    );
}

#[test]
fn heredoc_body_is_reported_not_edited() {
    let input = "# syntax=docker/dockerfile:1\nFROM debian:12\nRUN <<EOF\nset -e\napt update\napt-get install curl\nEOF\n";
    snap!(
        "apt_hygiene__heredoc_body_is_reported_not_edited",
        report(input, &ONLY)
    );
    unchanged(input);
}

#[test]
fn chain_endings() {
    assert_eq!(
        fixed(
            "FROM debian:12\nRUN set -eux; apt-get update; apt-get install -y curl;\n",
            &ONLY
        ),
        "FROM debian:12\nRUN set -eux; apt-get update; apt-get install -y curl && rm -rf /var/lib/apt/lists/*;\n"
    );
    assert_eq!(
        fixed(
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl || true\n",
            &ONLY
        ),
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl || true && rm -rf /var/lib/apt/lists/*\n"
    );
    assert_eq!(
        fixed(
            "FROM debian:12\nRUN if [ -n \"$X\" ]; then apt-get update && apt-get install -y curl; fi\n",
            &ONLY
        ),
        "FROM debian:12\nRUN if [ -n \"$X\" ]; then apt-get update && apt-get install -y curl; fi && rm -rf /var/lib/apt/lists/*\n"
    );
}

#[test]
fn crlf_and_backtick_escape_are_kept() {
    let input =
        "# escape=`\r\nFROM debian:12\r\nRUN apt-get update && `\r\n    apt-get install curl\r\n";
    assert_eq!(
        fixed(input, &ONLY),
        "# escape=`\r\nFROM debian:12\r\nRUN apt-get update && `\r\n    apt-get install -y curl && rm -rf /var/lib/apt/lists/*\r\n"
    );
}

#[test]
fn never_touches_an_update_only_run_or_dpkg() {
    unchanged("FROM debian:12\nRUN apt-get update\n");
    unchanged("FROM debian:12\nRUN apt-get update -qq && echo done\n");
    let out = fixed(
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n",
        &UNSAFE,
    );
    assert!(!out.contains("dpkg"));
}

#[test]
fn install_without_update_gets_no_cleanup() {
    unchanged("FROM debian:12\nRUN apt-get install -y --no-install-recommends curl\n");
}

#[test]
fn already_answered_or_cleaned() {
    for yes in [
        "-y",
        "--yes",
        "--assume-yes",
        "-qq",
        "-q=2",
        "-qy",
        "-yq",
        "--force-yes",
    ] {
        unchanged(&format!(
            "FROM debian:12\nRUN apt-get install {yes} --no-install-recommends curl\n"
        ));
    }
    unchanged(
        "FROM debian:12\nRUN apt-get -o APT::Get::Assume-Yes=true install -o APT::Install-Recommends=false curl\n",
    );
    unchanged(
        "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n",
    );
    unchanged(
        "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl \\\n && rm -rf /tmp/* /var/lib/apt/lists/*\n",
    );
}

#[test]
fn mounts_over_the_lists_are_respected() {
    let input = "# syntax=docker/dockerfile:1\nFROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt,sharing=locked \\\n    --mount=type=cache,target=/var/cache/apt,sharing=locked \\\n    apt-get update && apt-get install -y --no-install-recommends curl\n";
    unchanged(input);
    let out = run(input, &ONLY).unwrap();
    assert!(
        out.skipped[0]
            .reason
            .contains("cache mount at /var/lib/apt")
    );
    unchanged(
        "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt/lists apt-get update && apt-get install -y --no-install-recommends curl\n",
    );
}

#[test]
fn refusals_are_reported() {
    let cases = [
        (
            "FROM debian:12\nUSER app\nRUN sudo apt-get update && sudo apt-get install -y --no-install-recommends curl\n",
            "through `sudo`",
        ),
        (
            "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl & wait\n",
            "background job",
        ),
        (
            "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl && exit 0\n",
            "ends with `exit`",
        ),
        (
            "FROM debian:12\nRUN (apt-get update && apt-get install -y --no-install-recommends curl)\n",
            "followed by an operator",
        ),
        (
            "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nSHELL [\"powershell\", \"-Command\"]\nRUN apt-get install curl\n",
            "not a POSIX shell",
        ),
    ];
    for (input, reason) in cases {
        unchanged(input);
        let out = run(input, &ONLY).unwrap();
        assert!(
            out.skipped.iter().any(|s| s.reason.contains(reason)),
            "{input}: {:?}",
            out.skipped
        );
    }
}

#[test]
fn left_alone_forms() {
    unchanged("FROM debian:12\nRUN [\"apt-get\", \"install\", \"curl\"]\n");
    unchanged("FROM debian:12\nRUN sh -c \"apt-get update && apt-get install curl\"\n");
    unchanged("FROM debian:12\nRUN xargs apt-get install < packages.txt\n");
    unchanged("FROM debian:12\nRUN echo apt-get install curl && aptitude install curl\n");
    unchanged(
        "FROM debian:12\nRUN apt-get source --download-only hello && apt-cache policy bash\n",
    );
    unchanged("FROM debian:12\nRUN $APT install curl\n");
}

#[test]
fn dangling_continuation_on_the_last_line() {
    // The cleanup goes after the last word, before the escape: `\ &&` would be an escaped space.
    for (input, expected) in [
        (
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl \\\n",
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/* \\\n",
        ),
        (
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl \\",
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/* \\",
        ),
        (
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl\\  \n",
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\\  \n",
        ),
        (
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl \\\n\n",
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/* \\\n\n",
        ),
        (
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl \\\n# done\n",
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/* \\\n# done\n",
        ),
        (
            "FROM debian:12\r\nRUN apt-get update && apt-get install -y curl \\\r\n",
            "FROM debian:12\r\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/* \\\r\n",
        ),
        (
            "# escape=`\nFROM debian:12\nRUN apt-get update && apt-get install -y curl `\n",
            "# escape=`\nFROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/* `\n",
        ),
        (
            "# escape=`\nFROM debian:12\nRUN apt-get update && apt-get install -y curl `",
            "# escape=`\nFROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/* `",
        ),
    ] {
        let out = run(input, &ONLY).unwrap();
        assert_eq!(out.output, expected, "input: {input:?}");
        let again = run(&out.output, &ONLY).unwrap();
        assert_eq!(again.output, out.output, "not idempotent: {input:?}");
    }
}

fn with_context(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn ctx_opts(dir: &std::path::Path) -> Opts<'_> {
    Opts {
        context: Some(dir),
        ..ONLY
    }
}

/// The lists-removal skip of a run (none when the fix applied).
fn lists_skip(input: &str, opts: &Opts) -> Option<String> {
    let out = run(input, opts).unwrap();
    let skip = out
        .skipped
        .iter()
        .find(|k| k.reason.starts_with("package lists kept"))
        .map(|k| k.reason.clone());
    assert_eq!(
        skip.is_some(),
        !out.output.contains("/var/lib/apt/lists"),
        "{input}"
    );
    skip
}

#[test]
fn a_later_script_or_make_target_that_installs_keeps_the_lists() {
    let dir = with_context(&[
        ("install.sh", "#!/bin/sh\nset -e\napt-get install -y jq\n"),
        (
            "Makefile",
            "all:\n\techo hi\n\ndeps:\n\t@apt-get install -y \\\n\t  jq\n",
        ),
        (
            "tools/setup.py",
            "import subprocess\nsubprocess.run([\"apt-get\", \"install\", \"-y\", \"jq\"])\n",
        ),
    ]);
    let o = ctx_opts(dir.path());
    let head = "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y curl\n";
    let cases = [
        (
            "COPY install.sh /tmp/\nRUN /tmp/install.sh\n",
            "the RUN on line 4 runs `/tmp/install.sh`, which uses apt without its own `apt-get update`",
        ),
        (
            "WORKDIR /src\nCOPY . .\nRUN make deps\n",
            "the RUN on line 5 runs `make deps`, which uses apt",
        ),
        (
            "WORKDIR /src\nCOPY . .\nRUN sh install.sh\n",
            "the RUN on line 5 runs `install.sh`, which uses apt",
        ),
        (
            "WORKDIR /src\nCOPY . .\nRUN sh -c 'set -e; ./install.sh'\n",
            "the RUN on line 5 runs `./install.sh`, which uses apt",
        ),
        (
            "COPY tools/ /opt/tools/\nRUN python3 /opt/tools/setup.py\n",
            "the RUN on line 4 runs `/opt/tools/setup.py`, which uses apt",
        ),
        (
            "FROM base\nCOPY install.sh /tmp/\nRUN /tmp/install.sh\n",
            "the RUN on line 5 runs `/tmp/install.sh`, which uses apt",
        ),
    ];
    for (rest, why) in cases {
        let input = if rest.starts_with("FROM base") {
            format!("{}{rest}", head.replace("slim\n", "slim AS base\n"))
        } else {
            format!("{head}{rest}")
        };
        let skip = lists_skip(&input, &o).unwrap_or_else(|| panic!("lists removed: {input}"));
        assert!(skip.contains(why), "{skip}");
    }
}

#[test]
fn a_later_script_dockopt_cannot_read_keeps_the_lists() {
    let dir = with_context(&[
        ("install.sh", "apt-get install -y jq\n"),
        ("build.sh", "echo build\n"),
    ]);
    let head = "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y curl\n";
    // Not in the context, copied from another stage, or no context at all.
    for (rest, opts) in [
        ("RUN ./gradlew build\n", ctx_opts(dir.path())),
        (
            "COPY --from=tools /x/setup.sh /tmp/\nRUN /tmp/setup.sh\n",
            ctx_opts(dir.path()),
        ),
        ("RUN make\n", ctx_opts(dir.path())),
        // After a `cd`, `./build.sh` is not necessarily the context's (harmless) build.sh.
        (
            "WORKDIR /src\nCOPY build.sh ./\nRUN cd /opt/x && ./build.sh\n",
            ctx_opts(dir.path()),
        ),
        ("COPY install.sh /tmp/\nRUN /tmp/install.sh\n", ONLY),
    ] {
        let input = format!("{head}{rest}");
        let skip = lists_skip(&input, &opts).unwrap_or_else(|| panic!("lists removed: {input}"));
        assert!(
            skip.contains("which dockopt cannot read from the build context (it may use apt)"),
            "{skip}"
        );
    }
}

#[test]
fn later_scripts_that_do_not_need_the_lists() {
    let dir = with_context(&[
        ("build.sh", "#!/bin/sh\nmake -j4\n"),
        ("Makefile", "all:\n\tcc -o app app.c\n"),
        ("refresh.sh", "apt-get update\napt-get install -y jq\n"),
    ]);
    let o = ctx_opts(dir.path());
    let head = "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y curl\nWORKDIR /src\nCOPY . .\n";
    for rest in [
        "RUN ./build.sh\n",
        "RUN make\n",
        "RUN sh refresh.sh\n",
        "RUN apt-get update && ./missing.sh\n",
        "RUN echo done\n",
        // `case` patterns and settings files run nothing.
        "RUN case \"$TARGETPLATFORM\" in \\\n  linux/amd64) A=x ;; \\\n  linux/arm/v8 | */arm64) A=y ;; \\\n  esac\n",
        "RUN case \"$T\" in linux/arm/v7|linux/arm/v8) A=y ;; *) A=n ;; esac\n",
        "RUN <<EOF\ncase \"$T\" in\n  linux/arm/v8) A=y ;;\nesac\nEOF\n",
        "RUN . /etc/os-release && echo \"$VERSION_CODENAME\"\n",
        "RUN python3 -m venv .venv && . .venv/bin/activate && pip install flask\n",
    ] {
        let input = format!("{head}{rest}");
        assert_eq!(lists_skip(&input, &o), None, "{input}");
    }
}

#[test]
fn the_lists_message_says_what_was_added() {
    let out = run(
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n",
        &ONLY,
    )
    .unwrap();
    let m: Vec<&str> = out.applied.iter().map(|a| a.message.as_str()).collect();
    assert_eq!(
        m,
        [
            "added `rm -rf /var/lib/apt/lists/*` at the end of the RUN: the package lists (typically 20-50 MB) no longer stay in the layer"
        ]
    );
}
