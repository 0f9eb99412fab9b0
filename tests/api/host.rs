//! The test host's Spin behaviour with manifests written here: routing
//! without a catch-all, the grants of a component's manifest entry, and the
//! precedence of variable values.

use crate::fixtures::{minimal_lead, post_lead};
use crate::support::{TestApp, TestRequest};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use spin_test_host::manifest::Manifest;
use spin_test_host::{App, HostOptions, workspace_root};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use tempfile::TempDir;

/// The local Redis server the tests may use.
const REDIS_ADDRESS: &str = "redis://127.0.0.1:6379";

/// A loopback port nothing listens on, so connections are refused at once.
const CLOSED_REDIS_ADDRESS: &str = "redis://127.0.0.1:1";

/// The routes of the workspace manifest without its `/...` catch-all.
const ROUTES_WITHOUT_CATCH_ALL: &[&str] = &["/health", "/api/leads", "/api/leads/..."];

/// The `[component.leads]` grants of the workspace manifest.
const FULL_GRANTS: &str =
    "sqlite_databases = [\"default\"]\nallowed_outbound_hosts = [\"redis://*:*\"]";

/// Returns the path of the built lead component that the workspace manifest names.
fn leads_wasm() -> PathBuf {
    let manifest = Manifest::load(&workspace_root().join("spin.toml")).expect("load spin.toml");
    manifest
        .component_source("leads")
        .expect("spin.toml has a leads component")
}

/// Writes `spin.toml` into `folder`: the lead component by absolute path on
/// `routes`, with `grants` as the extra lines of its manifest entry and the
/// `redis_address` variable passed through.
fn write_manifest(folder: &Path, routes: &[&str], grants: &str) -> PathBuf {
    let source = toml::Value::String(leads_wasm().to_string_lossy().into_owned());
    let mut text = String::from(
        "spin_manifest_version = 2\n\n[application]\nname = \"host-test\"\nversion = \"0.1.0\"\n\n\
         [variables]\nredis_address = { default = \"\" }\nevents_channel = { default = \"host-test\" }\n",
    );
    for route in routes {
        text.push_str(&format!(
            "\n[[trigger.http]]\nroute = \"{route}\"\ncomponent = \"leads\"\n"
        ));
    }
    text.push_str(&format!(
        "\n[component.leads]\nsource = {source}\n{grants}\n"
    ));
    text.push_str(
        "\n[component.leads.variables]\nredis_address = \"{{ redis_address }}\"\n\
         events_channel = \"{{ events_channel }}\"\n",
    );
    let path = folder.join("spin.toml");
    std::fs::write(&path, text).expect("write the test manifest");
    path
}

/// Loads and serves a manifest written by [`write_manifest`], with
/// `variables` as explicit values and the environment ignored.
async fn serve_manifest(routes: &[&str], grants: &str, variables: &[(&str, &str)]) -> TestApp {
    let state = tempfile::tempdir().expect("temporary folder");
    let manifest = write_manifest(state.path(), routes, grants);
    let mut options = HostOptions::new(manifest, state.path().join("stores"));
    options.read_environment = false;
    for (name, value) in variables {
        options
            .variables
            .insert(name.to_string(), value.to_string());
    }
    let app = App::load(&options).expect("the test manifest loads");
    TestApp::serve(app, state).await
}

/// Sends `GET /health` and returns its status and body.
async fn health(addr: SocketAddr) -> (StatusCode, Value) {
    let response = TestRequest::new(addr, Method::GET, "/health").send().await;
    let body = response.expect_json(response.status);
    (response.status, body)
}

#[tokio::test]
async fn unmatched_path_gets_bare_not_found() {
    let app = serve_manifest(ROUTES_WITHOUT_CATCH_ALL, FULL_GRANTS, &[]).await;

    let response = app.get("/nope").send().await;

    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert!(response.body.is_empty(), "body: {}", response.text());
    assert_eq!(response.header("content-length"), Some("0"));
    assert_eq!(response.header("content-type"), None);
    assert_eq!(response.header("x-request-id"), None);
    let (status, _) = health(app.addr).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "routed paths still reach the component"
    );
}

#[tokio::test]
async fn catch_all_route_sends_unmatched_paths_to_component() {
    let mut routes = ROUTES_WITHOUT_CATCH_ALL.to_vec();
    routes.push("/...");
    let app = serve_manifest(&routes, FULL_GRANTS, &[]).await;

    let response = app.get("/nope").send().await;

    response.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
}

#[tokio::test]
async fn missing_database_grant_is_server_error() {
    let app = serve_manifest(
        ROUTES_WITHOUT_CATCH_ALL,
        "allowed_outbound_hosts = [\"redis://*:*\"]",
        &[],
    )
    .await;

    let response = post_lead(&app, &minimal_lead()).await;

    assert!(
        response.status.is_server_error(),
        "status {}: {}",
        response.status,
        response.text()
    );
    let code = match response.status {
        StatusCode::SERVICE_UNAVAILABLE => "SERVICE_UNAVAILABLE",
        _ => "INTERNAL_ERROR",
    };
    let error = response.expect_plain_error(response.status, code);
    let message = error["message"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        !message.contains("access"),
        "message names the host error: {message}"
    );

    let (status, body) = health(app.addr).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "unhealthy");
    assert_eq!(body["services"]["database"], "disconnected");
}

#[tokio::test]
async fn missing_outbound_grant_disconnects_queue() {
    let grants = "sqlite_databases = [\"default\"]";
    let app = serve_manifest(
        ROUTES_WITHOUT_CATCH_ALL,
        grants,
        &[("redis_address", REDIS_ADDRESS)],
    )
    .await;

    let (status, body) = health(app.addr).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "degraded");
    assert_eq!(
        body["services"],
        json!({"database": "connected", "queue": "disconnected"})
    );
}

#[tokio::test]
async fn exact_outbound_grant_reaches_redis() {
    let grants =
        "sqlite_databases = [\"default\"]\nallowed_outbound_hosts = [\"redis://127.0.0.1:6379\"]";
    let app = serve_manifest(
        ROUTES_WITHOUT_CATCH_ALL,
        grants,
        &[("redis_address", REDIS_ADDRESS)],
    )
    .await;

    let (status, body) = health(app.addr).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "healthy");
    assert_eq!(
        body["services"],
        json!({"database": "connected", "queue": "connected"})
    );
}

#[tokio::test]
async fn undefined_database_label_fails_to_load() {
    let state = tempfile::tempdir().expect("temporary folder");
    let grants = "sqlite_databases = [\"analytics\"]";
    let manifest = write_manifest(state.path(), ROUTES_WITHOUT_CATCH_ALL, grants);
    let options = HostOptions::new(manifest, state.path().join("stores"));

    let error = App::load(&options).err().expect("loading fails");

    assert!(format!("{error:#}").contains("analytics"), "{error:#}");
}

#[tokio::test]
async fn host_option_variables_override_defaults() {
    let app = serve_manifest(
        ROUTES_WITHOUT_CATCH_ALL,
        FULL_GRANTS,
        &[("redis_address", CLOSED_REDIS_ADDRESS)],
    )
    .await;

    let (status, body) = health(app.addr).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["services"]["queue"], "disconnected");
}

/// A `test-host` process serving a manifest, stopped when dropped.
struct HostProcess {
    child: Child,
    addr: SocketAddr,
    _state: TempDir,
}

impl HostProcess {
    /// Starts `test-host` on a free loopback port with `environment` added
    /// to a copy of this process's environment without `SPIN_VARIABLE_*`,
    /// and `arguments` after the listener and state options.
    fn start(environment: &[(&str, &str)], arguments: &[&str]) -> HostProcess {
        let state = tempfile::tempdir().expect("temporary folder");
        let manifest = write_manifest(state.path(), ROUTES_WITHOUT_CATCH_ALL, FULL_GRANTS);
        let mut command = Command::new(env!("CARGO_BIN_EXE_test-host"));
        command
            .arg("--from")
            .arg(&manifest)
            .arg("--state-dir")
            .arg(state.path().join("stores"))
            .args(["--listen", "127.0.0.1:0", "--quiet"])
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
        std::thread::spawn(move || {
            // Reading on to the end keeps the pipe from filling up.
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some((_, addr)) = line.rsplit_once("http://") {
                    let _ = sender.send(addr.trim().to_string());
                }
            }
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
            _state: state,
        }
    }
}

impl Drop for HostProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn spin_variable_environment_sets_variable() {
    let host = HostProcess::start(
        &[("SPIN_VARIABLE_REDIS_ADDRESS", CLOSED_REDIS_ADDRESS)],
        &[],
    );

    let (status, body) = health(host.addr).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["services"]["queue"], "disconnected");
}

#[tokio::test]
async fn variable_argument_overrides_environment() {
    let environment = [("SPIN_VARIABLE_REDIS_ADDRESS", CLOSED_REDIS_ADDRESS)];
    let host = HostProcess::start(&environment, &["--variable", "redis_address="]);

    let (status, body) = health(host.addr).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["services"]["queue"], "not_configured");
}

#[tokio::test]
async fn variable_argument_sets_variable() {
    let host = HostProcess::start(
        &[],
        &["--variable", &format!("redis_address={REDIS_ADDRESS}")],
    );

    let (status, body) = health(host.addr).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["services"]["queue"], "connected");
}
