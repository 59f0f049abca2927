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
    let env_auth = std::env::var("LOGVIEW_AUTH").ok();
    let config = match config::parse(std::env::args_os().skip(1).collect(), env_auth) {
        Ok(Command::Serve(c)) => c,
        Ok(Command::HashPassword(user)) => return hash_password(&user),
        Ok(Command::Help) => {
            print!("{}", config::HELP);
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("{}", config::VERSION);
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

/// `logview hash-password USER`: one line of standard input is the password.
fn hash_password(user: &str) -> ExitCode {
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line).is_err() {
        eprintln!("logview: cannot read the password from standard input");
        return ExitCode::from(2);
    }
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        eprintln!("logview: empty password");
        return ExitCode::from(2);
    }
    match logview::http::auth::hash_password(password) {
        Ok(hash) => {
            println!("{user}:{hash}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("logview: {e}");
            ExitCode::FAILURE
        }
    }
}
