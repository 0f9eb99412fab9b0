//! What the webhook tests share: a loopback receiver that records requests
//! and responds with scripted statuses, a Standard Webhooks verifier written for
//! the tests, and the worker of `spin-worker.toml` run by the test host's
//! Redis trigger on an app's database.

use crate::support::TestApp;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use sha2::Sha256;
use spin_test_host::{HostOptions, RedisTrigger, workspace_root};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One request that reached the receiver.
#[derive(Debug, Clone)]
pub struct ReceivedRequest {
    /// Method, such as `POST`.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Headers as received.
    pub headers: HeaderMap,
    /// Body bytes as received.
    pub body: Bytes,
}

impl ReceivedRequest {
    /// Returns a header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// A response the receiver sends.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// A response with this status and an empty body.
    Status(u16),
    /// A `302` to `/redirected` on the receiver itself.
    Redirect,
}

struct ReceiverState {
    requests: Vec<ReceivedRequest>,
    script: VecDeque<Answer>,
}

/// A loopback HTTP server that records every request. It sends the scripted
/// responses in order, then `204`.
pub struct Receiver {
    /// Address it listens on.
    pub addr: SocketAddr,
    state: Arc<Mutex<ReceiverState>>,
    task: JoinHandle<()>,
}

impl Receiver {
    /// Starts a receiver with `script` as its first answers.
    pub async fn start(script: &[Answer]) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(ReceiverState {
            requests: Vec::new(),
            script: script.iter().copied().collect(),
        }));
        let task = tokio::spawn(serve(listener, Arc::clone(&state)));
        Receiver { addr, state, task }
    }

    /// Returns the URL of `path` on the receiver.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Returns the origin to allow in the worker's `allowed_outbound_hosts`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Returns every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .requests
            .clone()
    }

    /// Waits until at least `count` requests have arrived, running `poke`
    /// between checks. Panics after 30 s.
    pub async fn wait_for<F, Fut>(&self, count: usize, mut poke: F) -> Vec<ReceivedRequest>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = ()>,
    {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let requests = self.requests();
            if requests.len() >= count {
                return requests;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} webhook requests arrived within 30 s",
                requests.len()
            );
            poke().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(listener: TcpListener, state: Arc<Mutex<ReceiverState>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(answer(request, &state).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(request: Request<Incoming>, state: &Mutex<ReceiverState>) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|body| body.to_bytes())
        .unwrap_or_default();
    let next = {
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        state.requests.push(ReceivedRequest {
            method: parts.method.to_string(),
            path: parts
                .uri
                .path_and_query()
                .map_or("/".to_string(), ToString::to_string),
            headers: parts.headers,
            body,
        });
        state.script.pop_front().unwrap_or(Answer::Status(204))
    };
    let mut response = Response::new(Full::new(Bytes::new()));
    match next {
        Answer::Status(status) => {
            *response.status_mut() = StatusCode::from_u16(status).expect("a valid status");
        }
        Answer::Redirect => {
            *response.status_mut() = StatusCode::FOUND;
            response.headers_mut().insert(
                http::header::LOCATION,
                http::HeaderValue::from_static("/redirected"),
            );
        }
    }
    response
}

/// Why a webhook request failed verification.
#[derive(Debug, PartialEq, Eq)]
pub enum VerifyError {
    MissingHeader(&'static str),
    BadSecret,
    StaleTimestamp,
    NoMatchingSignature,
}

/// Verifies a request as a Standard Webhooks receiver does: the
/// `webhook-signature` header contains space-separated `v1,<base64>` entries,
/// one of which must equal the HMAC-SHA256 of `{id}.{timestamp}.{body}`
/// under the key that `secret` encodes, and the timestamp must be within
/// five minutes of now. Written for the tests, apart from the platform's
/// signing code.
pub fn verify(secret: &str, request: &ReceivedRequest) -> Result<(), VerifyError> {
    let id = request
        .header("webhook-id")
        .ok_or(VerifyError::MissingHeader("webhook-id"))?;
    let timestamp = request
        .header("webhook-timestamp")
        .ok_or(VerifyError::MissingHeader("webhook-timestamp"))?;
    let signatures = request
        .header("webhook-signature")
        .ok_or(VerifyError::MissingHeader("webhook-signature"))?;

    let sent_at: i64 = timestamp.parse().map_err(|_| VerifyError::StaleTimestamp)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64;
    if (now - sent_at).abs() > 300 {
        return Err(VerifyError::StaleTimestamp);
    }

    let key = secret
        .strip_prefix("whsec_")
        .and_then(|encoded| STANDARD.decode(encoded).ok())
        .ok_or(VerifyError::BadSecret)?;
    let mut signed = Vec::new();
    signed.extend_from_slice(id.as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(timestamp.as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(&request.body);

    for entry in signatures.split(' ') {
        let Some(encoded) = entry.strip_prefix("v1,") else {
            continue;
        };
        let Ok(candidate) = STANDARD.decode(encoded) else {
            continue;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| VerifyError::BadSecret)?;
        mac.update(&signed);
        if mac.verify_slice(&candidate).is_ok() {
            return Ok(());
        }
    }
    Err(VerifyError::NoMatchingSignature)
}

/// The webhook worker of `spin-worker.toml`, subscribed and handling
/// messages, on an app's database.
pub struct Worker {
    task: JoinHandle<anyhow::Result<()>>,
    _manifest_dir: TempDir,
}

impl Worker {
    /// Starts the worker for `app`, subscribed on `redis_address` to the
    /// events channel `channel` and its retry channel, allowed to reach
    /// `allowed_hosts`, with the retry settings shortened to 3 attempts
    /// 100 ms to 200 ms apart.
    pub async fn start(
        app: &TestApp,
        redis_address: &str,
        channel: &str,
        allowed_hosts: &[String],
    ) -> Worker {
        let manifest_dir = tempfile::tempdir().expect("temporary folder");
        let manifest = worker_manifest(manifest_dir.path(), allowed_hosts);
        let database = app.sqlite_path("default").expect("default database");
        let state_dir = database.parent().expect("the database's folder");

        let mut options = HostOptions::new(manifest, state_dir);
        options.read_environment = false;
        for (name, value) in [
            ("redis_address", redis_address),
            ("events_channel", channel),
            ("webhook_max_attempts", "3"),
            ("webhook_retry_base_ms", "100"),
            ("webhook_retry_max_ms", "200"),
        ] {
            options
                .variables
                .insert(name.to_string(), value.to_string());
        }
        let trigger = Arc::new(
            RedisTrigger::load(&options).expect("the worker loads; run scripts/build-components"),
        );
        let listener = trigger.subscribe().await.expect("the worker subscribes");
        let task = tokio::spawn(listener.run());
        Worker {
            task,
            _manifest_dir: manifest_dir,
        }
    }

    /// Waits until the worker stops, as Spin's trigger does when its Redis
    /// connection drops, and returns its error. Panics after 10 s.
    pub async fn stopped(mut self) -> anyhow::Error {
        let outcome = tokio::time::timeout(Duration::from_secs(10), &mut self.task)
            .await
            .expect("the worker stops within 10 s")
            .expect("the worker task runs");
        match outcome {
            Ok(()) => panic!("the worker stopped without an error"),
            Err(error) => error,
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Writes a copy of `spin-worker.toml` into `folder` with an absolute
/// component source and `allowed_hosts` as the worker's
/// `allowed_outbound_hosts`, the edit an operator makes for each
/// subscriber.
fn worker_manifest(folder: &Path, allowed_hosts: &[String]) -> std::path::PathBuf {
    let root = workspace_root();
    let text =
        std::fs::read_to_string(root.join("spin-worker.toml")).expect("read spin-worker.toml");
    let mut manifest: toml::Table = toml::from_str(&text).expect("spin-worker.toml is TOML");
    let worker = manifest
        .get_mut("component")
        .and_then(|components| components.get_mut("worker"))
        .and_then(|worker| worker.as_table_mut())
        .expect("spin-worker.toml declares [component.worker]");
    let source = worker["source"]
        .as_str()
        .expect("a source path")
        .to_string();
    worker.insert(
        "source".to_string(),
        toml::Value::from(root.join(source).to_string_lossy().into_owned()),
    );
    worker.insert(
        "allowed_outbound_hosts".to_string(),
        toml::Value::from(allowed_hosts.to_vec()),
    );
    let path = folder.join("spin-worker.toml");
    std::fs::write(
        &path,
        toml::to_string(&manifest).expect("serialise the manifest"),
    )
    .expect("write the worker manifest");
    path
}
