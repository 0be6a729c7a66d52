//! dockerignore: write or extend the build context's `.dockerignore`, never excluding what a build reads.

mod context;
mod reads;
mod table;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use context::{Context, Size, human};
use reads::{Need, Reads, analyze};
use table::{EntrySpec, TABLE};

use crate::dockerignore_match::{Matcher, Pattern, go_clean};
use crate::fix::{Findings, SideFile};
use crate::model::Document;
use crate::passes::{Pass, PassContext, PassInfo};
use crate::{fsio, text, walk};

/// The table's patterns, compiled once: compiling them (regexes) on every run was most of this pass's
/// time. An entry whose pattern does not compile is absent.
static SPEC_PATTERNS: LazyLock<HashMap<&'static str, Pattern>> = LazyLock::new(|| {
    TABLE
        .entries
        .iter()
        .filter_map(|e| Some((e.pattern.as_str(), Pattern::new(&e.pattern).ok()?)))
        .collect()
});

/// The table's ecosystem marker patterns, compiled once.
static ECOSYSTEM_PATTERNS: LazyLock<Vec<(&'static str, Vec<Pattern>)>> = LazyLock::new(|| {
    TABLE
        .ecosystems
        .iter()
        .map(|(eco, pats)| {
            let compiled = pats
                .iter()
                .filter_map(|p| Pattern::new(&go_clean(p)).ok())
                .collect();
            (eco.as_str(), compiled)
        })
        .collect()
});

pub struct Dockerignore;

const NAME: &str = "dockerignore";

/// Other Dockerfiles of a shared context that are read (the rest are reported).
/// The section (and its heading in a new file) of the entries that come from `.dockopt.yaml`.
const CONFIG_SECTION: &str = "From .dockopt.yaml";

const MAX_SHARERS: usize = 32;
/// Largest project file read (pyproject.toml, package.json, ...).
const MAX_META_BYTES: u64 = 1024 * 1024;

static INFO: PassInfo = PassInfo {
    name: NAME,
    summary: "Create or extend .dockerignore from the real build context, keeping what the build reads",
    hadolint: &[],
    default_enabled: true,
    doc: r#"# dockerignore

## What it does
Looks at the build context (the Dockerfile's directory, or `--context DIR`) and proposes a
`.dockerignore` for it, as a new file or as a marked block appended to the existing one. It proposes
only entries for what is there, or what the project's tools predictably create:
- version control: `.git`, `.hg`, `.svn`;
- Python: `**/__pycache__`, `**/*.pyc`, `.venv`, `venv` (when it holds a `pyvenv.cfg`), `.tox`,
  `.nox`, `.pytest_cache`, `.mypy_cache`, `.ruff_cache`, `htmlcov`, `.coverage`, `*.egg-info`;
- Node: `**/node_modules` and the npm/yarn/pnpm debug logs;
- build output: `target` (Rust, Maven, sbt), `.gradle`;
- editor and OS files: `.idea`, `.vscode`, swap files, `.DS_Store`, `Thumbs.db`;
- Docker files the build does not read (`Dockerfile*`, compose files, `.dockerignore`), when a build
  copies the whole context;
- secrets: `.env` and `.env.*` (any depth), `*.pem`, `*.key`, `*.p12`, `id_rsa*`, `id_ed25519*`,
  `.aws`, `.ssh` (at the context root).
- the extra entries of `.dockopt.yaml` (`dockerignore: [...]`), under a `# From .dockopt.yaml`
  heading, with the same checks (an entry that would hide what a build reads gets a `!` exception).

The report says how much the context shrinks: `build context 812 MB -> 3.1 MB, 10234 -> 120 files
(.git, node_modules, .venv)`. Sizes come from a bounded walk (symlinks not followed; the content of
`node_modules`, `.git` and the like is counted, not listed); past the bound they read "at least".

Patterns follow Docker's rules, not gitignore's: they are anchored at the context root (`*.pyc` would
only match the root, hence `**/*.pyc`), a pattern naming a directory excludes everything below it, and
the last matching line wins.

Which file: BuildKit reads `<Dockerfile name>.dockerignore` next to the Dockerfile in preference to the
context's `.dockerignore`; when that file exists it is the one extended. Otherwise the pass writes one
`.dockerignore` for the whole context that suits every Dockerfile sharing it: the other Dockerfiles
found in the context (up to 32, except those with their own `<name>.dockerignore`) are read too, and
nothing any of them reads is excluded. Every Dockerfile of the context therefore proposes the same
file, and the CLI shows and writes it once. (A per-Dockerfile file is not created: the legacy builder,
podman and buildah do not read it.)

## Why
Without a `.dockerignore` the whole directory goes to the builder: `.git`, `node_modules`, virtualenvs
and caches make every build slow, `COPY . .` misses the cache on every commit, and `.env` files and
keys end up inside the image.

## Example
A Node project with a `.git` directory, `node_modules` and a `.env`:
```dockerfile
FROM node:20-slim
WORKDIR /app
COPY package*.json ./
RUN npm ci
COPY . .
CMD ["node", "server.js"]
```
gets a new `.dockerignore`:
```text
# Version control
.git

# Node
**/node_modules
npm-debug.log*
...

# Secrets
**/.env
```

## When it refuses
Never excludes what a build reads, and never changes existing lines; every entry left out is reported
as a skip with the reason.

- An entry that would exclude something a build reads: a COPY or ADD source (not `--from=`, URLs or
  heredocs), a `RUN --mount=type=bind` source, or an existing file a command names after the
  context was copied (`RUN cp .env.example .env`, `CMD ["java", "-jar", "target/app.jar"]`), including
  words inside `sh -c` strings and `$(...)` substitutions, and globs whose directory part names a
  path (`RUN cp target/*.jar /app.jar` keeps `target`, even before the jar is built). Paths under the
  target of a bind mount of the context (`RUN --mount=type=bind,target=/ctx cp /ctx/server.key ...`)
  are reads of the context. When a
  wildcard entry (`.env.*`) only hits named files, it is kept with `!` exceptions for them instead.
- `.git` when the build uses it: a `git` command in a RUN (other than clone/config), setuptools-scm,
  setuptools-git-versioning, hatch-vcs, versioneer, versioningit, dunamai, poetry-dynamic-versioning,
  uv-dynamic-versioning or pbr in `pyproject.toml`/`setup.cfg`/`setup.py`, vergen in `Cargo.toml`,
  git plugins in `pom.xml`/`build.gradle`, `husky install` in `package.json`, or `git` in a Makefile
  that a RUN runs.
- Scripts from the context that a build runs (`./build.sh`, `sh build.sh`, `bash scripts/x.sh`,
  `. ./env.sh`, `python tools/prep.py`, `node x.js`) are read (up to 16 scripts of 256 KiB, nested
  ones included) and every path they mention that exists is a read (`. ./.env` keeps `.env`). When a
  RUN runs such a script and it cannot be read (not in the context, too large, not text), `.env`
  files and the key/certificate entries are not added, and the skip names the script.
- `.env` files when a build copies the context and runs a tool that loads them at build time
  (`npm run build` with Vite/Next/CRA, `python manage.py`, `prisma`, `php artisan`, ...).
- `node_modules` when a stage copies the context and runs Node without installing dependencies.
- README, LICENSE and the files `pyproject.toml`/`setup.cfg` name (`readme`, `license-files`) are never
  excluded when a build installs the project (`pip install .`, poetry, hatch, `setup.py`); an existing
  `.dockerignore` that already excludes something a build names is reported.
- An existing `.dockerignore` is never changed, only extended; one that Docker would reject (a bare
  `!`, a malformed pattern) is left alone. An allow-list (`*` then `!src` ...) gets nothing: any
  appended line could only re-exclude what it allows. An entry that would re-exclude a path an
  existing `!` line brings back is left out.
- A context with a `.containerignore` and no `.dockerignore` is left alone (podman and buildah read
  that file; a `.dockerignore` would make docker builds differ).
- A Dockerfile read from standard input without `--context` has no build context: nothing to do.

## Fix safety
Safe for the build: every COPY/ADD source and bind mount is checked against the final file with
Docker's matching rules, and the Dockerfile itself is never changed.

Limits: what the build reads is found statically, from the Dockerfile, the scripts it runs from the
context and the project's metadata files. Reads at **run time** by the application or its
configuration are not seen: an `nginx.conf` naming `/etc/nginx/server.pem` copied by `COPY . .`,
a framework loading `.env` when the container starts without a dotenv library among the project's
dependencies, an entrypoint binary opening a key file. (A dotenv library named in requirements.txt,
pyproject.toml, Pipfile, package.json, Gemfile, composer.json or go.mod keeps `.env` files when a stage
copies the whole context: excluding them would change what the container reads.) If the image relies on such files being copied with the whole context, the new
`.dockerignore` removes them from the image: check the secrets section of the diff, or keep them
with a `!path` line. What the image contains does
change where a build copies the whole context: caches, `node_modules` from the host and secrets no
longer end up in it. An image that relied on a baked-in `.env` or key at run time must get them
from the environment instead (`docker run --env-file`, secrets); review the diff (the default dry run
shows the new file as a diff from `/dev/null`) before `--write`.
"#,
};

impl Pass for Dockerignore {
    fn info(&self) -> &'static PassInfo {
        &INFO
    }

    fn run(&self, doc: &Document, cx: &PassContext, out: &mut Findings) {
        // Standard input without --context: there is no build context to look at.
        let Some(context_dir) = cx.context_dir else {
            return;
        };
        let Some(ctx) = Context::load(context_dir) else {
            out.skip(
                NAME,
                0,
                format!(
                    "build context {} is not a readable directory",
                    context_dir.display()
                ),
            );
            return;
        };
        Run {
            doc,
            cx,
            ctx: &ctx,
            context_dir,
            out,
        }
        .go();
    }
}

struct Run<'a> {
    doc: &'a Document,
    cx: &'a PassContext<'a>,
    ctx: &'a Context,
    context_dir: &'a Path,
    out: &'a mut Findings,
}

/// A proposed line (or lines: an entry with its `!` exceptions).
struct Accepted<'t> {
    spec: &'t EntrySpec,
    exceptions: Vec<String>,
}

impl Run<'_> {
    fn skip(&mut self, anchor: Option<usize>, reason: impl Into<String>) {
        self.out.skip(NAME, anchor.unwrap_or(0), reason);
    }

    fn go(mut self) {
        // The file BuildKit uses for this Dockerfile: its own `<name>.dockerignore`, else the context's.
        let specific = self.cx.dockerfile.and_then(specific_ignore);
        let (target, shared) = match specific {
            Some(p) if p.is_file() => (p, false),
            _ => (self.context_dir.join(".dockerignore"), true),
        };
        let file_name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // podman/buildah read .containerignore first; a new .dockerignore would only split the rules.
        if shared && !target.exists() && self.context_dir.join(".containerignore").exists() {
            self.skip(
                None,
                "the context has a .containerignore and no .dockerignore: left alone (podman and buildah read .containerignore; a .dockerignore would make docker builds differ)",
            );
            return;
        }
        // The existing file, if any, must be readable text that Docker accepts.
        let old = match std::fs::symlink_metadata(&target) {
            Err(_) => None,
            Ok(_) => match std::fs::read(&target)
                .map_err(|e| walk::io_reason(&e))
                .and_then(|b| String::from_utf8(b).map_err(|_| "not UTF-8 text".to_string()))
            {
                Ok(s) => Some(s),
                Err(e) => {
                    self.skip(None, format!("cannot read the existing {file_name}: {e}"));
                    return;
                }
            },
        };
        let existing = match old.as_deref().map(Matcher::try_parse) {
            None => Matcher::default(),
            Some(Ok(m)) => m,
            Some(Err(e)) => {
                self.skip(
                    None,
                    format!("existing {file_name} is invalid for Docker ({e}): left alone"),
                );
                return;
            }
        };

        // What every Dockerfile that uses this ignore file reads.
        let Some(all) = self.sharers(shared) else {
            return;
        };
        let mut needs: Vec<Need> = all.iter().flat_map(|r| r.needs.iter().cloned()).collect();
        let mut keeps: Vec<(&'static str, String, Option<usize>)> = all
            .iter()
            .flat_map(|r| r.keeps.iter().map(|k| (k.group, k.why.clone(), k.anchor)))
            .collect();
        let whole_copy = all.iter().any(|r| r.whole_copy);
        let commands: BTreeSet<&str> = all
            .iter()
            .flat_map(|r| r.commands.iter().map(String::as_str))
            .collect();
        keeps.extend(self.git_readers(&commands));
        if whole_copy {
            keeps.extend(self.env_loaders());
        }
        if let Some((why, anchor)) = all.iter().find_map(|r| r.installs_project.clone()) {
            needs.extend(self.project_files(&why, anchor));
        }

        // An existing file that already hides something a build names: the build cannot see it.
        for n in needs.iter().filter(|n| n.strong && n.template.is_none()) {
            if let Some(i) = existing_excludes(&existing, self.ctx, n) {
                let p = &existing.patterns()[i];
                self.skip(
                    n.anchor,
                    format!(
                        "{file_name} line {} (`{}`) already excludes `{}`, which {} reads; dockopt does not change existing lines",
                        p.line, p.text, n.path, n.why
                    ),
                );
            }
        }
        // An allow-list excludes everything but its exceptions: an appended line could only
        // re-exclude what it allows.
        if is_allow_list(&existing) {
            self.skip(
                None,
                format!(
                    "existing {file_name} is an allow-list (`*` then `!` exceptions): nothing to add"
                ),
            );
            return;
        }

        let ecosystems = self.ecosystems();
        // Extra entries from `.dockopt.yaml` (`dockerignore: [...]`): proposed after the table's, under
        // the same checks (never hide what a build reads), whether or not they match anything today.
        let extras: Vec<EntrySpec> = self
            .cx
            .config
            .map(|c| c.dockerignore.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty() && !p.starts_with('#'))
            .map(|p| EntrySpec {
                pattern: p.to_string(),
                section: CONFIG_SECTION.to_string(),
                predictable: Vec::new(),
                only_with: Vec::new(),
                requires_child: None,
                whole_copy: false,
                always: true,
                group: None,
            })
            .collect();
        let mut current = existing.clone();
        let mut accepted: Vec<Accepted> = Vec::new();
        let table = TABLE.sections.iter().flat_map(|sec| {
            TABLE
                .entries
                .iter()
                .filter(move |e| e.section == sec.id)
                .map(|e| (e, false))
        });
        {
            for (spec, from_config) in table.chain(extras.iter().map(|e| (e, true))) {
                if !from_config && !self.applies(spec, &ecosystems, whole_copy) {
                    continue;
                }
                if from_config && spec.pattern.starts_with('!') {
                    self.skip(
                        None,
                        format!(
                            "`{}` from .dockopt.yaml not added: dockopt only adds exclusions; write `!` exceptions in the ignore file yourself",
                            spec.pattern
                        ),
                    );
                    continue;
                }
                let owned;
                let pat: &Pattern = if from_config {
                    match Pattern::new(&spec.pattern) {
                        Ok(p) => {
                            owned = p;
                            &owned
                        }
                        Err(e) => {
                            self.skip(
                                None,
                                format!(
                                    "`{}` from .dockopt.yaml not added: not a valid .dockerignore pattern ({e})",
                                    spec.pattern
                                ),
                            );
                            continue;
                        }
                    }
                } else {
                    match SPEC_PATTERNS.get(spec.pattern.as_str()) {
                        Some(p) => p,
                        None => continue,
                    }
                };
                // Already excluded by the file (or an earlier entry): nothing to add.
                if self.covered(&current, pat) {
                    continue;
                }
                // A build reads this group.
                if let Some(g) = &spec.group
                    && let Some((_, why, anchor)) = keeps.iter().find(|(k, _, _)| k == g)
                {
                    let (why, anchor) = (why.clone(), *anchor);
                    self.skip(anchor, format!("`{}` not excluded: {why}", spec.pattern));
                    continue;
                }
                // An existing `!` line brings back something this entry would exclude again.
                if let Some(e) = overlapped_exception(&existing, self.ctx, pat) {
                    self.skip(
                        None,
                        format!(
                            "`{}` not added: it would re-exclude what `!{}` ({file_name} line {}) brings back",
                            spec.pattern, e.text, e.line
                        ),
                    );
                    continue;
                }
                match self.check_needs(&current, &spec.pattern, pat, &needs) {
                    Ok(exceptions) => {
                        current.push_line(&spec.pattern);
                        for x in &exceptions {
                            current.push_line(&format!("!{x}"));
                        }
                        accepted.push(Accepted { spec, exceptions });
                    }
                    Err(n) => self.skip(
                        n.anchor,
                        format!(
                            "`{}` not excluded: {} reads `{}`",
                            spec.pattern, n.why, n.path
                        ),
                    ),
                }
            }
        }
        if accepted.is_empty() {
            return;
        }
        // The final file never hides anything a build reads that was visible before.
        let texts: Vec<&str> = accepted.iter().map(|a| a.spec.pattern.as_str()).collect();
        if let Some(n) = needs
            .iter()
            .find(|n| newly_excluded(&existing, &current, self.ctx, n, &texts))
        {
            self.skip(
                n.anchor,
                format!(
                    "internal check failed: the new entries would exclude `{}` ({}); nothing written",
                    n.path, n.why
                ),
            );
            return;
        }

        let new = render(old.as_deref(), &accepted);
        let message = self.message(&existing, &current, &accepted, old.is_some(), &file_name);
        self.out.side_files.push(SideFile {
            pass: NAME,
            path: target,
            old,
            new,
            message,
        });
    }

    /// Analyses this Dockerfile and, for a shared `.dockerignore`, the other Dockerfiles of the
    /// context. `None` (after reporting) when one of them cannot be read.
    fn sharers(&mut self, shared: bool) -> Option<Vec<Reads>> {
        let label = self
            .cx
            .dockerfile
            .and_then(|p| p.file_name())
            .map_or("Dockerfile".to_string(), |n| {
                n.to_string_lossy().into_owned()
            });
        let mut all = vec![analyze(self.doc, &label, true, self.ctx)];
        if !shared {
            return Some(all);
        }
        let me = self.cx.dockerfile.map(canonical);
        let others: Vec<&str> = self
            .ctx
            .entries
            .iter()
            .filter(|e| !e.is_dir)
            .filter(|e| walk::is_dockerfile_name(e.path.rsplit('/').next().unwrap_or(&e.path)))
            .map(|e| e.path.as_str())
            .filter(|p| me.as_ref() != Some(&canonical(&self.context_dir.join(p))))
            // A Dockerfile with its own ignore file does not use this one.
            .filter(|p| !self.context_dir.join(format!("{p}.dockerignore")).is_file())
            .collect();
        if others.len() > MAX_SHARERS {
            self.skip(
                None,
                format!(
                    "the context holds {} other Dockerfiles; only the first {MAX_SHARERS} were read, so the new entries may not suit the rest",
                    others.len()
                ),
            );
        }
        for rel in others.into_iter().take(MAX_SHARERS) {
            let path = self.context_dir.join(rel);
            let parsed = fsio::read_dockerfile(&path).and_then(|b| {
                let (_, t) = text::decode(&b).map_err(|_| "not UTF-8 text".to_string())?;
                // An empty (or comment-only) file builds nothing and reads nothing.
                if t.lines()
                    .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
                {
                    return Ok(None);
                }
                Document::parse(t).map(Some).map_err(|e| e.message)
            });
            match parsed {
                Ok(None) => {}
                Ok(Some(d)) => all.push(analyze(&d, rel, false, self.ctx)),
                Err(e) => {
                    self.skip(
                        None,
                        format!(
                            "{rel} shares this build context but cannot be parsed ({e}), so dockopt cannot tell what it reads: no .dockerignore proposed"
                        ),
                    );
                    return None;
                }
            }
        }
        Some(all)
    }

    /// Ecosystems present at the context root.
    fn ecosystems(&self) -> BTreeSet<&'static str> {
        let mut out = BTreeSet::new();
        for (eco, pats) in ECOSYSTEM_PATTERNS.iter() {
            let hit = pats
                .iter()
                .any(|p| self.ctx.root_entries().any(|e| p.matches(&e.path)));
            if hit {
                out.insert(*eco);
            }
        }
        out
    }

    /// Whether an entry is proposed for this context at all.
    fn applies(&self, spec: &EntrySpec, ecos: &BTreeSet<&str>, whole_copy: bool) -> bool {
        if !spec.only_with.is_empty() && !spec.only_with.iter().any(|e| ecos.contains(e.as_str())) {
            return false;
        }
        if spec.whole_copy && !whole_copy {
            return false;
        }
        if spec.always || spec.predictable.iter().any(|e| ecos.contains(e.as_str())) {
            return true;
        }
        let Some(pat) = SPEC_PATTERNS.get(spec.pattern.as_str()) else {
            return false;
        };
        self.ctx.entries.iter().any(|e| {
            pat.matches(&e.path)
                && spec
                    .requires_child
                    .as_ref()
                    .is_none_or(|c| self.context_dir.join(&e.path).join(c).is_file())
        })
    }

    /// Whether `m` already excludes everything `pat` would: every listed match, or (with none) a
    /// representative path.
    fn covered(&self, m: &Matcher, pat: &Pattern) -> bool {
        if m.patterns()
            .iter()
            .any(|p| !p.exception && p.text == pat.text)
        {
            return true;
        }
        let mut any = false;
        for e in &self.ctx.entries {
            if pat.matches(&e.path) {
                any = true;
                if !m.excluded(&e.path) {
                    return false;
                }
            }
        }
        any || m.excluded(&representative(&pat.text))
    }

    /// The exceptions an entry needs so that no build read is hidden, or the read it would hide.
    fn check_needs<'n>(
        &self,
        current: &Matcher,
        line: &str,
        pat: &Pattern,
        needs: &'n [Need],
    ) -> Result<Vec<String>, &'n Need> {
        let mut with = current.clone();
        with.push_line(line);
        let hit: Vec<&Need> = needs
            .iter()
            .filter(|n| newly_excluded(current, &with, self.ctx, n, &[line]))
            .collect();
        let Some(first) = hit.first() else {
            return Ok(vec![]);
        };
        // A wildcard entry that names files directly can keep them with `!` exceptions.
        let exceptable = pat.has_wildcard()
            && hit
                .iter()
                .all(|n| !n.glob && pat.matches(&n.path) && !reads::has_wildcard(&n.path));
        if !exceptable {
            return Err(first);
        }
        let mut exceptions: Vec<String> = hit.iter().map(|n| n.path.clone()).collect();
        exceptions.sort();
        exceptions.dedup();
        for x in &exceptions {
            with.push_line(&format!("!{x}"));
        }
        if needs
            .iter()
            .any(|n| newly_excluded(current, &with, self.ctx, n, &[line]))
        {
            return Err(first);
        }
        Ok(exceptions)
    }

    /// `.git` readers found in the project's files.
    fn git_readers(&self, commands: &BTreeSet<&str>) -> Vec<(&'static str, String, Option<usize>)> {
        let mut out = Vec::new();
        for r in &TABLE.git_readers {
            if r.when_run
                .as_ref()
                .is_some_and(|c| !commands.contains(c.as_str()))
            {
                continue;
            }
            let Some(text) = self.read_meta(&r.file) else {
                continue;
            };
            if let Some(hit) = r.contains.iter().find(|c| text.contains(c.as_str())) {
                out.push((
                    "git",
                    format!("{} mentions `{}`, which reads .git", r.file, hit.trim()),
                    None,
                ));
            }
        }
        out
    }

    /// `.env` files the application loads at run time (a dotenv library among its dependencies),
    /// when a stage copies the whole context into the image.
    fn env_loaders(&self) -> Vec<(&'static str, String, Option<usize>)> {
        for r in &TABLE.env_loaders {
            let Some(text) = self.read_meta(&r.file) else {
                continue;
            };
            if let Some(hit) = r.contains.iter().find(|c| text.contains(c.as_str())) {
                return vec![(
                    "env",
                    format!(
                        "{} names `{}`: the application may load .env when the container starts, and the whole context is copied into the image (pass the settings at run time, then exclude .env by hand)",
                        r.file,
                        hit.trim_matches(['"', '\''])
                    ),
                    None,
                )];
            }
        }
        Vec::new()
    }

    /// A small project file at the context root.
    fn read_meta(&self, name: &str) -> Option<String> {
        if !self.ctx.exists(name) {
            return None;
        }
        let path = self.context_dir.join(name);
        let meta = std::fs::metadata(&path).ok()?;
        if !meta.is_file() || meta.len() > MAX_META_BYTES {
            return None;
        }
        std::fs::read_to_string(path).ok()
    }

    /// README/LICENSE files and the files the Python metadata names, when a build installs the project.
    fn project_files(&self, why: &str, anchor: Option<usize>) -> Vec<Need> {
        let mut paths: BTreeSet<(String, bool)> = BTreeSet::new();
        for e in self.ctx.root_entries() {
            let up = e.path.to_ascii_uppercase();
            if [
                "README", "LICENSE", "LICENCE", "COPYING", "NOTICE", "AUTHORS",
            ]
            .iter()
            .any(|p| up.starts_with(p))
            {
                paths.insert((e.path.clone(), false));
            }
        }
        if let Some(t) = self.read_meta("pyproject.toml") {
            for f in pyproject_files(&t) {
                paths.insert(f);
            }
        }
        if let Some(t) = self.read_meta("setup.cfg") {
            for f in setup_cfg_files(&t) {
                paths.insert((f, false));
            }
        }
        paths
            .into_iter()
            .map(|(p, glob)| Need {
                path: reads::normalize(&p),
                glob,
                strong: true,
                why: format!("the project build ({why})"),
                anchor,
                template: None,
            })
            .filter(|n| n.path != ".")
            .collect()
    }

    fn message(
        &self,
        before_m: &Matcher,
        after_m: &Matcher,
        accepted: &[Accepted],
        merge: bool,
        file_name: &str,
    ) -> String {
        let total = self.ctx.total();
        let (ex_before, _) = self.ctx.excluded_by(before_m);
        let (ex_after, per) = self.ctx.excluded_by(after_m);
        let before = minus(total, ex_before);
        let after = minus(total, ex_after);
        let first_new = before_m.patterns().len();
        let mut contrib: Vec<(Size, usize)> = per
            .iter()
            .filter(|(i, s)| **i >= first_new && s.files > 0)
            .map(|(i, s)| (*s, *i))
            .collect();
        contrib.sort_by(|a, b| (b.0.bytes, b.0.files, a.1).cmp(&(a.0.bytes, a.0.files, b.1)));
        let names: Vec<String> = contrib
            .iter()
            .take(3)
            .map(|(_, i)| {
                after_m.patterns()[*i]
                    .text
                    .trim_start_matches("**/")
                    .to_string()
            })
            .collect();
        let n = accepted.len();
        let entries = format!("{n} entr{}", if n == 1 { "y" } else { "ies" });
        let head = if merge {
            format!("add {entries} to {file_name}")
        } else {
            format!("create {file_name} with {entries}")
        };
        let at_least = if self.ctx.truncated { "at least " } else { "" };
        let mut msg = format!(
            "{head}: build context {at_least}{} -> {}, {} -> {} files",
            human(before.bytes),
            human(after.bytes),
            before.files,
            after.files
        );
        if !names.is_empty() {
            msg.push_str(&format!(" ({})", names.join(", ")));
        }
        msg
    }
}

fn minus(a: Size, b: Size) -> Size {
    Size {
        files: a.files.saturating_sub(b.files),
        bytes: a.bytes.saturating_sub(b.bytes),
    }
}

/// `<Dockerfile path>.dockerignore`.
fn specific_ignore(dockerfile: &Path) -> Option<PathBuf> {
    let name = dockerfile.file_name()?;
    let mut n = name.to_os_string();
    n.push(".dockerignore");
    Some(dockerfile.with_file_name(n))
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// A path an entry would exclude, for entries that match nothing yet: `**/*.pyc` -> `x.pyc`.
fn representative(pattern: &str) -> String {
    pattern.trim_start_matches("**/").replace(['*', '?'], "x")
}

/// Whether going from `before` to `after` (which adds the lines `added`) hides a need. A source with
/// an unknown variable is probed with each added pattern's own path in place of the variable.
fn newly_excluded(
    before: &Matcher,
    after: &Matcher,
    ctx: &Context,
    n: &Need,
    added: &[&str],
) -> bool {
    match &n.template {
        Some(t) => added.iter().any(|p| {
            let probe = t.replace(reads::UNKNOWN, &representative(p));
            !before.excluded(&probe) && after.excluded(&probe)
        }),
        None => !need_excluded(before, ctx, n) && need_excluded(after, ctx, n),
    }
}

/// Whether a need is hidden by `m`.
fn need_excluded(m: &Matcher, ctx: &Context, n: &Need) -> bool {
    need_excluding_pattern(m, ctx, n).is_some()
}

/// The pattern of `m` that hides a need, if any. A named path is hidden when it or a parent is
/// excluded; a glob when its literal directory or text is excluded, or when any file it matches
/// (or every match) is.
fn need_excluding_pattern(m: &Matcher, ctx: &Context, n: &Need) -> Option<usize> {
    if !n.glob {
        return m.deciding_pattern(&n.path);
    }
    let literal: Vec<&str> = n
        .path
        .split('/')
        .take_while(|s| !reads::has_wildcard(s))
        .collect();
    if !literal.is_empty()
        && let Some(i) = m.deciding_pattern(&literal.join("/"))
    {
        return Some(i);
    }
    if let Some(i) = m.deciding_pattern(&n.path) {
        return Some(i);
    }
    let pat = Pattern::new(&n.path).ok()?;
    let matches: Vec<&context::Entry> = ctx
        .entries
        .iter()
        .filter(|e| pat.matches(&e.path))
        .collect();
    if let Some(i) = matches
        .iter()
        .filter(|e| !e.is_dir)
        .find_map(|e| m.deciding_pattern(&e.path))
    {
        return Some(i);
    }
    let decided: Vec<Option<usize>> = matches
        .iter()
        .map(|e| m.deciding_pattern(&e.path))
        .collect();
    if !decided.is_empty() && decided.iter().all(Option::is_some) {
        return decided[0];
    }
    None
}

fn existing_excludes(m: &Matcher, ctx: &Context, n: &Need) -> Option<usize> {
    if m.patterns().is_empty() {
        return None;
    }
    need_excluding_pattern(m, ctx, n)
}

/// A file whose first exclusion matches everything (`*`, `**`) and that has exceptions.
fn is_allow_list(m: &Matcher) -> bool {
    let mut everything = false;
    for p in m.patterns() {
        if !p.exception && matches!(p.text.as_str(), "*" | "**" | "**/*") {
            everything = true;
        } else if p.exception && everything {
            return true;
        }
    }
    false
}

/// The first exception of `existing` that `pat`, appended, would override for some path.
fn overlapped_exception<'m>(
    existing: &'m Matcher,
    ctx: &Context,
    pat: &Pattern,
) -> Option<&'m Pattern> {
    let rep = representative(&pat.text);
    let rep_name = rep.rsplit('/').next().unwrap_or(&rep).to_string();
    existing
        .patterns()
        .iter()
        .filter(|e| e.exception)
        .find(|e| {
            pat.matches_or_parent(&e.text)
                || pat.matches_or_parent(&format!("{}/{rep_name}", e.text))
                || ctx.entries.iter().any(|x| {
                    e.matches_or_parent(&x.path)
                        && pat.matches_or_parent(&x.path)
                        && !existing.excluded(&x.path)
                })
        })
}

/// Files `pyproject.toml` names: `readme`, `license = {file}`, `license-files` (globs).
fn pyproject_files(text: &str) -> Vec<(String, bool)> {
    let Ok(t) = text.parse::<toml::Table>() else {
        return vec![];
    };
    let mut out = Vec::new();
    let mut add = |v: Option<&toml::Value>, key: &str| match v {
        Some(toml::Value::String(s)) => out.push((s.clone(), reads::has_wildcard(s))),
        Some(toml::Value::Table(tb)) => {
            if let Some(toml::Value::String(s)) = tb.get(key) {
                out.push((s.clone(), false));
            }
            for k in ["paths", "globs"] {
                if let Some(toml::Value::Array(a)) = tb.get(k) {
                    for s in a.iter().filter_map(|x| x.as_str()) {
                        out.push((s.to_string(), reads::has_wildcard(s)));
                    }
                }
            }
        }
        Some(toml::Value::Array(a)) => {
            for s in a.iter().filter_map(|x| x.as_str()) {
                out.push((s.to_string(), reads::has_wildcard(s)));
            }
        }
        _ => {}
    };
    let project = t.get("project").and_then(|p| p.as_table());
    add(project.and_then(|p| p.get("readme")), "file");
    add(project.and_then(|p| p.get("license")), "file");
    add(project.and_then(|p| p.get("license-files")), "");
    let poetry = t
        .get("tool")
        .and_then(|x| x.get("poetry"))
        .and_then(|x| x.as_table());
    add(poetry.and_then(|p| p.get("readme")), "file");
    out
}

/// Files `setup.cfg` names: `long_description = file: README.md`, `license_files`.
fn setup_cfg_files(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_license = false;
    for line in text.lines() {
        let t = line.trim();
        if in_license && line.starts_with([' ', '\t']) && !t.is_empty() {
            out.extend(
                t.split([',', ' '])
                    .filter(|s| !s.is_empty())
                    .map(String::from),
            );
            continue;
        }
        in_license = false;
        if let Some((k, v)) = t.split_once('=') {
            let k = k.trim();
            let v = v.trim();
            if let Some(files) = v.strip_prefix("file:") {
                out.extend(files.split(',').map(|s| s.trim().to_string()));
            } else if k == "license_files" || k == "license_file" {
                in_license = true;
                out.extend(
                    v.split([',', ' '])
                        .filter(|s| !s.is_empty())
                        .map(String::from),
                );
            }
        }
    }
    out.retain(|s| !s.is_empty() && !reads::has_wildcard(s));
    out
}

/// The new file, or the existing one with a marked block appended.
fn render(old: Option<&str>, accepted: &[Accepted]) -> String {
    let mut lines: Vec<String> = Vec::new();
    match old {
        None => {
            lines.push(
                "# Generated by dockopt (see `dockopt explain dockerignore`): keeps the build"
                    .into(),
            );
            lines.push(
                "# context small and secrets out of the image. Docker's .dockerignore rules apply:"
                    .into(),
            );
            lines.push(
                "# patterns are anchored at the context root; `**/` matches any depth.".into(),
            );
            let mut section = "";
            for a in accepted {
                if a.spec.section != section {
                    section = &a.spec.section;
                    let title = TABLE
                        .sections
                        .iter()
                        .find(|s| s.id == section)
                        .map_or(section, |s| s.title.as_str());
                    lines.push(String::new());
                    lines.push(format!("# {title}"));
                }
                lines.push(a.spec.pattern.clone());
                lines.extend(a.exceptions.iter().map(|x| format!("!{x}")));
            }
            lines.push(String::new());
            lines.join("\n")
        }
        Some(old) => {
            let eol = if old.contains("\r\n") { "\r\n" } else { "\n" };
            let mut s = old.to_string();
            if !s.is_empty() && !s.ends_with('\n') {
                s.push_str(eol);
            }
            let last_blank =
                s.trim_end_matches(['\r', '\n']).is_empty() || s.ends_with(&format!("{eol}{eol}"));
            if !s.is_empty() && !last_blank {
                s.push_str(eol);
            }
            s.push_str("# Added by dockopt (see `dockopt explain dockerignore`)");
            s.push_str(eol);
            for a in accepted {
                s.push_str(&a.spec.pattern);
                s.push_str(eol);
                for x in &a.exceptions {
                    s.push('!');
                    s.push_str(x);
                    s.push_str(eol);
                }
            }
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyproject_named_files() {
        let t = r#"
[project]
name = "x"
readme = {file = "docs/README.rst", content-type = "text/x-rst"}
license-files = ["LICEN[CS]E*", "AUTHORS.md"]
"#;
        assert_eq!(
            pyproject_files(t),
            vec![
                ("docs/README.rst".to_string(), false),
                ("LICEN[CS]E*".to_string(), true),
                ("AUTHORS.md".to_string(), false)
            ]
        );
        assert!(pyproject_files("not = [toml").is_empty());
    }

    #[test]
    fn setup_cfg_named_files() {
        let t = "[metadata]\nlong_description = file: README.md, CHANGES.rst\nlicense_files =\n    LICENSE\n    NOTICE\n";
        assert_eq!(
            setup_cfg_files(t),
            ["README.md", "CHANGES.rst", "LICENSE", "NOTICE"]
        );
    }

    #[test]
    fn allow_lists() {
        assert!(is_allow_list(&Matcher::parse("*\n!src\n")));
        assert!(is_allow_list(&Matcher::parse("# x\n**\n!app/**\n")));
        assert!(!is_allow_list(&Matcher::parse("*.md\n!README.md\n")));
        assert!(!is_allow_list(&Matcher::parse("!src\n*\n")));
    }

    #[test]
    fn merge_keeps_the_old_bytes() {
        let spec = &TABLE.entries[0];
        let acc = [Accepted {
            spec,
            exceptions: vec![],
        }];
        let old = "node_modules\r\n*.log";
        let new = render(Some(old), &acc);
        assert!(new.starts_with(old));
        assert_eq!(
            &new[old.len()..],
            "\r\n\r\n# Added by dockopt (see `dockopt explain dockerignore`)\r\n.git\r\n"
        );
    }
}
