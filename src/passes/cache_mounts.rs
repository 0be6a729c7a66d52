//! cache-mounts: with `--cache-mounts`, `RUN --mount=type=cache` for pip, npm, apt, go and cargo on
//! BuildKit files, instead of deleting those caches.

use crate::fix::{Applicability, Edit, Findings};
use crate::model::{CopySource, Detail, Document, Instruction, Kind};
use crate::passes::apt_hygiene;
use crate::passes::hygiene;
use crate::passes::package_managers::{CacheDir, MountTool, TABLE, contains, strs};
use crate::passes::{Pass, PassContext, PassInfo};
use crate::recognize::{self, basename, pip_call, tool_call};
use crate::shell::{Script, SimpleCommand};

pub struct CacheMounts;

const NAME: &str = "cache-mounts";

static INFO: PassInfo = PassInfo {
    name: NAME,
    summary: "With --cache-mounts: RUN --mount=type=cache for pip, npm, apt, go and cargo instead of deleting caches",
    hadolint: &[],
    default_enabled: true,
    doc: r#"# cache-mounts

## What it does
Only with `--cache-mounts`, and only on BuildKit files (a `# syntax=` line, or a RUN that already uses
`--mount`). A RUN that downloads packages with pip, npm, apt-get, go or cargo gets a cache mount for
that tool, right after `RUN`:

| tool  | mounts (type=cache)                                                        |
| ----- | -------------------------------------------------------------------------- |
| pip   | `/root/.cache/pip` (or `PIP_CACHE_DIR`)                                    |
| npm   | `/root/.npm` (or `npm_config_cache`)                                       |
| apt   | `/var/cache/apt` and `/var/lib/apt/lists`, `sharing=locked`                |
| go    | `/go/pkg/mod` (or `GOMODCACHE`/`GOPATH`) and `/root/.cache/go-build`       |
| cargo | `/usr/local/cargo/registry` and `/usr/local/cargo/git` (or `CARGO_HOME`)   |

The pass is listed as enabled but does nothing without `--cache-mounts`. With it, the cache-deleting
fixes (pip-no-cache's `--no-cache-dir`, apt-hygiene's lists removal, npm-cache-clean) skip every RUN
that gets a mount and say so: a cache mount and a cache deletion for the same RUN exclude each other.

## Why
Deleting a cache keeps it out of the image, but every rebuild downloads everything again. A cache mount
keeps the cache out of the image too (the mount is not part of any layer) and keeps it on the build
machine between builds, so rebuilds after a dependency change download only what changed.

## Example
```dockerfile
# syntax=docker/dockerfile:1
FROM python:3.12-slim
RUN pip install -r requirements.txt
```
becomes, with `--cache-mounts`,
```dockerfile
# syntax=docker/dockerfile:1
FROM python:3.12-slim
RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
```

## When it refuses
- Not a BuildKit file: the legacy builder rejects `--mount` (skip: add `# syntax=docker/dockerfile:1`).
- The RUN already mounts something over that cache, or a cache whose target names the tool
  (`/root/.cargo/registry/cache` for cargo): the author's mount is respected (skip). A RUN that already
  has exactly these cache mounts is left as it is, silently.
- The cache is turned off or placed by the author: `--no-cache-dir`, `--cache-dir`, `--cache`,
  `PIP_NO_CACHE_DIR`; or the RUN deletes that cache itself (`rm -rf /var/lib/apt/lists/*`,
  `npm cache clean`), which would empty the mount on every build (skip).
- The cache directory is unknown: go outside a `golang` image without `GOMODCACHE`/`GOPATH`, cargo
  outside a `rust` image without `CARGO_HOME`, or an ENV that uses a variable (skip).
- The RUN runs under a USER other than root: the mount would belong to root (skip).
- apt without an `apt-get update` in the same RUN: a mount over `/var/lib/apt/lists` would hide the
  lists an earlier RUN downloaded (skip).
- Something later needs the cache in the image: a later RUN of the stage (or of a stage built on it)
  using apt without its own update, installing `--offline`, or running the tool with
  `--network=none`, or a `COPY --from` of the cache directory; or, for go and cargo, an earlier RUN
  filled that directory in the image without a mount, which the mount would hide (skip; once that RUN
  gets its own mount, this one follows).

## Fix safety
Safe. The tools verify what they take from their caches (pip hashes, npm integrity, `go.sum`, cargo
checksums, apt's signed lists, refreshed by the `apt-get update` of the same RUN), the cache stays out
of the image as it would with the deleting fixes, and the checks above keep anything that needs the
cache inside the image. On Debian and Ubuntu base images the `docker-clean` configuration still deletes
downloaded `.deb` files, so the apt mount speeds up `apt-get update` more than the downloads.
"#,
};

impl Pass for CacheMounts {
    fn info(&self) -> &'static PassInfo {
        &INFO
    }

    fn run(&self, doc: &Document, cx: &PassContext, out: &mut Findings) {
        if !cx.cache_mounts {
            return;
        }
        let mut told_not_buildkit = false;
        for (idx, inst) in doc.instructions.iter().enumerate() {
            // Only RUN instructions mount caches.
            if inst.kind != Kind::Run {
                continue;
            }
            let mut flags = String::new();
            let mut tools = Vec::new();
            for (name, tool) in &TABLE.cache_mounts {
                match plan(doc, cx, idx, inst, name, tool) {
                    Plan::NotUsed => {}
                    // Said once per file.
                    Plan::Refused(anchor, reason) if reason == NOT_BUILDKIT => {
                        if !told_not_buildkit {
                            out.skip(
                                NAME,
                                anchor,
                                format!("no cache mounts in this file: {reason}"),
                            );
                            told_not_buildkit = true;
                        }
                    }
                    Plan::Refused(anchor, reason) => {
                        out.skip(NAME, anchor, format!("no cache mount for {name}: {reason}"));
                    }
                    Plan::Mount(targets) => {
                        for t in &targets {
                            flags.push_str(&format!(" --mount=type=cache,target={t}"));
                            if let Some(s) = &tool.sharing {
                                flags.push_str(&format!(",sharing={s}"));
                            }
                        }
                        tools.push(name.as_str());
                    }
                }
            }
            if tools.is_empty() {
                continue;
            }
            out.fix(
                NAME,
                inst.keyword.start,
                Applicability::Safe,
                format!("added a build cache mount for {}", tools.join(", ")),
                vec![Edit::insert(inst.keyword.end, flags)],
            );
        }
    }
}

/// The cache directories the cache-mounts pass mounts (or has mounted) for `tool` (`pip`, `npm`,
/// `apt`, `go`, `cargo`) on the RUN at `idx`, joined for a message; `None` when it does not. The
/// cache-deleting passes skip such a RUN.
pub fn offered(doc: &Document, cx: &PassContext, idx: usize, tool: &str) -> Option<String> {
    if !cx.cache_mounts {
        return None;
    }
    let inst = doc.instructions.get(idx)?;
    let spec = TABLE.cache_mounts.get(tool)?;
    match plan(doc, cx, idx, inst, tool, spec) {
        Plan::Mount(targets) => Some(targets.join(" and ")),
        Plan::NotUsed | Plan::Refused(..) => {
            // Already mounted by this pass in an earlier round: still a mount instead of a deletion.
            let targets = resolve_all(doc, idx, spec).ok()?;
            all_mounted(inst, &targets).then(|| targets.join(" and "))
        }
    }
}

const NOT_BUILDKIT: &str =
    "not a BuildKit file (add `# syntax=docker/dockerfile:1` to use cache mounts)";

enum Plan {
    NotUsed,
    Refused(usize, String),
    Mount(Vec<String>),
}

/// The tool's calls that fill its cache, in every script of the RUN (shell form and heredoc bodies:
/// the mount goes on the RUN line, so heredoc bodies stay untouched).
fn filling_calls(scripts: &[Script], name: &str, tool: &MountTool) -> Vec<usize> {
    let mut out = Vec::new();
    for script in scripts {
        let mut updated = false;
        for cmd in &script.commands {
            if let Some(anchor) = fills(cmd, name, tool, &mut updated) {
                out.push(anchor);
            }
        }
    }
    out
}

/// Whether a simple command fills the tool's cache; returns its position. For apt, only installs after
/// an update in the same script count (`updated` tracks that), others are reported by `apt_without_update`.
fn fills(cmd: &SimpleCommand, name: &str, tool: &MountTool, updated: &mut bool) -> Option<usize> {
    if name == "pip" {
        let call = pip_call(cmd)?;
        let sub = call.subcommand();
        return contains(&tool.subcommands, &sub.value).then_some(sub.range.start);
    }
    let call = tool_call(cmd, &strs(&tool.programs), &[])?;
    let sub = call.subcommand()?;
    if name == "apt" && sub.value == "update" {
        *updated = true;
        return None;
    }
    if name == "apt" && !*updated {
        return None;
    }
    contains(&tool.subcommands, &sub.value).then_some(call.program.range.start)
}

fn plan(
    doc: &Document,
    cx: &PassContext,
    idx: usize,
    inst: &Instruction,
    name: &str,
    tool: &MountTool,
) -> Plan {
    let scripts = hygiene::all_scripts(doc, inst);
    let calls = filling_calls(&scripts, name, tool);
    let Some(&anchor) = calls.first() else {
        if name == "apt"
            && let Some(a) = apt_without_update(&scripts, tool)
        {
            return Plan::Refused(
                a,
                "no apt-get update in this RUN: a mount over /var/lib/apt/lists would hide the lists an earlier RUN downloaded"
                    .into(),
            );
        }
        return Plan::NotUsed;
    };
    let refuse = |reason: String| Plan::Refused(anchor, reason);
    // Cache mounts need BuildKit.
    if !doc.is_buildkit() {
        return refuse(NOT_BUILDKIT.into());
    }
    // The directories of the caches.
    let targets = match resolve_all(doc, idx, tool) {
        Ok(t) => t,
        Err(why) => return refuse(why),
    };
    // Already mounted exactly: nothing to do. Any other mount over the cache is the author's.
    if all_mounted(inst, &targets) {
        return Plan::NotUsed;
    }
    if let Some((kind, target)) = hygiene::mount_covering(inst, &targets) {
        return refuse(format!("the RUN already has a {kind} mount at {target}"));
    }
    if let Some(target) = author_cache_mount(inst, tool) {
        return refuse(format!(
            "the RUN already mounts a cache for {name} at {target}"
        ));
    }
    // Another user: the mount would belong to root.
    if let Some(user) = non_root_user(doc, idx) {
        return refuse(format!(
            "the RUN runs as USER {user}; the cache mount would belong to root"
        ));
    }
    // The author turned the cache off or placed it.
    if let Some(var) = tool.off_env.iter().find(|v| {
        doc.env_before(idx, v).is_some()
            || scripts
                .iter()
                .flat_map(|s| &s.commands)
                .any(|c| recognize::command_env(c).any(|(k, _)| k == *v))
    }) {
        return refuse(format!("{var} turns the cache off"));
    }
    for cmd in scripts.iter().flat_map(|s| &s.commands) {
        let is_call = if name == "pip" {
            pip_call(cmd).is_some()
        } else {
            tool_call(cmd, &strs(&tool.programs), &[]).is_some()
        };
        if is_call
            && let Some(w) = cmd.words.iter().find(|w| {
                tool.off_flags
                    .iter()
                    .any(|f| w.value == *f || w.value.starts_with(&format!("{f}=")))
            })
        {
            return refuse(format!("{name} runs with {}", w.value));
        }
        // The RUN deletes the cache itself: the mount would be emptied on every build.
        if cmd.words.first().is_some_and(|x| x.value == "rm")
            && let Some(w) = cmd
                .words
                .iter()
                .skip(1)
                .find(|w| targets.iter().any(|t| w.value.starts_with(t.as_str())))
        {
            return refuse(format!(
                "the RUN deletes {} itself, which would empty the mount on every build",
                w.value
            ));
        }
        if name == "npm"
            && let Some(c) = tool_call(cmd, &strs(&tool.programs), &[])
            && c.subcommand().is_some_and(|s| s.value == "cache")
        {
            return refuse("the RUN cleans npm's cache itself".into());
        }
    }
    // Something later needs the cache in the image, or something earlier put it there.
    if let Some(why) = needed_elsewhere(doc, cx, idx, name, tool, &targets) {
        return refuse(why);
    }
    Plan::Mount(targets)
}

/// An apt install in a script without an update before it.
fn apt_without_update(scripts: &[Script], tool: &MountTool) -> Option<usize> {
    for script in scripts {
        let mut updated = false;
        for cmd in &script.commands {
            let Some(call) = tool_call(cmd, &strs(&tool.programs), &[]) else {
                continue;
            };
            match call.subcommand() {
                Some(s) if s.value == "update" => updated = true,
                Some(s) if !updated && contains(&tool.subcommands, &s.value) => {
                    return Some(call.program.range.start);
                }
                _ => {}
            }
        }
    }
    None
}

fn resolve_all(doc: &Document, idx: usize, tool: &MountTool) -> Result<Vec<String>, String> {
    tool.caches.iter().map(|c| resolve(doc, idx, c)).collect()
}

/// The directory of one cache.
fn resolve(doc: &Document, idx: usize, cache: &CacheDir) -> Result<String, String> {
    for entry in &cache.env {
        let (var, suffix) = match entry.split_once('/') {
            Some((v, s)) => (v, format!("/{s}")),
            None => (entry.as_str(), String::new()),
        };
        if let Some(value) = doc.env_before(idx, var) {
            if value.contains('$') || !value.starts_with('/') {
                return Err(format!("ENV {var}={value} is not a plain absolute path"));
            }
            return Ok(crate::model::normalize_path(&format!("{value}{suffix}")));
        }
    }
    if let Some(image) = hygiene::root_image(doc, idx) {
        let name = image.split([':', '@']).next().unwrap_or(&image);
        if let Some(dir) = cache
            .images
            .iter()
            .find(|(k, _)| name == k.as_str() || name.ends_with(&format!("/{k}")))
            .map(|(_, v)| v)
        {
            return Ok(dir.clone());
        }
    }
    let Some(default) = &cache.default else {
        let vars = cache
            .env
            .iter()
            .map(|e| e.split('/').next().unwrap_or(e))
            .collect::<Vec<_>>()
            .join(" or ");
        return Err(format!(
            "its cache directory depends on the base image (set {vars} with ENV to name it)"
        ));
    };
    if default.contains("{home}") {
        let home = match doc.env_before(idx, "HOME") {
            Some(h) if !h.contains('$') && h.starts_with('/') => h,
            Some(h) => return Err(format!("ENV HOME={h} is not a plain absolute path")),
            None => "/root".to_string(),
        };
        return Ok(crate::model::normalize_path(
            &default.replace("{home}", &home),
        ));
    }
    Ok(default.clone())
}

/// Whether every target already has a cache mount of the RUN.
fn all_mounted(inst: &Instruction, targets: &[String]) -> bool {
    let mounts = hygiene::mount_options(inst);
    targets.iter().all(|t| {
        mounts.iter().any(|opts| {
            opts.iter().any(|(k, v)| k == "type" && v == "cache")
                && opts.iter().any(|(k, v)| {
                    matches!(k.as_str(), "target" | "dst" | "destination")
                        && v.trim_end_matches('/') == t.trim_end_matches('/')
                })
        })
    })
}

/// A cache mount of the RUN that looks like the author's own mount for this tool (its target names
/// the tool), wherever it is.
fn author_cache_mount(inst: &Instruction, tool: &MountTool) -> Option<String> {
    hygiene::mount_options(inst).into_iter().find_map(|opts| {
        let is_cache = opts.iter().any(|(k, v)| k == "type" && v == "cache");
        let target = opts
            .iter()
            .find(|(k, _)| matches!(k.as_str(), "target" | "dst" | "destination"))
            .map(|(_, v)| v.clone())?;
        (is_cache && tool.markers.iter().any(|m| target.contains(m.as_str()))).then_some(target)
    })
}

/// The USER in effect for the RUN when it is not root.
fn non_root_user(doc: &Document, idx: usize) -> Option<String> {
    let i = hygiene::earlier_in_chain(doc, idx)
        .into_iter()
        .find(|&i| doc.instructions[i].kind == Kind::User)?;
    let user = doc.instructions[i].text_arg()?.value.trim().to_string();
    let name = user.split(':').next().unwrap_or("");
    (!matches!(name, "root" | "0")).then_some(user)
}

/// Why the cache must stay in the image, if it must.
fn needed_elsewhere(
    doc: &Document,
    cx: &PassContext,
    idx: usize,
    name: &str,
    tool: &MountTool,
    targets: &[String],
) -> Option<String> {
    // apt: a later RUN that reads the lists without updating them.
    if name == "apt"
        && let Some(later) = apt_hygiene::later_list_reader(doc, cx, idx)
    {
        return Some(format!(
            "{} and needs the lists in the image",
            later.describe(apt_hygiene::LISTS_USE, "use apt")
        ));
    }
    // A later offline or network-less use of the tool.
    let uses_tool = |words: &[String]| {
        words.iter().any(|w| {
            contains(&tool.programs, basename(w)) || (name == "pip" && recognize::is_pip(w))
        })
    };
    if let Some(line) = hygiene::later_need(doc, idx, &|inst: &Instruction| {
        let offline_net = inst
            .flag("network")
            .and_then(|f| f.value.as_ref())
            .is_some_and(|v| v.value == "none");
        let streams = hygiene::word_streams(doc, inst);
        let needs = streams.iter().any(|w| {
            uses_tool(w) && (offline_net || w.iter().any(|x| contains(&tool.offline_flags, x)))
        });
        if needs {
            hygiene::Use::Needs
        } else {
            hygiene::Use::Neither
        }
    }) {
        return Some(format!(
            "the RUN on line {line} runs {name} offline and needs its cache in the image"
        ));
    }
    // An earlier RUN put the cache in the image: the mount would hide it. (pip, npm and apt download
    // again what they do not find, from the network the RUN uses anyway; go and cargo builds may rely
    // on modules fetched earlier.)
    let relies_on_earlier = matches!(name, "go" | "cargo");
    for i in hygiene::earlier_in_chain(doc, idx)
        .into_iter()
        .filter(|_| relies_on_earlier)
    {
        let inst = &doc.instructions[i];
        if inst.kind != Kind::Run || all_mounted(inst, targets) {
            continue;
        }
        let scripts = hygiene::all_scripts(doc, inst);
        if !filling_calls(&scripts, name, tool).is_empty() {
            return Some(format!(
                "the RUN on line {} fills the same cache in the image without a mount, and the mount would hide it",
                doc.line(inst.keyword.start)
            ));
        }
    }
    // A later stage copies the cache directory out of this one.
    let stage = doc.instructions[idx].stage?;
    let alias = doc.stages[stage].alias.clone();
    for inst in &doc.instructions[idx + 1..] {
        let Some(from) = inst.flag("from").and_then(|f| f.value.as_ref()) else {
            continue;
        };
        let names_this = from.value == stage.to_string()
            || alias
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case(&from.value));
        if !names_this {
            continue;
        }
        if let Detail::Copy { sources, .. } = &inst.detail
            && sources.iter().any(|s| match s {
                CopySource::Path(p) => targets.iter().any(|t| {
                    let p = p.value.trim_end_matches('/');
                    p == t || p.starts_with(&format!("{t}/")) || t.starts_with(&format!("{p}/"))
                }),
                CopySource::HereDoc(_) => false,
            })
        {
            return Some(format!(
                "the COPY on line {} copies the cache directory out of this stage",
                doc.line(inst.keyword.start)
            ));
        }
    }
    None
}
