//! The `hub-emulator` binary: parse flags, bind, print `listening on http://HOST:PORT` first, serve until killed.

use std::io::Write;
use std::process::ExitCode;

use hub_emulator::{Command, USAGE, parse_args};

fn main() -> ExitCode {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Run(c)) => *c,
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("hub-emulator {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("hub-emulator: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hub-emulator: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async move {
        let server = hub_emulator::Server::bind(config).await?;
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "listening on http://{}", server.addr())?;
            out.flush()?;
        }
        // Everything else goes to stderr, and never fails the server (the reader may have gone away).
        let _ = writeln!(
            std::io::stderr(),
            "hub-emulator: cdn on http://{}, logs host on http://{}/logs-host",
            server.cdn_addr(),
            server.addr()
        );
        server
            .run(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hub-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}
