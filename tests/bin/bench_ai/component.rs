//! The AI component served by the wasmtime test host in this process, and a
//! keep-alive HTTP/1.1 client that sends it `POST /api/analyze` requests
//! and reads the engine time from `Server-Timing`.

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use spin_test_host::{App, HostOptions, server, workspace_root};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::{TcpListener, TcpStream};

/// Key sent in `X-API-Key` and configured as the app's bootstrap admin key.
const BENCH_API_KEY: &str = "ak_benchai0000000000000000000000000";

/// Per-caller limit on AI requests per minute. The manifest's default of 20
/// would reject almost every request, so the limit is raised far above any
/// rate this host reaches.
const AI_RATE_LIMIT: &str = "1000000000";

/// A response slower than this ends the bench with an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The app of `spin.toml`, served on a loopback port until dropped.
pub struct Served {
    /// Address of the loopback listener.
    pub addr: SocketAddr,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    _state: StateDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Loads `spin.toml` into a fresh state folder, with the components' stderr
/// off, and serves it on a free loopback port. With `redis_address`, the
/// rate limiter keeps its windows in that Redis under a prefix unique to
/// this run; otherwise it keeps them in SQLite.
pub async fn serve(redis_address: Option<&str>) -> Result<Served> {
    let state = StateDir::create()?;
    let mut options = HostOptions::new(workspace_root().join("spin.toml"), state.path());
    options.read_environment = false;
    options.component_stderr = false;
    let mut variables = vec![
        ("bootstrap_api_key", BENCH_API_KEY.to_string()),
        ("rate_limit_ai", AI_RATE_LIMIT.to_string()),
    ];
    if let Some(address) = redis_address {
        variables.push(("redis_address", address.to_string()));
        variables.push(("redis_key_prefix", state.redis_key_prefix()));
    }
    for (name, value) in variables {
        options.variables.insert(name.to_string(), value);
    }

    let app = Arc::new(App::load(&options)?);
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .context("failed to listen on 127.0.0.1")?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(server::serve(app, listener));
    Ok(Served {
        addr,
        server,
        _state: state,
    })
}

/// The response to one `POST /api/analyze`.
pub struct Scored {
    /// The engine's time inside the component, from `Server-Timing`.
    pub engine: Duration,
    /// The response body: the analysis as JSON.
    pub body: Bytes,
}

/// One keep-alive connection to the served app.
pub struct Client {
    sender: http1::SendRequest<Full<Bytes>>,
    addr: SocketAddr,
}

impl Client {
    /// Opens a connection to `addr`.
    pub async fn connect(addr: SocketAddr) -> Result<Client> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("failed to connect to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Client { sender, addr })
    }

    /// Sends `text` to `POST /api/analyze` and waits for the whole
    /// response, which must be a `200` with the engine time.
    pub async fn analyze(&mut self, text: &str) -> Result<Scored> {
        let body = serde_json::to_vec(&serde_json::json!({"text": text}))?;
        let request = Request::builder()
            .method(Method::POST)
            .uri("/api/analyze")
            .header(header::HOST, self.addr.to_string())
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-api-key", BENCH_API_KEY)
            .body(Full::new(Bytes::from(body)))?;
        self.sender.ready().await?;
        let response = tokio::time::timeout(REQUEST_TIMEOUT, self.sender.send_request(request))
            .await
            .context("no response within 30 s")??;
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        if parts.status != StatusCode::OK {
            let text = String::from_utf8_lossy(&body);
            bail!(
                "{}: {}",
                parts.status,
                text.chars().take(300).collect::<String>()
            );
        }
        let timing = parts
            .headers
            .get("server-timing")
            .context("the response has no Server-Timing header")?
            .to_str()?;
        Ok(Scored {
            engine: engine_duration(timing)?,
            body,
        })
    }
}

/// Reads the `engine` metric's duration from a `Server-Timing` value such
/// as `engine;dur=0.123` (milliseconds).
fn engine_duration(timing: &str) -> Result<Duration> {
    let milliseconds = timing
        .split(',')
        .find_map(|metric| metric.trim().strip_prefix("engine;dur="))
        .with_context(|| format!("Server-Timing {timing:?} has no engine metric"))?;
    let milliseconds: f64 = milliseconds
        .parse()
        .with_context(|| format!("Server-Timing {timing:?} has no numeric duration"))?;
    Ok(Duration::from_secs_f64(milliseconds / 1000.0))
}

/// A temporary folder for the app's stores, removed when dropped.
struct StateDir(PathBuf);

impl StateDir {
    fn create() -> Result<StateDir> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let name = format!("cloudvelous-bench-ai-{}-{nanos}", std::process::id());
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir(&path)
            .with_context(|| format!("failed to create {}", path.display()))?;
        Ok(StateDir(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// Returns a `redis_key_prefix` unique to this folder.
    fn redis_key_prefix(&self) -> String {
        let name = self
            .0
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!("{name}:bench")
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.0) {
            eprintln!("bench-ai: failed to remove {}: {error}", self.0.display());
        }
    }
}
