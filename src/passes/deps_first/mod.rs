//! deps-first: install dependencies before `COPY . .`, copying only the manifests first, so a source
//! edit no longer invalidates the dependency layer.
//!
//! The pass reads the real build context ([`context`]) to learn which manifests exist and what they
//! reference; each ecosystem lives in its own module ([`pip`], [`python`], [`node`], [`go`], [`ruby`],
//! [`php`], [`jvm`]); [`classify`] says what each command of a RUN is. This file finds the
//! whole-context copies and the installs after them, checks everything in between, and builds the edits.

mod classify;
mod context;
mod go;
mod jvm;
mod node;
mod php;
mod pip;
mod python;
mod ruby;

use std::collections::BTreeMap;

use crate::edit;
use crate::fix::{Applicability, Edit, Findings};
use crate::model::{CommandForm, CopySource, Detail, Document, Instruction, Kind, env_pairs};
use crate::passes::{Pass, PassContext, PassInfo};
use crate::shell::{self, Mode, SimpleCommand, Word};

use classify::{DATA, classify};
use context::{Ctx, Entry};

pub struct DepsFirst;

const NAME: &str = "deps-first";

/// Stands for a working directory the Dockerfile does not state (no WORKDIR, or one with a variable).
/// Paths relative to it still compare correctly against each other.
const CWD: &str = "/__dockopt_cwd__";

static INFO: PassInfo = PassInfo {
    name: NAME,
    summary: "Install dependencies before COPY . so source edits keep the dependency layer cached",
    hadolint: &[],
    default_enabled: true,
    doc: r#"# deps-first

## What it does
When a stage copies the whole build context (`COPY . .`, `COPY . /app`, `COPY ./ ./`, `ADD . .`, with
`--chown`, `--chmod` or `--link`) and then installs dependencies, the pass copies only the
dependency manifests first and runs the install before the whole-context copy:

- pip (`pip install -r`, `uv pip install -r`, `uv pip sync`): the requirements files and every file
  they reference through `-r`, `-c` or `--requirement`, followed recursively.
- Poetry: `pyproject.toml`, `poetry.lock`, `poetry.toml` and the readme pyproject names;
  `poetry install --no-root` runs early and the original `poetry install` stays after the copy (the
  `packages` and `include` files are not needed by `--no-root`, so they come with the full copy).
- uv: `pyproject.toml`, `uv.lock`, `.python-version`, `uv.toml`; `uv sync --no-install-project`
  (with the original options) runs early and the original `uv sync` stays after the copy.
- pipenv: `Pipfile` and `Pipfile.lock`.
- npm, yarn, pnpm, bun: `package.json`, the lockfile that exists, `.npmrc`, `.yarnrc.yml`,
  `.pnpmfile.cjs`, `pnpm-workspace.yaml`, the `patches` and `.yarn` directories when present, and
  each workspace's `package.json`.
- Go: `go.mod`, `go.sum` when it exists, and the `go.mod` (and `go.sum`) of every local `replace`
  target, for `go mod download`.
- Ruby: `Gemfile`, `Gemfile.lock`, and `.ruby-version` when the Gemfile reads it, for `bundle install`.
- Composer: `composer.json`, `composer.lock`, `auth.json`; `composer install --no-scripts
  --no-autoloader` runs early and the original `composer install` finishes after the copy.
- Maven and Gradle: a new `RUN mvn dependency:go-offline` (or `gradle dependencies`) after copying
  `pom.xml` (or the Gradle build files), offered as an unsafe fix.

The new COPY keeps the flags of the whole-context copy and mirrors its destination (`.` becomes
`./`, `/app` becomes `/app/`). A RUN that installs and then builds (`npm ci && npm run build`) is split
at the `&&`: the install part runs early, the rest stays after the copy. Files that are already split
(an install of the same ecosystem runs before the whole-context copy) are left alone, and each stage of a
multi-stage file is handled on its own.

## Why
Every source edit changes the whole-context copy, and with it every layer after it. When the
dependency install comes after that copy, each rebuild downloads and installs everything again: minutes
instead of seconds. Copying the manifests first keeps the install layer cached until a manifest changes.

## Example
```dockerfile
WORKDIR /app
COPY . .
RUN pip install -r requirements.txt
```
becomes
```dockerfile
WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY . .
```

## When it refuses
Whenever the build context does not prove the rewrite safe: a manifest is missing, is excluded by
`.dockerignore` or references local files; something between the copy and the install may be needed
by it; or the install is of the project itself. Every refusal is reported with the reason and the line.

In detail, the pass refuses when:
- the directory taken as the build context is probably not the real one: a COPY or ADD in the file
  names a path whose top-level entry is not there (pass `--context DIR`);
- the build context is unknown (standard input without `--context`), a manifest the install needs is
  missing from it, is a symlink, lies outside the copied directory, or needs quoting;
- `.dockerignore` excludes a manifest (Docker's rules: the last matching line wins, so an allow-list
  `*` then `!requirements.txt` keeps it), or is a file Docker itself rejects;
- the install writes where the context has files that `.dockerignore` does not surely exclude
  (`node_modules`, `.venv`, `vendor`): the whole-context copy would overwrite them;
- something between the whole-context copy and the install may be needed by the install: a RUN that
  may read or change project files, a COPY or ADD, WORKDIR, USER, SHELL, VOLUME, or an ENV or ARG that
  is not known to be inert (or that a moved RUN uses). A RUN in between moves along, in its order,
  ahead of the install only when every command is on a short allow-list of commands that do not read
  the project (`RUN npm install -g pnpm`, `RUN apt-get install -y gcc`), every word is static (no
  `$(...)`, backticks or `$VAR`) and no word names a relative path, a path in the copied directory or
  an entry of the build context (so `RUN apt-get install -y $(cat packages.txt)`, `RUN ldconfig
  /app/lib` and `RUN corepack install` make it refuse);
- a variable an installer reads (`PIP_*`, `UV_*`, `POETRY_*`, `PIPENV_*`, `NPM_CONFIG_*`, `YARN_*`,
  `PNPM_*`, `BUN_*`, `BUNDLE_*`, `COMPOSER_*`, `GOFLAGS`, `GOPROXY`...), set by ENV or ARG in the stage
  or a stage it builds on, or on the install's command line (`PIP_FIND_LINKS=wheels pip install`),
  points at a relative path, a path in the copied directory or a `file:` URL;
- the install's words are only known when it runs (`pip install -r requirements.txt $(cat x)`);
- a command in the same RUN uses a command substitution, or names a path in the copied directory;
- the same RUN also runs something that may need the source (`python manage.py collectstatic`) and it
  cannot be split safely: only a list joined by `&&` alone splits (a `||`, `|`, `;`, `&` or subshell
  anywhere makes the pass refuse);
- the install is of the project itself: `pip install .`, `pip install -e .`, a requirements file with
  `-e .`, `.` or a local path, `poetry install --only-root`;
- a manifest references local files the pass does not copy: a requirements file (any option on any
  line, followed recursively) with `--find-links`, `--no-index`, a local or `file:` index URL or a
  local requirement; uv `find-links`, `no-index` or a local `index` (pyproject.toml or uv.toml);
  a Poetry `source` with a local URL; pnpm `overrides` with local paths (package.json or
  pnpm-workspace.yaml) or `patchedDependencies` files that are not plain context files (those are
  copied along); yarn `yarn-offline-mirror` (.yarnrc) or a `.yarnrc.yml` path outside `.yarn/`
  (`cacheFolder: ./offline-cache`); npm `git+file:`, `link:` or `portal:` specs; pip `--find-links` to a directory,
  Poetry, uv or Pipfile path dependencies, a uv workspace, npm `file:` dependencies, lifecycle scripts
  (`preinstall`, `install`, `postinstall`, `prepare`) other than known ones such as `patch-package`,
  workspace patterns other than `dir/*` or a literal directory, `go.work`, a Go `replace` to a
  directory without `go.mod`, a Gemfile with `gemspec` whose gemspec loads files, `path:` gems or
  `eval_gemfile`, Composer `path` repositories, Maven modules, Gradle multi-project builds or `buildSrc`;
- the install changes its project directory (`--prefix`, `--cwd`, `-C`, `--dir`, `--workspace`,
  `--working-dir`, `npm_config_prefix=`), runs in
  a heredoc, or is an exec-form RUN that would need new options.

## Fix safety
Safe for the move and split rewrites: the install sees the same manifests, the same environment, user
and working directory as before, and nothing it writes is overwritten by the later copy. One visible
difference can remain: an install that rewrites a lockfile (`npm install`, `bundle install` adding a
platform) has its rewrite replaced by the context's lockfile when the whole context is copied after it.
The Maven and Gradle rewrite adds a new RUN that downloads dependencies (it needs network access and may
not resolve every plugin), so it is unsafe and applies only with `--unsafe`.
"#,
};

impl Pass for DepsFirst {
    fn info(&self) -> &'static PassInfo {
        &INFO
    }

    fn run(&self, doc: &Document, cx: &PassContext, out: &mut Findings) {
        let ctx = Ctx::new(cx);
        let mismatch = ctx.as_ref().and_then(|c| context_mismatch(doc, c));
        for stage in 0..doc.stages.len() {
            let mut whole: Option<usize> = None;
            let body: Vec<usize> = doc.stage_body(stage).map(|(i, _)| i).collect();
            for i in body {
                let inst = &doc.instructions[i];
                // The nearest whole-context copy before each RUN is the one to move it above.
                if is_whole_copy(inst) {
                    whole = Some(i);
                    continue;
                }
                // Only RUNs after a whole-context copy are candidates.
                if inst.kind != Kind::Run {
                    continue;
                }
                let Some(w) = whole else { continue };
                check(doc, ctx.as_ref(), mismatch.as_deref(), w, i, out);
            }
        }
    }
}

/// A package ecosystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Eco {
    Pip,
    Poetry,
    Uv,
    Pipenv,
    Npm,
    Yarn,
    Pnpm,
    Bun,
    Go,
    Bundler,
    Composer,
    Maven,
    Gradle,
}

impl Eco {
    #[cfg(test)]
    pub const ALL: [Eco; 13] = [
        Eco::Pip,
        Eco::Poetry,
        Eco::Uv,
        Eco::Pipenv,
        Eco::Npm,
        Eco::Yarn,
        Eco::Pnpm,
        Eco::Bun,
        Eco::Go,
        Eco::Bundler,
        Eco::Composer,
        Eco::Maven,
        Eco::Gradle,
    ];

    /// The key in `transforms/deps_first.yaml` and the name in messages.
    pub fn key(self) -> &'static str {
        match self {
            Eco::Pip => "pip",
            Eco::Poetry => "poetry",
            Eco::Uv => "uv",
            Eco::Pipenv => "pipenv",
            Eco::Npm => "npm",
            Eco::Yarn => "yarn",
            Eco::Pnpm => "pnpm",
            Eco::Bun => "bun",
            Eco::Go => "go",
            Eco::Bundler => "bundler",
            Eco::Composer => "composer",
            Eco::Maven => "maven",
            Eco::Gradle => "gradle",
        }
    }

    /// Installs of the same group before the whole-context copy mean the file is already split.
    fn group(self) -> &'static str {
        match self {
            Eco::Npm | Eco::Yarn | Eco::Pnpm | Eco::Bun => "node",
            e => e.key(),
        }
    }
}

/// What one simple command of a RUN is.
#[derive(Debug)]
pub(crate) enum Role {
    /// A dependency install that reads only manifests (after the early form is applied).
    Install(Install),
    /// A Maven or Gradle build: a new RUN can fetch the dependencies first (unsafe).
    Build(Build),
    /// `cd DIR` (`None`: the directory is not known).
    Cd(Option<String>),
    /// Changes the shell's state (`export`, `set`, `source`): fine to move, blocks a split.
    Shell,
    /// Reads no project file. `writes`: paths it creates (a later whole-context copy must not overwrite
    /// them); `touches`: absolute paths it changes (must lie outside the copied directory).
    Free {
        writes: Vec<String>,
        touches: Vec<String>,
    },
    /// May need the project source; the optional detail says why.
    Source(Option<String>),
    /// Installs the project itself or a local path: the reason says which.
    Local { eco: Eco, reason: String },
}

/// A dependency install.
#[derive(Debug)]
pub(crate) struct Install {
    pub eco: Eco,
    /// Files the command names, as written (relative to its working directory, or absolute).
    pub named: Vec<String>,
    pub early: Early,
    /// Paths the command writes besides the ecosystem's usual output (`pip --target`).
    pub writes: Vec<String>,
}

/// How the install runs before the whole-context copy.
#[derive(Debug)]
pub(crate) enum Early {
    /// Unchanged: the whole command moves.
    AsIs,
    /// A copy with `flags` inserted at offset `at` runs early; the original stays after the copy.
    AddFlags { at: usize, flags: String },
}

/// A Maven or Gradle build and the command that fetches its dependencies.
#[derive(Debug)]
pub(crate) struct Build {
    pub eco: Eco,
    pub named: Vec<String>,
    pub command: String,
}

/// What an install needs from the build context (context-relative paths).
#[derive(Debug, Default)]
pub(crate) struct Need {
    /// Files to copy.
    pub files: Vec<String>,
    /// Directories to copy whole.
    pub dirs: Vec<String>,
    /// Paths the install writes: the whole-context copy must not bring them.
    pub outputs: Vec<String>,
}

impl Need {
    /// Adds the ecosystem's optional files and directories (when present) and its outputs.
    pub fn extras(&mut self, eco: Eco, dir: &str, ctx: &Ctx) -> Result<(), String> {
        let data = DATA.eco(eco);
        for f in &data.extra_files {
            let rel = join(dir, f).unwrap_or_default();
            match ctx.entry(&rel) {
                Entry::File => self.files.push(rel),
                Entry::Symlink => return Err(format!("{rel} is a symlink")),
                _ => {}
            }
        }
        for d in &data.extra_dirs {
            let rel = join(dir, d).unwrap_or_default();
            match ctx.entry(&rel) {
                Entry::Dir => self.dirs.push(rel),
                Entry::Symlink => return Err(format!("{rel} is a symlink")),
                _ => {}
            }
        }
        for o in &data.outputs {
            self.outputs.push(join(dir, o).unwrap_or_default());
        }
        Ok(())
    }

    /// Adds an optional file when it exists.
    pub fn optional(&mut self, ctx: &Ctx, rel: String) -> Result<(), String> {
        match ctx.entry(&rel) {
            Entry::File => self.files.push(rel),
            Entry::Symlink => return Err(format!("{rel} is a symlink")),
            _ => {}
        }
        Ok(())
    }
}

/// Joins a context-relative directory and a relative path, resolving `.` and `..`. `None` when the
/// result would leave the context.
pub(crate) fn join(dir: &str, p: &str) -> Option<String> {
    let mut segs: Vec<&str> = Vec::new();
    for s in dir.split('/').chain(p.split('/')) {
        match s {
            "" | "." => {}
            ".." => {
                segs.pop()?;
            }
            s => segs.push(s),
        }
    }
    Some(segs.join("/"))
}

/// The directory part of a context-relative path (`""` at the root).
pub(crate) fn parent(rel: &str) -> &str {
    rel.rfind('/').map_or("", |i| &rel[..i])
}

/// Whether the text of a manifest is empty (an empty file parses as an empty document).
/// `a` or `an` before `word` in a message (by its first letter: `an install script`, `a path`).
pub(crate) fn a_or_an(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    }
}

pub(crate) fn blank(text: &str) -> bool {
    text.trim().is_empty()
}

fn is_whole_copy(inst: &Instruction) -> bool {
    if !matches!(inst.kind, Kind::Copy | Kind::Add) || inst.flag("from").is_some() {
        return false;
    }
    let Detail::Copy { sources, .. } = &inst.detail else {
        return false;
    };
    matches!(sources.as_slice(), [CopySource::Path(p)] if is_context_root(&p.value))
}

fn is_context_root(src: &str) -> bool {
    let mut s = src;
    loop {
        let before = s;
        s = s.trim_end_matches('/');
        s = s.strip_suffix("/.").unwrap_or(s);
        s = s.strip_prefix("./").unwrap_or(s);
        if s == before {
            break;
        }
    }
    s == "."
}

/// A sign that the directory taken as the build context is not the real one: a COPY or ADD of the file
/// names a plain path whose top-level entry is not there (the build would fail on it). Then nothing the pass reads from
/// that directory can be trusted.
fn context_mismatch(doc: &Document, ctx: &Ctx) -> Option<String> {
    for inst in &doc.instructions {
        if !matches!(inst.kind, Kind::Copy | Kind::Add) || inst.flag("from").is_some() {
            continue;
        }
        let Detail::Copy { sources, .. } = &inst.detail else {
            continue;
        };
        for src in sources {
            let CopySource::Path(p) = src else { continue };
            let v = p.value.trim();
            if v.is_empty()
                || v.contains(['$', '*', '?', '[', '\\'])
                || v.contains("://")
                || v.starts_with("git@")
            {
                continue;
            }
            // The top-level entry is what tells a wrong directory apart; a deeper path that is
            // missing would fail the build whatever the pass does.
            let top = join("", v.trim_start_matches('/'))
                .map(|rel| rel.split('/').next().unwrap_or("").to_string());
            let exists = top.is_some_and(|t| t.is_empty() || ctx.exists(&t));
            if !exists {
                return Some(format!(
                    "{} at line {} copies {v}, which is not in the build context: the context is probably another directory (pass --context DIR)",
                    inst.kind.as_str(),
                    doc.line(inst.keyword.start)
                ));
            }
        }
    }
    None
}

/// The commands of a RUN with what each one is.
struct RunInfo {
    cmds: Vec<SimpleCommand>,
    roles: Vec<Role>,
    exec: bool,
    heredoc: bool,
}

impl RunInfo {
    fn groups(&self) -> Vec<&'static str> {
        let mut g: Vec<&'static str> = self
            .roles
            .iter()
            .filter_map(|r| match r {
                Role::Install(i) => Some(i.eco.group()),
                Role::Build(b) => Some(b.eco.group()),
                Role::Local { eco, .. } => Some(eco.group()),
                _ => None,
            })
            .collect();
        g.dedup();
        g
    }

    /// The first install-like command, for the report's line and column.
    fn anchor(&self) -> Option<usize> {
        self.roles
            .iter()
            .position(|r| matches!(r, Role::Install(_) | Role::Build(_) | Role::Local { .. }))
            .map(|k| self.cmds[k].range.start)
    }
}

fn analyse(doc: &Document, inst: &Instruction) -> Option<RunInfo> {
    let Detail::Run { command, heredocs } = &inst.detail else {
        return None;
    };
    let (mut cmds, exec) = match command {
        CommandForm::Shell { script, .. } => (script.commands.clone(), false),
        CommandForm::Exec { args, .. } => (exec_command(args)?, true),
    };
    for h in heredocs {
        cmds.extend(shell::parse(&doc.text, h.body.clone(), Mode::Plain).commands);
    }
    let roles = cmds.iter().map(|c| classify(&doc.text, c)).collect();
    Some(RunInfo {
        cmds,
        roles,
        exec,
        heredoc: !heredocs.is_empty(),
    })
}

/// An exec-form RUN as one simple command (its elements are literal: no expansion).
fn exec_command(args: &[crate::model::Spanned]) -> Option<Vec<SimpleCommand>> {
    let first = args.first()?;
    let last = args.last()?;
    let words = args
        .iter()
        .map(|a| Word {
            range: a.range.clone(),
            value: a.value.clone(),
            quoted: true,
            dynamic: false,
        })
        .collect();
    Some(vec![SimpleCommand {
        assigns: vec![],
        words,
        redirects: vec![],
        range: first.range.start..last.range.end,
        before: None,
        after: None,
    }])
}

/// Whether an install of one of `groups` already runs before the whole-context copy `w`.
fn already_split(doc: &Document, w: usize, groups: &[&str]) -> bool {
    let Some(stage) = doc.instructions[w].stage else {
        return false;
    };
    let start = doc.stages[stage].instructions.start + 1;
    (start..w).any(|j| {
        analyse(doc, &doc.instructions[j]).is_some_and(|r| {
            r.roles.iter().zip(&r.cmds).any(|(role, cmd)| match role {
                Role::Install(i) => groups.contains(&i.eco.group()),
                Role::Build(b) => groups.contains(&b.eco.group()),
                // Any Maven or Gradle run before the copy (`mvn -f pom.xml dependency:resolve`).
                _ => jvm::group_of(cmd).is_some_and(|g| groups.contains(&g)),
            })
        })
    })
}

fn check(
    doc: &Document,
    ctx: Option<&Ctx>,
    mismatch: Option<&str>,
    w: usize,
    i: usize,
    out: &mut Findings,
) {
    let inst = &doc.instructions[i];
    // Only RUNs that install dependencies (or the project itself) are candidates.
    let Some(run) = analyse(doc, inst) else {
        return;
    };
    let groups = run.groups();
    if groups.is_empty() {
        return;
    }
    // Already split: the same ecosystem installs before the whole-context copy.
    if already_split(doc, w, &groups) {
        return;
    }
    let anchor = run.anchor().unwrap_or(inst.keyword.start);
    let planned = match mismatch {
        Some(m) => Err(m.to_string()),
        None => plan(doc, ctx, w, i, &run),
    };
    match planned {
        Ok(p) => out.fix(NAME, anchor, p.applicability, p.message, p.edits),
        Err(reason) => {
            let mut reason = reason.replace(CWD, "the working directory");
            if !reason.contains("line ") {
                reason = format!("{reason} (RUN at line {})", doc.line(inst.keyword.start));
            }
            out.skip(NAME, anchor, reason);
        }
    }
}

/// A rewrite ready to be reported.
struct Plan {
    applicability: Applicability,
    message: String,
    edits: Vec<Edit>,
}

/// How the install gets before the whole-context copy.
enum Shape {
    /// The whole RUN moves.
    Move,
    /// A copy of the RUN with new flags runs early; the original stays.
    Early,
    /// The RUN is split after command `last`: commands up to it run early, the rest stays.
    Split { last: usize },
    /// A new RUN (`mvn dependency:go-offline`) runs early; the original stays. Unsafe.
    NewRun { build: usize },
}

/// The whole-context copy, resolved.
struct Whole<'d> {
    inst: &'d Instruction,
    line: usize,
    /// The destination as written.
    dest: String,
    /// The destination as an absolute path (under [`CWD`] when the working directory is unknown).
    dest_abs: String,
    /// The `--chown`, `--chmod` and `--link` flags as written.
    flags: Vec<String>,
}

fn whole_info(doc: &Document, w: usize) -> Result<Whole<'_>, String> {
    let inst = &doc.instructions[w];
    let line = doc.line(inst.keyword.start);
    let kw = doc.slice(&inst.keyword).to_ascii_uppercase();
    let mut flags = Vec::new();
    for f in &inst.flags {
        match f.name.to_ascii_lowercase().as_str() {
            "chown" | "chmod" | "link" => flags.push(doc.slice(&f.range).to_string()),
            other => {
                return Err(format!(
                    "{kw} . (line {line}) uses --{other}, which the pass does not mirror"
                ));
            }
        }
    }
    let Detail::Copy { dest, .. } = &inst.detail else {
        return Err("not a copy".into());
    };
    let d = dest.value.trim();
    if d.is_empty() || d.contains(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '\\')) {
        return Err(format!(
            "the destination of {kw} . (line {line}) needs quoting; left alone"
        ));
    }
    let expanded = expand_env(doc, w, d).ok_or_else(|| {
        format!(
            "the destination of {kw} . (line {line}) depends on a variable the pass cannot resolve"
        )
    })?;
    let dest_abs = if expanded.starts_with('/') {
        crate::model::normalize_path(&expanded)
    } else {
        let base = workdir(doc, w).unwrap_or_else(|| CWD.to_string());
        crate::model::normalize_path(&format!("{base}/{expanded}"))
    };
    if dest_abs == "/" {
        return Err(format!(
            "{kw} . (line {line}) copies the context over the root directory"
        ));
    }
    Ok(Whole {
        inst,
        line,
        dest: d.to_string(),
        dest_abs,
        flags,
    })
}

/// The working directory in effect before instruction `idx`, like [`Document::workdir_before`] but
/// with `$VAR` in a WORKDIR expanded from the ENV values in effect there. `None` when unknown.
fn workdir(doc: &Document, idx: usize) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut stage = doc.instructions.get(idx)?.stage?;
    let mut upto = idx;
    loop {
        let st = &doc.stages[stage];
        for i in (st.instructions.start + 1..upto).rev() {
            let inst = &doc.instructions[i];
            if inst.kind == Kind::Workdir
                && let Some(t) = inst.text_arg()
            {
                let v = expand_env(doc, i, t.value.trim())?;
                let absolute = v.starts_with('/');
                parts.push(v);
                if absolute {
                    return Some(join_workdirs(&parts));
                }
            }
        }
        match st.parent {
            Some(p) => {
                upto = doc.stages[p].instructions.end;
                stage = p;
            }
            None if parts.is_empty() => return None,
            None => {
                parts.push("/".into());
                return Some(join_workdirs(&parts));
            }
        }
    }
}

/// Joins WORKDIR values collected from the last to the first.
fn join_workdirs(parts: &[String]) -> String {
    let mut path = String::new();
    for p in parts.iter().rev() {
        if p.starts_with('/') {
            path = p.clone();
        } else {
            path = format!("{path}/{p}");
        }
    }
    crate::model::normalize_path(&path)
}

/// Expands `$VAR` and `${VAR}` from ENV values in effect before instruction `idx`; `None` when a
/// variable is unknown or uses a modifier.
fn expand_env(doc: &Document, idx: usize, s: &str) -> Option<String> {
    if !s.contains('$') {
        return Some(s.to_string());
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(p) = rest.find('$') {
        out.push_str(&rest[..p]);
        let after = &rest[p + 1..];
        let (name, next) = if let Some(inner) = after.strip_prefix('{') {
            let end = inner.find('}')?;
            (&inner[..end], &inner[end + 1..])
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        out.push_str(&doc.env_before(idx, name)?);
        rest = next;
    }
    out.push_str(rest);
    Some(out)
}

/// Refuses when something between the whole-context copy and the install may be needed by it.
/// RUNs in between that read no project file (`RUN npm install -g pnpm`) are returned: they move
/// along, in their order, ahead of the install.
fn check_between(
    doc: &Document,
    ctx: &Ctx,
    whole: &Whole,
    w: usize,
    i: usize,
) -> Result<Vec<usize>, String> {
    let wl = whole.line;
    let mut carried = Vec::new();
    for j in w + 1..i {
        let x = &doc.instructions[j];
        let line = doc.line(x.keyword.start);
        let kw = x.kind.as_str();
        let why = match x.kind {
            Kind::Run => {
                let free = analyse(doc, x).is_some_and(|r| {
                    !r.heredoc
                        && !r.cmds.is_empty()
                        && r.roles
                            .iter()
                            .all(|ro| matches!(ro, Role::Free { .. } | Role::Shell))
                });
                if free {
                    // Only RUNs that surely leave the project alone move along; anything else refuses.
                    if let Some(r) = analyse(doc, x)
                        && let Err(why) = carry_check(doc, ctx, whole, j, &r)
                    {
                        return Err(format!(
                            "RUN at line {line} runs between COPY . (line {wl}) and the install and cannot move ahead of the copy: {why}"
                        ));
                    }
                    carried.push(j);
                    continue;
                }
                "runs between COPY . (line {wl}) and the install and may produce what it needs"
            }
            Kind::Copy | Kind::Add => {
                "between COPY . (line {wl}) and the install may provide files it reads"
            }
            Kind::Workdir => "between COPY . (line {wl}) and the install changes where it runs",
            Kind::User => "between COPY . (line {wl}) and the install changes who runs it",
            Kind::Shell => "between COPY . (line {wl}) and the install changes how it runs",
            Kind::Volume => "between COPY . (line {wl}) and the install changes what it keeps",
            _ => continue,
        };
        return Err(format!(
            "{kw} at line {line} {}",
            why.replace("{wl}", &wl.to_string())
        ));
    }
    // An ENV or ARG in between: the moved RUNs after it would no longer see it.
    for j in w + 1..i {
        let x = &doc.instructions[j];
        if !matches!(x.kind, Kind::Env | Kind::Arg) {
            continue;
        }
        let line = doc.line(x.keyword.start);
        let kw = x.kind.as_str();
        let moved: Vec<&str> = carried
            .iter()
            .filter(|&&c| c > j)
            .chain(std::iter::once(&i))
            .map(|&c| doc.slice(&doc.instructions[c].extent))
            .collect();
        let text = x.text_arg().map(|t| t.value.as_str()).unwrap_or("");
        for (name, _) in env_pairs(text) {
            let inert = DATA.inert_env.contains(&name);
            let used = moved
                .iter()
                .any(|t| t.contains(&format!("${name}")) || t.contains(&format!("${{{name}}}")));
            if !inert || used {
                return Err(format!(
                    "{kw} {name} at line {line} between COPY . (line {wl}) and the install may change what the install does"
                ));
            }
        }
    }
    Ok(carried)
}

/// Checks that a RUN between the whole-context copy and the install can run before that copy: every
/// word is static (no `$(...)`, backticks or `$VAR`), every command is on the `carry_along` list of
/// `transforms/deps_first.yaml`, and no word names a relative path, a path in the copied directory or
/// the working directory, or an entry of the build context. `Err` says what stops it.
fn carry_check(
    doc: &Document,
    ctx: &Ctx,
    whole: &Whole,
    j: usize,
    r: &RunInfo,
) -> Result<(), String> {
    let cwd = workdir(doc, j);
    for (k, cmd) in r.cmds.iter().enumerate() {
        if let Some(w) = cmd
            .assigns
            .iter()
            .chain(&cmd.words)
            .find(|w| w.dynamic || w.value.contains(['$', '`']))
        {
            return Err(format!("`{}` is only known when the RUN runs", w.value));
        }
        if let Some(rd) = cmd
            .redirects
            .iter()
            .find(|rd| doc.text[(*rd).clone()].contains(['$', '`']))
        {
            return Err(format!(
                "the redirection `{}` is only known when the RUN runs",
                doc.text[rd.clone()].trim()
            ));
        }
        let words = crate::recognize::effective_words(cmd);
        let Some(first) = words.first() else {
            continue;
        };
        let name = crate::recognize::basename(&first.value);
        if !(DATA.carry_along.iter().any(|c| c == name) || crate::recognize::is_pip(name)) {
            return Err(format!(
                "`{}` is not a command known to leave the project alone",
                command_text(&r.cmds[k])
            ));
        }
        if matches!(name, "npm" | "yarn" | "yarnpkg" | "pnpm")
            && let Some(rc) = [".npmrc", ".yarnrc", ".yarnrc.yml"]
                .into_iter()
                .find(|f| ctx.exists(f))
        {
            return Err(format!(
                "`{name}` may read the project's {rc}, which COPY . (line {}) brings",
                whole.line
            ));
        }
        for w in &words[1..] {
            if let Some(why) = names_project(&w.value, whole, cwd.as_deref(), ctx, true) {
                return Err(format!("`{}` {why}", command_text(cmd)));
            }
        }
    }
    Ok(())
}

/// If a word of a command that runs before the whole-context copy may name a project path, why.
/// `strict`: also relative paths and names of context entries (for RUNs moved along whole).
fn names_project(
    v: &str,
    whole: &Whole,
    cwd: Option<&str>,
    ctx: &Ctx,
    strict: bool,
) -> Option<String> {
    let mut cands = vec![v];
    if let Some((_, val)) = v.split_once('=') {
        cands.push(val);
    }
    for c in cands {
        let c = c.strip_prefix("file:").unwrap_or(c);
        if c.is_empty() || c.contains("://") {
            continue;
        }
        if c.starts_with('/') {
            let abs = crate::model::normalize_path(c);
            let known = !whole.dest_abs.starts_with(CWD);
            let under =
                |base: &str| relative_to(base, &abs).is_some() || relative_to(&abs, base).is_some();
            let clash = if known {
                under(&whole.dest_abs) || cwd.is_some_and(|d| !d.starts_with(CWD) && under(d))
            } else {
                let top = abs.trim_start_matches('/').split('/').next().unwrap_or("");
                !matches!(top, "var" | "tmp" | "root" | "etc" | "usr" | "opt" | "home")
                    || ctx.exists(top)
            };
            if clash {
                return Some(format!(
                    "names {c}, where COPY . (line {}) puts the context",
                    whole.line
                ));
            }
            continue;
        }
        if !whole.dest_abs.starts_with(CWD)
            && (c.contains(&format!("{}/", whole.dest_abs)) || c.ends_with(&whole.dest_abs))
        {
            return Some(format!(
                "names {c}, where COPY . (line {}) puts the context",
                whole.line
            ));
        }
        if c.starts_with('-') || !strict {
            continue;
        }
        let scoped = c.starts_with('@');
        if !scoped && (classify::is_relative_path(c) || c.starts_with('.')) {
            return Some(format!("names the relative path {c}"));
        }
        if !c.starts_with('~')
            && let Some(rel) = join("", c)
            && !rel.is_empty()
            && ctx.exists(&rel)
        {
            return Some(format!("names {c}, which is in the build context"));
        }
    }
    None
}

/// Refuses when a variable an installer reads points it at local files: set by ENV or ARG in the
/// stage (or a stage it builds on) before the install, or by `VAR=x` / `env VAR=x` before the command.
fn installer_env(
    doc: &Document,
    whole: &Whole,
    i: usize,
    run: &RunInfo,
    early_cmds: &[usize],
    ctx: &Ctx,
) -> Result<(), String> {
    let mut stage = doc.instructions[i].stage;
    let mut upto = i;
    while let Some(st) = stage {
        let s = &doc.stages[st];
        for j in s.instructions.start + 1..upto.min(s.instructions.end) {
            let x = &doc.instructions[j];
            if !matches!(x.kind, Kind::Env | Kind::Arg) {
                continue;
            }
            let text = x.text_arg().map(|t| t.value.as_str()).unwrap_or("");
            for (name, value) in env_pairs(text) {
                let value = if x.kind == Kind::Env {
                    expand_env(doc, j, &value)
                } else if value.is_empty() {
                    // `ARG NAME`: the value comes from --build-arg.
                    None
                } else {
                    Some(value.clone())
                };
                if let Some(why) = local_setting(&name, value.as_deref(), whole, ctx) {
                    return Err(format!(
                        "{} {name} at line {} {why}",
                        x.kind.as_str(),
                        doc.line(x.keyword.start)
                    ));
                }
            }
        }
        stage = s.parent;
        if let Some(p) = stage {
            upto = doc.stages[p].instructions.end;
        }
    }
    for &k in early_cmds {
        if !matches!(run.roles[k], Role::Install(_) | Role::Build(_)) {
            continue;
        }
        for (name, value) in crate::recognize::command_env(&run.cmds[k]) {
            let v = (!value.contains('$')).then_some(value);
            if let Some(why) = local_setting(name, v, whole, ctx) {
                return Err(format!(
                    "`{name}={value}` on the install (line {}) {why}",
                    doc.line(run.cmds[k].range.start)
                ));
            }
        }
    }
    Ok(())
}

/// If an installer variable set to `value` (`None`: not known statically) may point the install at
/// project files, why.
fn local_setting(name: &str, value: Option<&str>, whole: &Whole, ctx: &Ctx) -> Option<String> {
    let env = &DATA.installer_env;
    let upper = name.to_ascii_uppercase();
    if !env.read(&upper) {
        return None;
    }
    let takes_path = env.takes_path(&upper);
    let Some(value) = value else {
        return takes_path.then(|| {
            "sets an installer path the pass cannot know (a variable or --build-arg): it may point into the project".to_string()
        });
    };
    if upper == "GOFLAGS"
        && ["-modfile", "-mod=vendor", "-overlay"]
            .iter()
            .any(|f| value.contains(f))
    {
        return Some(format!(
            "(`{value}`) makes go read project files the pass does not copy"
        ));
    }
    let boolish = |s: &str| {
        matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
        ) || s.chars().all(|c| c.is_ascii_digit())
    };
    for item in value.split(|c: char| c.is_whitespace() || matches!(c, ',' | '|' | ';')) {
        let item = item.trim_matches(|c| c == '"' || c == '\'');
        if item.is_empty() {
            continue;
        }
        let points = |what: String| {
            Some(format!(
                "points the installer at {what}, which the pass does not copy ahead of COPY . (line {})",
                whole.line
            ))
        };
        if item.contains("file:") {
            return points(format!("the local URL {item}"));
        }
        if item.contains("://") || item.starts_with('~') {
            continue;
        }
        if item.starts_with('/') {
            if names_project(item, whole, None, ctx, false).is_some() {
                return points(format!("{item}, in the directory COPY . fills"));
            }
            continue;
        }
        if item.starts_with('.') || item.contains('/') {
            return points(format!("the relative path {item}"));
        }
        if takes_path && !item.starts_with('-') && !boolish(item) {
            return points(format!("the relative path {item}"));
        }
    }
    None
}

/// A short rendering of a command for messages.
fn command_text(cmd: &SimpleCommand) -> String {
    let words: Vec<&str> = crate::recognize::effective_words(cmd)
        .iter()
        .map(|w| w.value.as_str())
        .collect();
    let mut s = words.join(" ");
    if s.chars().count() > 60 {
        s = s.chars().take(57).collect::<String>() + "...";
    }
    s
}

/// Why command `k` keeps the RUN after the whole-context copy.
fn blocker(doc: &Document, run: &RunInfo, k: usize) -> String {
    let line = doc.line(run.cmds[k].range.start);
    match &run.roles[k] {
        Role::Local { reason, .. } => format!("{reason} (line {line})"),
        Role::Source(Some(why)) => format!(
            "`{}` in the same RUN (line {line}) may need the project source: {why}",
            command_text(&run.cmds[k])
        ),
        Role::Build(_) => format!(
            "`{}` in the same RUN (line {line}) builds the project",
            command_text(&run.cmds[k])
        ),
        _ => format!(
            "`{}` in the same RUN (line {line}) may need the project source",
            command_text(&run.cmds[k])
        ),
    }
}

fn needs_source(r: &Role) -> bool {
    matches!(r, Role::Source(_) | Role::Local { .. } | Role::Build(_))
}

fn shape(doc: &Document, run: &RunInfo) -> Result<Shape, String> {
    let installs: Vec<usize> = (0..run.roles.len())
        .filter(|&k| matches!(run.roles[k], Role::Install(_)))
        .collect();
    let first_blocker = (0..run.roles.len()).find(|&k| needs_source(&run.roles[k]));
    if installs.is_empty() {
        let builds: Vec<usize> = (0..run.roles.len())
            .filter(|&k| matches!(run.roles[k], Role::Build(_)))
            .collect();
        if let [b] = builds.as_slice() {
            if run.roles[..*b].iter().any(|r| matches!(r, Role::Cd(_))) {
                return Err(format!(
                    "`{}` runs after a `cd` in the same RUN; left alone",
                    command_text(&run.cmds[*b])
                ));
            }
            return Ok(Shape::NewRun { build: *b });
        }
        // Only installs of the project itself: say why.
        let local = (0..run.roles.len()).find(|&k| matches!(run.roles[k], Role::Local { .. }));
        return Err(match local.or(first_blocker) {
            Some(k) => blocker(doc, run, k),
            None => "nothing to install from manifests".into(),
        });
    }
    let Some(first_source) = first_blocker else {
        let adds = installs.iter().any(|&k| {
            matches!(
                &run.roles[k],
                Role::Install(Install {
                    early: Early::AddFlags { .. },
                    ..
                })
            )
        });
        if adds && run.exec {
            return Err(
                "exec-form RUN: the early install would need new options; left alone".into(),
            );
        }
        return Ok(if adds { Shape::Early } else { Shape::Move });
    };
    // Split at the `&&` after the last install, when everything up to it reads no project file.
    let last = *installs.last().unwrap_or(&0);
    let cant = |why: &str| -> Result<Shape, String> {
        Err(format!("{}; {why}", blocker(doc, run, first_source)))
    };
    if first_source < last {
        return cant("it runs before the install");
    }
    // Only a plain `a && b && c` list splits: a `||`, `|`, `;`, `&`, newline or subshell anywhere
    // changes which failures stop the build once the list is cut in two.
    for c in &run.cmds {
        if let Some(op) = [&c.before, &c.after]
            .into_iter()
            .flatten()
            .map(|s| s.op)
            .find(|op| *op != "&&")
        {
            let op = if op == "\n" { "a newline" } else { op };
            return cant(&format!(
                "the install is not joined to the rest by `&&` alone (the RUN uses `{op}`)"
            ));
        }
        let first_tok = c.assigns.first().or(c.words.first()).map(|w| w.range.start);
        if first_tok != Some(c.range.start) {
            return cant("the RUN uses shell control flow");
        }
    }
    for k in 0..=last {
        let c = &run.cmds[k];
        match &run.roles[k] {
            Role::Install(Install {
                early: Early::AsIs, ..
            })
            | Role::Free { .. } => {}
            Role::Cd(_) | Role::Shell => {
                return cant(
                    "the install cannot be split off because the rest depends on the shell state before it",
                );
            }
            _ => return cant("the install cannot be split off"),
        }
        let first_tok = c.assigns.first().or(c.words.first()).map(|w| w.range.start);
        if first_tok != Some(c.range.start) {
            return cant("the RUN uses shell control flow");
        }
        let before_ok = match &c.before {
            None => k == 0,
            Some(s) => k > 0 && matches!(s.op, "&&" | ";"),
        };
        let after_ok = match &c.after {
            Some(s) if k == last => s.op == "&&",
            Some(s) => matches!(s.op, "&&" | ";"),
            None => false,
        };
        if !before_ok || !after_ok {
            return cant("the install is not joined to the rest by `&&`");
        }
    }
    let Some(next) = run.cmds.get(last + 1) else {
        return cant("the install cannot be split off");
    };
    let gap = &doc.text[run.cmds[last].range.end..next.range.start];
    if gap.lines().skip(1).any(|l| l.trim_start().starts_with('#')) {
        return cant("a comment line sits where the RUN would be split");
    }
    Ok(Shape::Split { last })
}

/// The working directory in effect at each command (absolute; `None` after a `cd` the pass cannot
/// follow).
fn working_dirs(doc: &Document, i: usize, run: &RunInfo) -> Vec<Option<String>> {
    let mut cur = Some(workdir(doc, i).unwrap_or_else(|| CWD.to_string()));
    let mut out = Vec::new();
    for r in &run.roles {
        out.push(cur.clone());
        if let Role::Cd(d) = r {
            cur = match (d, &cur) {
                (Some(d), Some(c)) if !d.contains('$') && !d.starts_with('~') && d != "-" => {
                    Some(absolute(c, d))
                }
                _ => None,
            };
        }
    }
    out
}

fn absolute(cwd: &str, p: &str) -> String {
    if p.starts_with('/') {
        crate::model::normalize_path(p)
    } else {
        crate::model::normalize_path(&format!("{cwd}/{p}"))
    }
}

/// `abs` relative to `base` (`""` when equal); `None` when it is not inside it.
fn relative_to(base: &str, abs: &str) -> Option<String> {
    if abs == base {
        return Some(String::new());
    }
    abs.strip_prefix(base)?
        .strip_prefix('/')
        .map(str::to_string)
}

/// Whether a context path can be written in a COPY without quoting and without being a pattern.
fn plain_path(p: &str) -> bool {
    !p.is_empty()
        && p.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | '@' | '+' | ',')
        })
}

fn plan(
    doc: &Document,
    ctx: Option<&Ctx>,
    w: usize,
    i: usize,
    run: &RunInfo,
) -> Result<Plan, String> {
    let inst = &doc.instructions[i];
    // Heredoc bodies are never changed, and a RUN with one is not moved.
    if run.heredoc {
        return Err("the install runs in a RUN heredoc; heredoc RUNs are left unchanged".into());
    }
    let shape = shape(doc, run)?;
    // Without the build context nothing can be proven about the manifests.
    let Some(ctx) = ctx else {
        return Err(
            "the build context is unknown (standard input): pass --context DIR to let the pass read the manifests"
                .into(),
        );
    };
    let whole = whole_info(doc, w)?;
    let mut need = Need::default();
    let carried = check_between(doc, ctx, &whole, w, i)?;
    for &j in &carried {
        let Some(r) = analyse(doc, &doc.instructions[j]) else {
            continue;
        };
        let cwds = working_dirs(doc, j, &r);
        for (k, role) in r.roles.iter().enumerate() {
            if let Role::Free { writes, touches } = role {
                free_effects(
                    &r.cmds[k],
                    writes,
                    touches,
                    cwds[k].as_deref(),
                    &whole,
                    ctx,
                    &mut need,
                )?;
            }
        }
    }

    let cwds = working_dirs(doc, i, run);
    let early_cmds: Vec<usize> = match &shape {
        Shape::Move | Shape::Early => (0..run.cmds.len()).collect(),
        Shape::Split { last } => (0..=*last).collect(),
        Shape::NewRun { build } => vec![*build],
    };
    installer_env(doc, &whole, i, run, &early_cmds, ctx)?;
    let mut applicability = Applicability::Safe;
    let mut labels: Vec<&'static str> = Vec::new();
    for &k in &early_cmds {
        let cwd = cwds[k].as_deref();
        match &run.roles[k] {
            Role::Install(ins) => {
                let n = resolve_need(
                    ins.eco,
                    &ins.named,
                    &ins.writes,
                    cwd,
                    &whole,
                    ctx,
                    |named, dir| needs(ins.eco, named, dir, ctx),
                )
                .map_err(|e| in_line(doc, run, k, e))?;
                merge(&mut need, n);
                labels.push(ins.eco.key());
            }
            Role::Build(b) => {
                let n = resolve_need(b.eco, &b.named, &[], cwd, &whole, ctx, |named, dir| {
                    needs(b.eco, named, dir, ctx)
                })
                .map_err(|e| in_line(doc, run, k, e))?;
                merge(&mut need, n);
                labels.push(b.eco.key());
                applicability = Applicability::Unsafe;
            }
            Role::Free { writes, touches } => {
                free_effects(&run.cmds[k], writes, touches, cwd, &whole, ctx, &mut need)?;
            }
            _ => {}
        }
    }
    labels.dedup();

    // What the install writes must not come back with the whole-context copy.
    for o in &need.outputs {
        if o.is_empty() {
            return Err(format!(
                "the install writes into {}, the directory COPY . (line {}) fills",
                whole.dest_abs, whole.line
            ));
        }
        if ctx.exists(o) && !ctx.surely_ignored(o) {
            return Err(format!(
                "{o} is in the build context and .dockerignore does not surely exclude it: COPY . (line {}) would overwrite what the install writes there",
                whole.line
            ));
        }
    }
    dedup_keep_order(&mut need.files);
    dedup_keep_order(&mut need.dirs);
    // Files an earlier COPY of the stage already puts in place need no new COPY.
    let covered = covered_by_earlier_copies(doc, w, &whole);
    let files: Vec<String> = need
        .files
        .iter()
        .filter(|f| !covered.iter().any(|(src, dir)| dir_covers(src, dir, f)))
        .cloned()
        .collect();
    let dirs: Vec<String> = need
        .dirs
        .iter()
        .filter(|d| !covered.iter().any(|(src, dir)| src == *d && dir == *d))
        .cloned()
        .collect();
    for p in files.iter().chain(&dirs) {
        if !plain_path(p) {
            return Err(format!(
                "the manifest path `{p}` would need quoting in COPY"
            ));
        }
        if let Some(why) = ctx.maybe_ignored(p) {
            return Err(format!("{why}: it cannot be copied on its own"));
        }
        if ctx.entry(p) == Entry::Symlink {
            return Err(format!("{p} is a symlink"));
        }
    }

    let copy_lines = copy_lines(doc, &whole, &files, &dirs);
    let at = edit::comment_block_start(doc, whole.inst);
    let mut shown: Vec<String> = files.clone();
    shown.extend(dirs.iter().map(|d| format!("{d}/")));
    let copied = if shown.is_empty() {
        "the manifests are already copied".to_string()
    } else {
        format!("copying only {} first", shown.join(", "))
    };
    let il = doc.line(inst.keyword.start);
    let wl = whole.line;
    let label = labels.join(", ");
    let (message, edits) = match shape {
        Shape::Move => (
            format!("moved the {label} install (line {il}) before COPY . (line {wl}), {copied}"),
            edit::move_block_before(doc, inst, at, &copy_lines),
        ),
        Shape::Early => {
            let inner: Vec<Edit> = run
                .roles
                .iter()
                .filter_map(|r| match r {
                    Role::Install(Install {
                        early: Early::AddFlags { at, flags },
                        ..
                    }) => Some(Edit::insert(*at, format!(" {flags}"))),
                    _ => None,
                })
                .collect();
            let early = edit::instruction_copy(doc, inst, &inner);
            (
                format!(
                    "added an early {label} install of the dependencies only before COPY . (line {wl}), {copied}; the full install (line {il}) stays after it"
                ),
                vec![Edit::insert(at, format!("{copy_lines}{early}"))],
            )
        }
        Shape::Split { last } => {
            let early = edit::instruction_prefix(doc, inst, run.cmds[last].range.end);
            let rest = run.cmds[last + 1].range.start;
            (
                format!(
                    "split the RUN (line {il}): its {label} install now runs before COPY . (line {wl}), {copied}"
                ),
                vec![
                    Edit::insert(at, format!("{copy_lines}{early}")),
                    Edit::delete(run.cmds[0].range.start..rest),
                ],
            )
        }
        Shape::NewRun { build } => {
            let Role::Build(b) = &run.roles[build] else {
                return Err("internal: not a build".into());
            };
            let mut line = run_keyword(doc, inst);
            for f in &inst.flags {
                line.push(' ');
                line.push_str(doc.slice(&f.range));
            }
            line.push(' ');
            line.push_str(&b.command);
            (
                format!(
                    "added `{}` before COPY . (line {wl}), {copied}, so the {label} dependencies are cached (a new RUN that downloads them)",
                    b.command
                ),
                vec![Edit::insert(
                    at,
                    format!("{copy_lines}{}", edit::lines_text(doc, whole.inst, &line)),
                )],
            )
        }
    };
    // RUNs in between that read no project file move along, ahead of everything inserted.
    let mut all: Vec<Edit> = carried
        .iter()
        .flat_map(|&j| edit::move_block_before(doc, &doc.instructions[j], at, ""))
        .collect();
    all.extend(edits);
    let message = if carried.is_empty() {
        message
    } else {
        let lines: Vec<String> = carried
            .iter()
            .map(|&j| doc.line(doc.instructions[j].keyword.start).to_string())
            .collect();
        format!(
            "{message}; the RUN at line {} that ran in between moves along",
            lines.join(", ")
        )
    };
    Ok(Plan {
        applicability,
        message,
        edits: all,
    })
}

/// Checks what a command that reads no project file writes or changes: nothing it changes may lie
/// in the directory the whole-context copy fills, and what it writes there joins the outputs.
fn free_effects(
    cmd: &SimpleCommand,
    writes: &[String],
    touches: &[String],
    cwd: Option<&str>,
    whole: &Whole,
    ctx: &Ctx,
    need: &mut Need,
) -> Result<(), String> {
    // A word naming the copied directory (`ldconfig /app/lib`) would see it empty before the copy.
    // What the command creates there (`python -m venv /app/.venv`) is checked as an output below.
    let created: Vec<String> = cwd
        .map(|c| writes.iter().map(|wr| absolute(c, wr)).collect())
        .unwrap_or_default();
    for w in crate::recognize::effective_words(cmd).iter().skip(1) {
        let abs = w
            .value
            .starts_with('/')
            .then(|| crate::model::normalize_path(&w.value));
        if abs.is_some_and(|a| created.contains(&a)) {
            continue;
        }
        if let Some(why) = names_project(&w.value, whole, cwd, ctx, false) {
            return Err(format!("`{}` {why}", command_text(cmd)));
        }
    }
    let Some(cwd) = cwd else {
        if writes.is_empty() && touches.iter().all(|t| t.starts_with('/')) {
            return Ok(());
        }
        return Err(format!(
            "`{}` runs after a `cd` the pass cannot follow",
            command_text(cmd)
        ));
    };
    for t in touches {
        let abs = absolute(cwd, t);
        // With the working directory unknown, the copy may land anywhere (even in `/`): only system
        // directories that the build context does not have are clearly apart from it.
        let unknown_clash = whole.dest_abs.starts_with(CWD) && !abs.starts_with(CWD) && {
            let top = abs.trim_start_matches('/').split('/').next().unwrap_or("");
            !matches!(top, "var" | "tmp" | "root" | "etc" | "usr") || ctx.exists(top)
        };
        if unknown_clash
            || relative_to(&whole.dest_abs, &abs).is_some()
            || relative_to(&abs, &whole.dest_abs).is_some()
        {
            return Err(format!(
                "`{}` changes {abs}, where COPY . (line {}) puts the context",
                command_text(cmd),
                whole.line
            ));
        }
    }
    for wr in writes {
        if let Some(rel) = relative_to(&whole.dest_abs, &absolute(cwd, wr)) {
            need.outputs.push(rel);
        }
    }
    Ok(())
}

/// Prefixes an ecosystem's reason with nothing, but makes sure the RUN's line is named.
fn in_line(doc: &Document, run: &RunInfo, k: usize, e: String) -> String {
    if e.contains("(line") {
        e
    } else {
        format!(
            "{e} (install at line {})",
            doc.line(run.cmds[k].range.start)
        )
    }
}

fn dedup_keep_order(v: &mut Vec<String>) {
    let mut seen = std::collections::BTreeSet::new();
    v.retain(|x| seen.insert(x.clone()));
}

fn merge(into: &mut Need, n: Need) {
    into.files.extend(n.files);
    into.dirs.extend(n.dirs);
    into.outputs.extend(n.outputs);
}

/// Resolves the files an install names against the directory the whole-context copy fills, and asks
/// the ecosystem what it needs.
fn resolve_need(
    eco: Eco,
    named: &[String],
    writes: &[String],
    cwd: Option<&str>,
    whole: &Whole,
    ctx: &Ctx,
    f: impl Fn(&[String], Option<&str>) -> Result<Need, String>,
) -> Result<Need, String> {
    let _ = ctx;
    let mut rel_named = Vec::new();
    for p in named {
        let abs = match (p.starts_with('/'), cwd) {
            (true, _) => crate::model::normalize_path(p),
            (false, Some(c)) => absolute(c, p),
            (false, None) => {
                return Err(format!(
                    "the install reads {p} after a `cd` the pass cannot follow"
                ));
            }
        };
        match relative_to(&whole.dest_abs, &abs) {
            Some(r) if !r.is_empty() => rel_named.push(r),
            _ => {
                return Err(format!(
                    "the install reads {p}, which COPY . (line {}) does not provide",
                    whole.line
                ));
            }
        }
    }
    let dir = cwd.and_then(|c| relative_to(&whole.dest_abs, c));
    if dir.is_none() && eco != Eco::Pip {
        return Err(format!(
            "the {} install runs in {}, outside the directory COPY . (line {}) fills",
            eco.key(),
            cwd.map(|c| c.replace(CWD, "the working directory"))
                .unwrap_or_else(|| "an unknown directory".into()),
            whole.line
        ));
    }
    let mut need = f(&rel_named, dir.as_deref())?;
    for wr in writes {
        if let Some(c) = cwd
            && let Some(rel) = relative_to(&whole.dest_abs, &absolute(c, wr))
        {
            need.outputs.push(rel);
        }
    }
    Ok(need)
}

/// Dispatches to the ecosystem.
fn needs(eco: Eco, named: &[String], dir: Option<&str>, ctx: &Ctx) -> Result<Need, String> {
    let d = dir.unwrap_or("");
    match eco {
        Eco::Pip => pip::needs(named, ctx),
        Eco::Poetry => python::poetry_needs(d, ctx),
        Eco::Uv => python::uv_needs(d, ctx),
        Eco::Pipenv => python::pipenv_needs(d, ctx),
        Eco::Npm | Eco::Yarn | Eco::Pnpm | Eco::Bun => node::needs(eco, d, ctx),
        Eco::Go => go::needs(d, ctx),
        Eco::Bundler => ruby::needs(d, ctx),
        Eco::Composer => php::needs(d, ctx),
        Eco::Maven | Eco::Gradle => jvm::needs(eco, named, d, ctx),
    }
}

/// `(source, destination dir)` pairs of earlier COPYs in the stage, context-relative: a file `f`
/// is in place when a source matches it and its destination dir is where `f` belongs.
fn covered_by_earlier_copies(doc: &Document, w: usize, whole: &Whole) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(stage) = doc.instructions[w].stage else {
        return out;
    };
    if whole.dest_abs.starts_with(CWD) {
        return out;
    }
    let start = doc.stages[stage].instructions.start + 1;
    for j in start..w {
        let x = &doc.instructions[j];
        if !matches!(x.kind, Kind::Copy | Kind::Add) || x.flag("from").is_some() {
            continue;
        }
        let Detail::Copy { sources, dest } = &x.detail else {
            continue;
        };
        let d = dest.value.trim();
        if d.contains('$') || !(d.ends_with('/') || d == "." || sources.len() > 1) {
            continue;
        }
        let Some(base) = (if d.starts_with('/') {
            Some(crate::model::normalize_path(d))
        } else {
            workdir(doc, j).map(|wd| crate::model::normalize_path(&format!("{wd}/{d}")))
        }) else {
            continue;
        };
        let Some(dir) = relative_to(&whole.dest_abs, &base) else {
            continue;
        };
        for s in sources {
            if let CopySource::Path(p) = s {
                let src = p.value.trim_start_matches("./").trim_end_matches('/');
                out.push((src.to_string(), dir.clone()));
            }
        }
    }
    out
}

/// Whether copying `src` into context-relative `dir` puts file `f` at its place.
fn dir_covers(src: &str, dir: &str, f: &str) -> bool {
    let (fdir, fname) = match f.rfind('/') {
        Some(i) => (&f[..i], &f[i + 1..]),
        None => ("", f),
    };
    if fdir != dir {
        return false;
    }
    let _ = fname;
    if src == f {
        return true;
    }
    // A pattern such as `package*.json` or `requirements/*.txt`.
    if src.contains(['*', '?', '[']) {
        return globset::GlobBuilder::new(src)
            .literal_separator(true)
            .build()
            .is_ok_and(|g| g.compile_matcher().is_match(f));
    }
    false
}

/// The keyword for new instructions, in the case the file uses.
fn keyword_like(doc: &Document, inst: &Instruction, upper: &str) -> String {
    let kw = doc.slice(&inst.keyword);
    if kw.chars().all(|c| c.is_ascii_lowercase()) {
        upper.to_ascii_lowercase()
    } else {
        upper.to_string()
    }
}

fn run_keyword(doc: &Document, inst: &Instruction) -> String {
    keyword_like(doc, inst, "RUN")
}

/// The new COPY lines: one for the files of each directory, one for each directory copied whole.
fn copy_lines(doc: &Document, whole: &Whole, files: &[String], dirs: &[String]) -> String {
    let kw = keyword_like(doc, whole.inst, "COPY");
    let flags: String = whole.flags.iter().map(|f| format!("{f} ")).collect();
    let base = match whole.dest.as_str() {
        "." | "./" => "./".to_string(),
        d => format!("{}/", d.trim_end_matches('/')),
    };
    let mut by_dir: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in files {
        by_dir.entry(parent(f)).or_default().push(f);
    }
    let mut lines = String::new();
    for (dir, fs) in &by_dir {
        let dest = if dir.is_empty() {
            base.clone()
        } else {
            format!("{base}{dir}/")
        };
        lines.push_str(&format!("{kw} {flags}{} {dest}\n", fs.join(" ")));
    }
    for d in dirs {
        lines.push_str(&format!("{kw} {flags}{d} {base}{d}/\n"));
    }
    if lines.is_empty() {
        return String::new();
    }
    edit::lines_text(doc, whole.inst, &lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles() {
        assert_eq!(a_or_an("install"), "an");
        assert_eq!(a_or_an("artifact"), "an");
        assert_eq!(a_or_an("index"), "an");
        assert_eq!(a_or_an("postinstall"), "a");
        assert_eq!(a_or_an("tool.uv.index"), "a");
    }

    #[test]
    fn context_root_spellings() {
        for s in [".", "./", "./.", ".//"] {
            assert!(is_context_root(s), "{s}");
        }
        for s in ["src", "..", "./src", "*"] {
            assert!(!is_context_root(s), "{s}");
        }
    }

    #[test]
    fn join_and_relative() {
        assert_eq!(join("a", "../b/./c").as_deref(), Some("b/c"));
        assert_eq!(join("", "../x"), None);
        assert_eq!(relative_to("/app", "/app/x/y").as_deref(), Some("x/y"));
        assert_eq!(relative_to("/app", "/application"), None);
        assert_eq!(relative_to("/app", "/app").as_deref(), Some(""));
    }

    #[test]
    fn covers() {
        assert!(dir_covers("package*.json", "", "package.json"));
        assert!(dir_covers("requirements.txt", "", "requirements.txt"));
        assert!(!dir_covers("requirements.txt", "sub", "requirements.txt"));
        assert!(dir_covers(
            "requirements/*.txt",
            "requirements",
            "requirements/base.txt"
        ));
    }
}
