//! Python: a virtualenv at a fixed path in the builder, copied whole into the slim variant.

use super::common::{
    self, Class, Refusal, Split, classify_common, commands_run, is_root, lacked_packages,
    runtime_run, verbatim,
};
use super::data::DATA;
use super::is_kept;
use crate::edit;
use crate::fix::Edit;
use crate::images::{self, SlimMapping};
use crate::model::{Document, Instruction, Kind, env_pairs};
use crate::passes::slim_base::data::{LACKS, normalize_pip};
use crate::recognize::{self, basename, effective_words, pip_call};
use crate::shell::{SimpleCommand, Word};

/// ENV variables that make pip install somewhere other than the virtualenv.
const PIP_ELSEWHERE: &[&str] = &[
    "VIRTUAL_ENV",
    "PIP_TARGET",
    "PIP_PREFIX",
    "PIP_USER",
    "PIP_ROOT",
    "PYTHONUSERBASE",
    "UV_SYSTEM_PYTHON",
    "UV_PROJECT_ENVIRONMENT",
    "POETRY_VIRTUALENVS_IN_PROJECT",
    "POETRY_VIRTUALENVS_PATH",
];

pub fn plan(s: &Split) -> Result<(Vec<Edit>, Vec<String>, String), Refusal> {
    let doc = s.doc;
    let from = s.from();
    let m = runtime_image(s)?;
    let venv = DATA.venv.as_str();
    let mut lines: Vec<String> = vec![format!("FROM {}", m.reference)];
    let mut uses: Vec<(usize, String)> = Vec::new();
    let mut installed: Vec<String> = Vec::new();
    let mut user: Option<(usize, String)> = None;
    let mut venv_copied = false;
    let mut reqs: Vec<(usize, String)> = Vec::new();
    for (idx, inst) in s.body() {
        let at = inst.keyword.start;
        match inst.kind {
            Kind::Env => {
                check_env(doc, inst)?;
                lines.push(verbatim(doc, inst));
            }
            Kind::User => {
                let v = inst.text_arg().map(|t| t.value.clone()).unwrap_or_default();
                user = (!is_root(&v)).then_some((at, v));
                lines.push(verbatim(doc, inst));
            }
            Kind::Copy | Kind::Add => lines.push(verbatim(doc, inst)),
            Kind::Run => {
                let script = inst.run_script().expect("checked: shell-form RUN");
                let mut classes = Vec::new();
                let mut builds = false;
                for cmd in &script.commands {
                    let class = match classify_common(cmd) {
                        Some(c) => c,
                        None => {
                            let c = classify_python(s, idx, inst, cmd, user.as_ref(), &mut reqs)?;
                            builds |= c == Class::Drop;
                            c
                        }
                    };
                    if class == Class::Replay
                        && let Some(w) = effective_words(cmd).first()
                    {
                        uses.push((at, basename(&w.value).to_string()));
                    }
                    if let Class::AptInstall { pkgs, .. } = &class {
                        installed.extend(pkgs.iter().map(|p| common::package_name(p).to_string()));
                        installed.extend(common::runtime_packages(doc, at, pkgs, true)?);
                    }
                    classes.push(class);
                }
                if classes.contains(&Class::Replay) {
                    check_system_paths(doc, inst)?;
                }
                if builds && !venv_copied {
                    venv_copied = true;
                    lines.push(format!("COPY --from={} {venv} {venv}", s.builder));
                    lines.push(venv_env());
                }
                if let Some(run) = runtime_run(doc, inst, &classes, true)? {
                    lines.push(run);
                }
                let _ = idx;
            }
            k if is_kept(k) => {
                if matches!(k, Kind::Cmd | Kind::Entrypoint | Kind::Healthcheck) {
                    check_system_paths(doc, inst)?;
                    for c in commands_run(inst) {
                        if c == "pip" || c.starts_with("pip3") || c == "poetry" || c == "uv" {
                            return Err(Refusal::at(
                                at,
                                format!(
                                    "line {}: the container runs {c} when it starts: it installs at run time, which the split cannot carry",
                                    doc.line(at)
                                ),
                            ));
                        }
                        uses.push((at, c));
                    }
                }
                lines.push(verbatim(doc, inst));
            }
            _ => {
                return Err(Refusal::at(
                    at,
                    format!(
                        "line {}: {} is not handled",
                        doc.line(at),
                        inst.kind.as_str()
                    ),
                ));
            }
        }
    }
    // Without a package install there is nothing for a builder to do.
    if !venv_copied {
        return Err(Refusal::at(
            from.keyword.start,
            "the stage installs no Python packages (pip, poetry or uv): nothing for a builder stage to do",
        ));
    }
    // Commands the slim image lacks: installed right after FROM, unless the stage installs them.
    // And the libraries of requirements that build against what the full image has (psycopg2).
    let mut lacked: Vec<String> = lacked_packages(&m.lacks, &uses, doc)?;
    for p in requirement_libraries(doc, &reqs)? {
        if !lacked.contains(&p) {
            lacked.push(p);
        }
    }
    lacked.retain(|p| !installed.contains(p) && !m.variant_has.contains(p));
    if !lacked.is_empty() {
        lines.insert(
            1,
            format!(
                "RUN {}",
                common::apt_line(&[], &["--no-install-recommends".to_string()], &lacked)
            ),
        );
    }
    let builder_edit = edit::insert_lines_after(
        doc,
        from,
        &format!("RUN python -m venv {venv}\n{}", venv_env()),
    );
    let message = format!(
        "split into a builder ({}) and a runtime stage ({}); the virtualenv {venv} carries the installed packages and console scripts",
        s.image, m.reference
    );
    Ok((vec![builder_edit], lines, message))
}

/// Refuses a command run by its system path (`/usr/local/bin/gunicorn`, `/usr/local/bin/python`):
/// after the split the packages and their scripts are in the virtualenv, not there.
fn check_system_paths(doc: &Document, inst: &Instruction) -> Result<(), Refusal> {
    for p in common::command_paths(inst) {
        if p.starts_with("/usr/local/bin/") || p.starts_with("/usr/bin/python") {
            let at = inst.keyword.start;
            return Err(Refusal::at(
                at,
                format!(
                    "line {} runs {p}: after the split the installed packages and their scripts are in {}/bin, not there",
                    doc.line(at),
                    DATA.venv
                ),
            ));
        }
    }
    Ok(())
}

fn venv_env() -> String {
    let venv = DATA.venv.as_str();
    format!("ENV VIRTUAL_ENV={venv} PATH={venv}/bin:$PATH")
}

/// The slim variant of the same image, same distribution, same libc.
fn runtime_image(s: &Split) -> Result<SlimMapping, Refusal> {
    let from = s.from();
    let Some(m) = images::slim_variant(&s.image) else {
        let r = images::parse_ref(&s.image);
        let reason = if r.as_ref().is_some_and(|r| r.name != "python") {
            format!(
                "the base image `{}` uses the distribution's system Python, which a virtualenv copied to another image cannot carry",
                s.image
            )
        } else {
            super::common::no_slim_reason(&s.image)
        };
        return Err(Refusal::at(from.keyword.start, reason));
    };
    if m.image != "python" || m.variant_image != "python" {
        return Err(Refusal::at(
            from.keyword.start,
            format!(
                "`{}` is not an official python image: its Python is the distribution's, which a virtualenv copied to another image cannot carry",
                s.image
            ),
        ));
    }
    if m.libc != m.variant_libc || m.os != m.variant_os {
        return Err(Refusal::at(
            from.keyword.start,
            format!(
                "the slim variant {} is a different distribution or libc than {}: compiled wheels would break",
                m.reference, s.image
            ),
        ));
    }
    Ok(m)
}

/// ENV that would make the virtualenv miss the packages or drop it from PATH.
fn check_env(doc: &Document, inst: &Instruction) -> Result<(), Refusal> {
    let at = inst.keyword.start;
    let Some(t) = inst.text_arg() else {
        return Ok(());
    };
    for (k, v) in env_pairs(&t.value) {
        if PIP_ELSEWHERE.contains(&k.as_str()) {
            return Err(Refusal::at(
                at,
                format!(
                    "line {}: ENV {k} makes the installs go somewhere other than the virtualenv",
                    doc.line(at)
                ),
            ));
        }
        if k == "PATH" && !v.contains("$PATH") && !v.contains("${PATH}") {
            return Err(Refusal::at(
                at,
                format!(
                    "line {}: ENV PATH replaces PATH, which would drop the virtualenv's bin directory",
                    doc.line(at)
                ),
            ));
        }
    }
    Ok(())
}

/// Judges a command `classify_common` did not recognise: an install into the virtualenv is `Drop` (it
/// happens in the builder; the runtime copies the venv), a Django management command that runs again
/// is `Replay`, anything else a refusal.
fn classify_python(
    s: &Split,
    idx: usize,
    inst: &Instruction,
    cmd: &SimpleCommand,
    user: Option<&(usize, String)>,
    reqs: &mut Vec<(usize, String)>,
) -> Result<Class, Refusal> {
    let doc = s.doc;
    let at = inst.keyword.start;
    let line = doc.line(at);
    let words = effective_words(cmd);
    let Some(first) = words.first() else {
        return Ok(Class::Replay);
    };
    let name = basename(&first.value);
    let shown = || {
        let v: Vec<&str> = words.iter().take(3).map(|w| w.value.as_str()).collect();
        v.join(" ")
    };
    let unknown = || {
        Refusal::at(
            at,
            format!(
                "line {line} runs `{}`, which may produce files the runtime needs; dockopt cannot prove it can be replayed in the runtime stage",
                shown()
            ),
        )
    };
    let as_user = |what: &str| -> Result<(), Refusal> {
        match user {
            Some((_, u)) => Err(Refusal::at(
                at,
                format!(
                    "line {line}: {what} runs as USER {u}, who cannot write to the virtualenv dockopt creates as root"
                ),
            )),
            None => Ok(()),
        }
    };
    // pip (and python -m pip).
    if let Some(call) = pip_call(cmd) {
        let sub = call.subcommand().value.as_str();
        return match sub {
            "install" => {
                check_pip_args(s, idx, at, &call.args[call.subcommand + 1..], reqs)?;
                if recognize::command_env(cmd).any(|(k, _)| PIP_ELSEWHERE.contains(&k)) {
                    return Err(Refusal::at(
                        at,
                        format!("line {line}: pip install sets where it installs"),
                    ));
                }
                as_user("pip install")?;
                Ok(Class::Drop)
            }
            "uninstall" => {
                as_user("pip uninstall")?;
                Ok(Class::Drop)
            }
            "freeze" | "list" | "check" | "show" | "config" | "cache" | "--version" | "debug" => {
                Ok(Class::Drop)
            }
            _ => Err(unknown()),
        };
    }
    let sub = words.get(1).map(|w| w.value.as_str()).unwrap_or("");
    if recognize::is_python(&first.value) {
        // python manage.py collectstatic: runs again with the venv and the sources in place.
        if sub == "manage.py"
            && words
                .get(2)
                .is_some_and(|w| DATA.python_replay.contains(&w.value))
        {
            return Ok(Class::Replay);
        }
        if sub == "-m" && words.get(2).is_some_and(|w| w.value == "venv") {
            return Err(Refusal::at(
                at,
                format!("line {line} creates its own virtualenv: not rewritten"),
            ));
        }
        return Err(unknown());
    }
    match name {
        "poetry" => match sub {
            "install" | "sync" => {
                if !words.iter().any(|w| w.value == "--no-root") {
                    return Err(Refusal::at(
                        at,
                        format!(
                            "line {line}: `poetry {sub}` without --no-root installs the project itself editable, pointing at sources outside the virtualenv"
                        ),
                    ));
                }
                as_user("poetry install")?;
                Ok(Class::Drop)
            }
            "config" | "export" | "lock" | "check" | "--version" | "self" => Ok(Class::Drop),
            _ => Err(unknown()),
        },
        "uv" => {
            if sub == "pip" && words.get(2).is_some_and(|w| w.value == "install") {
                if words.iter().any(|w| w.value == "--system") {
                    return Err(Refusal::at(
                        at,
                        format!(
                            "line {line}: `uv pip install --system` installs into the system Python, not the virtualenv"
                        ),
                    ));
                }
                check_pip_args(s, idx, at, &words[3..], reqs)?;
                as_user("uv pip install")?;
                return Ok(Class::Drop);
            }
            if sub == "sync" {
                return Err(Refusal::at(
                    at,
                    format!(
                        "line {line}: `uv sync` manages its own project environment: not supported yet"
                    ),
                ));
            }
            Err(unknown())
        }
        "pipenv" => Err(Refusal::at(
            at,
            format!("line {line}: pipenv installs: not supported yet"),
        )),
        _ => Err(unknown()),
    }
}

/// Refuses pip arguments that install editable or outside the virtualenv, and editable lines in the
/// requirements files dockopt can read.
fn check_pip_args(
    s: &Split,
    idx: usize,
    at: usize,
    args: &[Word],
    reqs: &mut Vec<(usize, String)>,
) -> Result<(), Refusal> {
    let doc = s.doc;
    let line = doc.line(at);
    let mut i = 0;
    while i < args.len() {
        let v = args[i].value.as_str();
        if v == "--editable"
            || v.starts_with("--editable=")
            || (v.starts_with("-e") && !v.starts_with("--"))
        {
            return Err(Refusal::at(
                at,
                format!(
                    "line {line}: `pip install -e` installs the project editable: the runtime would need the build's source tree"
                ),
            ));
        }
        for opt in ["--user", "--target", "-t", "--prefix", "--root"] {
            if v == opt || v.strip_prefix(opt).is_some_and(|r| r.starts_with('=')) {
                return Err(Refusal::at(
                    at,
                    format!("line {line}: pip install {opt} installs outside the virtualenv"),
                ));
            }
        }
        // A requirement named on the command line.
        if !v.starts_with('-') {
            reqs.push((at, requirement_name(v)));
        } else if PIP_WITH_VALUE.contains(&v) && v != "-r" && v != "--requirement" {
            i += 2;
            continue;
        }
        let req = if v == "-r" || v == "--requirement" {
            i += 1;
            args.get(i).map(|w| w.value.clone())
        } else if let Some(r) = v.strip_prefix("--requirement=") {
            Some(r.to_string())
        } else {
            v.strip_prefix("-r")
                .filter(|r| !r.is_empty() && !v.starts_with("--"))
                .map(str::to_string)
        };
        if let Some(req) = req
            && let Some(text) = requirements_text(s, idx, &req)
            && let Some(l) = text.lines().map(str::trim).find(|l| {
                l.starts_with("-e ") || l.starts_with("-e.") || l.starts_with("--editable")
            })
        {
            return Err(Refusal::at(
                at,
                format!(
                    "line {line}: {req} installs `{l}` editable: the runtime would need the build's source tree"
                ),
            ));
        }
        i += 1;
    }
    Ok(())
}

/// pip install options that take a value.
const PIP_WITH_VALUE: &[&str] = &[
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--trusted-host",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--src",
    "--upgrade-strategy",
    "--progress-bar",
    "--global-option",
    "--config-settings",
    "-C",
    "--no-binary",
    "--only-binary",
];

/// The distribution name of a requirement (`psycopg2==2.9.9` -> `psycopg2`).
fn requirement_name(req: &str) -> String {
    let end = req
        .find(['[', '<', '>', '=', '!', '~', ';', '@', ' '])
        .unwrap_or(req.len());
    normalize_pip(&req[..end])
}

/// Runtime libraries for the requirements known to build against system libraries (the slim-base
/// table `pip.build`), or a refusal for those it lists under `pip.refuse`.
fn requirement_libraries(doc: &Document, reqs: &[(usize, String)]) -> Result<Vec<String>, Refusal> {
    let mut out: Vec<String> = Vec::new();
    for (at, name) in reqs {
        if let Some(why) = LACKS.pip.refuse.get(name) {
            return Err(Refusal::at(
                *at,
                format!(
                    "line {}: {why}; the runtime libraries it links are not known",
                    doc.line(*at)
                ),
            ));
        }
        if let Some(pkgs) = LACKS.pip.build.get(name) {
            for p in common::runtime_packages(doc, *at, pkgs, true)? {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
    }
    Ok(out)
}

/// The requirements file's text, looked up in the build context (relative to it, or under the
/// WORKDIR for an absolute path).
fn requirements_text(s: &Split, idx: usize, req: &str) -> Option<String> {
    if !req.starts_with('/') {
        return s.context_file(req);
    }
    let wd = s.doc.workdir_before(idx)?;
    let rel = req.strip_prefix(&wd)?.trim_start_matches('/');
    s.context_file(rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_line_points_at_the_venv() {
        assert_eq!(
            venv_env(),
            "ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH"
        );
    }
}
