//! The command line: `dockopt fix`, `dockopt passes`, `dockopt explain`, `dockopt completions`,
//! `dockopt man`.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use rayon::prelude::*;

use crate::config::{BaseVariant, Config, Finder};
use crate::engine::{self, Outcome};
use crate::fix::Applicability;
use crate::fsio;
use crate::output::{self, ColorChoice, Style};
use crate::passes::{self, PassContext};
use crate::report::{self, FileError, FileResult, PathError};
use crate::verify;
use crate::walk::{self, Found};

/// Exit codes.
pub const EXIT_OK: i32 = 0;
pub const EXIT_PENDING: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "dockopt",
    version,
    about = "Rewrite Dockerfiles so images come out smaller and rebuild faster, losslessly.",
    after_help = "Exit codes: 0 ok; 1 changes pending under --check; 2 a file could not be read or parsed."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show (default), apply (--write) or check (--check) the fixes for Dockerfiles.
    Fix(FixArgs),
    /// List every pass: what it does, why it helps and when it refuses.
    Passes {
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: PassesFormat,
    },
    /// Print the full documentation of a pass.
    Explain {
        /// The pass name, as listed by `dockopt passes`.
        pass: String,
    },
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PassesFormat {
    Text,
    Json,
}

/// The report format of `fix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Unified diff on stdout, summary on stderr.
    Text,
    /// One JSON document (schema version 1, see README).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions annotations (::warning file=...).
    Github,
}

#[derive(Debug, Args)]
pub struct FixArgs {
    /// Dockerfiles or directories to walk; `-` reads standard input and writes the result to
    /// standard output.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Rewrite the files in place (atomically; unchanged files are not touched).
    #[arg(long, conflicts_with_all = ["check", "stdout"])]
    pub write: bool,
    /// Print the diff and exit 1 when anything would change (for CI).
    #[arg(long, conflicts_with = "stdout")]
    pub check: bool,
    /// Print the whole rewritten Dockerfile to standard output (one file only).
    #[arg(long)]
    pub stdout: bool,
    /// Run only these passes (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "PASS,...")]
    pub only: Vec<String>,
    /// Do not run these passes (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "PASS,...")]
    pub skip: Vec<String>,
    /// Also apply fixes marked unsafe (they can change what the image contains).
    #[arg(long = "unsafe")]
    pub unsafe_fixes: bool,
    /// The build context directory (default: each Dockerfile's directory).
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,
    /// Base image variant for slim-base: `slim` (default) or `alpine` (opt-in, refused when unsafe).
    #[arg(long, value_name = "VARIANT", value_parser = ["slim", "alpine"])]
    pub base: Option<String>,
    /// Offer `RUN --mount=type=cache` instead of deleting caches, on BuildKit files.
    #[arg(long)]
    pub cache_mounts: bool,
    /// Use this config file instead of looking for .dockopt.yaml next to each Dockerfile.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// When to colour the output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Print only the diff and errors, no summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Build the original and the rewrite of every changed Dockerfile on the local Docker engine (the
    /// same context, `docker build -f -`) and report image sizes and build times; with --write, write
    /// only rewrites that built (and passed --smoke). Exits 2 without writing when no engine answers.
    #[arg(long, conflicts_with = "stdout")]
    pub verify: bool,
    /// With --verify: a shell command (`/bin/sh -c CMD`) that must exit 0 in a container of both
    /// images, such as `python -c "import app"`.
    #[arg(long, value_name = "CMD", requires = "verify")]
    pub smoke: Option<String>,
}

/// Runs the CLI and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Passes { format } => {
            match format {
                PassesFormat::Text => print_passes(),
                PassesFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&report::passes_json()).unwrap_or_default()
                ),
            }
            EXIT_OK
        }
        Command::Explain { pass } => match passes::by_name(&pass) {
            Some(p) => {
                print!("{}", p.info().doc);
                EXIT_OK
            }
            None => {
                eprintln!(
                    "error: unknown pass `{pass}` (known passes: {})",
                    pass_names().join(", ")
                );
                EXIT_ERROR
            }
        },
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "dockopt",
                &mut std::io::stdout(),
            );
            EXIT_OK
        }
        Command::Man => {
            let man = clap_mangen::Man::new(Cli::command());
            match man.render(&mut std::io::stdout()) {
                Ok(()) => EXIT_OK,
                Err(e) => {
                    eprintln!("error: {e}");
                    EXIT_ERROR
                }
            }
        }
        Command::Fix(args) => fix(&args),
    }
}

fn pass_names() -> Vec<&'static str> {
    passes::ALL.iter().map(|p| p.info().name).collect()
}

fn print_passes() {
    let mut out = String::new();
    for p in passes::ALL {
        let i = p.info();
        let default = if i.default_enabled { "" } else { " (opt-in)" };
        out.push_str(&format!("{}{}\n    {}\n", i.name, default, i.summary));
        for (title, key) in [("why", "## Why"), ("refuses", "## When it refuses")] {
            if let Some(first) = section_first_line(i.doc, key) {
                out.push_str(&format!("    {title}: {first}\n"));
            }
        }
        if !i.hadolint.is_empty() {
            out.push_str(&format!("    fixes hadolint: {}\n", i.hadolint.join(", ")));
        }
        out.push('\n');
    }
    out.push_str("Run `dockopt explain PASS` for the full documentation of a pass.\n");
    print!("{out}");
}

/// The first paragraph of a doc section, joined into one line.
fn section_first_line(doc: &str, heading: &str) -> Option<String> {
    let start = doc.find(heading)? + heading.len();
    let rest = &doc[start..];
    let body: Vec<&str> = rest
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.trim().trim_start_matches("- "))
        .collect();
    (!body.is_empty()).then(|| body.join(" "))
}

fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// The options for one file: command-line flags win over its config file.
struct Effective<'a> {
    passes: Vec<&'static dyn passes::Pass>,
    unsafe_fixes: bool,
    base_alpine: bool,
    cache_mounts: bool,
    config: Option<&'a Config>,
}

fn effective<'a>(args: &FixArgs, cfg: Option<&'a Config>) -> Result<Effective<'a>, String> {
    let only = if args.only.is_empty() {
        cfg.map(|c| c.only.clone()).unwrap_or_default()
    } else {
        args.only.clone()
    };
    // `--only` on the command line is a complete selection: the file's skip list does not apply.
    // `--skip` adds to the file's skip list.
    let mut skip = if args.only.is_empty() {
        cfg.map(|c| c.skip.clone()).unwrap_or_default()
    } else {
        Vec::new()
    };
    skip.extend(args.skip.iter().cloned());
    let base_alpine = match args.base.as_deref() {
        Some(b) => b == "alpine",
        None => cfg.and_then(|c| c.base) == Some(BaseVariant::Alpine),
    };
    Ok(Effective {
        passes: passes::select(&only, &skip)?,
        unsafe_fixes: args.unsafe_fixes || cfg.is_some_and(|c| c.unsafe_fixes),
        base_alpine,
        cache_mounts: args.cache_mounts || cfg.is_some_and(|c| c.cache_mounts),
        config: cfg,
    })
}

fn fix(args: &FixArgs) -> i32 {
    // Validate pass names up front, so a typo is one clear error.
    if let Err(e) = passes::select(&args.only, &args.skip) {
        eprintln!("error: {e}");
        return EXIT_ERROR;
    }
    let err_style = Style {
        color: args.color.stderr(),
    };
    if args.stdout && args.format != Format::Text {
        eprintln!(
            "error: --stdout prints the rewritten Dockerfile and cannot be combined with --format"
        );
        return EXIT_ERROR;
    }
    if args.format != Format::Text && args.paths.iter().any(|p| p.as_os_str() == "-") {
        eprintln!(
            "error: `-` (standard input) prints the rewritten Dockerfile and cannot be combined with --format; give a path for a report"
        );
        return EXIT_ERROR;
    }
    if let Some(c) = &args.context
        && !c.is_dir()
    {
        eprintln!(
            "error: --context {}: not a directory (the build context is the directory `docker build` is given)",
            c.display()
        );
        return EXIT_ERROR;
    }
    let explicit = match &args.config {
        Some(p) => match Config::load(p) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("{}", err_style.red(&e));
                return EXIT_ERROR;
            }
        },
        None => None,
    };
    let finder = Finder::new(explicit);
    if args.verify && args.paths.iter().any(|p| p.as_os_str() == "-") {
        eprintln!(
            "error: --verify builds Dockerfiles with their build context; give paths, not `-` (standard input)"
        );
        return EXIT_ERROR;
    }
    let engine = if args.verify {
        match verify::Engine::detect() {
            Ok(e) => {
                eprintln!("verify: {}", e.describe());
                Some(e)
            }
            Err(e) => {
                eprintln!(
                    "{}",
                    err_style.red(&format!(
                        "error: --verify needs a Docker engine, and {e}; nothing was built or written"
                    ))
                );
                return EXIT_ERROR;
            }
        }
    } else {
        None
    };
    if args.paths.iter().any(|p| p.as_os_str() == "-") {
        if args.paths.len() != 1 {
            eprintln!("error: `-` (standard input) cannot be combined with other paths");
            return EXIT_ERROR;
        }
        return fix_stdin(args, &finder, &err_style);
    }

    let mut path_errors: Vec<PathError> = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
    for f in walk::discover(&args.paths) {
        match f {
            Found::File(p, walked) => {
                // `exclude` in a config applies to files found by walking, not to files named.
                let excluded = walked
                    && matches!(finder.for_file(&p), Some(Ok(ref c)) if c.excludes(&p));
                if !excluded {
                    files.push(p);
                }
            }
            Found::EmptyDir(d) => path_errors.push(PathError {
                display: display_path(&d),
                kind: "read",
                message: "no Dockerfiles found in this directory (looked for Dockerfile, Dockerfile.*, *.Dockerfile, *.dockerfile, Containerfile, Containerfile.*)".into(),
            }),
            Found::Missing(p, why) => path_errors.push(PathError {
                display: display_path(&p),
                kind: "read",
                message: why,
            }),
        }
    }
    files.sort();
    files.dedup();
    if args.stdout && files.len() != 1 {
        for e in &path_errors {
            eprintln!(
                "{}",
                err_style.red(&format!("{}: error: {}", e.display, e.message))
            );
        }
        eprintln!(
            "error: --stdout prints one rewritten Dockerfile, but {} files were given",
            files.len()
        );
        return EXIT_ERROR;
    }

    let progress = (args.format == Format::Text
        && !args.quiet
        && files.len() > 1
        && std::io::stderr().is_terminal())
    .then(|| {
        let pb = indicatif::ProgressBar::new(files.len() as u64);
        pb.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        pb
    });
    let mut results: Vec<FileResult> = files
        .par_iter()
        .map(|path| {
            let r = process_file(path, args, &finder);
            if let Some(pb) = &progress {
                pb.set_message(display_path(path));
                pb.inc(1);
            }
            r
        })
        .collect();
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }

    dedupe_side_files(&mut results, &mut path_errors);
    for r in &mut results {
        if let Some(o) = &r.outcome {
            r.diff = diff_of(&r.input, o, &r.display);
        }
    }
    // --verify: build both versions; a rewrite that does not verify is reported and not written.
    if let Some(engine) = &engine {
        for r in &mut results {
            if !r.changed() {
                continue;
            }
            let Some(o) = &r.outcome else { continue };
            let context = context_for(args, &r.path);
            let candidate = verify::Candidate {
                display: &r.display,
                context: &context,
                original: &r.input,
                rewrite: o.output.as_bytes(),
                side_files: o
                    .side_files
                    .iter()
                    .filter(|s| s.old.as_deref() != Some(&s.new))
                    .map(|s| (s.path.as_path(), s.new.as_str()))
                    .collect(),
            };
            if let Err(e) = verify::verify_file(engine, &candidate, args.smoke.as_deref()) {
                let action = if args.write {
                    "rewrite not written"
                } else {
                    "rewrite not verified"
                };
                r.error = Some(error_from("verify", format!("{action}: {e}")));
            }
        }
    }
    if args.write {
        for r in &mut results {
            if r.error.is_none() {
                write_result(r);
            }
        }
    }

    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report::json(&results, &path_errors)).unwrap_or_default()
        ),
        Format::Sarif => println!(
            "{}",
            serde_json::to_string_pretty(&report::sarif(&results, &path_errors))
                .unwrap_or_default()
        ),
        Format::Github => print!("{}", report::github(&results, &path_errors)),
        Format::Text => print_text(args, &results, &path_errors, &err_style),
    }

    let t = report::totals(&results, &path_errors);
    if t.errors > 0 {
        EXIT_ERROR
    } else if args.check && t.changed > 0 {
        EXIT_PENDING
    } else {
        EXIT_OK
    }
}

/// Several Dockerfiles of one build context may propose the same side file (one `.dockerignore` that
/// suits all of them): it is shown and written once, with the first Dockerfile in path order. Different
/// proposals for the same path are an error, and none of them is written.
fn dedupe_side_files(results: &mut [FileResult], path_errors: &mut Vec<PathError>) {
    use std::collections::{BTreeSet, HashMap};
    let mut first: HashMap<PathBuf, (usize, String)> = HashMap::new();
    let mut conflicting: BTreeSet<PathBuf> = BTreeSet::new();
    for (i, r) in results.iter().enumerate() {
        let Some(o) = &r.outcome else { continue };
        for side in &o.side_files {
            match first.get(&side.path) {
                Some((_, content)) if *content != side.new => {
                    conflicting.insert(side.path.clone());
                }
                Some(_) => {}
                None => {
                    first.insert(side.path.clone(), (i, side.new.clone()));
                }
            }
        }
    }
    for (i, r) in results.iter_mut().enumerate() {
        let Some(o) = &mut r.outcome else { continue };
        o.side_files.retain(|side| {
            !conflicting.contains(&side.path)
                && first.get(&side.path).is_none_or(|(owner, _)| *owner == i)
        });
    }
    for p in conflicting {
        path_errors.push(PathError {
            display: display_path(&p),
            kind: "conflict",
            message: "Dockerfiles that share this file propose different contents; not written (run dockopt on one Dockerfile at a time, or pass --context)".into(),
        });
    }
}

/// Writes a changed file and its side files; a failure becomes the file's error.
fn write_result(r: &mut FileResult) {
    let Some(o) = &r.outcome else { return };
    if !r.changed() {
        return;
    }
    if o.changed
        && let Err(e) = fsio::write_atomic(&r.path, Some(&r.input), o.output.as_bytes())
    {
        r.error = Some(FileError {
            kind: "write",
            line: None,
            col: None,
            message: e,
        });
        return;
    }
    for side in &o.side_files {
        if side.old.as_deref() != Some(&side.new)
            && let Err(e) = fsio::write_atomic(
                &side.path,
                side.old.as_deref().map(str::as_bytes),
                side.new.as_bytes(),
            )
        {
            r.error = Some(FileError {
                kind: "write",
                line: None,
                col: None,
                message: format!("{}: {e}", display_path(&side.path)),
            });
            return;
        }
    }
    r.written = true;
}

fn print_text(args: &FixArgs, results: &[FileResult], path_errors: &[PathError], style: &Style) {
    let out_color = args.color.stdout();
    let stdout = std::io::stdout();
    let mut so = stdout.lock();
    for r in results {
        if let Some(o) = &r.outcome {
            if args.stdout {
                let _ = so.write_all(o.output.as_bytes());
            } else if !r.diff.is_empty() && !args.write {
                let text = if out_color {
                    output::colorize_diff(&r.diff)
                } else {
                    r.diff.clone()
                };
                let _ = so.write_all(text.as_bytes());
            }
            if !args.quiet {
                let _ = so.flush();
                print_summary(&r.display, o, style);
            }
        }
    }
    let _ = so.flush();
    drop(so);
    for r in results {
        if let Some(e) = &r.error {
            eprintln!("{}", style.red(&e.render(&r.display)));
        }
    }
    for e in path_errors {
        eprintln!(
            "{}",
            style.red(&format!("{}: error: {}", e.display, e.message))
        );
    }
    if args.quiet {
        return;
    }
    let t = report::totals(results, path_errors);
    if results.len() + path_errors.len() > 1 {
        eprint!("{}", summary_table(results, path_errors, args.write, style));
        return;
    }
    let verb = if args.write { "Fixed" } else { "Would fix" };
    let mut line = if t.changed > 0 {
        format!(
            "{verb} {} issue{} in {} file{}",
            t.fixes,
            plural(t.fixes),
            t.changed,
            plural(t.changed)
        )
    } else {
        "Nothing to fix".to_string()
    };
    if t.errors > 0 {
        line.push_str(&format!("; {} error{}", t.errors, plural(t.errors)));
    }
    if t.changed > 0 && !args.write && !args.stdout {
        line.push_str(" (run with --write to apply)");
    }
    eprintln!("{}", style.bold(&line));
}

/// The end-of-run table for bulk runs.
fn summary_table(
    results: &[FileResult],
    path_errors: &[PathError],
    written: bool,
    style: &Style,
) -> String {
    use std::collections::BTreeMap;
    let t = report::totals(results, path_errors);
    let mut skips: BTreeMap<&str, usize> = BTreeMap::new();
    let mut errors: BTreeMap<&str, usize> = BTreeMap::new();
    for r in results {
        if let Some(o) = &r.outcome {
            for s in &o.skipped {
                *skips.entry(s.pass).or_default() += 1;
            }
        }
        if let Some(e) = &r.error {
            *errors.entry(e.kind).or_default() += 1;
        }
    }
    for e in path_errors {
        *errors.entry(e.kind).or_default() += 1;
    }
    let by = |m: &BTreeMap<&str, usize>| {
        if m.is_empty() {
            String::new()
        } else {
            let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k} {v}")).collect();
            format!("  ({})", parts.join(", "))
        }
    };
    let mut s = String::new();
    s.push_str(&style.bold("Summary\n"));
    s.push_str(&format!("  files scanned   {}\n", t.files));
    s.push_str(&format!(
        "  {}   {} ({} fix{})\n",
        if written {
            "changed      "
        } else {
            "would change "
        },
        t.changed,
        t.fixes,
        if t.fixes == 1 { "" } else { "es" }
    ));
    s.push_str(&format!("  unchanged       {}\n", t.unchanged));
    s.push_str(&format!("  skipped notes   {}{}\n", t.skipped, by(&skips)));
    s.push_str(&format!("  errors          {}{}\n", t.errors, by(&errors)));
    if t.saved_bytes > 0 {
        s.push_str(&format!(
            "  est. saving     {} (estimates from transforms/, not measured)\n",
            human_bytes(t.saved_bytes)
        ));
    }
    if t.changed > 0 && !written {
        s.push_str("  run with --write to apply\n");
    }
    s
}

pub fn human_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.0} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.0} kB", b / 1e3)
    } else {
        format!("{b} B")
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn context_for(args: &FixArgs, path: &Path) -> PathBuf {
    match &args.context {
        Some(c) => c.clone(),
        None => match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        },
    }
}

fn error_from(kind: &'static str, message: String) -> FileError {
    FileError {
        kind,
        line: None,
        col: None,
        message,
    }
}

fn process_file(path: &Path, args: &FixArgs, finder: &Finder) -> FileResult {
    let display = display_path(path);
    let mut result = FileResult {
        path: path.to_path_buf(),
        display: display.clone(),
        input: Vec::new(),
        outcome: None,
        error: None,
        diff: String::new(),
        written: false,
    };
    let cfg = match finder.for_file(path) {
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => {
            // The config error already names its file; report it against this Dockerfile too.
            result.error = Some(error_from("config", e));
            return result;
        }
        None => None,
    };
    let eff = match effective(args, cfg.as_ref()) {
        Ok(e) => e,
        Err(e) => {
            result.error = Some(error_from("config", e));
            return result;
        }
    };
    let bytes = match fsio::read_dockerfile(path) {
        Ok(b) => b,
        Err(e) => {
            result.error = Some(error_from("read", e));
            return result;
        }
    };
    let context = context_for(args, path);
    let cx = PassContext {
        dockerfile: Some(path),
        context_dir: Some(&context),
        unsafe_fixes: eff.unsafe_fixes,
        base_alpine: eff.base_alpine,
        cache_mounts: eff.cache_mounts,
        config: eff.config,
        side_files_emitted: !args.stdout,
        pending_ignore: None,
    };
    let user_images = eff
        .config
        .map(|c| c.base_images.as_slice())
        .unwrap_or_default();
    let run = guarded(|| {
        crate::images::with_user_images(user_images, || engine::run(&bytes, &eff.passes, &cx))
    });
    let run = match run {
        Ok(Err(e)) => {
            let cfg_path = eff
                .config
                .map(|c| c.path.display().to_string())
                .unwrap_or_default();
            result.error = Some(error_from("config", format!("{cfg_path}: {e}")));
            result.input = bytes;
            return result;
        }
        Ok(Ok(r)) => Ok(r),
        Err(e) => Err(e),
    };
    match run {
        Ok(Ok(outcome)) => result.outcome = Some(outcome),
        Ok(Err(e)) => {
            let (kind, line, col, message) = e.parts();
            result.error = Some(FileError {
                kind,
                line: Some(line),
                col: Some(col),
                message,
            });
        }
        Err(message) => {
            result.error = Some(FileError {
                kind: "internal",
                line: Some(1),
                col: Some(1),
                message,
            })
        }
    }
    result.input = bytes;
    result
}

fn diff_of(input: &[u8], o: &Outcome, display: &str) -> String {
    let mut diff = String::new();
    if o.changed {
        let old = String::from_utf8_lossy(input);
        diff.push_str(&output::unified_diff(Some(&old), &o.output, display));
    }
    for side in &o.side_files {
        if side.old.as_deref() != Some(&side.new) {
            diff.push_str(&output::unified_diff(
                side.old.as_deref(),
                &side.new,
                &display_path(&side.path),
            ));
        }
    }
    diff
}

fn fix_stdin(args: &FixArgs, finder: &Finder, style: &Style) -> i32 {
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
        eprintln!("<stdin>: error: cannot read standard input: {e}");
        return EXIT_ERROR;
    }
    let cfg = args
        .context
        .as_ref()
        .and_then(|c| finder.for_file(&c.join("Dockerfile")))
        .transpose();
    let cfg = match cfg {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}", style.red(&e));
            return EXIT_ERROR;
        }
    };
    let eff = match effective(args, cfg.as_ref()) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_ERROR;
        }
    };
    let cx = PassContext {
        dockerfile: None,
        context_dir: args.context.as_deref(),
        unsafe_fixes: eff.unsafe_fixes,
        base_alpine: eff.base_alpine,
        cache_mounts: eff.cache_mounts,
        config: eff.config,
        side_files_emitted: false,
        pending_ignore: None,
    };
    let user_images = eff
        .config
        .map(|c| c.base_images.as_slice())
        .unwrap_or_default();
    let result = guarded(|| {
        crate::images::with_user_images(user_images, || engine::run(&bytes, &eff.passes, &cx))
    })
    .and_then(|r| r.map_err(|e| format!("1:1: error: {e}")))
    .and_then(|r| r.map_err(|e| e.to_string()));
    match result {
        Ok(outcome) => {
            let _ = std::io::stdout().write_all(outcome.output.as_bytes());
            if !args.quiet {
                print_summary("<stdin>", &outcome, style);
            }
            if args.check && outcome.changed {
                EXIT_PENDING
            } else {
                EXIT_OK
            }
        }
        Err(e) => {
            eprintln!("{}", style.red(&format!("<stdin>:{e}")));
            EXIT_ERROR
        }
    }
}

thread_local! {
    static LAST_PANIC: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Called by the panic hook: remembers the panic message for [`guarded`] on this thread.
pub fn record_panic(message: String) {
    LAST_PANIC.with(|p| *p.borrow_mut() = Some(message));
}

/// Runs `f`, turning a panic (a bug in dockopt) into an error for this file so the others go on.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| {
        let what = LAST_PANIC
            .with(|l| l.borrow_mut().take())
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        format!("internal error, file left unchanged (please report): panic: {what}")
    })
}

fn print_summary(display: &str, o: &Outcome, s: &Style) {
    let mut lines = String::new();
    for a in &o.applied {
        let tag = match a.applicability {
            Applicability::Safe => "",
            // Most unsafe fixes already say why in their message.
            Applicability::Unsafe if a.message.contains("(unsafe") => "",
            Applicability::Unsafe => " (unsafe)",
        };
        lines.push_str(&format!(
            "{}:{}:{}: {} {}{}\n",
            display,
            a.line,
            a.col,
            s.green(&format!("[{}]", a.pass)),
            a.message,
            tag
        ));
    }
    for side in &o.side_files {
        if side.old.as_deref() != Some(&side.new) {
            lines.push_str(&format!(
                "{}: {} {}\n",
                display,
                s.green(&format!("[{}]", side.pass)),
                side.message
            ));
        }
    }
    for k in &o.skipped {
        lines.push_str(&format!(
            "{}:{}:{}: {} skipped: {}\n",
            display,
            k.line,
            k.col,
            s.yellow(&format!("[{}]", k.pass)),
            k.reason
        ));
    }
    for n in &o.notes {
        lines.push_str(&format!(
            "{}: note: {} {}\n",
            display,
            s.dim(&format!("[{}]", n.pass)),
            n.message
        ));
    }
    if !lines.is_empty() {
        let _ = std::io::stderr().write_all(lines.as_bytes());
    }
}
