//! Loading an application and serving one request through the component its
//! route names, as Spin's HTTP trigger does.

use crate::clock::Clock;
use crate::manifest::{Manifest, RuntimeConfig};
use crate::outbound::OutboundPolicy;
use crate::routes::{RouteMatch, Router};
use crate::state::{ComponentGrants, RequestState, Services};
use crate::variables::Variables;
use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderName, HeaderValue, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi_http::p3::bindings::ServicePre;
use wasmtime_wasi_http::p3::bindings::http::types::ErrorCode;

/// Options for loading an application.
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// The `spin.toml` to serve.
    pub manifest: PathBuf,
    /// A runtime configuration file mapping store labels to files, as
    /// `spin up --runtime-config-file` takes.
    pub runtime_config: Option<PathBuf>,
    /// Folder for stores the runtime configuration does not name (Spin's `.spin`).
    pub state_dir: PathBuf,
    /// Values for application variables, over defaults and `SPIN_VARIABLE_*`.
    pub variables: BTreeMap<String, String>,
    /// Whether `SPIN_VARIABLE_*` environment variables are read.
    pub read_environment: bool,
    /// Whether component output on stderr reaches the host's stderr.
    pub component_stderr: bool,
    /// Extra routes to components outside the manifest: (route, id, `.wasm`, grants).
    pub extra_components: Vec<ExtraComponent>,
    /// `.wasm` files served in place of the `source` of the manifest's
    /// components with these ids, such as a variant built with other
    /// features for a benchmark.
    pub source_overrides: BTreeMap<String, PathBuf>,
}

/// A component served beside the manifest's, such as a benchmark baseline.
#[derive(Debug, Clone)]
pub struct ExtraComponent {
    /// Route, such as `/baseline/...`.
    pub route: String,
    /// Component id.
    pub id: String,
    /// Path of the `.wasm` file.
    pub source: PathBuf,
    /// SQLite labels it may open.
    pub sqlite_databases: Vec<String>,
}

impl HostOptions {
    /// Options for the manifest at `manifest`, with stores under `state_dir`.
    pub fn new(manifest: impl Into<PathBuf>, state_dir: impl Into<PathBuf>) -> HostOptions {
        HostOptions {
            manifest: manifest.into(),
            runtime_config: None,
            state_dir: state_dir.into(),
            variables: BTreeMap::new(),
            read_environment: true,
            component_stderr: true,
            extra_components: Vec::new(),
            source_overrides: BTreeMap::new(),
        }
    }
}

struct LoadedComponent {
    pre: ServicePre<RequestState>,
    grants: Arc<ComponentGrants>,
}

/// A loaded application: compiled components, routes, stores and a clock.
pub struct App {
    engine: Engine,
    router: Router,
    components: BTreeMap<String, LoadedComponent>,
    services: Arc<Services>,
    clock: Clock,
    component_stderr: bool,
}

impl App {
    /// Reads the manifest, resolves variables and stores, and compiles every
    /// component (reusing a compiled copy from an earlier run when the `.wasm`
    /// is unchanged).
    pub fn load(options: &HostOptions) -> Result<App> {
        let manifest = Manifest::load(&options.manifest)?;
        let runtime = match &options.runtime_config {
            Some(path) => RuntimeConfig::load(path)?,
            None => RuntimeConfig::default(),
        };
        let environment = |key: &str| {
            if options.read_environment {
                std::env::var(key).ok()
            } else {
                None
            }
        };
        let variables = Variables::resolve(&manifest, environment, &options.variables)?;
        for id in options.source_overrides.keys() {
            if !manifest.components.contains_key(id) {
                bail!("source override names component {id}, which the manifest does not declare");
            }
        }
        let services = Arc::new(services(&runtime, &options.state_dir)?);

        let engine = engine()?;
        let linker = linker(&engine)?;
        let mut router = Router::new(&manifest.http_triggers)?;
        let mut components = BTreeMap::new();
        for (id, decl) in &manifest.components {
            // Components that only a Redis trigger names are served by
            // `RedisTrigger`, not as HTTP handlers.
            let routed = manifest
                .http_triggers
                .iter()
                .any(|trigger| &trigger.component == id);
            if !routed {
                continue;
            }
            let grants = ComponentGrants {
                sqlite_databases: decl.sqlite_databases.clone(),
                key_value_stores: decl.key_value_stores.clone(),
                outbound: OutboundPolicy::parse(&decl.allowed_outbound_hosts)
                    .with_context(|| format!("component {id}"))?,
                variables: variables.for_component(&decl.variables)?,
            };
            check_labels(id, &grants, &services)?;
            let source = match options.source_overrides.get(id) {
                Some(path) => path.clone(),
                None => manifest.root.join(&decl.source),
            };
            components.insert(
                id.clone(),
                load_component(&engine, &linker, &source, grants)?,
            );
        }
        for extra in &options.extra_components {
            let grants = ComponentGrants {
                sqlite_databases: extra.sqlite_databases.clone(),
                ..Default::default()
            };
            router.add(&extra.route, &extra.id)?;
            components.insert(
                extra.id.clone(),
                load_component(&engine, &linker, &extra.source, grants)?,
            );
        }

        Ok(App {
            engine,
            router,
            components,
            services,
            clock: Clock::default(),
            component_stderr: options.component_stderr,
        })
    }

    /// Returns the clock that every component of this app reads.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Returns the file behind a SQLite database label.
    pub fn sqlite_path(&self, label: &str) -> Option<PathBuf> {
        self.services.sqlite_path(label)
    }

    /// Serves one request whose body is already read. An unmatched path gets
    /// Spin's bare 404; a component that traps or fails gets a bare 500.
    pub async fn handle(&self, request: Request<Bytes>, client: SocketAddr) -> Response<Bytes> {
        if request_authority(&request).is_err() {
            return bare(StatusCode::BAD_REQUEST);
        }
        let Some(route) = self.router.route(request.uri().path()) else {
            return bare(StatusCode::NOT_FOUND);
        };
        match self.call(route, request, client).await {
            Ok(response) => response,
            Err(error) => {
                eprintln!("test-host: component failed: {error:#}");
                bare(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    async fn call(
        &self,
        route: RouteMatch,
        request: Request<Bytes>,
        client: SocketAddr,
    ) -> Result<Response<Bytes>> {
        let component = self
            .components
            .get(&route.component)
            .with_context(|| format!("no component {}", route.component))?;
        let request = with_spin_headers(request, &route, client)?;

        let mut wasi = WasiCtxBuilder::new();
        wasi.wall_clock(self.clock.clone());
        if self.component_stderr {
            wasi.inherit_stderr().inherit_stdout();
        }
        let state = RequestState::new(
            wasi.build(),
            Arc::clone(&component.grants),
            Arc::clone(&self.services),
        );
        let mut store = Store::new(&self.engine, state);
        let service = component
            .pre
            .instantiate_async(&mut store)
            .await
            .map_err(anyhow::Error::from)?;

        let request = request.map(|body| {
            Full::new(body).map_err(|never: Infallible| -> ErrorCode { match never {} })
        });
        let (request, request_io) = wasmtime_wasi_http::p3::Request::from_http(request);
        store
            .run_concurrent(async |accessor| {
                let respond = async {
                    let response = service
                        .handle(accessor, request)
                        .await
                        .map_err(anyhow::Error::from)?
                        .map_err(guest_error)?;
                    let response = accessor
                        .with(|access| response.into_http(access, async { Ok(()) }))
                        .map_err(anyhow::Error::from)?;
                    let (parts, body) = response.into_parts();
                    let body = body.collect().await.map_err(guest_error)?.to_bytes();
                    anyhow::Ok(Response::from_parts(parts, body))
                };
                let consume_request = async { request_io.await.map_err(guest_error) };
                let (response, ()) = futures::try_join!(respond, consume_request)?;
                anyhow::Ok(response)
            })
            .await
            .map_err(anyhow::Error::from)?
    }
}

fn guest_error(code: ErrorCode) -> anyhow::Error {
    anyhow::anyhow!("component returned error code {code:?}")
}

fn bare(status: StatusCode) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(http::header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    response
}

/// Adds the headers Spin's HTTP trigger adds, replacing any a client sent.
fn with_spin_headers(
    mut request: Request<Bytes>,
    route: &RouteMatch,
    client: SocketAddr,
) -> Result<Request<Bytes>> {
    let authority = request_authority(&request)?;
    let path_and_query = request
        .uri()
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    let scheme = request.uri().scheme().cloned().unwrap_or(Scheme::HTTP);
    // Built from parsed parts, so no Host value can change the path the
    // component sees.
    let uri = Uri::builder()
        .scheme(scheme)
        .authority(authority)
        .path_and_query(path_and_query)
        .build()?;
    let full_url = uri.to_string();

    let mut pairs = vec![
        ("spin-path-info".to_string(), route.path_info.clone()),
        ("spin-full-url".to_string(), full_url.clone()),
        ("spin-matched-route".to_string(), route.raw_route.clone()),
        ("spin-base-path".to_string(), "/".to_string()),
        (
            "spin-raw-component-route".to_string(),
            route.raw_route.clone(),
        ),
        (
            "spin-component-route".to_string(),
            route.component_route.clone(),
        ),
        ("spin-client-addr".to_string(), client.to_string()),
    ];
    for (name, value) in &route.params {
        pairs.push((
            format!("spin-path-match-{}", name.to_ascii_lowercase()),
            value.clone(),
        ));
    }
    let headers = request.headers_mut();
    for (name, value) in pairs {
        headers.insert(HeaderName::try_from(name)?, HeaderValue::try_from(value)?);
    }
    // The component sees an absolute URI, as it does under Spin.
    *request.uri_mut() = uri;
    Ok(request)
}

/// Parses the request's `Host` as a URI authority, `localhost` when it is absent.
fn request_authority(request: &Request<Bytes>) -> Result<Authority> {
    let Some(host) = request.headers().get(http::header::HOST) else {
        return Ok(Authority::from_static("localhost"));
    };
    Ok(Authority::try_from(host.as_bytes())?)
}

pub(crate) fn services(runtime: &RuntimeConfig, state_dir: &Path) -> Result<Services> {
    let mut services = Services {
        sqlite_databases: runtime.sqlite_databases.clone(),
        key_value_stores: runtime.key_value_stores.clone(),
    };
    // Spin's defaults when the runtime configuration names no `default` store.
    services
        .sqlite_databases
        .entry("default".to_string())
        .or_insert_with(|| state_dir.join("sqlite_db.db"));
    services
        .key_value_stores
        .entry("default".to_string())
        .or_insert_with(|| state_dir.join("sqlite_key_value.db"));
    for path in services
        .sqlite_databases
        .values()
        .chain(services.key_value_stores.values())
    {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("failed to create {}", parent.display()))?;
        }
    }
    Ok(services)
}

/// Spin refuses to start when a component names a store that does not exist.
pub(crate) fn check_labels(id: &str, grants: &ComponentGrants, services: &Services) -> Result<()> {
    for label in &grants.sqlite_databases {
        if services.sqlite_path(label).is_none() {
            bail!("component {id} uses undefined SQLite database {label}");
        }
    }
    for label in &grants.key_value_stores {
        if services.key_value_path(label).is_none() {
            bail!("component {id} uses undefined key-value store {label}");
        }
    }
    Ok(())
}

/// Builds the engine that every component instance runs on.
///
/// Spin serves from wasmtime's pooling allocator. Each request's instance
/// reuses a slot whose first 2 MiB of linear memory stay resident, so the
/// same pool here keeps instance creation and page faults close to what a
/// request costs under Spin. The figures are Spin's defaults (`spin-core`)
/// for 1,000 concurrent instances.
pub(crate) fn engine() -> Result<Engine> {
    const MIB: usize = 1 << 20;
    const MAX_INSTANCES: u32 = 1_000;

    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(MAX_INSTANCES)
        .total_memories(MAX_INSTANCES)
        .total_tables(2 * MAX_INSTANCES)
        .total_stacks(MAX_INSTANCES)
        .total_core_instances(4 * MAX_INSTANCES)
        .table_elements(100_000)
        .max_component_instance_size(10 * MIB)
        .max_core_instance_size(10 * MIB)
        .max_core_instances_per_component(200)
        .max_tables_per_component(64)
        .max_memories_per_component(32)
        .max_tables_per_module(2)
        .max_memories_per_module(2)
        .max_memory_size(4 << 30)
        .linear_memory_keep_resident(2 * MIB)
        .table_keep_resident(MIB / 2);

    let mut config = Config::new();
    config.wasm_component_model_async(true);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Ok(Engine::new(&config)?)
}

pub(crate) fn linker(engine: &Engine) -> Result<Linker<RequestState>> {
    use crate::bindings::spin;
    use wasmtime::component::HasSelf;

    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi::p3::add_to_linker(&mut linker)?;
    wasmtime_wasi_http::p3::add_to_linker(&mut linker)?;
    spin::sqlite::sqlite::add_to_linker::<_, HasSelf<RequestState>>(&mut linker, |s| s)?;
    spin::key_value::key_value::add_to_linker::<_, HasSelf<RequestState>>(&mut linker, |s| s)?;
    spin::redis::redis::add_to_linker::<_, HasSelf<RequestState>>(&mut linker, |s| s)?;
    spin::variables::variables::add_to_linker::<_, HasSelf<RequestState>>(&mut linker, |s| s)?;
    Ok(linker)
}

fn load_component(
    engine: &Engine,
    linker: &Linker<RequestState>,
    source: &Path,
    grants: ComponentGrants,
) -> Result<LoadedComponent> {
    let component = compile_cached(engine, source)?;
    let instance_pre = linker
        .instantiate_pre(&component)
        .map_err(anyhow::Error::from)
        .with_context(|| {
            format!(
                "{} imports something this host does not provide",
                source.display()
            )
        })?;
    let pre = ServicePre::new(instance_pre)
        .map_err(anyhow::Error::from)
        .with_context(|| {
            format!(
                "{} does not export wasi:http/handler@0.3.0",
                source.display()
            )
        })?;
    Ok(LoadedComponent {
        pre,
        grants: Arc::new(grants),
    })
}

/// Compiles a component, or loads the native code an earlier run compiled
/// from the same bytes with the same engine settings. Every test process
/// loads the components again, and compiling them each time costs seconds.
pub(crate) fn compile_cached(engine: &Engine, source: &Path) -> Result<Component> {
    let wasm = std::fs::read(source).with_context(|| {
        format!(
            "failed to read {}; build the components first (see README)",
            source.display()
        )
    })?;
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    wasm.hash(&mut hasher);
    let stem = source
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("component");
    let cache_dir = source
        .parent()
        .unwrap_or(Path::new("."))
        .join("test-host-cache");
    let cached = cache_dir.join(format!("{stem}-{:016x}.cwasm", hasher.finish()));

    if cached.exists() {
        // SAFETY: the file was written by `precompile_component` of an engine
        // with the same compatibility hash, from these exact bytes, and only
        // this host writes to the cache folder.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &cached) } {
            return Ok(component);
        }
    }
    let compiled = engine
        .precompile_component(&wasm)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("failed to compile {}", source.display()))?;
    std::fs::create_dir_all(&cache_dir)?;
    // Write then rename, so a concurrent test process never reads half a file.
    let partial = cache_dir.join(format!("{}.{}.partial", stem, std::process::id()));
    std::fs::write(&partial, &compiled)?;
    std::fs::rename(&partial, &cached)?;
    // SAFETY: these bytes were produced by `precompile_component` just above.
    Ok(unsafe { Component::deserialize(engine, &compiled) }?)
}
