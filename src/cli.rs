//! The command line: `dockopt fix`, `dockopt passes`, `dockopt explain`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use rayon::prelude::*;

use crate::engine::{self, Outcome};
use crate::fix::Applicability;
use crate::fsio;
use crate::output::{self, ColorChoice, Style};
use crate::passes::{self, Pass, PassContext};
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
    Passes,
    /// Print the full documentation of a pass.
    Explain {
        /// The pass name, as listed by `dockopt passes`.
        pass: String,
    },
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
    #[arg(long, value_name = "VARIANT", default_value = "slim", value_parser = ["slim", "alpine"])]
    pub base: String,
    /// Offer `RUN --mount=type=cache` instead of deleting caches, on BuildKit files.
    #[arg(long)]
    pub cache_mounts: bool,
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
        Command::Passes => {
            print_passes();
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

/// The outcome of one file.
struct FileReport {
    path: PathBuf,
    display: String,
    result: Result<(Vec<u8>, Outcome), String>,
}

fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

fn fix(args: &FixArgs) -> i32 {
    let selected = match passes::select(&args.only, &args.skip) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_ERROR;
        }
    };
    let err_style = Style {
        color: args.color.stderr(),
    };
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
        return fix_stdin(args, &selected, &err_style);
    }

    let mut errors: Vec<String> = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
    for f in walk::discover(&args.paths) {
        match f {
            Found::File(p) => files.push(p),
            Found::EmptyDir(d) => errors.push(format!(
                "{}: error: no Dockerfiles found in this directory (looked for Dockerfile, Dockerfile.*, *.Dockerfile, *.dockerfile, Containerfile, Containerfile.*)",
                display_path(&d)
            )),
            Found::Missing(p, why) => errors.push(format!("{}: error: {why}", display_path(&p))),
        }
    }
    files.sort();
    files.dedup();
    if args.stdout && files.len() != 1 {
        for e in &errors {
            eprintln!("{}", err_style.red(e));
        }
        eprintln!(
            "error: --stdout prints one rewritten Dockerfile, but {} files were given",
            files.len()
        );
        return EXIT_ERROR;
    }

    let reports: Vec<FileReport> = files
        .par_iter()
        .map(|path| process_file(path, args, &selected))
        .collect();

    let out_color = args.color.stdout();
    let stdout = std::io::stdout();
    let mut so = stdout.lock();
    let mut pending = 0usize;
    let mut changed_files = 0usize;
    let mut total_fixes = 0usize;
    let mut unchanged = 0usize;
    for r in &reports {
        let (input, outcome) = match &r.result {
            Ok(x) => x,
            Err(e) => {
                errors.push(format!("{}:{e}", r.display));
                continue;
            }
        };
        let file_changed = outcome.changed
            || outcome
                .side_files
                .iter()
                .any(|s| s.old.as_deref() != Some(&s.new));
        if args.stdout {
            let _ = so.write_all(outcome.output.as_bytes());
        } else {
            let mut diff = String::new();
            if outcome.changed {
                let old = String::from_utf8_lossy(input);
                diff.push_str(&output::unified_diff(
                    Some(&old),
                    &outcome.output,
                    &r.display,
                ));
            }
            for side in &outcome.side_files {
                if side.old.as_deref() != Some(&side.new) {
                    diff.push_str(&output::unified_diff(
                        side.old.as_deref(),
                        &side.new,
                        &display_path(&side.path),
                    ));
                }
            }
            if !diff.is_empty() && !args.write {
                let text = if out_color {
                    output::colorize_diff(&diff)
                } else {
                    diff
                };
                let _ = so.write_all(text.as_bytes());
            }
        }
        // --verify: build both versions; a rewrite that does not verify is not written.
        let mut verified = true;
        if let Some(engine) = &engine
            && file_changed
        {
            let _ = so.flush();
            let context = context_for(args, &r.path);
            let candidate = verify::Candidate {
                display: &r.display,
                context: &context,
                original: input,
                rewrite: outcome.output.as_bytes(),
                side_files: outcome
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
                errors.push(format!("{}: error: {action}: {e}", r.display));
                verified = false;
            }
        }
        if args.write && file_changed && verified {
            if outcome.changed
                && let Err(e) = fsio::write_atomic(&r.path, outcome.output.as_bytes())
            {
                errors.push(format!("{}: error: {e}", r.display));
                continue;
            }
            for side in &outcome.side_files {
                if side.old.as_deref() != Some(&side.new)
                    && let Err(e) = fsio::write_atomic(&side.path, side.new.as_bytes())
                {
                    errors.push(format!("{}: error: {e}", display_path(&side.path)));
                }
            }
        }
        if file_changed && verified {
            changed_files += 1;
            pending += 1;
            total_fixes += outcome.applied.len() + outcome.side_files.len();
        } else if !file_changed {
            unchanged += 1;
        }
        if !args.quiet {
            let _ = so.flush();
            print_summary(&r.display, outcome, &err_style);
        }
    }
    let _ = so.flush();
    drop(so);
    for e in &errors {
        eprintln!("{}", err_style.red(e));
    }
    if !args.quiet {
        let verb = if args.write { "Fixed" } else { "Would fix" };
        let mut line = if changed_files > 0 {
            format!(
                "{verb} {total_fixes} issue{} in {changed_files} file{}",
                plural(total_fixes),
                plural(changed_files)
            )
        } else {
            "Nothing to fix".to_string()
        };
        line.push_str(&format!(
            "; {unchanged} file{} unchanged",
            plural(unchanged)
        ));
        if !errors.is_empty() {
            line.push_str(&format!("; {} error{}", errors.len(), plural(errors.len())));
        }
        if changed_files > 0 && !args.write && !args.stdout {
            line.push_str(" (run with --write to apply)");
        }
        eprintln!("{}", err_style.bold(&line));
    }
    if !errors.is_empty() {
        EXIT_ERROR
    } else if args.check && pending > 0 {
        EXIT_PENDING
    } else {
        EXIT_OK
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

fn process_file(path: &Path, args: &FixArgs, selected: &[&'static dyn Pass]) -> FileReport {
    let display = display_path(path);
    let result = (|| {
        let bytes = fsio::read_dockerfile(path).map_err(|e| format!(" error: {e}"))?;
        let context = context_for(args, path);
        let cx = PassContext {
            dockerfile: Some(path),
            context_dir: Some(&context),
            unsafe_fixes: args.unsafe_fixes,
            base_alpine: args.base == "alpine",
            cache_mounts: args.cache_mounts,
        };
        let outcome = guarded(|| engine::run(&bytes, selected, &cx))?.map_err(|e| e.to_string())?;
        Ok((bytes, outcome))
    })();
    FileReport {
        path: path.to_path_buf(),
        display,
        result,
    }
}

fn fix_stdin(args: &FixArgs, selected: &[&'static dyn Pass], style: &Style) -> i32 {
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
        eprintln!("<stdin>: error: cannot read standard input: {e}");
        return EXIT_ERROR;
    }
    let cx = PassContext {
        dockerfile: None,
        context_dir: args.context.as_deref(),
        unsafe_fixes: args.unsafe_fixes,
        base_alpine: args.base == "alpine",
        cache_mounts: args.cache_mounts,
    };
    let result =
        guarded(|| engine::run(&bytes, selected, &cx)).and_then(|r| r.map_err(|e| e.to_string()));
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
        format!("1:1: error: internal error, file left unchanged (please report): panic: {what}")
    })
}

fn print_summary(display: &str, o: &Outcome, s: &Style) {
    let mut lines = String::new();
    for a in &o.applied {
        let tag = match a.applicability {
            Applicability::Safe => String::new(),
            Applicability::Unsafe => " (unsafe)".to_string(),
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
            "{}: {} {}\n",
            display,
            s.dim(&format!("[{}]", n.pass)),
            n.message
        ));
    }
    if !lines.is_empty() {
        let _ = std::io::stderr().write_all(lines.as_bytes());
    }
}
