//! Poetry, uv (`uv sync`) and pipenv: installs from `pyproject.toml` and `Pipfile`.

use crate::recognize::basename;
use crate::shell::Word;

use super::classify::Args;
use super::context::Ctx;
use super::{Early, Eco, Install, Need, Role, blank, join};

fn free() -> Role {
    Role::Free {
        writes: vec![],
        touches: vec![],
    }
}

fn install(eco: Eco, early: Early) -> Role {
    Role::Install(Install {
        eco,
        named: vec![],
        early,
        writes: vec![],
    })
}

/// The subcommand word and the words after it, skipping global options (`-n`, `--no-ansi`).
fn subcommand<'w>(args: &'w [Word], with_value: &[&str]) -> Option<(&'w Word, &'w [Word])> {
    let mut i = 0;
    while i < args.len() && args[i].value.starts_with('-') {
        i += if with_value.contains(&args[i].value.as_str()) {
            2
        } else {
            1
        };
    }
    let w = args.get(i)?;
    Some((w, &args[i + 1..]))
}

/// Options that move the project directory.
const DIR_OPTS: &[&str] = &["-C", "--directory", "-P", "--project", "--cwd"];

pub fn recognise(words: &[Word]) -> Option<Role> {
    let name = basename(&words[0].value);
    let args = &words[1..];
    match name {
        "poetry" => Some(poetry(args)),
        "uv" => Some(uv(args)),
        "pipenv" => Some(pipenv(args)),
        _ => None,
    }
}

fn poetry(args: &[Word]) -> Role {
    let a = Args::parse(args, DIR_OPTS);
    if a.has(DIR_OPTS) {
        if subcommand(args, DIR_OPTS)
            .is_some_and(|(w, _)| matches!(w.value.as_str(), "install" | "sync"))
        {
            return Role::Local {
                eco: Eco::Poetry,
                reason: "`poetry install` runs in another project directory (-C/--directory/-P), which the pass does not follow".into(),
            };
        }
        return Role::Source(Some("it changes the project directory".into()));
    }
    let Some((sub, rest)) = subcommand(args, DIR_OPTS) else {
        return free();
    };
    let ra = Args::parse(rest, &["--with", "--without", "--only", "-E", "--extras"]);
    match sub.value.as_str() {
        "install" => {
            if ra.has(&["--only-root"]) {
                return Role::Local {
                    eco: Eco::Poetry,
                    reason: "`poetry install --only-root` installs the project itself".into(),
                };
            }
            if !ra.pos.is_empty() {
                return Role::Source(None);
            }
            if ra.has(&["--no-root"]) {
                install(Eco::Poetry, Early::AsIs)
            } else {
                install(
                    Eco::Poetry,
                    Early::AddFlags {
                        at: sub.range.end,
                        flags: "--no-root".into(),
                    },
                )
            }
        }
        "config" => {
            if ra.has(&["--local"]) {
                Role::Source(Some("it writes poetry.toml in the project".into()))
            } else {
                free()
            }
        }
        "self" | "--version" | "about" | "cache" => free(),
        _ => Role::Source(None),
    }
}

fn uv(args: &[Word]) -> Role {
    let global = [
        "--directory",
        "--project",
        "--cache-dir",
        "--config-file",
        "--python",
        "-p",
        "--color",
    ];
    let Some((sub, rest)) = subcommand(args, &global) else {
        return free();
    };
    let ga = Args::parse(args, &global);
    if ga.has(&["--directory", "--project", "--config-file"]) && sub.value == "sync" {
        return Role::Local {
            eco: Eco::Uv,
            reason: "`uv sync` runs in another project directory or reads another config file (--directory/--project/--config-file), which the pass does not follow".into(),
        };
    }
    if ga.has(&["--directory", "--project", "--config-file"]) {
        return Role::Source(Some(
            "it changes the project directory or reads a config file".into(),
        ));
    }
    let ra = Args::parse(
        rest,
        &[
            "--extra",
            "--group",
            "--no-group",
            "--only-group",
            "--python",
            "-p",
            "--package",
            "--index",
            "--index-url",
            "--extra-index-url",
            "--default-index",
            "--find-links",
            "-f",
            "--index-strategy",
            "--keyring-provider",
            "--resolution",
            "--prerelease",
            "--link-mode",
            "--refresh-package",
            "--reinstall-package",
            "--upgrade-package",
            "-P",
            "--exclude-newer",
            "--no-binary-package",
            "--no-build-package",
            "--config-setting",
            "-C",
            "--python-platform",
            "--cache-dir",
        ],
    );
    match sub.value.as_str() {
        "sync" => {
            if ra.has(&["--package", "--all-packages", "--script"]) {
                return Role::Source(Some("it selects workspace packages".into()));
            }
            if ra
                .values(&["--find-links", "-f"])
                .iter()
                .any(|f| !f.contains("://"))
            {
                return Role::Local {
                    eco: Eco::Uv,
                    reason: "`uv sync --find-links` reads a local directory".into(),
                };
            }
            if ra.has(&["--no-install-project", "--no-install-workspace"]) {
                install(Eco::Uv, Early::AsIs)
            } else {
                install(
                    Eco::Uv,
                    Early::AddFlags {
                        at: sub.range.end,
                        flags: "--no-install-project".into(),
                    },
                )
            }
        }
        "venv" => {
            let target = ra
                .pos
                .first()
                .map_or(".venv".to_string(), |w| w.value.clone());
            if target.contains('$') {
                return Role::Source(None);
            }
            Role::Free {
                writes: vec![target],
                touches: vec![],
            }
        }
        "tool" | "python" | "self" | "--version" | "version" | "cache" => {
            if sub.value == "version" && !ra.has(&["--short", "--output-format"]) {
                // `uv version` reads and may write pyproject.toml.
                return Role::Source(None);
            }
            free()
        }
        _ => Role::Source(None),
    }
}

fn pipenv(args: &[Word]) -> Role {
    let Some((sub, rest)) = subcommand(args, &["--python"]) else {
        return free();
    };
    let ra = Args::parse(
        rest,
        &[
            "--python",
            "--categories",
            "--extra-pip-args",
            "-i",
            "--index",
            "--pypi-mirror",
        ],
    );
    match sub.value.as_str() {
        "install" | "sync" => {
            if sub.value == "install" && (!ra.pos.is_empty() || ra.has(&["-r", "--requirements"])) {
                return Role::Source(Some("`pipenv install PACKAGE` changes the Pipfile".into()));
            }
            if ra.has(&["-e", "--editable"]) {
                return Role::Local {
                    eco: Eco::Pipenv,
                    reason: "`pipenv install -e` is an editable install of a local path".into(),
                };
            }
            install(Eco::Pipenv, Early::AsIs)
        }
        "--version" => free(),
        _ => Role::Source(None),
    }
}

fn parse_toml(rel: &str, text: &str) -> Result<toml::Table, String> {
    if blank(text) {
        return Ok(toml::Table::new());
    }
    text.parse::<toml::Table>()
        .map_err(|_| format!("{rel} is not valid TOML"))
}

/// `table.a.b.c` as a table.
fn path<'t>(t: &'t toml::Table, keys: &[&str]) -> Option<&'t toml::Value> {
    let mut cur = t.get(keys[0])?;
    for k in &keys[1..] {
        cur = cur.as_table()?.get(*k)?;
    }
    Some(cur)
}

/// A dependency table entry that points at a local path (`{ path = "../lib" }`,
/// `{ url = "file:///wheels/x.whl" }`).
fn local_dep(v: &toml::Value) -> Option<String> {
    let t = v.as_table()?;
    t.get("path")
        .or_else(|| t.get("file"))
        .and_then(|p| p.as_str())
        .map(str::to_string)
        .or_else(|| {
            t.get("url")
                .and_then(|u| u.as_str())
                .filter(|u| !remote(u))
                .map(str::to_string)
        })
}

/// Whether an index or link location is remote (`https://...`), not a path or a `file:` URL.
fn remote(u: &str) -> bool {
    u.contains("://") && !u.trim_start().starts_with("file:")
}

/// uv settings that point at local packages, in `[tool.uv]` of pyproject.toml (`prefix`
/// `tool.uv.`) or at the top of uv.toml: `find-links`, `no-index`, local `index-url`,
/// `extra-index-url` and `[[index]] url`.
fn uv_local_settings(file: &str, prefix: &str, t: Option<&toml::Table>) -> Result<(), String> {
    let Some(t) = t else { return Ok(()) };
    let strs = |v: Option<&toml::Value>| -> Vec<String> {
        match v {
            Some(toml::Value::String(s)) => vec![s.clone()],
            Some(toml::Value::Array(a)) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            _ => vec![],
        }
    };
    for key in ["find-links", "index-url", "extra-index-url"] {
        if let Some(u) = strs(t.get(key)).into_iter().find(|u| !remote(u)) {
            return Err(format!(
                "{file} sets {prefix}{key} to {u}, a local path the pass does not copy"
            ));
        }
    }
    if t.get("no-index").and_then(|v| v.as_bool()) == Some(true) {
        return Err(format!(
            "{file} sets {prefix}no-index: packages come from local links the pass does not copy"
        ));
    }
    for idx in t
        .get("index")
        .and_then(|i| i.as_array())
        .into_iter()
        .flatten()
    {
        if let Some(u) = idx.get("url").and_then(|u| u.as_str())
            && !remote(u)
        {
            return Err(format!(
                "{file} has {} {prefix}index with url {u}, a local path the pass does not copy",
                super::a_or_an(&format!("{prefix}index"))
            ));
        }
    }
    Ok(())
}

/// The readme files a pyproject names (`[project] readme` or `[tool.poetry] readme`).
fn readmes(t: &toml::Table) -> Vec<String> {
    let mut out = Vec::new();
    for v in [
        path(t, &["project", "readme"]),
        path(t, &["tool", "poetry", "readme"]),
    ]
    .into_iter()
    .flatten()
    {
        match v {
            toml::Value::String(s) => out.push(s.clone()),
            toml::Value::Array(a) => {
                out.extend(a.iter().filter_map(|x| x.as_str()).map(String::from))
            }
            toml::Value::Table(tt) => {
                if let Some(f) = tt.get("file").and_then(|f| f.as_str()) {
                    out.push(f.to_string());
                }
            }
            _ => {}
        }
    }
    out
}

/// `[project] dependencies` entries that install a local path (`pkg @ file:///...`).
fn local_pep621(t: &toml::Table) -> Option<String> {
    let deps = path(t, &["project", "dependencies"])?.as_array()?;
    deps.iter()
        .filter_map(|d| d.as_str())
        .find(|d| d.contains("file:"))
        .map(str::to_string)
}

pub fn poetry_needs(dir: &str, ctx: &Ctx) -> Result<Need, String> {
    let mut need = Need::default();
    let py = join(dir, "pyproject.toml").unwrap_or_default();
    let t = parse_toml(&py, &ctx.read(&py)?)?;
    let mut groups: Vec<(&str, &toml::Value)> = Vec::new();
    for key in ["dependencies", "dev-dependencies"] {
        if let Some(v) = path(&t, &["tool", "poetry", key]) {
            groups.push((key, v));
        }
    }
    if let Some(g) = path(&t, &["tool", "poetry", "group"]).and_then(|g| g.as_table()) {
        for (_, grp) in g {
            if let Some(d) = grp.as_table().and_then(|x| x.get("dependencies")) {
                groups.push(("group dependencies", d));
            }
        }
    }
    for (_, deps) in groups {
        for (name, v) in deps.as_table().into_iter().flatten() {
            if let Some(p) = local_dep(v) {
                return Err(format!(
                    "{py} depends on {name} from the local path {p}: the install needs it"
                ));
            }
        }
    }
    if let Some(d) = local_pep621(&t) {
        return Err(format!("{py} depends on a local path ({d})"));
    }
    for src in path(&t, &["tool", "poetry", "source"])
        .and_then(|s| s.as_array())
        .into_iter()
        .flatten()
    {
        if let Some(u) = src.get("url").and_then(|u| u.as_str())
            && !remote(u)
        {
            return Err(format!(
                "{py} has a [[tool.poetry.source]] with url {u}, a local path the pass does not copy"
            ));
        }
    }
    need.files.push(py);
    need.optional(ctx, join(dir, "poetry.lock").unwrap_or_default())?;
    for r in readmes(&t) {
        if let Some(rel) = join(dir, &r) {
            need.optional(ctx, rel)?;
        }
    }
    need.extras(Eco::Poetry, dir, ctx)?;
    Ok(need)
}

pub fn uv_needs(dir: &str, ctx: &Ctx) -> Result<Need, String> {
    let mut need = Need::default();
    let py = join(dir, "pyproject.toml").unwrap_or_default();
    let t = parse_toml(&py, &ctx.read(&py)?)?;
    if path(&t, &["tool", "uv", "workspace"]).is_some() {
        return Err(format!(
            "{py} declares a uv workspace: every member's pyproject.toml would be needed"
        ));
    }
    uv_local_settings(
        &py,
        "tool.uv.",
        path(&t, &["tool", "uv"]).and_then(|u| u.as_table()),
    )?;
    let uvt = join(dir, "uv.toml").unwrap_or_default();
    if ctx.exists(&uvt) {
        let ut = parse_toml(&uvt, &ctx.read(&uvt)?)?;
        uv_local_settings(&uvt, "", Some(&ut))?;
    }
    if let Some(src) = path(&t, &["tool", "uv", "sources"]).and_then(|s| s.as_table()) {
        for (name, v) in src {
            // A source is a table, or a list of tables chosen by markers.
            let tables: Vec<&toml::Table> = match v {
                toml::Value::Table(t) => vec![t],
                toml::Value::Array(a) => a.iter().filter_map(|x| x.as_table()).collect(),
                _ => vec![],
            };
            if tables.iter().any(|t| {
                t.contains_key("path")
                    || t.contains_key("workspace")
                    || t.get("url")
                        .and_then(|u| u.as_str())
                        .is_some_and(|u| !remote(u))
            }) {
                return Err(format!(
                    "{py} takes {name} from a local path or workspace: the install needs it"
                ));
            }
        }
    }
    if let Some(d) = local_pep621(&t) {
        return Err(format!("{py} depends on a local path ({d})"));
    }
    let dynamic = path(&t, &["project", "dynamic"]).and_then(|d| d.as_array());
    if dynamic.is_some_and(|d| {
        d.iter()
            .any(|x| matches!(x.as_str(), Some("dependencies" | "optional-dependencies")))
    }) {
        return Err(format!(
            "{py} declares its dependencies dynamic: resolving them needs the project source"
        ));
    }
    need.files.push(py);
    need.optional(ctx, join(dir, "uv.lock").unwrap_or_default())?;
    need.extras(Eco::Uv, dir, ctx)?;
    Ok(need)
}

pub fn pipenv_needs(dir: &str, ctx: &Ctx) -> Result<Need, String> {
    let mut need = Need::default();
    let pf = join(dir, "Pipfile").unwrap_or_default();
    let t = parse_toml(&pf, &ctx.read(&pf)?)?;
    for key in ["packages", "dev-packages"] {
        for (name, v) in t.get(key).and_then(|x| x.as_table()).into_iter().flatten() {
            if let Some(p) = local_dep(v) {
                return Err(format!(
                    "{pf} installs {name} from the local path {p}: the install needs it"
                ));
            }
        }
    }
    need.files.push(pf);
    need.optional(ctx, join(dir, "Pipfile.lock").unwrap_or_default())?;
    need.extras(Eco::Pipenv, dir, ctx)?;
    Ok(need)
}
