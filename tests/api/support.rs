//! A fresh app per test: the built components served by the wasmtime host on
//! a loopback port, with its own SQLite files, driven over real HTTP.
//!
//! Every app accepts [`TEST_API_KEY`] as its bootstrap admin key, and every
//! request sends it in `X-API-Key` unless the test sends other credentials
//! or none, so tests of other behaviour pass authentication.

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use spin_test_host::{App, Clock, HostOptions, server, workspace_root};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tempfile::TempDir;
use tokio::net::{TcpListener, TcpSocket, TcpStream};

/// The bootstrap admin key of every test app: `ak_` and 32 letters and digits.
pub const TEST_API_KEY: &str = "ak_TestBootstrapKey0123456789abcdef";

/// Lead requests per caller per minute unless a test sets
/// `rate_limit_leads`: high enough that no test of other behaviour meets it.
const TEST_LEADS_RATE_LIMIT: &str = "1000000";

/// Returns the variables every test app starts with: the bootstrap key, a
/// high lead limit, and a `redis_key_prefix` no other app of any test run
/// uses, so apps that share the local Redis never share a rate-limit budget.
pub fn test_variables() -> BTreeMap<String, String> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let prefix = format!(
        "cloudvelous-test-{}-{started}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    BTreeMap::from([
        ("bootstrap_api_key".to_string(), TEST_API_KEY.to_string()),
        (
            "rate_limit_leads".to_string(),
            TEST_LEADS_RATE_LIMIT.to_string(),
        ),
        ("redis_key_prefix".to_string(), prefix),
    ])
}

/// One running app with its own state folder.
pub struct TestApp {
    /// Address of the loopback listener.
    pub addr: SocketAddr,
    app: Arc<App>,
    redis_key_prefix: Option<String>,
    _state: TempDir,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Settings for [`TestApp`] before it starts.
#[derive(Default)]
pub struct TestAppBuilder {
    variables: Vec<(String, String)>,
}

impl TestAppBuilder {
    /// Sets an application variable (`spin.toml` `[variables]`), replacing
    /// the value of [`test_variables`].
    pub fn variable(mut self, name: &str, value: &str) -> Self {
        self.variables.push((name.to_string(), value.to_string()));
        self
    }

    /// Loads `spin.toml` and starts listening on 127.0.0.1 with a free port.
    pub async fn spawn(self) -> TestApp {
        let state = tempfile::tempdir().expect("temporary folder");
        let mut options = HostOptions::new(workspace_root().join("spin.toml"), state.path());
        options.read_environment = false;
        options.variables = test_variables();
        options.variables.extend(self.variables);
        let prefix = options.variables.get("redis_key_prefix").cloned();
        let app = App::load(&options).expect("the app loads; run scripts/build-components first");
        let mut app = TestApp::serve(app, state).await;
        app.redis_key_prefix = prefix;
        app
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestApp {
    /// Starts an app with the manifest's defaults.
    pub async fn spawn() -> TestApp {
        TestApp::builder().spawn().await
    }

    /// Returns a builder for an app with settings.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    /// Serves an app that the caller loaded, for tests that write their own
    /// manifest or host options. `state` is the folder behind the app's
    /// stores and is deleted when the returned app is dropped.
    pub async fn serve(app: App, state: TempDir) -> TestApp {
        let app = Arc::new(app);
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let server = tokio::spawn(server::serve(Arc::clone(&app), listener));
        TestApp {
            addr,
            app,
            redis_key_prefix: None,
            _state: state,
            server,
        }
    }

    /// Returns the app's `redis_key_prefix`, which starts the Redis key of
    /// every rate-limit window. Panics for an app not started by the builder.
    pub fn redis_key_prefix(&self) -> &str {
        self.redis_key_prefix
            .as_deref()
            .expect("an app started by TestAppBuilder")
    }

    /// Returns the file behind a SQLite database label. The file may not exist before
    /// the first request that opens the database.
    pub fn sqlite_path(&self, label: &str) -> Option<PathBuf> {
        self.app.sqlite_path(label)
    }

    /// Returns the clock that the components read.
    pub fn clock(&self) -> &Clock {
        self.app.clock()
    }

    /// Opens a new connection to the app's `default` SQLite database.
    pub fn db(&self) -> rusqlite::Connection {
        let path = self.app.sqlite_path("default").expect("default database");
        rusqlite::Connection::open(path).expect("open the default database")
    }

    /// Starts a request to `path` with `method`.
    pub fn request(&self, method: Method, path: &str) -> TestRequest {
        TestRequest::new(self.addr, method, path)
    }

    /// Starts a GET request.
    pub fn get(&self, path: &str) -> TestRequest {
        self.request(Method::GET, path)
    }

    /// Starts a POST request.
    pub fn post(&self, path: &str) -> TestRequest {
        self.request(Method::POST, path)
    }

    /// Builds a DELETE request.
    pub fn delete(&self, path: &str) -> TestRequest {
        self.request(Method::DELETE, path)
    }
}

/// A request being built.
pub struct TestRequest {
    addr: SocketAddr,
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Bytes,
    default_credentials: bool,
    local_ip: Option<IpAddr>,
}

impl TestRequest {
    /// Creates a request to `path` with `method` on the server at `addr`, for
    /// servers that a test starts without [`TestApp`].
    pub fn new(addr: SocketAddr, method: Method, path: &str) -> TestRequest {
        TestRequest {
            addr,
            method,
            path: path.to_string(),
            headers: Vec::new(),
            body: Bytes::new(),
            default_credentials: true,
            local_ip: None,
        }
    }

    /// Adds a header. A second call with the same name adds a second field.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Sends no `X-API-Key` with [`TEST_API_KEY`]. Credentials that the
    /// test adds itself are still sent.
    pub fn without_credentials(mut self) -> Self {
        self.default_credentials = false;
        self
    }

    /// Adds `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Adds `X-API-Key: <key>`.
    pub fn api_key(self, key: &str) -> Self {
        self.header("x-api-key", key)
    }

    /// Connects from `ip` instead of 127.0.0.1. It must be a loopback
    /// address (127.0.0.0/8), which Linux routes without configuration.
    pub fn client_ip(mut self, ip: IpAddr) -> Self {
        self.local_ip = Some(ip);
        self
    }

    /// Sets a JSON body and `Content-Type: application/json`.
    pub fn json(self, body: &Value) -> Self {
        self.header("content-type", "application/json")
            .body(body.to_string())
    }

    /// Sets raw body bytes declared as `Content-Type: application/json`, for
    /// bodies that `json` cannot produce, such as invalid JSON.
    pub fn json_bytes(self, body: impl Into<Bytes>) -> Self {
        self.header("content-type", "application/json").body(body)
    }

    /// Sets the raw body bytes.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sends the request on a new keep-alive connection and reads the whole
    /// response. Adds `X-API-Key: TEST_API_KEY` unless the request has an
    /// `Authorization` or `X-API-Key` header or is built
    /// [`without_credentials`](Self::without_credentials).
    pub async fn send(mut self) -> TestResponse {
        let has_credentials = self.headers.iter().any(|(name, _)| {
            name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("x-api-key")
        });
        if self.default_credentials && !has_credentials {
            self.headers
                .push(("x-api-key".to_string(), TEST_API_KEY.to_string()));
        }
        let stream = connect(self.addr, self.local_ip).await;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("HTTP handshake");
        tokio::spawn(connection);

        let mut request = Request::builder()
            .method(self.method)
            .uri(&self.path)
            .header("host", format!("{}", self.addr));
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let request = request.body(Full::new(self.body)).expect("valid request");
        let response = tokio::time::timeout(Duration::from_secs(30), sender.send_request(request))
            .await
            .expect("response within 30 s")
            .expect("a response");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("response body").to_bytes();
        TestResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }
}

/// Opens a TCP connection to `addr`, from `local_ip` when given.
async fn connect(addr: SocketAddr, local_ip: Option<IpAddr>) -> TcpStream {
    let Some(ip) = local_ip else {
        return TcpStream::connect(addr)
            .await
            .expect("connect to the test app");
    };
    assert!(ip.is_loopback(), "{ip} is not a loopback address");
    let socket = TcpSocket::new_v4().expect("create a socket");
    socket
        .bind(SocketAddr::new(ip, 0))
        .unwrap_or_else(|error| panic!("bind {ip}: {error}"));
    socket
        .connect(addr)
        .await
        .unwrap_or_else(|error| panic!("connect to the test app from {ip}: {error}"))
}

/// A whole response.
#[derive(Debug)]
pub struct TestResponse {
    /// Status code.
    pub status: StatusCode,
    /// Headers as received.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Bytes,
}

impl TestResponse {
    /// Returns a header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Parses the body as JSON, and panics with the body text when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Returns the body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A `test-host` process serving a manifest, stopped when dropped.
pub struct HostProcess {
    child: Child,
    /// The address it listens on.
    pub addr: SocketAddr,
    stderr: Option<std::thread::JoinHandle<Vec<String>>>,
    _state: TempDir,
}

impl HostProcess {
    /// Starts `test-host` serving `manifest` on a free loopback port, with
    /// its stores in `state`. The process gets `environment` added to a
    /// copy of this process's environment without `SPIN_VARIABLE_*`, and
    /// `arguments` after the listener and state options.
    pub fn start(
        manifest: &Path,
        state: TempDir,
        environment: &[(&str, &str)],
        arguments: &[&str],
    ) -> HostProcess {
        let mut command = Command::new(env!("CARGO_BIN_EXE_test-host"));
        command
            .arg("--from")
            .arg(manifest)
            .arg("--state-dir")
            .arg(state.path().join("stores"))
            .args(["--listen", "127.0.0.1:0"])
            .args(arguments)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("SPIN_VARIABLE_") {
                command.env_remove(name);
            }
        }
        command.envs(environment.iter().copied());
        let mut child = command.spawn().expect("start test-host");

        let stderr = child.stderr.take().expect("piped stderr");
        let (sender, receiver) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            // Reading on to the end keeps the pipe from filling up.
            let mut lines = Vec::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some((_, addr)) = line.rsplit_once("http://") {
                    let _ = sender.send(addr.trim().to_string());
                }
                lines.push(line);
            }
            lines
        });
        let addr = receiver
            .recv_timeout(Duration::from_secs(120))
            .expect("test-host reports its address within 120 s");
        let addr = addr
            .parse()
            .unwrap_or_else(|error| panic!("address {addr:?}: {error}"));
        HostProcess {
            child,
            addr,
            stderr: Some(reader),
            _state: state,
        }
    }

    /// Stops the process and returns every line it wrote to stderr, the
    /// components' log lines included unless it ran with `--quiet`.
    pub fn stop(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr
            .take()
            .map(|reader| reader.join().expect("stderr reader"))
            .unwrap_or_default()
    }
}

impl Drop for HostProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
