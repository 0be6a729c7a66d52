//! Maven and Gradle: a new RUN fetches the dependencies from the build files (an unsafe fix).

use crate::recognize::basename;
use crate::shell::Word;

use super::classify::{Args, is_relative_path};
use super::context::{Ctx, Entry};
use super::{Build, Early, Eco, Install, Need, Role, join};

fn free() -> Role {
    Role::Free {
        writes: vec![],
        touches: vec![],
    }
}

/// Whether an option can be copied into the new command as written.
fn simple(v: &str) -> bool {
    !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._:=,/@+-".contains(c))
}

/// The group of a Maven or Gradle command, whatever it does.
pub fn group_of(cmd: &crate::shell::SimpleCommand) -> Option<&'static str> {
    let words = crate::recognize::effective_words(cmd);
    match basename(&words.first()?.value) {
        "mvn" | "mvnw" => Some("maven"),
        "gradle" | "gradlew" => Some("gradle"),
        _ => None,
    }
}

pub fn recognise(words: &[Word]) -> Option<Role> {
    let exe = &words[0].value;
    let name = basename(exe);
    let eco = match name {
        "mvn" | "mvnw" => Eco::Maven,
        "gradle" | "gradlew" => Eco::Gradle,
        _ => return None,
    };
    let args = &words[1..];
    if args.iter().any(|w| w.dynamic) {
        return Some(Role::Source(None));
    }
    let mut named = Vec::new();
    if is_relative_path(exe) {
        named.push(exe.clone());
    }
    Some(if eco == Eco::Maven {
        maven(exe, args, named)
    } else {
        gradle(exe, args, named)
    })
}

fn maven(exe: &str, args: &[Word], mut named: Vec<String>) -> Role {
    let a = Args::parse(
        args,
        &[
            "-s",
            "--settings",
            "-gs",
            "--global-settings",
            "-f",
            "--file",
            "-P",
            "--activate-profiles",
            "-pl",
            "--projects",
            "-rf",
            "--resume-from",
            "-T",
            "--threads",
            "-l",
            "--log-file",
            "-t",
            "--toolchains",
            "-D",
            "--define",
        ],
    );
    if a.has(&[
        "-f",
        "--file",
        "-pl",
        "--projects",
        "-rf",
        "--resume-from",
        "-am",
        "-amd",
    ]) {
        return Role::Source(Some("it selects another pom or modules".into()));
    }
    let goals: Vec<&str> = a.pos.iter().map(|w| w.value.as_str()).collect();
    if goals.is_empty() {
        return free();
    }
    for s in a.values(&["-s", "--settings", "-gs", "--global-settings"]) {
        if !s.starts_with('/') {
            named.push(s);
        }
    }
    if goals.iter().all(|g| g.starts_with("dependency:")) {
        return Role::Install(Install {
            eco: Eco::Maven,
            named,
            early: Early::AsIs,
            writes: vec![],
        });
    }
    let mut cmd = vec![exe.to_string()];
    for o in &a.opts {
        let keep = matches!(
            o.name.as_str(),
            "-B" | "--batch-mode"
                | "-q"
                | "--quiet"
                | "-ntp"
                | "--no-transfer-progress"
                | "-U"
                | "-s"
                | "--settings"
                | "-gs"
                | "--global-settings"
                | "-P"
                | "--activate-profiles"
                | "-D"
                | "--define"
        );
        if !keep {
            continue;
        }
        if !simple(&o.word.value) || o.value.as_deref().is_some_and(|v| !simple(v)) {
            return Role::Source(Some(format!(
                "`{}` cannot be carried over as written",
                o.word.value
            )));
        }
        cmd.push(o.word.value.clone());
        if let Some(v) = &o.value
            && !o.word.value.contains(v.as_str())
        {
            cmd.push(v.clone());
        }
    }
    cmd.push("dependency:go-offline".into());
    Role::Build(Build {
        eco: Eco::Maven,
        named,
        command: cmd.join(" "),
    })
}

fn gradle(exe: &str, args: &[Word], named: Vec<String>) -> Role {
    let a = Args::parse(
        args,
        &[
            "-p",
            "--project-dir",
            "-b",
            "--build-file",
            "-c",
            "--settings-file",
            "-x",
            "--exclude-task",
            "-I",
            "--init-script",
            "-g",
            "--gradle-user-home",
            "-D",
            "-P",
            "--system-prop",
            "--project-prop",
        ],
    );
    if a.has(&[
        "-p",
        "--project-dir",
        "-b",
        "--build-file",
        "-c",
        "--settings-file",
        "-I",
        "--init-script",
    ]) {
        return Role::Source(Some("it selects another project or script".into()));
    }
    let tasks: Vec<&str> = a.pos.iter().map(|w| w.value.as_str()).collect();
    if tasks.is_empty() {
        return free();
    }
    if tasks.iter().all(|t| {
        matches!(
            *t,
            "dependencies" | "androidDependencies" | "buildEnvironment"
        )
    }) {
        return Role::Install(Install {
            eco: Eco::Gradle,
            named,
            early: Early::AsIs,
            writes: vec![],
        });
    }
    let mut cmd = vec![exe.to_string(), "dependencies".to_string()];
    for o in &a.opts {
        let keep = matches!(
            o.name.as_str(),
            "--no-daemon"
                | "-q"
                | "--quiet"
                | "-D"
                | "-P"
                | "--system-prop"
                | "--project-prop"
                | "--console"
        );
        if !keep {
            continue;
        }
        if !simple(&o.word.value) || o.value.as_deref().is_some_and(|v| !simple(v)) {
            return Role::Source(Some(format!(
                "`{}` cannot be carried over as written",
                o.word.value
            )));
        }
        cmd.push(o.word.value.clone());
        if let Some(v) = &o.value
            && !o.word.value.contains(v.as_str())
        {
            cmd.push(v.clone());
        }
    }
    Role::Build(Build {
        eco: Eco::Gradle,
        named,
        command: cmd.join(" "),
    })
}

pub fn needs(eco: Eco, named: &[String], dir: &str, ctx: &Ctx) -> Result<Need, String> {
    let mut need = Need::default();
    for n in named {
        if ctx.entry(n) != Entry::File {
            return Err(format!("{n} is not a file in the build context"));
        }
        need.files.push(n.clone());
    }
    if eco == Eco::Maven {
        let pom = join(dir, "pom.xml").unwrap_or_default();
        let text = ctx.read(&pom)?;
        if text.contains("<modules>") {
            return Err(format!(
                "{pom} lists modules: each module's pom.xml would be needed"
            ));
        }
        if let Some(rp) = text.split("<relativePath>").nth(1)
            && !rp.trim_start().starts_with("</relativePath>")
        {
            return Err(format!("{pom} has a parent pom at a local relativePath"));
        }
        need.files.push(pom);
    } else {
        let mut found = false;
        for b in ["build.gradle", "build.gradle.kts"] {
            let rel = join(dir, b).unwrap_or_default();
            if ctx.entry(&rel) == Entry::File {
                let text = ctx.read(&rel)?;
                if text.contains("apply from") || text.contains("apply(from") {
                    return Err(format!("{rel} applies another script file"));
                }
                need.files.push(rel);
                found = true;
            }
        }
        if !found {
            return Err(format!(
                "no build.gradle or build.gradle.kts in {}",
                if dir.is_empty() {
                    "the build context"
                } else {
                    dir
                }
            ));
        }
        for s in ["settings.gradle", "settings.gradle.kts"] {
            let rel = join(dir, s).unwrap_or_default();
            if ctx.entry(&rel) == Entry::File {
                let text = ctx.read(&rel)?;
                if text.contains("include") {
                    return Err(format!(
                        "{rel} includes other projects: each one's build files would be needed"
                    ));
                }
            }
        }
        let bs = join(dir, "buildSrc").unwrap_or_default();
        if ctx.exists(&bs) {
            return Err(format!("{bs} exists: the build logic needs its source"));
        }
    }
    need.extras(eco, dir, ctx)?;
    Ok(need)
}
