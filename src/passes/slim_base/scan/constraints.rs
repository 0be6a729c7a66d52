//! pip constraint files: `-c FILE` / `--constraint FILE` on the command line or in a requirements
//! file, and `PIP_CONSTRAINT` (ENV, ARG, a prefix). A constraint installs nothing, but it pins the
//! version of what is installed, so its pins count like pins written in the requirement itself.

use std::path::Path;

use super::{MAX_DEPTH, Scanner, parse_req, requirement_lines};

impl Scanner<'_> {
    /// Reads a constraints file the RUN names (a container path) from the build context.
    pub(super) fn constraints_file(&mut self, path: &str, at: usize) {
        match self.context_file(path) {
            Some((rel, text)) => self.constraints_text(&text, &rel, at, 0),
            None => self
                .facts
                .unreadable
                .push((format!("constraints file {path}"), at)),
        }
    }

    /// `PIP_CONSTRAINT` for a pip command: a space-separated list of files.
    pub(super) fn constraints_env(&mut self, value: &str, at: usize) {
        for f in value.split_whitespace() {
            self.constraints_file(f, at);
        }
    }

    /// Reads the constraints file at `nested` (relative to the context; `written` as the file says)
    /// from a requirements or constraints file at `depth`.
    pub(super) fn constraints_text_at(
        &mut self,
        nested: &Path,
        written: &str,
        at: usize,
        depth: usize,
    ) {
        match (depth < MAX_DEPTH)
            .then(|| self.read_context(nested))
            .flatten()
        {
            Some(t) => self.constraints_text(&t, nested, at, depth + 1),
            None => self
                .facts
                .unreadable
                .push((format!("constraints file {written}"), at)),
        }
    }

    /// The requirement lines of a constraints file (and nested `-c` / `-r` files, which pip reads
    /// as constraints too).
    pub(super) fn constraints_text(&mut self, text: &str, rel: &Path, at: usize, depth: usize) {
        for (opt, value, line) in requirement_lines(text) {
            let (opt, value, line) = (opt.as_str(), value.as_deref(), line.as_str());
            match opt {
                "-c" | "--constraint" | "-r" | "--requirement" => {
                    let Some(v) = value else { continue };
                    let nested = rel.parent().unwrap_or(Path::new("")).join(v);
                    self.constraints_text_at(&nested, v, at, depth);
                }
                o if o.starts_with('-') => {}
                _ => {
                    let req = line.split(" --").next().unwrap_or(line);
                    self.facts.constraints.push((parse_req(req), at));
                }
            }
        }
    }
}
