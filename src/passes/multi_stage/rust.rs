//! Rust: the builder runs the file's own `cargo build --release` (or `cargo install`); the runtime is
//! the slim Debian image of the builder's release, with the binary and the runtime libraries of the
//! `-sys` crates in Cargo.lock.

use super::common::{self, Class, Refusal, Split, lacked_packages, walk};
use super::data::DATA;
use crate::fix::Edit;
use crate::images;
use crate::model::{Instruction, env_pairs};
use crate::recognize::{basename, effective_words};
use crate::shell::SimpleCommand;

/// Profiles of `transforms/slim-lacks.yaml` that describe what debian slim lacks next to rust.
const LACKS: &[&str] = &["buildpack-deps", "debian-slim"];

pub fn plan(s: &Split) -> Result<(Vec<Edit>, Vec<String>, String), Refusal> {
    let doc = s.doc;
    let at = s.from().keyword.start;
    let runtime = runtime_image(s)?;
    // CARGO_TARGET_DIR / CARGO_HOME move the binary where dockopt does not follow it.
    for (_, inst) in s.body() {
        if let Some(t) = inst.text_arg()
            && matches!(inst.kind, crate::model::Kind::Env | crate::model::Kind::Arg)
            && env_pairs(&t.value).iter().any(|(k, _)| {
                k == "CARGO_TARGET_DIR" || k == "CARGO_HOME" || k == "CARGO_INSTALL_ROOT"
            })
        {
            return Err(Refusal::at(
                inst.keyword.start,
                format!(
                    "line {}: the file moves cargo's output (CARGO_TARGET_DIR, CARGO_HOME): not handled",
                    doc.line(inst.keyword.start)
                ),
            ));
        }
    }
    // The binary the container runs.
    let Some((start_idx, words)) = common::start_command(s) else {
        return Err(Refusal::at(
            at,
            "the stage has no CMD or ENTRYPOINT: the binary it runs is unknown",
        ));
    };
    let start_at = doc.instructions[start_idx].keyword.start;
    let exe = words.first().cloned().unwrap_or_default();
    if basename(&exe) == "cargo" {
        return Err(Refusal::at(
            start_at,
            format!(
                "line {}: the container runs cargo, which the runtime image lacks",
                doc.line(start_at)
            ),
        ));
    }
    let mut installs = false;
    let mut classify = |_: usize, inst: &Instruction, cmd: &SimpleCommand| {
        let c = classify_rust(s, inst, cmd)?;
        let w = effective_words(cmd);
        installs |= w.get(1).is_some_and(|x| x.value == "install");
        Ok(c)
    };
    // A bare name is a binary `cargo install` put in cargo's bin directory.
    let artifact = if !exe.contains('/') && !exe.is_empty() && !exe.contains('$') {
        let src = format!("{}/{exe}", DATA.rust.cargo_bin);
        (src, format!("/usr/local/bin/{exe}"))
    } else {
        let p = common::absolute(doc, start_idx, &exe).ok_or_else(|| {
            Refusal::at(
                start_at,
                format!(
                    "line {}: the path of the binary {exe} is not known",
                    doc.line(start_at)
                ),
            )
        })?;
        (p.clone(), p)
    };
    let w = walk(s, "rust", &mut classify, std::slice::from_ref(&artifact))?;
    if artifact.0.starts_with(&DATA.rust.cargo_bin) && !installs {
        return Err(Refusal::at(
            start_at,
            format!(
                "line {}: the container runs {exe}, which no `cargo install` in the stage provides",
                doc.line(start_at)
            ),
        ));
    }
    // The libraries the binary links, from Cargo.lock.
    let mut libs = sys_libraries(s)?;
    let profiles: Vec<String> = LACKS.iter().map(|p| p.to_string()).collect();
    for p in lacked_packages(&profiles, &w.uses, doc)? {
        if !libs.contains(&p) {
            libs.push(p);
        }
    }
    libs.retain(|p| !w.installed.contains(p));
    let mut lines = vec![format!("FROM {runtime}")];
    if !libs.is_empty() {
        lines.push(format!(
            "RUN {}",
            common::apt_line(&[], &["--no-install-recommends".to_string()], &libs)
        ));
    }
    for f in &DATA.rust.copy_from_builder {
        lines.push(format!("COPY --from={} {f} {f}", s.builder));
    }
    lines.extend(w.lines);
    let message = format!(
        "split into a builder ({}) and a runtime stage ({runtime}) that receives {}",
        s.image, artifact.1
    );
    Ok((vec![], lines, message))
}

/// debian:<release>-slim for the rust tag's Debian release.
fn runtime_image(s: &Split) -> Result<String, Refusal> {
    let at = s.from().keyword.start;
    let tag = images::parse_ref(&s.image)
        .and_then(|r| r.tag)
        .unwrap_or("latest");
    if images::is_leave_alone_tag(tag) {
        return Err(Refusal::at(at, super::common::no_slim_reason(&s.image)));
    }
    let (version, suite) = match tag.split_once('-') {
        Some((v, su)) => (v, Some(su)),
        None => (tag, None),
    };
    let known_suite = |x: &str| matches!(x, "bookworm" | "bullseye" | "buster" | "trixie");
    let suite = match suite {
        Some(su) if known_suite(su) => su.to_string(),
        Some(_) => {
            return Err(Refusal::at(
                at,
                format!("`{}`: only Debian-based rust tags are split", s.image),
            ));
        }
        None => {
            let mm: Vec<&str> = version.split('.').take(2).collect();
            DATA.rust.suites.get(&mm.join(".")).cloned().ok_or_else(|| {
                Refusal::at(
                    at,
                    format!(
                        "the Debian release of {} is unknown: the binary needs the same glibc at run time",
                        s.image
                    ),
                )
            })?
        }
    };
    Ok(DATA.rust.runtime.replace("{suite}", &suite))
}

fn classify_rust(s: &Split, inst: &Instruction, cmd: &SimpleCommand) -> Result<Class, Refusal> {
    let doc = s.doc;
    let at = inst.keyword.start;
    let line = doc.line(at);
    let words = effective_words(cmd);
    let Some(first) = words.first() else {
        return Ok(Class::Replay);
    };
    let sub = words.get(1).map(|w| w.value.as_str()).unwrap_or("");
    if basename(&first.value) == "cargo" {
        return match sub {
            "build"
                if words
                    .iter()
                    .any(|w| w.value == "--release" || w.value == "-r") =>
            {
                if words.iter().any(|w| w.value.starts_with("--target")) {
                    return Err(Refusal::at(
                        at,
                        format!(
                            "line {line}: cargo build --target puts the binary elsewhere: not handled"
                        ),
                    ));
                }
                Ok(Class::Drop)
            }
            "install" => {
                if !words.iter().any(|w| w.value.starts_with("--path")) {
                    return Err(Refusal::at(
                        at,
                        format!(
                            "line {line}: cargo install of a published crate: its native libraries cannot be checked from Cargo.lock"
                        ),
                    ));
                }
                if words.iter().any(|w| w.value.starts_with("--root")) {
                    return Err(Refusal::at(
                        at,
                        format!("line {line}: cargo install --root: not handled"),
                    ));
                }
                Ok(Class::Drop)
            }
            "fetch" | "test" | "check" | "clippy" | "fmt" | "--version" | "new" | "init" => {
                Ok(Class::Drop)
            }
            _ => Err(Refusal::at(
                at,
                format!(
                    "line {line}: `cargo {sub}` is not handled (only cargo build --release and cargo install)"
                ),
            )),
        };
    }
    if basename(&first.value) == "rustup" {
        return Ok(Class::Drop);
    }
    let v: Vec<&str> = words.iter().take(3).map(|w| w.value.as_str()).collect();
    Err(Refusal::at(
        at,
        format!(
            "line {line} runs `{}`, which may produce files the runtime needs; dockopt cannot prove it can be replayed in the runtime stage",
            v.join(" ")
        ),
    ))
}

/// Runtime packages for the `-sys` crates in Cargo.lock; a refusal when Cargo.lock cannot be read or
/// names a `-sys` crate the table does not know.
fn sys_libraries(s: &Split) -> Result<Vec<String>, Refusal> {
    let at = s.from().keyword.start;
    let lock = s
        .context_file("Cargo.lock")
        .filter(|t| t.contains("[[package]]"))
        .ok_or_else(|| {
            Refusal::at(
                at,
                "Cargo.lock cannot be read from the build context: the native libraries the binary links cannot be checked",
            )
        })?;
    let mut out: Vec<String> = Vec::new();
    for line in lock.lines() {
        let Some(name) = line
            .trim()
            .strip_prefix("name = \"")
            .and_then(|r| r.strip_suffix('"'))
        else {
            continue;
        };
        if !name.ends_with("-sys") {
            continue;
        }
        if DATA.rust.pure_sys.iter().any(|p| p == name) {
            continue;
        }
        match DATA.rust.sys_crates.get(name) {
            Some(libs) => {
                for l in libs {
                    if !out.contains(l) {
                        out.push(l.clone());
                    }
                }
            }
            None => {
                return Err(Refusal::at(
                    at,
                    format!(
                        "Cargo.lock has the crate {name}, whose runtime library is not in transforms/multi-stage.yaml"
                    ),
                ));
            }
        }
    }
    Ok(out)
}
