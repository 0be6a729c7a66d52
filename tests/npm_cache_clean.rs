//! npm-cache-clean: snapshots of realistic inputs, and the cases it must leave alone.

mod common;

use std::fs;
use std::path::Path;

use common::{Opts, report, run};

fn opts(context: Option<&Path>, unsafe_fixes: bool) -> Opts<'_> {
    Opts {
        only: &["npm-cache-clean"],
        unsafe_fixes,
        base_alpine: false,
        cache_mounts: false,
        context,
    }
}

const NO_CONTEXT: Opts = Opts {
    only: &["npm-cache-clean"],
    unsafe_fixes: false,
    base_alpine: false,
    cache_mounts: false,
    context: None,
};

/// A Yarn 1 / npm project: a package.json without a Yarn 2+ packageManager.
fn classic_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("package.json"),
        r#"{"name": "web", "packageManager": "yarn@1.22.22"}"#,
    )
    .unwrap();
    fs::write(dir.path().join("yarn.lock"), "").unwrap();
    dir
}

fn unchanged(input: &str, ctx: Option<&Path>) {
    for u in [false, true] {
        let out = run(input, &opts(ctx, u)).unwrap();
        assert_eq!(out.output, input, "npm-cache-clean must leave this alone");
        assert!(out.applied.is_empty());
    }
}

#[test]
fn node_service_with_npm_and_yarn() {
    let ctx = classic_project();
    let input = r#"FROM node:20-slim AS build
WORKDIR /app
COPY package.json yarn.lock ./
RUN yarn install --frozen-lockfile \
    # build tools only
    && yarn build # emits dist/

FROM node:20-slim
WORKDIR /app
COPY --from=build /app/dist ./dist
COPY package*.json ./
RUN npm ci --omit=dev
CMD ["node", "dist/server.js"]
"#;
    snap!(
        "npm_cache_clean__node_service_with_npm_and_yarn",
        report(input, &opts(Some(ctx.path()), false))
    );
}

#[test]
fn npm_spellings() {
    for (before, after) in [
        ("npm install", "npm install && npm cache clean --force"),
        ("npm i -g pm2", "npm i -g pm2 && npm cache clean --force"),
        (
            "npm --prefix /app ci && npm run build",
            "npm --prefix /app ci && npm run build && npm cache clean --force",
        ),
        (
            "NODE_ENV=production npm ci; echo ok",
            "NODE_ENV=production npm ci; echo ok && npm cache clean --force",
        ),
    ] {
        assert_eq!(
            run(&format!("FROM node:20\nRUN {before}\n"), &NO_CONTEXT)
                .unwrap()
                .output,
            format!("FROM node:20\nRUN {after}\n")
        );
    }
}

#[test]
fn yarn_without_a_context_is_unsafe() {
    let input = "FROM node:20\nRUN yarn\n";
    let out = run(input, &NO_CONTEXT).unwrap();
    assert_eq!(out.output, input);
    assert!(
        out.skipped[0]
            .reason
            .contains("Yarn 2+ cannot be ruled out")
    );
    let out = run(input, &opts(None, true)).unwrap();
    assert_eq!(out.output, "FROM node:20\nRUN yarn && yarn cache clean\n");
}

#[test]
fn yarn_berry_is_refused() {
    let berry = tempfile::tempdir().unwrap();
    fs::create_dir_all(berry.path().join("web")).unwrap();
    fs::write(berry.path().join("web/.yarnrc.yml"), "nodeLinker: pnp\n").unwrap();
    let input = "FROM node:20\nRUN yarn install\n";
    unchanged(input, Some(berry.path()));
    let out = run(input, &opts(Some(berry.path()), false)).unwrap();
    assert!(out.skipped[0].reason.contains(".yarnrc.yml"));

    let pm = tempfile::tempdir().unwrap();
    fs::write(
        pm.path().join("package.json"),
        r#"{"packageManager": "yarn@4.1.1"}"#,
    )
    .unwrap();
    unchanged(input, Some(pm.path()));

    let ctx = classic_project();
    unchanged(
        "FROM node:20\nRUN corepack enable && yarn install --immutable\n",
        Some(ctx.path()),
    );
}

#[test]
fn a_later_offline_install_keeps_the_cache() {
    let out = run(
        "FROM node:20\nRUN npm ci\nRUN npm install --offline left-pad\n",
        &NO_CONTEXT,
    )
    .unwrap();
    assert_eq!(
        out.output,
        "FROM node:20\nRUN npm ci\nRUN npm install --offline left-pad && npm cache clean --force\n"
    );
    assert!(
        out.skipped[0]
            .reason
            .contains("line 3 installs from it offline")
    );
}

#[test]
fn heredoc_body_is_reported_not_edited() {
    let input = "# syntax=docker/dockerfile:1\nFROM node:20\nRUN <<EOF\nnpm ci\nEOF\n";
    let out = run(input, &NO_CONTEXT).unwrap();
    assert!(out.skipped[0].reason.contains("heredoc"));
    unchanged(input, None);
}

#[test]
fn must_not_touch() {
    let ctx = classic_project();
    let c = Some(ctx.path());
    for input in [
        // Already cleaned, or the cache removed.
        "FROM node:20\nRUN npm ci && npm cache clean --force\n",
        "FROM node:20\nRUN npm ci && rm -rf /root/.npm\n",
        "FROM node:20\nRUN yarn install && yarn cache clean\n",
        "FROM node:20\nRUN yarn && rm -rf /usr/local/share/.cache/yarn\n",
        // The cache is wanted, or placed by the author.
        "# syntax=docker/dockerfile:1\nFROM node:20\nRUN --mount=type=cache,target=/root/.npm npm ci\n",
        "# syntax=docker/dockerfile:1\nFROM node:20\nRUN --mount=type=cache,target=/home/app/.cache/yarn yarn install\n",
        "FROM node:20\nENV npm_config_cache=/tmp/npm\nRUN npm ci\n",
        "FROM node:20\nRUN YARN_CACHE_FOLDER=/tmp/y yarn install\n",
        "FROM node:20\nRUN npm ci --cache /tmp/npm\n",
        // Not installs, or not plain shell.
        "FROM node:20\nRUN npm run build && yarn test\n",
        "FROM node:20\nRUN [\"npm\", \"ci\"]\n",
        "FROM node:20\nRUN sh -c \"npm ci\"\n",
        "FROM node:20\nUSER node\nRUN sudo npm install -g pm2\n",
    ] {
        unchanged(input, c);
    }
}

#[test]
fn dangling_continuation_on_the_last_line() {
    // The cleanup goes after the last word, before the escape: `\ &&` would be an escaped space.
    let head = "FROM node:20-slim\nWORKDIR /a\nCOPY package.json ./\n";
    for (run_line, expected) in [
        (
            "RUN npm install \\\n",
            "RUN npm install && npm cache clean --force \\\n",
        ),
        (
            "RUN npm install \\",
            "RUN npm install && npm cache clean --force \\",
        ),
        (
            "RUN npm install \\\n\n",
            "RUN npm install && npm cache clean --force \\\n\n",
        ),
    ] {
        let input = format!("{head}{run_line}");
        let out = run(&input, &NO_CONTEXT).unwrap();
        assert_eq!(out.output, format!("{head}{expected}"), "input: {input:?}");
        assert_eq!(run(&out.output, &NO_CONTEXT).unwrap().output, out.output);
    }
}

#[test]
fn a_later_script_that_installs_offline_keeps_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("package.json"), r#"{"name": "web"}"#).unwrap();
    fs::write(
        dir.path().join("build.sh"),
        "#!/bin/sh\nnpm ci --prefer-offline\nnpm run build\n",
    )
    .unwrap();
    fs::write(dir.path().join("test.sh"), "#!/bin/sh\nnpm test\n").unwrap();
    let head = "FROM node:20\nWORKDIR /app\nCOPY package.json ./\nRUN npm install\nCOPY . .\n";
    let out = run(
        &format!("{head}RUN sh build.sh\n"),
        &opts(Some(dir.path()), false),
    )
    .unwrap();
    assert!(!out.output.contains("cache clean"), "{}", out.output);
    assert!(
        out.skipped.iter().any(|k| k.reason
            == "npm's cache kept: the RUN on line 6 runs `build.sh`, which installs from it offline"),
        "{:?}",
        out.skipped
    );
    let out = run(
        &format!("{head}RUN sh test.sh\n"),
        &opts(Some(dir.path()), false),
    )
    .unwrap();
    assert!(
        out.output
            .contains("RUN npm install && npm cache clean --force\n")
    );
}
