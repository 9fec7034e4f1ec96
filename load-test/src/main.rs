use std::process::ExitCode;

use clap::Parser;
use herald_load_test::{run, stack, Args};

#[tokio::main]
async fn main() -> ExitCode {
    // `--spawn` re-runs this executable as the stack's API and worker processes.
    match std::env::args().nth(1).as_deref() {
        Some(stack::ROLE_API) => return herald_load_test::serve_api().await,
        Some(stack::ROLE_WORKER) => return herald_load_test::serve_worker().await,
        _ => {}
    }
    let args = Args::parse();
    herald_core::telemetry::init("warn");
    let json = args.json;
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("\ninterrupted: stopping the load and everything it started…");
    };
    match run(args, shutdown).await {
        Ok(report) => {
            if json {
                match serde_json::to_string_pretty(&report) {
                    Ok(doc) => println!("{doc}"),
                    Err(e) => {
                        eprintln!("herald-load-test: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            } else {
                println!("{}", report.table());
            }
            if report.passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            }
        }
        Err(e) => {
            eprintln!("herald-load-test: {e:#}");
            ExitCode::FAILURE
        }
    }
}
