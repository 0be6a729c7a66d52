//! npm, yarn, pnpm and bun: installs from `package.json` and its lockfile.

use serde_json::Value;

use crate::recognize::basename;
use crate::shell::Word;

use super::classify::{Args, DATA};
use super::context::{Ctx, Entry};
use super::{Early, Eco, Install, Need, Role, blank, join};

fn free() -> Role {
    Role::Free {
        writes: vec![],
        touches: vec![],
    }
}

fn install(eco: Eco) -> Role {
    Role::Install(Install {
        eco,
        named: vec![],
        early: Early::AsIs,
        writes: vec![],
    })
}

/// An install whose project directory is given by an option (`npm ci --prefix web`): refused, and
/// reported, because the pass would copy the wrong manifests.
fn changes_dir(eco: Eco, tool: &str, a: &Args, opts: &[&str]) -> Role {
    let opt = a
        .opts
        .iter()
        .find(|o| opts.contains(&o.name.as_str()))
        .map_or(String::new(), |o| match &o.value {
            Some(v) => format!("{} {v}", o.name),
            None => o.name.clone(),
        });
    Role::Local {
        eco,
        reason: format!(
            "`{tool} {opt}` installs in another project directory or workspace, which the pass does not follow"
        ),
    }
}

/// An install with a word only known when the RUN runs (`npm ci $FLAGS`): refused and reported.
fn dynamic_install(eco: Eco, tool: &str, args: &[Word]) -> Option<Role> {
    let w = args.iter().find(|w| w.dynamic)?;
    Some(Role::Local {
        eco,
        reason: format!(
            "`{tool}` is given `{}`, only known when the RUN runs: the pass cannot tell what it reads",
            w.value
        ),
    })
}

/// Whether a word is an install subcommand of npm, yarn, pnpm or bun.
fn install_word(w: Option<&&Word>) -> bool {
    w.is_some_and(|w| {
        matches!(
            w.value.as_str(),
            "ci" | "clean-install"
                | "install-clean"
                | "ic"
                | "install"
                | "i"
                | "in"
                | "isntall"
                | "add"
                | "fetch"
        )
    })
}

const NPM_VALUE: &[&str] = &[
    "--omit",
    "--include",
    "--registry",
    "--cache",
    "--loglevel",
    "--userconfig",
    "--install-strategy",
    "-w",
    "--workspace",
    "--location",
    "--tag",
    "--before",
    "--prefix",
    "-C",
    "--fetch-retries",
    "--fetch-timeout",
    "--fetch-retry-mintimeout",
    "--fetch-retry-maxtimeout",
    "--only",
    "--also",
    "--maxsockets",
];

pub fn recognise(words: &[Word]) -> Option<Role> {
    let name = basename(&words[0].value);
    let args = &words[1..];
    match name {
        "npm" => Some(npm(args)),
        "yarn" | "yarnpkg" => Some(yarn(args)),
        "pnpm" => Some(pnpm(args)),
        "bun" => Some(bun(args)),
        "npx" | "pnpx" => Some(Role::Source(None)),
        "corepack" => Some(corepack(args)),
        _ => None,
    }
}

/// `corepack enable` only installs shims; `corepack install`, `prepare` and `use` read the
/// `packageManager` field of package.json.
fn corepack(args: &[Word]) -> Role {
    if args.iter().any(|w| w.dynamic) {
        return Role::Source(None);
    }
    let a = Args::parse(args, &["--install-directory"]);
    match a.pos.first().map(|w| w.value.as_str()) {
        Some("enable" | "disable") => free(),
        None if a.has(&["-v", "--version", "-h", "--help"]) => free(),
        _ => Role::Source(Some("corepack reads package.json".into())),
    }
}

fn is_global(a: &Args) -> bool {
    a.has(&["-g", "--global"]) || a.values(&["--location"]).iter().any(|l| l == "global")
}

fn npm(args: &[Word]) -> Role {
    let a = Args::parse(args, NPM_VALUE);
    if args.iter().any(|w| w.dynamic) {
        if install_word(a.pos.first()) && !is_global(&a) {
            return dynamic_install(Eco::Npm, "npm", args).unwrap_or(Role::Source(None));
        }
        return Role::Source(None);
    }
    if a.has(&["-v", "--version"]) && a.pos.is_empty() {
        return free();
    }
    let Some(sub) = a.pos.first() else {
        return Role::Source(None);
    };
    let pkgs = &a.pos[1..];
    match sub.value.as_str() {
        "ci" | "clean-install" | "install-clean" | "ic" | "install" | "i" | "in" | "isntall"
        | "add" => {
            if is_global(&a) {
                return if pkgs.iter().any(|p| is_local_spec(&p.value)) {
                    Role::Local {
                        eco: Eco::Npm,
                        reason: "`npm install -g` of a local path".into(),
                    }
                } else {
                    free()
                };
            }
            let dir_opts = ["--prefix", "-C", "-w", "--workspace", "--workspaces", "-ws"];
            if a.has(&dir_opts) {
                return changes_dir(Eco::Npm, "npm", &a, &dir_opts);
            }
            if let Some(p) = pkgs.first() {
                if is_local_spec(&p.value) {
                    return Role::Local {
                        eco: Eco::Npm,
                        reason: format!("`npm install {}` installs a local path", p.value),
                    };
                }
                return Role::Source(Some(
                    "`npm install PACKAGE` changes package.json and the lockfile".into(),
                ));
            }
            install(Eco::Npm)
        }
        "cache" | "get" | "whoami" | "ping" | "doctor" => free(),
        "config" | "set" => {
            if a.values(&["--location"]).iter().any(|l| l == "project") {
                Role::Source(Some("it writes the project's .npmrc".into()))
            } else {
                free()
            }
        }
        _ => Role::Source(None),
    }
}

fn yarn(args: &[Word]) -> Role {
    let a = Args::parse(
        args,
        &[
            "--cwd",
            "--network-timeout",
            "--cache-folder",
            "--modules-folder",
            "--registry",
            "--mutex",
        ],
    );
    let installs = a
        .pos
        .first()
        .is_none_or(|w| w.value == "install" || w.dynamic);
    if args.iter().any(|w| w.dynamic) {
        if installs && !a.pos.iter().any(|w| w.value == "global") {
            return dynamic_install(Eco::Yarn, "yarn", args).unwrap_or(Role::Source(None));
        }
        return Role::Source(None);
    }
    if a.has(&["-v", "--version"]) && a.pos.is_empty() {
        return free();
    }
    let dir_opts = ["--cwd", "--modules-folder"];
    if a.has(&dir_opts) {
        if installs {
            return changes_dir(Eco::Yarn, "yarn", &a, &dir_opts);
        }
        return Role::Source(Some("it changes the project directory".into()));
    }
    let sub = a.pos.first().map(|w| w.value.as_str());
    match sub {
        None | Some("install") => {
            if a.pos.len() > 1 {
                return Role::Source(None);
            }
            install(Eco::Yarn)
        }
        Some("global") => free(),
        Some("cache") => free(),
        Some("config") => {
            if a.has(&["-g", "--global", "-H", "--home"]) {
                free()
            } else {
                Role::Source(Some("yarn config may write the project's .yarnrc".into()))
            }
        }
        _ => Role::Source(None),
    }
}

fn pnpm(args: &[Word]) -> Role {
    let a = Args::parse(
        args,
        &[
            "-C",
            "--dir",
            "--filter",
            "-F",
            "--store-dir",
            "--virtual-store-dir",
            "--reporter",
            "--registry",
            "--network-concurrency",
            "--child-concurrency",
            "--modules-dir",
        ],
    );
    if a.has(&["-v", "--version"]) && a.pos.is_empty() {
        return free();
    }
    let installs =
        a.pos.first().is_some_and(|w| w.dynamic) || install_word(a.pos.first()) && !is_global(&a);
    if args.iter().any(|w| w.dynamic) {
        if installs {
            return dynamic_install(Eco::Pnpm, "pnpm", args).unwrap_or(Role::Source(None));
        }
        return Role::Source(None);
    }
    let dir_opts = ["-C", "--dir", "--filter", "-F", "--modules-dir"];
    if a.has(&dir_opts) {
        if installs {
            return changes_dir(Eco::Pnpm, "pnpm", &a, &dir_opts);
        }
        return Role::Source(Some("it changes the project directory".into()));
    }
    let Some(sub) = a.pos.first() else {
        return Role::Source(None);
    };
    match sub.value.as_str() {
        "install" | "i" => {
            if a.pos.len() > 1 {
                return Role::Source(None);
            }
            install(Eco::Pnpm)
        }
        "fetch" => install(Eco::Pnpm),
        "add" if is_global(&a) => free(),
        "store" | "setup" | "env" => free(),
        "config" if is_global(&a) => free(),
        _ => Role::Source(None),
    }
}

fn bun(args: &[Word]) -> Role {
    let a = Args::parse(args, &["--cwd", "--registry", "--cache-dir"]);
    let installs = install_word(a.pos.first()) && !is_global(&a);
    if installs && let Some(r) = dynamic_install(Eco::Bun, "bun", args) {
        return r;
    }
    if a.has(&["--cwd"]) {
        if installs {
            return changes_dir(Eco::Bun, "bun", &a, &["--cwd"]);
        }
        return Role::Source(Some("it changes the project directory".into()));
    }
    let Some(sub) = a.pos.first() else {
        return Role::Source(None);
    };
    match sub.value.as_str() {
        "install" | "i" if a.pos.len() == 1 => install(Eco::Bun),
        "add" if is_global(&a) => free(),
        "upgrade" => free(),
        _ => Role::Source(None),
    }
}

/// Whether a setting's value is a local relative path (`./offline-cache`, `cache/npm`, `file:x`).
fn local_value(v: &str) -> bool {
    let v = v.trim();
    v.starts_with("file:")
        || v.starts_with("./")
        || v.starts_with("../")
        || (v.contains('/')
            && !v.contains("://")
            && !v.starts_with('@')
            && !v.starts_with('/')
            && !v.starts_with('~')
            && !v.contains(char::is_whitespace))
}

/// A dependency spec that points at local files.
fn is_local_spec(s: &str) -> bool {
    let s = s.trim();
    ["file:", "link:", "portal:", "./", "../", "/", "~/"]
        .iter()
        .any(|p| s.starts_with(p))
        || s == "."
        || s.contains("file:")
        || s.contains("link:")
        || s.contains("portal:")
}

fn parse_json(rel: &str, text: &str) -> Result<Value, String> {
    if blank(text) {
        return Ok(Value::Object(Default::default()));
    }
    let v: Value = serde_json::from_str(text).map_err(|_| format!("{rel} is not valid JSON"))?;
    if !v.is_object() {
        return Err(format!("{rel} is not a JSON object"));
    }
    Ok(v)
}

/// Lifecycle scripts a package manager runs on a plain install of the project.
const LIFECYCLE: &[&str] = &[
    "preinstall",
    "install",
    "postinstall",
    "preprepare",
    "prepare",
    "postprepare",
    "prepublish",
    "dependencies",
];

/// Checks one package.json (the root or a workspace's): lifecycle scripts and local dependencies.
fn check_package(
    rel: &str,
    dir: &str,
    v: &Value,
    ctx: &Ctx,
    need: &mut Need,
) -> Result<(), String> {
    if let Some(scripts) = v.get("scripts").and_then(Value::as_object) {
        for name in LIFECYCLE {
            let Some(cmd) = scripts.get(*name).and_then(Value::as_str) else {
                continue;
            };
            let Some(dirs) = DATA.safe_lifecycle_scripts.get(cmd.trim()) else {
                return Err(format!(
                    "{rel} has {} {name} script (`{cmd}`) that may read project files",
                    super::a_or_an(name)
                ));
            };
            for d in dirs {
                let p = join(dir, d).unwrap_or_default();
                match ctx.entry(&p) {
                    Entry::Dir => need.dirs.push(p),
                    Entry::Symlink => return Err(format!("{p} is a symlink")),
                    _ => {}
                }
            }
        }
    }
    let gyp = join(dir, "binding.gyp").unwrap_or_default();
    if ctx.exists(&gyp) {
        return Err(format!(
            "{gyp} exists: the install compiles the package's native source"
        ));
    }
    // Every dependency spec, with nested overrides (`{"a": {"b": "file:..."}}`) and pnpm's own.
    let mut specs: Vec<(String, String, String)> = Vec::new();
    for key in [
        "dependencies",
        "devDependencies",
        "optionalDependencies",
        "peerDependencies",
        "overrides",
        "resolutions",
    ] {
        collect_specs(key, key, v.get(key), &mut specs);
    }
    collect_specs(
        "pnpm.overrides",
        "pnpm.overrides",
        v.get("pnpm").and_then(|p| p.get("overrides")),
        &mut specs,
    );
    for (key, name, spec) in &specs {
        if is_local_spec(spec) {
            return Err(format!(
                "{rel} takes {name} from the local path {spec} ({key}): the install needs it"
            ));
        }
        if let Some((_, patch)) = spec
            .split_once("patch:")
            .and_then(|(_, p)| p.split_once('#'))
        {
            let p = patch.trim_start_matches("./");
            if !(p.starts_with(".yarn/") || p.starts_with("patches/")) {
                return Err(format!(
                    "{rel} patches {name} with {patch}, a file the pass does not copy"
                ));
            }
        }
    }
    // pnpm patches: each file comes along when it is a plain file of the context.
    let patched = v.get("pnpm").and_then(|p| p.get("patchedDependencies"));
    patch_files(rel, "pnpm.patchedDependencies", dir, patched, ctx, need)?;
    Ok(())
}

/// `(key, name, spec)` of every string spec under `v`, nested objects followed.
fn collect_specs(
    key: &str,
    name: &str,
    v: Option<&Value>,
    out: &mut Vec<(String, String, String)>,
) {
    match v {
        Some(Value::String(s)) => out.push((key.to_string(), name.to_string(), s.clone())),
        Some(Value::Object(m)) => {
            for (n, x) in m {
                collect_specs(key, n, Some(x), out);
            }
        }
        _ => {}
    }
}

/// pnpm `patchedDependencies` (`{"pkg@1.0.0": "patches/pkg.patch"}`): the patch files the install
/// applies. Copied along when they are plain context files, refused otherwise.
fn patch_files(
    rel: &str,
    key: &str,
    dir: &str,
    v: Option<&Value>,
    ctx: &Ctx,
    need: &mut Need,
) -> Result<(), String> {
    let Some(v) = v else { return Ok(()) };
    let Some(m) = v.as_object() else {
        return Err(format!("{rel} has {key} in a form the pass does not read"));
    };
    for (name, p) in m {
        let Some(p) = p.as_str() else {
            return Err(format!(
                "{rel} patches {name} ({key}) in a form the pass does not read"
            ));
        };
        let file = (!p.starts_with('/') && !p.contains('$'))
            .then(|| join(dir, p))
            .flatten()
            .filter(|f| ctx.entry(f) == Entry::File);
        match file {
            Some(f) => need.files.push(f),
            None => {
                return Err(format!(
                    "{rel} patches {name} with {p} ({key}), a file the pass cannot copy"
                ));
            }
        }
    }
    Ok(())
}

/// Workspace directories (context-relative) of a package.
fn workspaces(dir: &str, v: &Value, ctx: &Ctx, eco: Eco) -> Result<Vec<String>, String> {
    let mut patterns: Vec<String> = Vec::new();
    let ws = v.get("workspaces");
    let list = ws
        .and_then(Value::as_array)
        .or_else(|| ws.and_then(|w| w.get("packages")).and_then(Value::as_array));
    if ws.is_some() && list.is_none() {
        return Err("package.json has workspaces in a form the pass does not read".into());
    }
    for p in list.into_iter().flatten() {
        patterns.push(
            p.as_str()
                .ok_or("package.json lists a workspace that is not a string")?
                .to_string(),
        );
    }
    if eco == Eco::Pnpm {
        let f = join(dir, "pnpm-workspace.yaml").unwrap_or_default();
        if ctx.exists(&f) {
            let text = ctx.read(&f)?;
            if !blank(&text) {
                let y: serde_yaml_ng::Value =
                    serde_yaml_ng::from_str(&text).map_err(|_| format!("{f} is not valid YAML"))?;
                for p in y
                    .get("packages")
                    .and_then(|p| p.as_sequence())
                    .into_iter()
                    .flatten()
                {
                    patterns.push(
                        p.as_str()
                            .ok_or(format!("{f} lists a non-string package"))?
                            .to_string(),
                    );
                }
            }
        }
    }
    let mut out = Vec::new();
    for raw in patterns {
        let p = raw.trim().trim_start_matches("./").trim_end_matches('/');
        if p.starts_with('!') {
            return Err(format!(
                "the workspace pattern `{raw}` excludes packages; left alone"
            ));
        }
        let wild = |s: &str| s.contains(['*', '?', '[', '{']);
        if !wild(p) {
            out.push(join(dir, p).ok_or(format!("the workspace {raw} is outside the context"))?);
        } else if let Some(prefix) = p
            .strip_suffix("/*")
            .or(if p == "*" { Some("") } else { None })
            && !wild(prefix)
        {
            let base =
                join(dir, prefix).ok_or(format!("the workspace {raw} is outside the context"))?;
            for sub in ctx.subdirs(&base) {
                if sub == "node_modules" || sub.starts_with('.') {
                    continue;
                }
                out.push(join(&base, &sub).unwrap_or_default());
            }
        } else {
            return Err(format!(
                "the workspace pattern `{raw}` is not one the pass expands (`dir/*` or a directory)"
            ));
        }
    }
    if out.len() > 200 {
        return Err("more than 200 workspaces".into());
    }
    Ok(out)
}

pub fn needs(eco: Eco, dir: &str, ctx: &Ctx) -> Result<Need, String> {
    let mut need = Need::default();
    let pkg = join(dir, "package.json").unwrap_or_default();
    let v = parse_json(&pkg, &ctx.read(&pkg)?)?;
    check_package(&pkg, dir, &v, ctx, &mut need)?;
    need.files.push(pkg);
    let locks: &[&str] = match eco {
        Eco::Npm => &["package-lock.json", "npm-shrinkwrap.json"],
        Eco::Yarn => &["yarn.lock"],
        Eco::Pnpm => &["pnpm-lock.yaml"],
        _ => &["bun.lockb", "bun.lock"],
    };
    for l in locks {
        need.optional(ctx, join(dir, l).unwrap_or_default())?;
    }
    need.extras(eco, dir, ctx)?;
    let rc = join(dir, ".yarnrc.yml").unwrap_or_default();
    if eco == Eco::Yarn && ctx.entry(&rc) == Entry::File {
        for line in ctx.read(&rc)?.lines() {
            let l = line.trim().trim_start_matches("- ");
            let Some((key, p)) = l.split_once(':') else {
                continue;
            };
            let p = p.trim().trim_matches(|c| c == '"' || c == '\'');
            if p.is_empty() {
                continue;
            }
            if (matches!(key.trim(), "yarnPath" | "path") || local_value(p))
                && !p.trim_start_matches("./").starts_with(".yarn/")
            {
                return Err(format!(
                    "{rc} points to {p} ({}), a path the pass does not copy",
                    key.trim()
                ));
            }
        }
    }
    // Yarn 1: `.yarnrc` settings with local paths (`yarn-offline-mirror "./offline"`).
    let rc1 = join(dir, ".yarnrc").unwrap_or_default();
    if eco == Eco::Yarn && ctx.entry(&rc1) == Entry::File {
        for line in ctx.read(&rc1)?.lines() {
            let l = line.trim();
            if l.starts_with('#') {
                continue;
            }
            let mut parts = l.splitn(2, char::is_whitespace);
            let key = parts.next().unwrap_or("").trim_matches('"');
            let val = parts
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches(|c| c == '"' || c == '\'');
            if key.is_empty() {
                continue;
            }
            if key.ends_with("offline-mirror")
                || (local_value(val) && !val.trim_start_matches("./").starts_with(".yarn/"))
            {
                return Err(format!(
                    "{rc1} sets {key} to {val}, a path the pass does not copy"
                ));
            }
        }
    }
    // pnpm settings in pnpm-workspace.yaml (pnpm 10): overrides and patches.
    let wsy = join(dir, "pnpm-workspace.yaml").unwrap_or_default();
    if eco == Eco::Pnpm && ctx.entry(&wsy) == Entry::File {
        let text = ctx.read(&wsy)?;
        if !blank(&text) {
            let y: serde_yaml_ng::Value =
                serde_yaml_ng::from_str(&text).map_err(|_| format!("{wsy} is not valid YAML"))?;
            let as_json = |k: &str| y.get(k).and_then(|x| serde_json::to_value(x).ok());
            let mut specs = Vec::new();
            collect_specs(
                "overrides",
                "overrides",
                as_json("overrides").as_ref(),
                &mut specs,
            );
            if let Some((key, name, spec)) = specs.iter().find(|(_, _, sp)| is_local_spec(sp)) {
                return Err(format!(
                    "{wsy} takes {name} from the local path {spec} ({key}): the install needs it"
                ));
            }
            patch_files(
                &wsy,
                "patchedDependencies",
                dir,
                as_json("patchedDependencies").as_ref(),
                ctx,
                &mut need,
            )?;
        }
    }
    for ws in workspaces(dir, &v, ctx, eco)? {
        let wp = join(&ws, "package.json").unwrap_or_default();
        match ctx.entry(&wp) {
            Entry::File => {}
            Entry::Symlink => return Err(format!("{wp} is a symlink")),
            _ => continue,
        }
        let wv = parse_json(&wp, &ctx.read(&wp)?)?;
        check_package(&wp, &ws, &wv, ctx, &mut need)?;
        need.files.push(wp);
        need.outputs
            .push(join(&ws, "node_modules").unwrap_or_default());
    }
    Ok(need)
}
