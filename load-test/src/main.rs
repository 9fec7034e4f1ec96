use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};
use herald_load_test::{chaos, run, stack, streams, Args};

#[tokio::main]
async fn main() -> ExitCode {
    // `--spawn` re-runs this executable as the stack's API and worker processes.
    match std::env::args().nth(1).as_deref() {
        Some(stack::ROLE_API) => return herald_load_test::serve_api().await,
        Some(stack::ROLE_WORKER) => return herald_load_test::serve_worker().await,
        _ => {}
    }
    let matches = Args::command().get_matches();
    let mut args = match Args::from_arg_matches(&matches) {
        Ok(args) => args,
        Err(e) => e.exit(),
    };
    herald_core::telemetry::init("warn");
    if args.chaos {
        let default = |name: &str| matches.value_source(name) == Some(ValueSource::DefaultValue);
        if default("rate") {
            args.rate = 300.0;
        }
        if default("duration") {
            args.duration = std::time::Duration::from_secs(300);
        }
        if default("grace") {
            args.grace = std::time::Duration::from_secs(120);
        }
        return run_chaos(args).await;
    }
    if args.subscribers.is_some() {
        let default = |name: &str| matches.value_source(name) == Some(ValueSource::DefaultValue);
        if default("apis") {
            args.apis = 2;
        }
        return run_streams(args).await;
    }
    let json = args.json;
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("\ninterrupted: stopping the load and everything it started…");
    };
    match run(args, shutdown).await {
        Ok(report) => finish(&report, json, &report.table(), report.passed),
        Err(e) => {
            eprintln!("herald-load-test: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Prints a report (as JSON with `--json`, else its table) and turns its verdict into
/// the exit status: 0 passed, 2 a threshold or check failed.
fn finish(report: &impl serde::Serialize, json: bool, table: &str, passed: bool) -> ExitCode {
    if json {
        match serde_json::to_string_pretty(report) {
            Ok(doc) => println!("{doc}"),
            Err(e) => {
                eprintln!("herald-load-test: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        println!("{table}");
    }
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

async fn run_streams(args: Args) -> ExitCode {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("\ninterrupted: stopping the events; the streams drain and report…");
        let _ = stop_tx.send(true);
    });
    match streams::run(&args, stop_rx).await {
        Ok(report) => finish(&report, args.json, &report.table(), report.passed),
        Err(e) => {
            eprintln!("herald-load-test --subscribers: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run_chaos(args: Args) -> ExitCode {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("\ninterrupted: stopping the traffic; the checker still reports…");
        let _ = stop_tx.send(true);
    });
    match chaos::run(&args, stop_rx).await {
        Ok(report) => finish(&report, args.json, &report.table(), report.passed),
        Err(e) => {
            eprintln!("herald-load-test --chaos: {e:#}");
            ExitCode::FAILURE
        }
    }
}
