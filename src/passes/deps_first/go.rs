//! Go modules: `go mod download` from `go.mod` and `go.sum`.

use crate::recognize::basename;
use crate::shell::Word;

use super::classify::Args;
use super::context::{Ctx, Entry};
use super::{Early, Eco, Install, Need, Role, join, parent};

fn free() -> Role {
    Role::Free {
        writes: vec![],
        touches: vec![],
    }
}

pub fn recognise(words: &[Word]) -> Option<Role> {
    if basename(&words[0].value) != "go" {
        return None;
    }
    let args = &words[1..];
    let a = Args::parse(args, &["-C", "-modfile"]);
    if a.has(&["-C", "-modfile"]) {
        return Some(Role::Source(Some("it changes the module directory".into())));
    }
    let pos: Vec<&str> = a.pos.iter().map(|w| w.value.as_str()).collect();
    Some(match pos.as_slice() {
        ["mod", "download", ..] | ["mod", "verify"] => Role::Install(Install {
            eco: Eco::Go,
            named: vec![],
            early: Early::AsIs,
            writes: vec![],
        }),
        ["env", ..] | ["version"] => free(),
        // `go install pkg@version` ignores the current module.
        ["install", rest @ ..] if !rest.is_empty() && rest.iter().all(|p| p.contains('@')) => {
            free()
        }
        _ => Role::Source(None),
    })
}

/// Local directories that `replace` directives in go.mod point to, with their line numbers.
fn local_replaces(text: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    let mut in_block = false;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split("//").next().unwrap_or("").trim();
        let spec = if in_block {
            if line == ")" {
                in_block = false;
                continue;
            }
            line
        } else if let Some(rest) = line.strip_prefix("replace") {
            let rest = rest.trim();
            if rest == "(" {
                in_block = true;
                continue;
            }
            rest
        } else {
            continue;
        };
        let Some((from, to)) = spec.split_once("=>") else {
            continue;
        };
        let target = to.split_whitespace().next().unwrap_or("").trim_matches('"');
        if target.starts_with("./")
            || target.starts_with("../")
            || target.starts_with('/')
            || target == "."
            || target == ".."
        {
            let module = from.split_whitespace().next().unwrap_or("").to_string();
            out.push((n + 1, module, target.to_string()));
        }
    }
    out
}

pub fn needs(dir: &str, ctx: &Ctx) -> Result<Need, String> {
    let mut need = Need::default();
    let gomod = join(dir, "go.mod").unwrap_or_default();
    let text = ctx.read(&gomod)?;
    need.files.push(gomod.clone());
    // Workspace mode reads go.work from the module directory or any directory above it.
    let mut d = dir.to_string();
    loop {
        let gw = join(&d, "go.work").unwrap_or_default();
        if ctx.exists(&gw) {
            return Err(format!(
                "{gw} puts the module in workspace mode: every module of the workspace would be needed"
            ));
        }
        if d.is_empty() {
            break;
        }
        d = parent(&d).to_string();
    }
    for (n, module, target) in local_replaces(&text) {
        if target.starts_with('/') {
            return Err(format!(
                "{gomod} replaces {module} with {target} (line {n}), an absolute path"
            ));
        }
        let Some(rel) = join(dir, &target) else {
            return Err(format!(
                "{gomod} replaces {module} with {target} (line {n}), outside the build context"
            ));
        };
        let m = join(&rel, "go.mod").unwrap_or_default();
        if rel.is_empty() || ctx.entry(&m) != Entry::File {
            return Err(format!(
                "{gomod} replaces {module} with {target} (line {n}), which has no go.mod the pass can copy"
            ));
        }
        need.files.push(m);
        need.optional(ctx, join(&rel, "go.sum").unwrap_or_default())?;
    }
    need.optional(ctx, join(dir, "go.sum").unwrap_or_default())?;
    need.extras(Eco::Go, dir, ctx)?;
    Ok(need)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces() {
        let t = "module a\nreplace x => ./x\nreplace (\n  y v1 => ../y // c\n  z => z.org/z v1.0.0\n)\n";
        assert_eq!(
            local_replaces(t),
            vec![
                (2, "x".into(), "./x".into()),
                (4, "y".into(), "../y".into())
            ]
        );
    }
}
