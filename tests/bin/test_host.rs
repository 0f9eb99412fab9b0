//! Serves the Spin app on a loopback HTTP listener through the wasmtime test
//! host, and runs its Redis triggers, for machines without the Spin CLI.
//! Production runs on Spin.

use anyhow::{Context, Result, bail};
use spin_test_host::manifest::Manifest;
use spin_test_host::{App, HostOptions, RedisTrigger, server, workspace_root};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const USAGE: &str = "\
Usage: test-host [OPTIONS]

Serves the components of spin.toml as `spin up` would: HTTP triggers on the
listener, and Redis triggers (such as those of spin-worker.toml) subscribed
to their channels. Like Spin, it exits when a Redis connection drops.

Options:
  --from FILE                  Manifest to serve [default: spin.toml in the workspace]
  --listen ADDR                Address to listen on [default: 127.0.0.1:8000]
  --runtime-config-file FILE   Store locations, as for `spin up`
  --state-dir DIR              Folder for stores the runtime config does not name [default: .spin beside the manifest]
  --variable NAME=VALUE        Application variable (repeatable); SPIN_VARIABLE_<NAME> also works
  --quiet                      Drop the components' stdout and stderr
  -h, --help                   Print this help
";

#[tokio::main]
async fn main() {
    // Errors are printed as one chain of causes: a usage mistake needs no
    // backtrace, even where RUST_BACKTRACE is set.
    if let Err(error) = run().await {
        eprintln!("test-host: {error:#}");
        std::process::exit(1);
    }
}

async fn run() -> Result<()> {
    let (options, listen) = parse_args(std::env::args().skip(1))?;
    if !listen.ip().is_loopback() {
        bail!(
            "--listen must be a loopback address; this host is for tests, not for serving traffic"
        );
    }
    let manifest = Manifest::load(&options.manifest)?;
    if manifest.http_triggers.is_empty() && manifest.redis_triggers.is_empty() {
        bail!(
            "{} has no HTTP or Redis triggers",
            options.manifest.display()
        );
    }

    let redis = if manifest.redis_triggers.is_empty() {
        None
    } else {
        let trigger = Arc::new(RedisTrigger::load(&options)?);
        let listener = trigger.subscribe().await?;
        for subscription in trigger.subscriptions() {
            for channel in subscription.channels.keys() {
                eprintln!("test-host: subscribed to Redis channel {channel}");
            }
        }
        Some(listener)
    };
    let http = if manifest.http_triggers.is_empty() {
        None
    } else {
        let app = Arc::new(App::load(&options)?);
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("failed to listen on {listen}"))?;
        eprintln!(
            "test-host: serving {} on http://{}",
            options.manifest.display(),
            listener.local_addr()?
        );
        Some((app, listener))
    };

    let serve_http = async {
        match http {
            Some((app, listener)) => server::serve(app, listener)
                .await
                .map_err(anyhow::Error::from),
            None => std::future::pending().await,
        }
    };
    let run_redis = async {
        match redis {
            Some(listener) => listener.run().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        served = serve_http => served?,
        redis = run_redis => redis?,
        _ = tokio::signal::ctrl_c() => eprintln!("test-host: stopping"),
    }
    Ok(())
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<(HostOptions, SocketAddr)> {
    let mut options = HostOptions::new(workspace_root().join("spin.toml"), PathBuf::new());
    let mut state_dir = None;
    let mut listen: SocketAddr = "127.0.0.1:8000".parse()?;
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--from" | "-f" => options.manifest = PathBuf::from(value()?),
            "--listen" => listen = value()?.parse().context("--listen takes HOST:PORT")?,
            "--runtime-config-file" => options.runtime_config = Some(PathBuf::from(value()?)),
            "--state-dir" => state_dir = Some(PathBuf::from(value()?)),
            "--variable" => {
                let pair = value()?;
                let (name, val) = pair
                    .split_once('=')
                    .context("--variable takes NAME=VALUE")?;
                options.variables.insert(name.to_string(), val.to_string());
            }
            "--quiet" => options.component_stderr = false,
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}\n\n{USAGE}"),
        }
    }
    // Spin keeps its default stores in `.spin` beside the manifest.
    options.state_dir = state_dir.unwrap_or_else(|| {
        let manifest_dir = options.manifest.parent().unwrap_or(Path::new("."));
        manifest_dir.join(".spin")
    });
    Ok((options, listen))
}
