//! The test host's Spin behaviour with manifests written here: routing
//! without a catch-all, the grants of a component's manifest entry, and the
//! precedence of variable values.

use crate::fixtures::{minimal_lead, post_lead};
use crate::support::{HostProcess, TestApp, TestRequest, test_variables};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use spin_test_host::manifest::Manifest;
use spin_test_host::{App, HostOptions, workspace_root};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

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

/// Returns the workspace manifest's `[variables]` table and the variables
/// table of its `leads` component, so a test manifest maps every setting
/// the component reads.
fn workspace_variables() -> (toml::Table, toml::Table) {
    let path = workspace_root().join("spin.toml");
    let text = std::fs::read_to_string(&path).expect("read spin.toml");
    let manifest: toml::Table = toml::from_str(&text).expect("spin.toml is TOML");
    let table = |value: Option<&toml::Value>| {
        value
            .and_then(toml::Value::as_table)
            .cloned()
            .unwrap_or_default()
    };
    let application = table(manifest.get("variables"));
    let component = table(
        manifest
            .get("component")
            .and_then(|components| components.get("leads"))
            .and_then(|leads| leads.get("variables")),
    );
    (application, component)
}

/// Writes `spin.toml` into `folder`: the lead component by absolute path on
/// `routes`, with `grants` as the extra lines of its manifest entry and the
/// variables of the workspace manifest, with its defaults, passed through.
fn write_manifest(folder: &Path, routes: &[&str], grants: &str) -> PathBuf {
    let source = toml::Value::String(leads_wasm().to_string_lossy().into_owned());
    let (application_variables, component_variables) = workspace_variables();
    let mut text = String::from(
        "spin_manifest_version = 2\n\n[application]\nname = \"host-test\"\nversion = \"0.1.0\"\n\n",
    );
    let variables = toml::Table::from_iter([(
        "variables".to_string(),
        toml::Value::Table(application_variables),
    )]);
    text.push_str(&toml::to_string(&variables).expect("variables as TOML"));
    for route in routes {
        text.push_str(&format!(
            "\n[[trigger.http]]\nroute = \"{route}\"\ncomponent = \"leads\"\n"
        ));
    }
    text.push_str(&format!(
        "\n[component.leads]\nsource = {source}\n{grants}\n"
    ));
    text.push_str("\n[component.leads.variables]\n");
    text.push_str(&toml::to_string(&component_variables).expect("component variables as TOML"));
    let path = folder.join("spin.toml");
    std::fs::write(&path, text).expect("write the test manifest");
    path
}

/// Loads and serves a manifest written by [`write_manifest`], with
/// [`test_variables`] and then `variables` as explicit values and the
/// environment ignored.
async fn serve_manifest(routes: &[&str], grants: &str, variables: &[(&str, &str)]) -> TestApp {
    let state = tempfile::tempdir().expect("temporary folder");
    let manifest = write_manifest(state.path(), routes, grants);
    let mut options = HostOptions::new(manifest, state.path().join("stores"));
    options.read_environment = false;
    options.variables = test_variables();
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

/// Starts `test-host` with a manifest written by [`write_manifest`] and the
/// components' output dropped; see [`HostProcess::start`].
fn start_host(environment: &[(&str, &str)], arguments: &[&str]) -> HostProcess {
    let state = tempfile::tempdir().expect("temporary folder");
    let manifest = write_manifest(state.path(), ROUTES_WITHOUT_CATCH_ALL, FULL_GRANTS);
    let mut arguments = arguments.to_vec();
    arguments.push("--quiet");
    HostProcess::start(&manifest, state, environment, &arguments)
}

#[tokio::test]
async fn spin_variable_environment_sets_variable() {
    let host = start_host(
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
    let host = start_host(&environment, &["--variable", "redis_address="]);

    let (status, body) = health(host.addr).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["services"]["queue"], "not_configured");
}

#[tokio::test]
async fn variable_argument_sets_variable() {
    let host = start_host(
        &[],
        &["--variable", &format!("redis_address={REDIS_ADDRESS}")],
    );

    let (status, body) = health(host.addr).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["services"]["queue"], "connected");
}
