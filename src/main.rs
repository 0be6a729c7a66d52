use clap::Parser;

fn main() {
    let cli = dockopt::cli::Cli::parse();
    std::process::exit(dockopt::cli::run(cli));
}
