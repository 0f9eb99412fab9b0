//! Per-request store data and what each component has been granted.

use crate::outbound::OutboundPolicy;
use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::WasiHttpCtx;
use wasmtime_wasi_http::p3::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::p3::{RequestOptions, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

/// What one component's manifest entry lets it reach.
#[derive(Debug, Clone, Default)]
pub struct ComponentGrants {
    /// SQLite database labels it may open.
    pub sqlite_databases: Vec<String>,
    /// Key-value store labels it may open.
    pub key_value_stores: Vec<String>,
    /// Destinations it may connect to.
    pub outbound: OutboundPolicy,
    /// Its component variables, templates expanded.
    pub variables: BTreeMap<String, String>,
}

/// Where each labelled database and store lives, shared by all components.
#[derive(Debug, Clone, Default)]
pub struct Services {
    /// SQLite files by label.
    pub sqlite_databases: BTreeMap<String, PathBuf>,
    /// Key-value files by label.
    pub key_value_stores: BTreeMap<String, PathBuf>,
}

impl Services {
    /// File of a SQLite database label.
    pub fn sqlite_path(&self, label: &str) -> Option<PathBuf> {
        self.sqlite_databases.get(label).cloned()
    }

    /// File of a key-value store label.
    pub fn key_value_path(&self, label: &str) -> Option<PathBuf> {
        self.key_value_stores.get(label).cloned()
    }
}

/// The data of one request's store.
pub struct RequestState {
    pub(crate) table: ResourceTable,
    pub(crate) wasi: WasiCtx,
    pub(crate) http: WasiHttpCtx,
    pub(crate) hooks: OutboundHttp,
    pub(crate) grants: Arc<ComponentGrants>,
    pub(crate) services: Arc<Services>,
}

impl RequestState {
    pub(crate) fn new(
        wasi: WasiCtx,
        grants: Arc<ComponentGrants>,
        services: Arc<Services>,
    ) -> RequestState {
        RequestState {
            table: ResourceTable::new(),
            wasi,
            http: WasiHttpCtx::new(),
            hooks: OutboundHttp {
                grants: Arc::clone(&grants),
            },
            grants,
            services,
        }
    }
}

impl WasiView for RequestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for RequestState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            hooks: &mut self.hooks,
            table: &mut self.table,
            ctx: &mut self.http,
        }
    }
}

/// Outgoing `wasi:http` requests, sent only to the component's allowed hosts.
pub(crate) struct OutboundHttp {
    grants: Arc<ComponentGrants>,
}

type BoxedResponse = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<UnsyncBoxBody<Bytes, ErrorCode>>,
                    Box<dyn Future<Output = Result<(), ErrorCode>> + Send>,
                ),
                wasmtime_wasi::TrappableError<ErrorCode>,
            >,
        > + Send,
>;

impl WasiHttpHooks for OutboundHttp {
    fn send_request(
        &mut self,
        request: http::Request<UnsyncBoxBody<Bytes, ErrorCode>>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), ErrorCode>> + Send>,
    ) -> BoxedResponse {
        let allowed = self.grants.outbound.allows_url(&request.uri().to_string());
        if !allowed {
            return Box::new(async { Err(ErrorCode::HttpRequestDenied.into()) });
        }
        let defaults = wasmtime_wasi_http::p3::default_hooks();
        defaults.send_request(request, options, fut)
    }
}
