use clap::Parser;

fn main() {
    // A panic is a bug: the CLI turns it into an error for that file (see cli::guarded); keep the
    // default hook from printing a backtrace over the report.
    std::panic::set_hook(Box::new(|info| {
        dockopt::cli::record_panic(info.to_string())
    }));
    let cli = dockopt::cli::Cli::parse();
    std::process::exit(dockopt::cli::run(cli));
}
