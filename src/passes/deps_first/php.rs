//! Composer: `composer install` from composer.json and composer.lock.

use serde_json::Value;

use crate::recognize::basename;
use crate::shell::Word;

use super::classify::{Args, is_relative_path};
use super::context::Ctx;
use super::{Early, Eco, Install, Need, Role, blank, join};

fn free() -> Role {
    Role::Free {
        writes: vec![],
        touches: vec![],
    }
}

pub fn recognise(words: &[Word]) -> Option<Role> {
    let mut words = words;
    let mut named = Vec::new();
    if basename(&words[0].value) == "php"
        && words.len() > 1
        && basename(&words[1].value).starts_with("composer")
    {
        words = &words[1..];
    }
    let exe = &words[0].value;
    let name = basename(exe);
    if name != "composer" && name != "composer.phar" {
        return None;
    }
    if is_relative_path(exe) || (exe == "composer.phar") {
        named.push(exe.clone());
    }
    let args = &words[1..];
    let a = Args::parse(args, &["-d", "--working-dir"]);
    if a.has(&["-d", "--working-dir"]) {
        return Some(Role::Source(Some(
            "it changes the project directory".into(),
        )));
    }
    let sub = a.pos.first().map(|w| w.value.as_str());
    Some(match sub {
        Some("install" | "i") => {
            if a.pos.len() > 1 {
                return Some(Role::Source(None));
            }
            let mut flags = Vec::new();
            if !a.has(&["--no-scripts"]) {
                flags.push("--no-scripts");
            }
            if !a.has(&["--no-autoloader"]) {
                flags.push("--no-autoloader");
            }
            let early = if flags.is_empty() {
                Early::AsIs
            } else {
                Early::AddFlags {
                    at: a.pos[0].range.end,
                    flags: flags.join(" "),
                }
            };
            Role::Install(Install {
                eco: Eco::Composer,
                named,
                early,
                writes: vec![],
            })
        }
        Some("global")
        | Some(
            "self-update" | "selfupdate" | "clear-cache" | "clearcache" | "diagnose" | "--version",
        ) => free(),
        Some("config") if a.has(&["-g", "--global"]) => free(),
        None => free(),
        _ => Role::Source(None),
    })
}

pub fn needs(dir: &str, ctx: &Ctx) -> Result<Need, String> {
    let mut need = Need::default();
    let cj = join(dir, "composer.json").unwrap_or_default();
    let text = ctx.read(&cj)?;
    let v: Value = if blank(&text) {
        Value::Object(Default::default())
    } else {
        serde_json::from_str(&text).map_err(|_| format!("{cj} is not valid JSON"))?
    };
    let repos: Vec<&Value> = match v.get("repositories") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(Value::Object(o)) => o.values().collect(),
        _ => vec![],
    };
    for r in repos {
        let t = r.get("type").and_then(Value::as_str).unwrap_or("");
        if matches!(t, "path" | "artifact") {
            let url = r.get("url").and_then(Value::as_str).unwrap_or("?");
            return Err(format!(
                "{cj} has {} {t} repository ({url}): the install needs local files",
                super::a_or_an(t)
            ));
        }
    }
    need.files.push(cj.clone());
    need.optional(ctx, join(dir, "composer.lock").unwrap_or_default())?;
    need.extras(Eco::Composer, dir, ctx)?;
    if let Some(vd) = v
        .get("config")
        .and_then(|c| c.get("vendor-dir"))
        .and_then(Value::as_str)
    {
        match join(dir, vd) {
            Some(p) => need.outputs.push(p),
            None => return Err(format!("{cj} puts vendor-dir outside the project")),
        }
    }
    Ok(need)
}
