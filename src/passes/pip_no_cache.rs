//! pip-no-cache: add `--no-cache-dir` to pip installs.

use crate::edit;
use crate::fix::{Applicability, Findings};
use crate::model::{CommandForm, Detail, Document, Instruction, Kind};
use crate::passes::{Pass, PassContext, PassInfo};
use crate::recognize::{self, pip_call};
use crate::shell::{self, Mode};

pub struct PipNoCache;

const NAME: &str = "pip-no-cache";

static INFO: PassInfo = PassInfo {
    name: NAME,
    summary: "Add --no-cache-dir to every pip install in a RUN",
    hadolint: &["DL3042"],
    default_enabled: true,
    doc: r#"# pip-no-cache

## What it does
Adds `--no-cache-dir` right after `install` in every pip install inside a RUN: `pip`, `pip3`,
`pip3.12`, `python -m pip`, `python3 -m pip` and full paths such as `/usr/local/bin/pip`, in `&&`
chains, after `VAR=x` prefixes, across continuation lines, and in exec-form RUN.

## Why
pip keeps every downloaded wheel and source archive in `~/.cache/pip`. In an image layer that cache is
dead weight: tens to hundreds of megabytes that are never read again. This is hadolint's DL3042.

## Example
```dockerfile
RUN pip install -r requirements.txt
```
becomes
```dockerfile
RUN pip install --no-cache-dir -r requirements.txt
```

## When it refuses
- The command already has `--no-cache-dir` anywhere (also as a global option before `install`): nothing to do.
- `PIP_NO_CACHE_DIR` is set by ENV in the stage (or a stage it builds on) or as a command prefix.
- The RUN mounts a cache (`--mount=type=cache`) at pip's cache directory: the cache is wanted there.
  Reported as a skip.
- The command passes an explicit `--cache-dir`: the author chose a cache. Reported as a skip.
- `pipenv`, `uv pip`, `pipx` and `poetry` are other tools and are left alone, and so is text inside
  quotes such as `echo "pip install x"` or `sh -c "pip install x"`.
- A pip install inside a heredoc body is reported, not edited: heredoc bodies are never changed.
- With `--cache-mounts` on a BuildKit file, a RUN that gets a cache mount for pip (see cache-mounts)
  keeps pip's cache in that mount instead (skip).

## Fix safety
Safe. The flag only stops pip from writing its cache; the installed packages are the same. It is
placed right after `install`, so it never lands between an option and its value (`-r FILE`, `-i URL`).
"#,
};

impl Pass for PipNoCache {
    fn info(&self) -> &'static PassInfo {
        &INFO
    }

    fn run(&self, doc: &Document, cx: &PassContext, out: &mut Findings) {
        let env_off = doc.env_set_before_each("PIP_NO_CACHE_DIR");
        for (idx, inst) in doc.instructions.iter().enumerate() {
            // Only RUN instructions install packages.
            if inst.kind != Kind::Run {
                continue;
            }
            // With --cache-mounts pip's cache goes to a build cache mount instead.
            if let Some(t) = crate::passes::cache_mounts::offered(doc, cx, idx, "pip") {
                out.skip(
                    NAME,
                    inst.keyword.start,
                    format!(
                        "--cache-mounts: pip's cache goes to a build cache mount ({t}) instead"
                    ),
                );
                continue;
            }
            // An ENV in the stage (or a parent stage) already turns the cache off.
            if env_off[idx] {
                continue;
            }
            check_run(doc, idx, inst, out);
        }
    }
}

/// Whether the RUN mounts a cache at pip's cache directory; returns the target.
fn pip_cache_mount(inst: &Instruction) -> Option<String> {
    inst.mounts().into_iter().find_map(|opts| {
        let is_cache = opts.iter().any(|(k, v)| k == "type" && v == "cache");
        let target = opts
            .iter()
            .find(|(k, _)| matches!(k.as_str(), "target" | "dst" | "destination"))
            .map(|(_, v)| v.trim_end_matches('/').to_string())?;
        let pip_dir = target.ends_with("/.cache/pip")
            || target.ends_with("/.cache")
            || target.ends_with("/pip-cache")
            || target.contains("/pip/cache");
        (is_cache && pip_dir).then_some(target)
    })
}

/// Targets of the RUN's cache mounts.
fn cache_targets(inst: &Instruction) -> Vec<String> {
    inst.mounts()
        .into_iter()
        .filter(|opts| opts.iter().any(|(k, v)| k == "type" && v == "cache"))
        .filter_map(|opts| {
            opts.into_iter()
                .find(|(k, _)| matches!(k.as_str(), "target" | "dst" | "destination"))
                .map(|(_, v)| v.trim_end_matches('/').to_string())
        })
        .collect()
}

fn check_run(doc: &Document, idx: usize, inst: &Instruction, out: &mut Findings) {
    let Detail::Run { command, heredocs } = &inst.detail else {
        return;
    };
    let targets = cache_targets(inst);
    // A cache mount at the directory PIP_CACHE_DIR names (by ENV) is pip's cache too.
    let env_cache_dir = if targets.is_empty() {
        None
    } else {
        doc.env_before(idx, "PIP_CACHE_DIR")
            .map(|d| d.trim_end_matches('/').to_string())
    };
    let mount = pip_cache_mount(inst).or_else(|| {
        env_cache_dir
            .as_ref()
            .filter(|d| targets.iter().any(|t| t == *d))
            .cloned()
    });
    match command {
        CommandForm::Shell { script, .. } => {
            for cmd in &script.commands {
                // The command is a pip call whose subcommand is `install`.
                let Some(call) = pip_call(cmd) else { continue };
                let install = call.subcommand();
                if install.value != "install" {
                    continue;
                }
                // Already has the flag, or the environment of this command turns the cache off.
                if call.has_flag("--no-cache-dir")
                    || recognize::command_env(cmd).any(|(k, _)| k == "PIP_NO_CACHE_DIR")
                {
                    continue;
                }
                // A cache mount for pip (also at a PIP_CACHE_DIR set for this command): the cache is
                // wanted.
                let inline_dir = recognize::command_env(cmd)
                    .find(|(k, _)| *k == "PIP_CACHE_DIR")
                    .map(|(_, v)| v.trim_end_matches('/').to_string())
                    .filter(|d| targets.iter().any(|t| t == d));
                if let Some(target) = mount.as_ref().or(inline_dir.as_ref()) {
                    out.skip(
                        NAME,
                        install.range.start,
                        format!(
                            "RUN mounts a build cache at {target}: pip's cache is wanted there"
                        ),
                    );
                    continue;
                }
                // An explicit --cache-dir: the author chose a cache.
                if call.has_flag("--cache-dir") {
                    out.skip(
                        NAME,
                        install.range.start,
                        "pip install sets --cache-dir explicitly",
                    );
                    continue;
                }
                out.fix(
                    NAME,
                    install.range.start,
                    Applicability::Safe,
                    "added --no-cache-dir to pip install",
                    vec![edit::insert_after_word(install, "--no-cache-dir")],
                );
            }
        }
        CommandForm::Exec { args, .. } => {
            // The exec form is a pip install without the flag.
            let Some(sub) = recognize::pip_exec_subcommand(args) else {
                return;
            };
            if args[sub].value != "install"
                || args
                    .iter()
                    .any(|a| a.value == "--no-cache-dir" || a.value.starts_with("--cache-dir"))
            {
                return;
            }
            if let Some(target) = &mount {
                out.skip(
                    NAME,
                    args[sub].range.start,
                    format!("RUN mounts a build cache at {target}: pip's cache is wanted there"),
                );
                return;
            }
            match edit::insert_after_exec_arg(doc, &args[sub], "--no-cache-dir") {
                Some(e) => out.fix(
                    NAME,
                    args[sub].range.start,
                    Applicability::Safe,
                    "added --no-cache-dir to pip install (exec form)",
                    vec![e],
                ),
                None => out.skip(
                    NAME,
                    args[sub].range.start,
                    "exec-form element is not a plain JSON string; left alone",
                ),
            }
        }
    }
    // pip installs inside heredoc bodies are reported, never edited.
    for h in heredocs {
        let body = shell::parse(&doc.text, h.body.clone(), Mode::Plain);
        for cmd in &body.commands {
            if let Some(call) = pip_call(cmd)
                && call.subcommand().value == "install"
                && !call.has_flag("--no-cache-dir")
                && mount.is_none()
            {
                out.skip(
                    NAME,
                    call.subcommand().range.start,
                    "pip install inside a heredoc body: heredoc bodies are left unchanged",
                );
            }
        }
    }
}
