//! npm-cache-clean: `npm cache clean --force` / `yarn cache clean` at the end of a RUN that installs.

use std::path::Path;

use crate::edit;
use crate::fix::{Applicability, Findings};
use crate::model::{Document, Instruction, Kind};
use crate::passes::cache_mounts;
use crate::passes::hygiene::{self, Use};
use crate::passes::package_managers::{NodeCache, TABLE, contains, strs};
use crate::passes::{Pass, PassContext, PassInfo};
use crate::recognize::{self, ToolCall, basename, tool_call};
use crate::shell::Script;

pub struct NpmCacheClean;

const NAME: &str = "npm-cache-clean";

static INFO: PassInfo = PassInfo {
    name: NAME,
    summary: "A RUN that runs npm install/ci or yarn install ends with npm cache clean --force / yarn cache clean",
    hadolint: &["DL3060"],
    default_enabled: true,
    doc: r#"# npm-cache-clean

## What it does
Appends `&& npm cache clean --force` after the last command of a shell-form RUN that runs an npm install
(`npm install`, `npm i`, `npm ci`, `npm update`, ...), and `&& yarn cache clean` after one that runs
`yarn`, `yarn install` or `yarn add`, unless the RUN already cleans that cache after its last install.

## Why
npm keeps every downloaded tarball in `~/.npm/_cacache` and Yarn 1 in `/usr/local/share/.cache/yarn`.
In an image layer that cache is dead weight, often hundreds of megabytes, that `node_modules` already
holds in unpacked form. For yarn this is hadolint's DL3060.

## Example
```dockerfile
RUN npm ci --omit=dev
```
becomes
```dockerfile
RUN npm ci --omit=dev && npm cache clean --force
```

## When it refuses
- The RUN mounts a cache (or anything) over the npm or yarn cache: the cache is wanted there (skip).
  With `--cache-mounts` on a BuildKit file, a RUN that gets a cache mount for npm keeps its cache in
  that mount instead (skip).
- The author chose a cache location: `--cache`/`--cache-folder`, or `npm_config_cache` /
  `YARN_CACHE_FOLDER` set by ENV or as a command prefix (skip).
- A later RUN of the stage (or of a stage built `FROM` it) installs with `--offline` or
  `--prefer-offline`, which reads that cache, itself or in a script or make target it runs from the
  build context (skip with its line). A script that cannot be read is not assumed to do so.
- yarn when Yarn 2 or later may be in use: a `.yarnrc.yml` or `.pnp.cjs` in the build context, a
  `packageManager: yarn@2+` in a package.json there, or `corepack`, `yarn set version`, `--immutable`
  in the Dockerfile. There `yarn cache clean` empties the cache Plug'n'Play loads packages from at run
  time (skip). Without a build context to look at, the yarn fix is unsafe.
- npm or yarn run through `sudo` or `exec`, a RUN with a background job (`&`), a RUN ending with
  `exit` or a `)`, and RUNs under a non-POSIX `SHELL` (skip with the reason).
- Exec-form RUN and `sh -c "..."` strings are left alone. Installs inside heredoc bodies are reported,
  never edited.

## Fix safety
Safe for npm: the clean runs after everything else in the RUN, as the same user, and only removes the
download cache; later offline installs are checked. Safe for Yarn 1, checked as described above;
unsafe for yarn when the build context cannot be inspected.
"#,
};

impl Pass for NpmCacheClean {
    fn info(&self) -> &'static PassInfo {
        &INFO
    }

    fn run(&self, doc: &Document, cx: &PassContext, out: &mut Findings) {
        for (idx, inst) in doc.instructions.iter().enumerate() {
            // Only RUN instructions install packages.
            if inst.kind != Kind::Run {
                continue;
            }
            report_heredocs(doc, inst, out);
            // Exec-form RUNs are left alone.
            let Some(script) = inst.run_script() else {
                continue;
            };
            for tool in [&TABLE.npm, &TABLE.yarn] {
                check(doc, cx, idx, inst, script, tool, out);
            }
        }
    }
}

fn calls_of<'s>(tool: &NodeCache, script: &'s Script) -> Vec<(usize, ToolCall<'s>)> {
    script
        .commands
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            tool_call(c, &strs(&tool.programs), &strs(&tool.options_with_value)).map(|t| (i, t))
        })
        .collect()
}

fn is_yarn(tool: &NodeCache) -> bool {
    contains(&tool.programs, "yarn")
}

fn is_install(tool: &NodeCache, call: &ToolCall) -> bool {
    match call.subcommand() {
        Some(s) => contains(&tool.install_subcommands, &s.value),
        // Bare `yarn` (options only) installs.
        None => is_yarn(tool),
    }
}

fn is_clean(tool: &NodeCache, call: &ToolCall) -> bool {
    call.subcommand
        .is_some_and(|i| call.args[i].value == tool.clean_subcommand)
        && call
            .subcommand
            .and_then(|i| call.args.get(i + 1))
            .is_some_and(|w| contains(&tool.clean_words, &w.value))
}

fn check(
    doc: &Document,
    cx: &PassContext,
    idx: usize,
    inst: &Instruction,
    script: &Script,
    tool: &NodeCache,
    out: &mut Findings,
) {
    let calls = calls_of(tool, script);
    // The last install of the RUN.
    let Some(last) = calls.iter().rposition(|(_, c)| is_install(tool, c)) else {
        return;
    };
    let (last_cmd, install) = &calls[last];
    let name = install.name();
    let anchor = install.program.range.start;
    // Already cleaned after it.
    if calls[last..].iter().any(|(_, c)| is_clean(tool, c))
        || script.commands[*last_cmd..].iter().any(|c| {
            c.words.first().is_some_and(|w| w.value == "rm")
                && c.words.iter().any(|w| {
                    tool.cache_path_markers
                        .iter()
                        .any(|m| w.value.contains(m.as_str()))
                })
        })
    {
        return;
    }
    // Under PowerShell or cmd the command line means something else.
    if let Err(reason) = hygiene::require_posix_shell(doc, idx) {
        out.skip(NAME, anchor, reason);
        return;
    }
    // A mount over the cache: it is wanted there.
    if let Some((kind, target)) = cache_mount(inst, tool) {
        out.skip(
            NAME,
            anchor,
            format!("RUN has a {kind} mount at {target}: {name}'s cache is kept there"),
        );
        return;
    }
    // With --cache-mounts npm's cache goes to a build cache mount instead.
    if let Some(t) = tool
        .programs
        .first()
        .and_then(|p| cache_mounts::offered(doc, cx, idx, p))
    {
        out.skip(
            NAME,
            anchor,
            format!("--cache-mounts: {name}'s cache goes to a build cache mount ({t}) instead"),
        );
        return;
    }
    // The author chose where the cache goes.
    if let Some(var) = tool.cache_env.iter().find(|v| {
        doc.env_before(idx, v).is_some()
            || calls
                .iter()
                .any(|(i, _)| recognize::command_env(&script.commands[*i]).any(|(k, _)| k == *v))
    }) {
        out.skip(
            NAME,
            anchor,
            format!("{var} sets {name}'s cache location: left to the author"),
        );
        return;
    }
    if let Some(flag) = tool
        .cache_flags
        .iter()
        .find(|f| calls.iter().any(|(_, c)| c.has_flag(f)))
    {
        out.skip(
            NAME,
            anchor,
            format!("{name} runs with {flag}: left to the author"),
        );
        return;
    }
    // Through sudo (or exec) the appended clean would run as another user, or not at all.
    if let Some(w) = calls.iter().find_map(|(_, c)| c.privileged_or_exec()) {
        out.skip(
            NAME,
            anchor,
            format!(
                "{name} runs through `{w}`: a clean appended to the RUN would not clean that cache"
            ),
        );
        return;
    }
    let point = match hygiene::append_point(script) {
        Ok(c) => c,
        Err(reason) => {
            out.skip(NAME, anchor, format!("no cache clean appended: {reason}"));
            return;
        }
    };
    // A later offline install reads the cache.
    // (A script dockopt cannot read is not assumed to install offline: that takes an explicit flag.)
    if let Some(later) =
        hygiene::later_need_through_scripts(doc, cx, idx, &|w| offline_use(tool, w), Use::Neither)
    {
        out.skip(
            NAME,
            anchor,
            format!(
                "{name}'s cache kept: {}",
                later.describe("installs from it offline", "install from it offline")
            ),
        );
        return;
    }
    let mut applicability = Applicability::Safe;
    let mut message = format!("added `{}` at the end of the RUN", tool.clean);
    if is_yarn(tool) {
        match yarn_berry(doc, cx) {
            Ok(None) => {}
            Ok(Some(evidence)) => {
                out.skip(
                    NAME,
                    anchor,
                    format!(
                        "Yarn 2+ may be in use ({evidence}): `yarn cache clean` would empty the cache Plug'n'Play loads packages from"
                    ),
                );
                return;
            }
            Err(why) => {
                applicability = Applicability::Unsafe;
                message = format!("{message} (unsafe: {why}, so Yarn 2+ cannot be ruled out)");
            }
        }
    }
    out.fix(
        NAME,
        anchor,
        applicability,
        message,
        vec![edit::append_command(point, &tool.clean)],
    );
}

/// A mount of the RUN over the tool's cache directory.
fn cache_mount(inst: &Instruction, tool: &NodeCache) -> Option<(String, String)> {
    if let Some(m) = hygiene::mount_covering(inst, &tool.cache_dirs) {
        return Some(m);
    }
    hygiene::mount_options(inst).into_iter().find_map(|opts| {
        let kind = opts
            .iter()
            .find(|(k, _)| k == "type")
            .map_or("bind".to_string(), |(_, v)| v.clone());
        let target = opts
            .iter()
            .find(|(k, _)| matches!(k.as_str(), "target" | "dst" | "destination"))
            .map(|(_, v)| v.trim_end_matches('/').to_string())?;
        tool.cache_dir_suffixes
            .iter()
            .any(|s| target.ends_with(s.as_str()))
            .then_some((kind, target))
    })
}

/// Whether a word stream installs from the cache offline (or reinstalls, which is neutral).
fn offline_use(tool: &NodeCache, words: &[String]) -> Use {
    for (k, w) in words.iter().enumerate() {
        if !contains(&tool.programs, basename(w)) {
            continue;
        }
        if words[k + 1..]
            .iter()
            .take_while(|x| *x != ";")
            .any(|x| contains(&tool.offline_flags, x))
        {
            return Use::Needs;
        }
    }
    Use::Neither
}

/// Evidence that Yarn 2+ may run this build: `Ok(Some(what))`, `Ok(None)` when the build context and
/// the Dockerfile show none, `Err(why)` when the build context cannot be inspected.
fn yarn_berry(doc: &Document, cx: &PassContext) -> Result<Option<String>, String> {
    let yarn = &TABLE.yarn;
    if let Some(m) = yarn
        .berry_text
        .iter()
        .find(|m| doc.text.contains(m.as_str()))
    {
        return Ok(Some(format!("the Dockerfile mentions `{m}`")));
    }
    let ctx = cx
        .context_dir
        .ok_or_else(|| "there is no build context to inspect".to_string())?;
    Ok(berry_in_context(ctx, yarn))
}

fn berry_in_context(ctx: &Path, yarn: &NodeCache) -> Option<String> {
    let walker = ignore::WalkBuilder::new(ctx)
        .max_depth(Some(4))
        .hidden(false)
        .git_ignore(false)
        .git_exclude(false)
        .git_global(false)
        .ignore(false)
        .filter_entry(|e| e.file_name() != "node_modules" && e.file_name() != ".git")
        .build();
    for entry in walker.flatten().take(50_000) {
        let file = entry.file_name().to_string_lossy();
        if contains(&yarn.berry_files, &file) {
            return Some(format!("{} in the build context", entry.path().display()));
        }
        if file == "package.json"
            && entry.metadata().is_ok_and(|m| m.len() < 1_000_000)
            && let Ok(text) = std::fs::read_to_string(entry.path())
            && let Some(v) = package_manager_yarn_major(&text)
            && v >= 2
        {
            return Some(format!(
                "packageManager yarn@{v} in {}",
                entry.path().display()
            ));
        }
    }
    None
}

/// The Yarn major version named by a package.json `packageManager` field.
fn package_manager_yarn_major(package_json: &str) -> Option<u32> {
    let v: serde_json::Value = serde_json::from_str(package_json).ok()?;
    let pm = v.get("packageManager")?.as_str()?;
    let version = pm.strip_prefix("yarn@")?;
    version.split('.').next()?.parse().ok()
}

/// Installs without a clean inside heredoc bodies are reported, never edited.
fn report_heredocs(doc: &Document, inst: &Instruction, out: &mut Findings) {
    for body in hygiene::heredoc_scripts(doc, inst) {
        for tool in [&TABLE.npm, &TABLE.yarn] {
            let calls = calls_of(tool, &body);
            if calls.iter().any(|(_, c)| is_clean(tool, c)) {
                continue;
            }
            if let Some((_, c)) = calls.iter().find(|(_, c)| is_install(tool, c)) {
                out.skip(
                    NAME,
                    c.program.range.start,
                    format!(
                        "{} install without a cache clean inside a heredoc body: heredoc bodies are left unchanged",
                        c.name()
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_manager_field() {
        assert_eq!(
            package_manager_yarn_major(r#"{"packageManager": "yarn@4.1.0+sha256.abc"}"#),
            Some(4)
        );
        assert_eq!(
            package_manager_yarn_major(r#"{"packageManager": "yarn@1.22.22"}"#),
            Some(1)
        );
        assert_eq!(
            package_manager_yarn_major(r#"{"packageManager": "pnpm@9.0.0"}"#),
            None
        );
        assert_eq!(package_manager_yarn_major(""), None);
    }
}
