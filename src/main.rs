//! logview: watch log files live in a browser or over WebSocket.
//!
//! `main` sets up logging, turns the arguments into a [`config::Config`] and runs the server;
//! an argument or root error prints one line and exits with code 2 before anything is bound.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use logview::config::{self, Command};
use logview::server;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let config = match config::parse(std::env::args_os().skip(1).collect()) {
        Ok(Command::Serve(c)) => c,
        Ok(Command::Help) => {
            print!("{}", config::HELP);
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("logview {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("logview: {e}");
            return ExitCode::from(2);
        }
    };
    match server::run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("logview: {e}");
            ExitCode::FAILURE
        }
    }
}
