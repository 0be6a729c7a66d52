//! Java (Maven/Gradle): the builder builds the jar with the file's own command; the runtime is an
//! eclipse-temurin JRE of the same Java major and distribution, with the jar the container runs.

use regex::Regex;

use super::common::{self, Class, Refusal, Split, lacked_packages, walk};
use super::data::DATA;
use crate::fix::Edit;
use crate::images;
use crate::model::Instruction;
use crate::recognize::{basename, effective_words};
use crate::shell::SimpleCommand;

/// Profiles of `transforms/slim-lacks.yaml`: what a JRE lacks next to the JDK.
const LACKS: &[&str] = &["jdk-to-jre"];

pub fn plan(s: &Split) -> Result<(Vec<Edit>, Vec<String>, String), Refusal> {
    let doc = s.doc;
    let at = s.from().keyword.start;
    let runtime = runtime_image(s)?;
    // The jar the container runs: `java ... -jar FILE`.
    let Some((start_idx, words)) = common::start_command(s) else {
        return Err(Refusal::at(
            at,
            "the stage has no CMD or ENTRYPOINT: the jar it runs is unknown",
        ));
    };
    let start_at = doc.instructions[start_idx].keyword.start;
    let jar = words
        .iter()
        .position(|w| w == "-jar")
        .and_then(|i| words.get(i + 1))
        .filter(|_| words.first().is_some_and(|w| basename(w) == "java"))
        .ok_or_else(|| {
            Refusal::at(
                start_at,
                format!(
                    "line {}: the container does not start with `java -jar FILE`: what to copy from the build is unknown",
                    doc.line(start_at)
                ),
            )
        })?;
    let jar = common::absolute(doc, start_idx, jar).ok_or_else(|| {
        Refusal::at(
            start_at,
            format!(
                "line {}: the jar path {jar} is not known (a variable, a glob or no WORKDIR)",
                doc.line(start_at)
            ),
        )
    })?;
    let mut classify = |idx: usize, inst: &Instruction, cmd: &SimpleCommand| {
        classify_java(s, idx, inst, cmd, &jar)
    };
    let w = walk(s, "java", &mut classify, &[(jar.clone(), jar.clone())])?;
    let mut lines = vec![format!("FROM {runtime}")];
    let profiles: Vec<String> = LACKS.iter().map(|p| p.to_string()).collect();
    let lacked: Vec<String> = lacked_packages(&profiles, &w.uses, doc)?
        .into_iter()
        .filter(|p| !w.installed.contains(p))
        .collect();
    if !lacked.is_empty() {
        lines.push(format!(
            "RUN {}",
            common::apt_line(&[], &["--no-install-recommends".to_string()], &lacked)
        ));
    }
    lines.extend(w.lines);
    let message = format!(
        "split into a builder ({}) that builds {jar} and a runtime stage ({runtime}) that runs it",
        s.image
    );
    Ok((vec![], lines, message))
}

/// The JRE of the same Java major and distribution, from the table.
fn runtime_image(s: &Split) -> Result<String, Refusal> {
    let at = s.from().keyword.start;
    let r = images::parse_ref(&s.image);
    let (name, tag) = match &r {
        Some(r) => (r.name, r.tag.unwrap_or("latest")),
        None => ("", ""),
    };
    for img in &DATA.java.images {
        if img.image != name {
            continue;
        }
        let Ok(re) = Regex::new(&format!("^(?:{})$", img.tag)) else {
            continue;
        };
        if let Some(c) = re.captures(tag) {
            let jdk = c.name("jdk").map_or("", |m| m.as_str());
            let suffix = c.name("suffix").map_or("", |m| m.as_str());
            return Ok(DATA
                .java
                .runtime
                .replace("{jdk}", jdk)
                .replace("{suffix}", suffix));
        }
    }
    Err(Refusal::at(
        at,
        format!(
            "`{}`: only maven:*-eclipse-temurin-N, gradle:*-jdkN and eclipse-temurin:N JDK images are split (Java: not supported yet for other images)",
            s.image
        ),
    ))
}

fn classify_java(
    s: &Split,
    idx: usize,
    inst: &Instruction,
    cmd: &SimpleCommand,
    jar: &str,
) -> Result<Class, Refusal> {
    let doc = s.doc;
    let at = inst.keyword.start;
    let words = effective_words(cmd);
    let Some(first) = words.first() else {
        return Ok(Class::Replay);
    };
    let name = first.value.as_str();
    // The build itself, and moving its jar around, stay in the builder.
    if DATA
        .java
        .build_tools
        .iter()
        .any(|t| t == name || t == basename(name))
    {
        return Ok(Class::Drop);
    }
    // `cp target/*.jar app.jar`: puts the jar where the container runs it (copied from the builder).
    if matches!(basename(name), "cp" | "mv")
        && words.len() >= 3
        && words
            .last()
            .and_then(|d| {
                let d = d.value.as_str();
                let jars_only = words[1..words.len() - 1]
                    .iter()
                    .all(|w| w.value.starts_with('-') || w.value.ends_with(".jar"));
                common::absolute(doc, idx, d.trim_end_matches('/')).map(|a| {
                    a == jar
                        || (jars_only
                            && (d.ends_with('/') || d == ".")
                            && jar.starts_with(&format!("{a}/")))
                })
            })
            .unwrap_or(false)
    {
        return Ok(Class::Drop);
    }
    let v: Vec<&str> = words.iter().take(3).map(|w| w.value.as_str()).collect();
    Err(Refusal::at(
        at,
        format!(
            "line {} runs `{}`, which may produce files the runtime needs; dockopt cannot prove it can be replayed in the runtime stage",
            doc.line(at),
            v.join(" ")
        ),
    ))
}
