//! The `autoposter` binary: parses the command line, sets up logging, hands over to the library.

use clap::Parser;

fn main() {
    if let Err(e) = autoposter::config::load_dotenv() {
        eprintln!("{e}");
        std::process::exit(2);
    }
    let cli = autoposter::cli::Cli::parse();
    use tracing_subscriber::util::SubscriberInitExt;
    autoposter::config::log_subscriber(std::env::var("RUST_LOG").ok().as_deref(), std::io::stderr)
        .init();
    std::process::exit(autoposter::cli::run(cli));
}
