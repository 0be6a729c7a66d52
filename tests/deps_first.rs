//! deps-first: each case is a small project in `tests/fixtures/deps-first/<case>/` (a Dockerfile and
//! real manifests), run with that directory as the build context. Snapshots show input, output, diff
//! and report; refusals also assert that the output is the input and name the reason.

mod common;

use std::path::{Path, PathBuf};

use common::{Opts, report, run};

fn dir(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/deps-first")
        .join(case)
}

fn input(case: &str) -> String {
    std::fs::read_to_string(dir(case).join("Dockerfile")).expect("fixture Dockerfile")
}

fn opts(ctx: &Path) -> Opts<'_> {
    Opts {
        only: &["deps-first"],
        context: Some(ctx),
        ..Opts::default()
    }
}

/// Snapshots a fixture that the pass rewrites, and checks that it did.
fn rewritten(case: &str) -> String {
    let d = dir(case);
    let text = input(case);
    let out = run(&text, &opts(&d)).unwrap();
    assert_ne!(out.output, text, "{case}: deps-first should rewrite this");
    assert!(
        out.skipped.is_empty(),
        "{case}: unexpected skips {:?}",
        out.skipped
    );
    let r = report(&text, &opts(&d));
    snap!(format!("deps_first__{case}"), r.clone());
    out.output
}

/// A fixture the pass must leave alone with a reported reason containing `reason`.
fn refused(case: &str, reason: &str) {
    let d = dir(case);
    let text = input(case);
    let out = run(&text, &opts(&d)).unwrap();
    assert_eq!(out.output, text, "{case}: deps-first must not touch this");
    assert!(out.applied.is_empty(), "{case}");
    assert!(
        out.skipped.iter().any(|s| s.reason.contains(reason)),
        "{case}: expected a skip containing {reason:?}, got {:?}",
        out.skipped
    );
    snap!(format!("deps_first__{case}"), report(&text, &opts(&d)));
}

/// A fixture the pass must leave alone silently (already split).
fn untouched_silently(case: &str) {
    let d = dir(case);
    let text = input(case);
    let out = run(&text, &opts(&d)).unwrap();
    assert_eq!(out.output, text, "{case}: deps-first must not touch this");
    assert!(
        out.applied.is_empty() && out.skipped.is_empty(),
        "{case}: {:?}",
        out.skipped
    );
}

// ---------------------------------------------------------------- pip

#[test]
fn pip_requirements_follow_references() {
    // `*.txt` then `!requirements.txt`: Docker's last-match rule keeps the manifest in the context.
    rewritten("pip_manifest_brought_back");
    let out = rewritten("pip_requirements");
    assert!(out.contains(
        "COPY requirements.txt constraints.txt ./\nCOPY requirements/base.txt requirements/common.txt ./requirements/\n# Install the dependencies\nRUN pip install"
    ));
}

#[test]
fn pip_absolute_destination_keeps_flags() {
    let out = rewritten("pip_absolute_dest_with_chown");
    assert!(out.contains("COPY --chown=app:app --chmod=644 requirements.txt /srv/app/\nRUN python3 -m pip install --upgrade pip"));
}

#[test]
fn pip_split_at_and() {
    let out = rewritten("pip_split_collectstatic");
    assert!(out.contains(
        "COPY requirements.txt ./\nRUN pip install -r requirements.txt\nCOPY ./ ./\nRUN python manage.py collectstatic --noinput\n"
    ));
}

#[test]
fn pip_without_workdir_and_add_link() {
    let out = rewritten("pip_no_workdir_relative");
    assert!(out.contains(
        "COPY --link requirements.txt ./\nRUN pip install -r requirements.txt\nADD --link . .\n"
    ));
}

#[test]
fn pip_inert_env_between_is_fine() {
    rewritten("pip_inert_env_between");
}

#[test]
fn pip_refusals() {
    refused(
        "pip_editable_in_requirements",
        "requirements.txt includes -e . (line 3): the install needs the project source",
    );
    refused(
        "pip_install_dot",
        "`pip install .` installs the project itself",
    );
    refused(
        "pip_excluded_manifest",
        "requirements.txt is excluded by .dockerignore (line 2: `*.txt`)",
    );
    refused(
        "pip_missing_manifest",
        "requirements/prod.txt is not in the build context",
    );
    refused(
        "pip_run_between",
        "RUN at line 4 runs between COPY . (line 3)",
    );
    refused(
        "pip_env_between",
        "ENV PIP_INDEX_URL at line 4 between COPY . (line 3) and the install",
    );
    refused(
        "pip_workdir_between",
        "WORKDIR at line 3 between COPY . (line 2)",
    );
    refused(
        "pip_source_before_install",
        "`python scripts/gen_requirements.py` in the same RUN (line 4) may need the project source",
    );
    refused(
        "pip_reference_outside_context",
        "requirements.txt references ../shared/requirements.txt (line 1), outside the build context",
    );
    refused("pip_exclude_flag", "uses --exclude");
    refused("pip_heredoc", "heredoc");
}

#[test]
fn already_split_is_left_alone() {
    untouched_silently("pip_already_split");
}

// ---------------------------------------------------------------- node

#[test]
fn npm_ci_then_build_is_split() {
    let out = rewritten("npm_ci_then_build");
    assert!(out.contains(
        "COPY package.json package-lock.json .npmrc ./\nRUN npm ci\nCOPY . .\nRUN npm run build\n"
    ));
}

#[test]
fn npm_existing_manifest_copy_is_reused() {
    let out = rewritten("npm_existing_manifest_copy");
    assert!(out.contains(
        "COPY package.json ./\nCOPY package-lock.json ./\nRUN npm install --omit=dev\nCOPY . .\n"
    ));
}

#[test]
fn npm_patch_package_brings_patches() {
    let out = rewritten("npm_postinstall_patch_package");
    assert!(
        out.contains(
            "COPY package.json package-lock.json ./\nCOPY patches ./patches/\nRUN npm ci\n"
        )
    );
}

#[test]
fn npm_workspaces_copy_each_package_json() {
    let out = rewritten("npm_workspaces");
    assert!(out.contains("COPY packages/api/package.json ./packages/api/\n"));
    assert!(out.contains("COPY packages/web/package.json ./packages/web/\n"));
    assert!(out.contains("COPY tools/cli/package.json ./tools/cli/\n"));
}

#[test]
fn yarn_berry_brings_yarn_dir() {
    let out = rewritten("yarn_berry");
    assert!(out.contains(
        "COPY .yarn ./.yarn/\nRUN corepack enable && yarn install --immutable\nCOPY . .\n"
    ));
}

#[test]
fn pnpm_workspace_yaml() {
    let out = rewritten("pnpm_workspace");
    assert!(out.contains("COPY apps/admin/package.json ./apps/admin/\n"));
    assert!(out.contains("COPY apps/shop/package.json ./apps/shop/\n"));
}

#[test]
fn npm_exec_form_moves() {
    let out = rewritten("npm_exec_form");
    assert!(out.contains("RUN [\"npm\", \"ci\", \"--omit=dev\"]\nCOPY . .\n"));
}

#[test]
fn node_refusals() {
    refused(
        "npm_postinstall_reads_files",
        "package.json has a postinstall script (`node scripts/setup.js`) that may read project files",
    );
    refused(
        "npm_file_dependency",
        "package.json takes shared from the local path file:./libs/shared",
    );
    refused("user_between", "USER at line 4 between COPY . (line 3)");
}

#[test]
fn node_modules_in_context_must_be_ignored() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("package.json"), "{\"name\":\"x\"}\n").unwrap();
    std::fs::create_dir(d.join("node_modules")).unwrap();
    let text = "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm install\n";
    let out = run(text, &opts(d)).unwrap();
    assert_eq!(out.output, text);
    assert!(out.skipped[0].reason.contains(
        "node_modules is in the build context and .dockerignore does not surely exclude it"
    ));
    // Excluded by .dockerignore: the install's node_modules is safe.
    std::fs::write(d.join(".dockerignore"), "node_modules\n").unwrap();
    let out = run(text, &opts(d)).unwrap();
    assert_eq!(
        out.output,
        "FROM node:20\nWORKDIR /app\nCOPY package.json ./\nRUN npm install\nCOPY . .\n"
    );
}

#[test]
fn symlinked_manifest_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("real.txt"), "flask\n").unwrap();
    std::os::unix::fs::symlink("real.txt", d.join("requirements.txt")).unwrap();
    let text = "FROM python:3\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n";
    let out = run(text, &opts(d)).unwrap();
    assert_eq!(out.output, text);
    assert!(
        out.skipped[0]
            .reason
            .contains("requirements.txt is a symlink")
    );
}

#[test]
fn unknown_context_is_refused() {
    let text = "FROM python:3\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n";
    let o = Opts {
        only: &["deps-first"],
        ..Opts::default()
    };
    let out = run(text, &o).unwrap();
    assert_eq!(out.output, text);
    assert!(
        out.skipped[0]
            .reason
            .contains("the build context is unknown")
    );
}

// ---------------------------------------------------------------- go

#[test]
fn go_download_then_build_is_split() {
    let out = rewritten("go_mod_download_then_build");
    assert!(out.contains(
        "COPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\nRUN CGO_ENABLED=0 go build"
    ));
}

#[test]
fn go_local_replace_brings_its_go_mod() {
    let out = rewritten("go_replace_local");
    assert!(out.contains(
        "COPY go.mod ./\nCOPY internal/lib/go.mod ./internal/lib/\nRUN go mod download\n"
    ));
}

#[test]
fn go_refusals() {
    refused(
        "go_replace_without_gomod",
        "go.mod replaces example.com/lib with ./lib (line 4), which has no go.mod",
    );
    refused("go_work", "go.work puts the module in workspace mode");
}

// ---------------------------------------------------------------- poetry, uv, pipenv

#[test]
fn poetry_runs_no_root_early() {
    let out = rewritten("poetry_install");
    assert!(out.contains(
        "COPY pyproject.toml poetry.lock README.md ./\nRUN poetry config virtualenvs.create false \\\n    && poetry install --no-root --no-interaction --only main\nCOPY . .\nRUN poetry config virtualenvs.create false \\\n    && poetry install --no-interaction --only main\n"
    ));
}

#[test]
fn uv_sync_without_the_project_early() {
    let out = rewritten("uv_sync");
    assert!(out.contains("COPY pyproject.toml uv.lock .python-version /app/\n"));
    assert!(out.contains("uv sync --no-install-project --frozen --no-dev\nCOPY . /app\n"));
}

#[test]
fn pipenv_moves() {
    let out = rewritten("pipenv_deploy");
    assert!(out.contains(
        "COPY Pipfile Pipfile.lock ./\nRUN pipenv install --system --deploy\nCOPY . .\n"
    ));
}

#[test]
fn python_tool_refusals() {
    refused(
        "poetry_path_dependency",
        "pyproject.toml depends on corelib from the local path libs/corelib",
    );
    refused("uv_workspace", "declares a uv workspace");
    refused(
        "pipenv_path_package",
        "Pipfile installs mylib from the local path ./mylib",
    );
}

// ---------------------------------------------------------------- ruby, composer

#[test]
fn bundler_with_ruby_version() {
    let out = rewritten("bundler_ruby_version");
    assert!(out.contains("COPY Gemfile .ruby-version Gemfile.lock ./\nRUN bundle config"));
}

#[test]
fn composer_installs_without_scripts_early() {
    let out = rewritten("composer_install");
    assert!(out.contains(
        "COPY composer.json composer.lock ./\nRUN composer install --no-scripts --no-autoloader --no-dev --optimize-autoloader --no-interaction\nCOPY . .\nRUN composer install --no-dev --optimize-autoloader --no-interaction\n"
    ));
}

#[test]
fn ruby_and_composer_refusals() {
    refused(
        "bundler_gemspec_loads_files",
        "Gemfile uses gemspec (line 2) and mygem.gemspec uses",
    );
    refused(
        "composer_path_repository",
        "composer.json has a path repository",
    );
}

// ---------------------------------------------------------------- maven, gradle

#[test]
fn maven_go_offline_is_unsafe() {
    let d = dir("maven_package");
    let text = input("maven_package");
    let out = run(&text, &opts(&d)).unwrap();
    assert_eq!(out.output, text, "unsafe fixes need --unsafe");
    assert!(out.skipped[0].reason.starts_with("unsafe fix not applied"));
    let o = Opts {
        unsafe_fixes: true,
        ..opts(&d)
    };
    let r = report(&text, &o);
    assert!(r.contains("COPY pom.xml ./\nRUN mvn -B -DskipTests dependency:go-offline\nCOPY . .\nRUN mvn -B package -DskipTests\n"));
    snap!("deps_first__maven_package", r);
}

#[test]
fn gradle_wrapper_dependencies_is_unsafe() {
    let d = dir("gradle_wrapper");
    let text = input("gradle_wrapper");
    let o = Opts {
        unsafe_fixes: true,
        ..opts(&d)
    };
    let r = report(&text, &o);
    assert!(r.contains("RUN ./gradlew dependencies --no-daemon\nCOPY . .\n"));
    snap!("deps_first__gradle_wrapper", r);
}

#[test]
fn maven_modules_refused() {
    let d = dir("maven_modules");
    let text = input("maven_modules");
    let o = Opts {
        unsafe_fixes: true,
        ..opts(&d)
    };
    let out = run(&text, &o).unwrap();
    assert_eq!(out.output, text);
    assert!(out.skipped[0].reason.contains("pom.xml lists modules"));
}

// ---------------------------------------------------------------- structure

#[test]
fn multi_stage_each_stage() {
    let out = rewritten("multi_stage");
    assert!(out.contains("COPY package.json yarn.lock ./\nRUN yarn install --frozen-lockfile\nCOPY . .\nRUN yarn build\n"));
    assert!(out.contains("COPY requirements.txt ./\nRUN pip install -r requirements.txt\nCOPY . .\nCOPY --from=assets"));
}

#[test]
fn crlf_indentation_and_keyword_case_are_kept() {
    let out = rewritten("crlf_indented_lowercase");
    assert_eq!(
        out,
        "FROM python:3.12\r\nworkdir /app\r\n    copy --link requirements.txt ./\r\n    run pip install -r requirements.txt\r\n    copy --link . .\r\ncmd [\"python\", \"app.py\"]\r\n"
    );
}

#[test]
fn context_free_run_in_between_moves_along() {
    let out = rewritten("carry_context_free_run");
    assert_eq!(
        out,
        "FROM node:20\nWORKDIR /app\n# the Vue CLI for the build\nRUN yarn global add @vue/cli && rm -rf /usr/local/share/.cache\n\n\
COPY package.json yarn.lock ./\nRUN yarn install\n\nCOPY . .\nRUN yarn build\n"
    );
}

#[test]
fn run_in_between_touching_the_copy_is_refused() {
    refused(
        "pip_run_touches_dest",
        "`rm -rf /app/.git` names /app/.git, where COPY . (line 3) puts the context",
    );
}

#[test]
fn more_refusals() {
    refused(
        "pip_local_path_in_requirements",
        "requirements.txt includes ./vendor/acme-client (line 2): a local path",
    );
    refused(
        "npm_workspace_glob_unsupported",
        "the workspace pattern `packages/**` is not one the pass expands",
    );
    refused("bundler_path_gem", "Gemfile uses `path:` (line 3)");
    refused(
        "arg_between",
        "ARG NPM_TOKEN at line 4 between COPY . (line 3)",
    );
}

#[test]
fn gradle_multi_project_refused() {
    let d = dir("gradle_multi_project");
    let text = input("gradle_multi_project");
    let o = Opts {
        unsafe_fixes: true,
        ..opts(&d)
    };
    let out = run(&text, &o).unwrap();
    assert_eq!(out.output, text);
    assert!(
        out.skipped[0]
            .reason
            .contains("settings.gradle includes other projects"),
        "{:?}",
        out.skipped
    );
}

#[test]
fn editable_install_on_the_command_line_is_refused() {
    let d = dir("pip_install_dot");
    for (text, reason) in [
        (
            "FROM python:3\nWORKDIR /app\nCOPY . .\nRUN pip install -e .\n",
            "`pip install -e .` is an editable install: it needs the project source (line 4)",
        ),
        (
            "FROM python:3\nWORKDIR /app\nCOPY . .\nRUN pip install --editable=.[dev]\n",
            "`pip install -e .[dev]` is an editable install",
        ),
        (
            "FROM python:3\nWORKDIR /app\nCOPY . .\nRUN poetry install --only-root\n",
            "`poetry install --only-root` installs the project itself",
        ),
    ] {
        let out = run(text, &opts(&d)).unwrap();
        assert_eq!(out.output, text);
        assert!(
            out.skipped.iter().any(|s| s.reason.contains(reason)),
            "{text}: {:?}",
            out.skipped
        );
    }
}

#[test]
fn split_keeps_run_flags_and_comment_lines() {
    let d = dir("npm_ci_then_build");
    let text = "FROM node:20\nWORKDIR /usr/src/app\nCOPY . .\nRUN --mount=type=cache,target=/root/.npm apk add --no-cache git \\\n    # dependencies first\n    && npm ci \\\n    && npm run build\n";
    let out = run(text, &opts(&d)).unwrap();
    assert_eq!(
        out.output,
        "FROM node:20\nWORKDIR /usr/src/app\nCOPY package.json package-lock.json .npmrc ./\nRUN --mount=type=cache,target=/root/.npm apk add --no-cache git \\\n    # dependencies first\n    && npm ci\nCOPY . .\nRUN --mount=type=cache,target=/root/.npm npm run build\n"
    );
    // A comment line where the RUN would be cut: left alone.
    let text = "FROM node:20\nWORKDIR /usr/src/app\nCOPY . .\nRUN npm ci \\\n    # then build\n    && npm run build\n";
    let out = run(text, &opts(&d)).unwrap();
    assert_eq!(out.output, text);
    assert!(
        out.skipped[0]
            .reason
            .contains("a comment line sits where the RUN would be split")
    );
}

#[test]
fn split_needs_and_between_install_and_rest() {
    let d = dir("npm_ci_then_build");
    let text = "FROM node:20\nWORKDIR /usr/src/app\nCOPY . .\nRUN npm ci; npm run build\n";
    let out = run(text, &opts(&d)).unwrap();
    assert_eq!(out.output, text);
    assert!(
        out.skipped[0]
            .reason
            .contains("not joined to the rest by `&&`")
    );
}

#[test]
fn wrong_context_is_detected() {
    // The Dockerfile copies a file the directory does not have: it is not the real build context.
    let d = dir("npm_ci_then_build");
    let text = "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCOPY deploy/nginx.conf /etc/nginx/nginx.conf\n";
    let out = run(text, &opts(&d)).unwrap();
    assert_eq!(out.output, text);
    assert!(out.skipped[0].reason.contains(
        "COPY at line 5 copies deploy/nginx.conf, which is not in the build context: the context is probably another directory"
    ));
}

// ---------------------------------------------------------------- regressions (adversarial review)

/// Runs `text` with fixture `case` as the build context and asserts it is left alone with a skip
/// whose reason contains `reason`.
fn refused_text(case: &str, text: &str, reason: &str) {
    let d = dir(case);
    let out = run(text, &opts(&d)).unwrap();
    assert_eq!(out.output, text, "{case}: deps-first must not touch this");
    assert!(out.applied.is_empty(), "{text}");
    assert!(
        out.skipped.iter().any(|s| s.reason.contains(reason)),
        "{text}: expected a skip containing {reason:?}, got {:?}",
        out.skipped
    );
}

#[test]
fn carried_run_with_command_substitution_is_refused() {
    refused(
        "carry_command_substitution",
        "RUN at line 4 runs between COPY . (line 3) and the install",
    );
    let base = "FROM python:3.12\nWORKDIR /app\nCOPY . .\n";
    let tail = "RUN pip install -r requirements.txt\n";
    for between in [
        "RUN apt-get update && apt-get install -y `cat packages.txt`\n",
        "RUN apt-get update && apt-get install -y \"$(cat packages.txt)\"\n",
        "RUN apt-get update && apt-get install -y $(cat /app/packages.txt)\n",
        "RUN apt-get install -y $PKGS\n",
        "RUN . ./env.sh\n",
        "RUN xargs apt-get install -y < packages.txt\n",
        "RUN apt-get install -y packages.txt\n",
    ] {
        refused_text(
            "carry_command_substitution",
            &format!("{base}{between}{tail}"),
            "RUN at line 4 runs between COPY . (line 3) and the install",
        );
    }
    // The same in the install's own RUN: the early RUN would not see packages.txt.
    refused_text(
        "carry_command_substitution",
        "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN apt-get install -y $(cat packages.txt) && pip install -r requirements.txt\n",
        "runs a command substitution",
    );
}

#[test]
fn carried_ldconfig_of_the_copy_is_refused() {
    refused(
        "carry_ldconfig",
        "RUN at line 4 runs between COPY . (line 3) and the install and cannot move ahead of the copy: `ldconfig /app/lib` is not a command known to leave the project alone",
    );
    // In the install's own RUN too.
    refused_text(
        "carry_ldconfig",
        "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN ldconfig /app/lib && pip install -r requirements.txt\n",
        "`ldconfig /app/lib` names /app/lib, where COPY . (line 3) puts the context",
    );
}

#[test]
fn carried_corepack_is_refused() {
    refused(
        "carry_corepack",
        "RUN at line 4 runs between COPY . (line 3) and the install and may produce what it needs",
    );
    refused_text(
        "carry_corepack",
        "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN corepack prepare --activate\nRUN pnpm install --frozen-lockfile\n",
        "RUN at line 4 runs between COPY . (line 3) and the install and may produce what it needs",
    );
    refused_text(
        "carry_corepack",
        "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN corepack enable\nRUN pnpm install --frozen-lockfile\n",
        "`corepack enable` is not a command known to leave the project alone",
    );
}

#[test]
fn installer_env_pointing_into_the_copy_is_refused() {
    refused(
        "env_pip_constraint",
        "ENV PIP_CONSTRAINT at line 2 points the installer at /app/constraints.txt, in the directory COPY . fills",
    );
    refused(
        "env_pip_find_links",
        "ENV PIP_FIND_LINKS at line 3 points the installer at /app/wheels",
    );
    refused(
        "env_npm_userconfig",
        "ENV NPM_CONFIG_USERCONFIG at line 3 points the installer at /app/ci.npmrc",
    );
    refused_text(
        "env_pip_find_links",
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN PIP_FIND_LINKS=wheels pip install -r requirements.txt\n",
        "`PIP_FIND_LINKS=wheels` on the install (line 4) points the installer at the relative path wheels",
    );
    refused_text(
        "env_pip_find_links",
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN env PIP_FIND_LINKS=file:///app/wheels pip install -r requirements.txt\n",
        "the local URL file:///app/wheels",
    );
    refused_text(
        "env_npm_userconfig",
        "FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nRUN npm_config_prefix=frontend npm ci\n",
        "`npm_config_prefix=frontend` on the install (line 4) points the installer at the relative path frontend",
    );
    // A parent stage's ENV counts too.
    refused_text(
        "env_pip_constraint",
        "FROM python:3.12-slim AS base\nENV PIP_CONSTRAINT=/app/constraints.txt\nFROM base\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n",
        "ENV PIP_CONSTRAINT at line 2",
    );
    // Settings that are not local paths do not stop the rewrite.
    let d = dir("env_pip_constraint");
    let text = "FROM python:3.12-slim\nENV PIP_NO_CACHE_DIR=1 PIP_INDEX_URL=https://pypi.acme.dev/simple PIP_CACHE_DIR=/tmp/pip\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n";
    let out = run(text, &opts(&d)).unwrap();
    assert!(
        out.output
            .contains("COPY requirements.txt ./\nRUN pip install -r requirements.txt\nCOPY . .\n"),
        "{}",
        out.output
    );
}

#[test]
fn install_in_another_directory_is_a_reported_skip() {
    refused(
        "npm_prefix_frontend",
        "`npm --prefix frontend` installs in another project directory or workspace",
    );
    for (text, reason) in [
        ("RUN npm ci --prefix=frontend\n", "`npm --prefix frontend`"),
        ("RUN pnpm --dir frontend install\n", "`pnpm --dir frontend`"),
        ("RUN pnpm -C frontend install\n", "`pnpm -C frontend`"),
        ("RUN yarn --cwd frontend install\n", "`yarn --cwd frontend`"),
        ("RUN npm ci --workspace api\n", "`npm --workspace api`"),
        (
            "RUN npm ci $NPM_FLAGS\n",
            "`npm` is given `$NPM_FLAGS`, only known when the RUN runs",
        ),
    ] {
        refused_text(
            "npm_prefix_frontend",
            &format!("FROM node:20-alpine\nWORKDIR /app\nCOPY . .\n{text}"),
            reason,
        );
    }
}

#[test]
fn pip_with_dynamic_words_is_a_reported_skip() {
    refused(
        "pip_dynamic_words",
        "`pip install` is given `$(cat extra.txt)`, only known when the RUN runs",
    );
}

#[test]
fn requirements_read_every_option_on_a_line() {
    let out = rewritten("pip_options_on_one_line");
    assert!(
        out.contains("COPY requirements.txt ./\nCOPY reqs/base.txt reqs/pins.txt ./reqs/\nRUN pip install -r requirements.txt\nCOPY . .\n"),
        "{out}"
    );
}

#[test]
fn requirements_with_local_indexes_are_refused() {
    refused(
        "pip_requirements_local_index",
        "base.txt uses --find-links ./wheels (line 1), a local directory",
    );
    for (reqs, reason) in [
        ("--no-index\nflask\n", "uses --no-index (line 1)"),
        (
            "--index-url file:///app/wheels\nflask\n",
            "uses --index-url file:///app/wheels (line 1), a local index",
        ),
        (
            "-i ./simple\nflask\n",
            "uses -i ./simple (line 1), a local index",
        ),
        (
            "--extra-index-url=/srv/simple\nflask\n",
            "uses --extra-index-url /srv/simple (line 1), a local index",
        ),
        (
            "--pre -f wheels\nflask\n",
            "uses --find-links wheels (line 1)",
        ),
        ("flask @ file:///app/flask.whl\n", "a local path"),
        (
            "--pre --frobnicate\nflask\n",
            "uses the option --frobnicate (line 1)",
        ),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        std::fs::write(d.join("requirements.txt"), reqs).unwrap();
        let text =
            "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n";
        let out = run(text, &opts(d)).unwrap();
        assert_eq!(out.output, text, "{reqs}");
        assert!(
            out.skipped.iter().any(|s| s.reason.contains(reason)),
            "{reqs}: {:?}",
            out.skipped
        );
    }
}

#[test]
fn split_refuses_lists_with_other_operators() {
    refused(
        "pip_split_or_fallback",
        "the install is not joined to the rest by `&&` alone (the RUN uses `||`)",
    );
    let base = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\n";
    for (run_line, op) in [
        (
            "RUN pip install -r requirements.txt && python manage.py check | tee log\n",
            "`|`",
        ),
        (
            "RUN pip install -r requirements.txt && python manage.py check; echo done\n",
            "`;`",
        ),
        (
            "RUN pip install -r requirements.txt && python manage.py check & wait\n",
            "`&`",
        ),
        (
            "RUN pip install -r requirements.txt && (python manage.py check)\n",
            "`(`",
        ),
        (
            "RUN true || pip install -r requirements.txt && python manage.py check\n",
            "`||`",
        ),
    ] {
        refused_text("pip_split_or_fallback", &format!("{base}{run_line}"), op);
    }
}

#[test]
fn manifests_with_local_paths_are_refused() {
    refused(
        "pnpm_override_file",
        "package.json takes x from the local path file:./x (pnpm.overrides)",
    );
    refused(
        "uv_find_links",
        "pyproject.toml sets tool.uv.find-links to ./wheels, a local path the pass does not copy",
    );
    refused(
        "poetry_file_source",
        "pyproject.toml has a [[tool.poetry.source]] with url file:///app/wheels",
    );
    refused(
        "yarn_offline_mirror",
        ".yarnrc sets yarn-offline-mirror to ./npm-packages-offline-cache",
    );
    refused(
        "yarn_berry_cache_folder",
        ".yarnrc.yml points to ./offline-cache (cacheFolder)",
    );
    refused(
        "npm_git_file_dependency",
        "package.json takes shared from the local path git+file:///app/vendor/shared.git",
    );
}

#[test]
fn pnpm_patched_dependencies_come_along() {
    let out = rewritten("pnpm_patched_dependencies");
    assert!(
        out.contains("COPY package.json pnpm-lock.yaml ./\nCOPY my-patches/left-pad@1.3.0.patch ./my-patches/\nRUN pnpm install --frozen-lockfile\nCOPY . .\n"),
        "{out}"
    );
}

#[test]
fn more_local_manifest_settings_are_refused() {
    let node = |pkg: &str, extra: &[(&str, &str)], install: &str, reason: &str| {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        std::fs::write(d.join("package.json"), pkg).unwrap();
        for (f, t) in extra {
            std::fs::write(d.join(f), t).unwrap();
        }
        let text = format!("FROM node:20\nWORKDIR /app\nCOPY . .\nRUN {install}\n");
        let out = run(&text, &opts(d)).unwrap();
        assert_eq!(out.output, text, "{pkg}");
        assert!(
            out.skipped.iter().any(|s| s.reason.contains(reason)),
            "{pkg}: {:?}",
            out.skipped
        );
    };
    node(
        r#"{"dependencies":{"a":"link:../a"}}"#,
        &[],
        "npm install",
        "takes a from the local path link:../a",
    );
    node(
        r#"{"dependencies":{"a":"portal:./a"}}"#,
        &[],
        "yarn install",
        "takes a from the local path portal:./a",
    );
    node(
        r#"{"overrides":{"react":{"scheduler":"file:./scheduler"}}}"#,
        &[],
        "npm ci",
        "takes scheduler from the local path file:./scheduler (overrides)",
    );
    node(
        r#"{"pnpm":{"patchedDependencies":{"a@1.0.0":"my-patches/a.patch"}}}"#,
        &[],
        "pnpm install",
        "patches a@1.0.0 with my-patches/a.patch (pnpm.patchedDependencies), a file the pass cannot copy",
    );
    node(
        "{}",
        &[("pnpm-workspace.yaml", "overrides:\n  a: link:./a\n")],
        "pnpm install",
        "pnpm-workspace.yaml takes a from the local path link:./a",
    );
    node(
        "{}",
        &[(".yarnrc.yml", "cacheFolder: ./offline-cache\n")],
        "yarn install",
        ".yarnrc.yml points to ./offline-cache (cacheFolder)",
    );
    let uv = |pyproject: &str, uv_toml: Option<&str>, reason: &str| {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        std::fs::write(d.join("pyproject.toml"), pyproject).unwrap();
        if let Some(u) = uv_toml {
            std::fs::write(d.join("uv.toml"), u).unwrap();
        }
        let text = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN uv sync\n";
        let out = run(text, &opts(d)).unwrap();
        assert_eq!(out.output, text, "{pyproject}");
        assert!(
            out.skipped.iter().any(|s| s.reason.contains(reason)),
            "{pyproject}: {:?}",
            out.skipped
        );
    };
    uv(
        "[project]\nname = \"a\"\n[tool.uv]\nno-index = true\n",
        None,
        "sets tool.uv.no-index",
    );
    uv(
        "[project]\nname = \"a\"\n[[tool.uv.index]]\nname = \"local\"\nurl = \"./wheels\"\n",
        None,
        "has a tool.uv.index with url ./wheels",
    );
    uv(
        "[project]\nname = \"a\"\n",
        Some("find-links = [\"file:///app/wheels\"]\n"),
        "uv.toml sets find-links to file:///app/wheels",
    );
    uv(
        "[project]\nname = \"a\"\n[tool.uv.sources]\nlib = [{ index = \"pypi\", marker = \"sys_platform == 'darwin'\" }, { path = \"./libs/lib\" }]\n",
        None,
        "takes lib from a local path or workspace",
    );
}

#[test]
fn venv_inside_the_copy_still_moves() {
    let d = dir("pip_no_workdir_relative");
    let text = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN python -m venv /app/.venv && /app/.venv/bin/pip install -r requirements.txt\n";
    let out = run(text, &opts(&d)).unwrap();
    assert!(
        out.output
            .contains("COPY requirements.txt ./\nRUN python -m venv /app/.venv"),
        "{}\n{:?}",
        out.output,
        out.skipped
    );
}

#[test]
fn refusal_messages_use_the_right_article() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("package.json"),
        r#"{"name":"web","scripts":{"install":"node-gyp rebuild"}}"#,
    )
    .unwrap();
    std::fs::write(d.path().join("package-lock.json"), "{}").unwrap();
    let text = "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\n";
    let out = run(text, &opts(d.path())).unwrap();
    assert_eq!(out.output, text);
    assert!(
        out.skipped.iter().any(|s| s
            .reason
            .contains("package.json has an install script (`node-gyp rebuild`)")),
        "{:?}",
        out.skipped
    );
}
