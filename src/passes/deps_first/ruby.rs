//! Bundler: `bundle install` from the Gemfile and Gemfile.lock.

use crate::recognize::basename;
use crate::shell::Word;

use super::classify::Args;
use super::context::{Ctx, Entry};
use super::{Early, Eco, Install, Need, Role, join};

fn free(writes: Vec<String>) -> Role {
    Role::Free {
        writes,
        touches: vec![],
    }
}

pub fn recognise(words: &[Word]) -> Option<Role> {
    let name = basename(&words[0].value);
    let args = &words[1..];
    if name == "gem" {
        let a = Args::parse(
            args,
            &[
                "-v",
                "--version",
                "-i",
                "--install-dir",
                "-n",
                "--bindir",
                "-g",
                "--file",
            ],
        );
        let sub = a.pos.first().map(|w| w.value.as_str());
        return Some(match sub {
            Some("install" | "i") => {
                if a.has(&["-g", "--file"]) {
                    Role::Source(Some("it reads a Gemfile".into()))
                } else if a.pos[1..]
                    .iter()
                    .any(|p| p.value.ends_with(".gem") || p.value.contains('/'))
                {
                    Role::Local {
                        eco: Eco::Bundler,
                        reason: "`gem install` of a local gem file".into(),
                    }
                } else {
                    free(vec![])
                }
            }
            Some("update" | "sources" | "env" | "list" | "cleanup") | None => free(vec![]),
            _ => Role::Source(None),
        });
    }
    if name != "bundle" && name != "bundler" {
        return None;
    }
    let a = Args::parse(
        args,
        &[
            "--gemfile",
            "--path",
            "--without",
            "--with",
            "-j",
            "--jobs",
            "--retry",
            "--binstubs",
            "--standalone",
            "--shebang",
            "--trust-policy",
        ],
    );
    let sub = a.pos.first().map(|w| w.value.as_str());
    Some(match sub {
        None | Some("install" | "check") => {
            if a.has(&["--gemfile"]) {
                return Some(Role::Source(Some("it reads another Gemfile".into())));
            }
            if a.has(&["--binstubs", "--standalone"]) {
                return Some(Role::Source(Some(
                    "it writes into the project directory".into(),
                )));
            }
            if a.pos.len() > 1 {
                return Some(Role::Source(None));
            }
            Role::Install(Install {
                eco: Eco::Bundler,
                named: vec![],
                early: Early::AsIs,
                writes: a.values(&["--path"]),
            })
        }
        Some("config") => {
            if a.has(&["--global"]) {
                free(vec![])
            } else {
                free(vec![".bundle".into()])
            }
        }
        Some("--version" | "version" | "env") => free(vec![]),
        _ => Role::Source(None),
    })
}

/// Words in the Gemfile that make it read or install local files.
const GEMFILE_LOCAL: &[&str] = &[
    "path:",
    ":path",
    "path ",
    "path(",
    "eval_gemfile",
    "instance_eval",
    "require_relative",
    "load ",
    "File.",
    "IO.",
    "Dir.",
    "Dir[",
];

/// What in a gemspec loads other files or depends on the project tree, and how to name it.
const GEMSPEC_LOCAL: &[(&str, &str)] = &[
    ("require", "require"),
    ("load ", "load"),
    ("File.", "File."),
    ("IO.", "IO."),
    ("Dir.", "Dir."),
    ("Dir[", "Dir[]"),
    ("`", "a backtick command"),
    ("%x", "a %x command"),
    ("git ", "git"),
    ("extensions", "extensions"),
    ("executables", "executables"),
    ("bindir", "bindir"),
];

pub fn needs(dir: &str, ctx: &Ctx) -> Result<Need, String> {
    let mut need = Need::default();
    let (gemfile, lock) = if ctx.exists(&join(dir, "Gemfile").unwrap_or_default())
        || !ctx.exists(&join(dir, "gems.rb").unwrap_or_default())
    {
        ("Gemfile", "Gemfile.lock")
    } else {
        ("gems.rb", "gems.locked")
    };
    let gf = join(dir, gemfile).unwrap_or_default();
    let text = ctx.read(&gf)?;
    need.files.push(gf.clone());
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let n = n + 1;
        for version_file in [".ruby-version", ".tool-versions"] {
            if line.contains(version_file) {
                let rel = join(dir, version_file).unwrap_or_default();
                if ctx.entry(&rel) != Entry::File {
                    return Err(format!(
                        "{gf} reads {version_file} (line {n}), which is not in the build context"
                    ));
                }
                need.files.push(rel);
            }
        }
        let reads_version = line.contains(".ruby-version") || line.contains(".tool-versions");
        if let Some(w) = GEMFILE_LOCAL.iter().find(|w| line.contains(*w))
            && !(reads_version && w.starts_with("File."))
        {
            return Err(format!(
                "{gf} uses `{}` (line {n}): it reads or installs local files",
                w.trim()
            ));
        }
        if line == "gemspec" || line.starts_with("gemspec ") || line.starts_with("gemspec(") {
            if line != "gemspec" {
                return Err(format!(
                    "{gf} uses gemspec with options (line {n}); left alone"
                ));
            }
            let specs: Vec<String> = ctx
                .files(dir)
                .into_iter()
                .filter(|f| f.ends_with(".gemspec"))
                .collect();
            if specs.is_empty() {
                return Err(format!(
                    "{gf} uses gemspec (line {n}) but no .gemspec is in the build context"
                ));
            }
            for s in specs {
                let rel = join(dir, &s).unwrap_or_default();
                let spec = ctx.read(&rel)?;
                if let Some((_, what)) = GEMSPEC_LOCAL.iter().find(|(w, _)| spec.contains(*w)) {
                    return Err(format!(
                        "{gf} uses gemspec (line {n}) and {rel} uses {what}: it depends on project files"
                    ));
                }
                need.files.push(rel);
            }
        }
    }
    need.optional(ctx, join(dir, lock).unwrap_or_default())?;
    need.extras(Eco::Bundler, dir, ctx)?;
    Ok(need)
}
