//! A fresh app per test: the built components served by the wasmtime host on
//! a loopback port, with its own SQLite files, driven over real HTTP.

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use spin_test_host::{App, Clock, HostOptions, server, workspace_root};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;
use tokio::net::{TcpListener, TcpStream};

/// One running app with its own state folder.
pub struct TestApp {
    /// Address of the loopback listener.
    pub addr: SocketAddr,
    app: Arc<App>,
    _state: TempDir,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Settings for [`TestApp`] before it starts.
#[derive(Default)]
pub struct TestAppBuilder {
    variables: Vec<(String, String)>,
}

impl TestAppBuilder {
    /// Sets an application variable (`spin.toml` `[variables]`).
    pub fn variable(mut self, name: &str, value: &str) -> Self {
        self.variables.push((name.to_string(), value.to_string()));
        self
    }

    /// Loads `spin.toml` and starts listening on 127.0.0.1 with a free port.
    pub async fn spawn(self) -> TestApp {
        let state = tempfile::tempdir().expect("temporary folder");
        let mut options = HostOptions::new(workspace_root().join("spin.toml"), state.path());
        options.read_environment = false;
        options.variables.extend(self.variables);
        let app = App::load(&options).expect("the app loads; run scripts/build-components first");
        TestApp::serve(app, state).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestApp {
    /// An app with the manifest's defaults.
    pub async fn spawn() -> TestApp {
        TestApp::builder().spawn().await
    }

    /// An app with settings.
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
            _state: state,
            server,
        }
    }

    /// Returns the file behind a SQLite database label. The file may not exist before
    /// the first request that opens the database.
    pub fn sqlite_path(&self, label: &str) -> Option<PathBuf> {
        self.app.sqlite_path(label)
    }

    /// The clock the components see.
    pub fn clock(&self) -> &Clock {
        self.app.clock()
    }

    /// A new connection to the app's `default` SQLite database.
    pub fn db(&self) -> rusqlite::Connection {
        let path = self.app.sqlite_path("default").expect("default database");
        rusqlite::Connection::open(path).expect("open the default database")
    }

    /// A request to `path` with `method`.
    pub fn request(&self, method: Method, path: &str) -> TestRequest {
        TestRequest::new(self.addr, method, path)
    }

    /// A GET request.
    pub fn get(&self, path: &str) -> TestRequest {
        self.request(Method::GET, path)
    }

    /// A POST request.
    pub fn post(&self, path: &str) -> TestRequest {
        self.request(Method::POST, path)
    }
}

/// A request being built.
pub struct TestRequest {
    addr: SocketAddr,
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Bytes,
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
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
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

    /// Sends the request on a new keep-alive connection and reads the whole response.
    pub async fn send(self) -> TestResponse {
        let stream = TcpStream::connect(self.addr)
            .await
            .expect("connect to the test app");
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
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body parsed as JSON; panics with the body text when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}
