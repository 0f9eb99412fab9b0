//! Spin's Redis trigger: subscribing to the channels of a manifest's
//! `[[trigger.redis]]` entries and calling the handler of each message's
//! components, as Spin 4.1 does.
//!
//! Like Spin, the trigger handles one message at a time per Redis server
//! and runs the components subscribed to a channel concurrently, each in a
//! new instance. It logs a handler's error without retrying the message, and
//! it stops with an error when the connection to Redis drops.

use crate::app::{HostOptions, check_labels, compile_cached, engine, linker, services};
use crate::clock::Clock;
use crate::manifest::{Manifest, RuntimeConfig};
use crate::outbound::OutboundPolicy;
use crate::redis_handler_bindings::RedisHandlerPre;
use crate::state::{ComponentGrants, RequestState, Services};
use crate::variables::Variables;
use anyhow::{Context, Result, anyhow, bail};
use futures::StreamExt;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use wasmtime::component::Component;
use wasmtime::{Engine, Store};
use wasmtime_wasi::WasiCtxBuilder;

/// One Redis server with the channels to subscribe to on it, and the
/// components of each channel.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// Address, `redis://host:port`, with templates expanded.
    pub address: String,
    /// Component ids by channel name.
    pub channels: BTreeMap<String, Vec<String>>,
}

struct LoadedHandler {
    pre: RedisHandlerPre<RequestState>,
    grants: Arc<ComponentGrants>,
}

/// The Redis triggers of a loaded manifest, ready to subscribe.
pub struct RedisTrigger {
    engine: Engine,
    subscriptions: Vec<Subscription>,
    handlers: BTreeMap<String, LoadedHandler>,
    services: Arc<Services>,
    clock: Clock,
    component_stderr: bool,
    handled: AtomicU64,
}

impl RedisTrigger {
    /// Reads the manifest, resolves variables and stores, and compiles every
    /// component a Redis trigger names. A manifest without Redis triggers
    /// gives a trigger that subscribes to nothing.
    pub fn load(options: &HostOptions) -> Result<RedisTrigger> {
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
        let services = Arc::new(services(&runtime, &options.state_dir)?);
        let subscriptions = subscriptions(&manifest, &variables)?;

        let engine = engine()?;
        let linker = linker(&engine)?;
        let mut handlers = BTreeMap::new();
        for trigger in &manifest.redis_triggers {
            let id = &trigger.component;
            if handlers.contains_key(id) {
                continue;
            }
            let decl = &manifest.components[id];
            let grants = ComponentGrants {
                sqlite_databases: decl.sqlite_databases.clone(),
                key_value_stores: decl.key_value_stores.clone(),
                outbound: OutboundPolicy::parse(&decl.allowed_outbound_hosts)
                    .with_context(|| format!("component {id}"))?,
                variables: variables.for_component(&decl.variables)?,
            };
            check_labels(id, &grants, &services)?;
            let source = manifest.root.join(&decl.source);
            let component = compile_cached(&engine, &source)?;
            handlers.insert(
                id.clone(),
                LoadedHandler {
                    pre: handler_pre(&linker, &component, &source)?,
                    grants: Arc::new(grants),
                },
            );
        }

        Ok(RedisTrigger {
            engine,
            subscriptions,
            handlers,
            services,
            clock: Clock::default(),
            component_stderr: options.component_stderr,
            handled: AtomicU64::new(0),
        })
    }

    /// Returns the servers and channels the trigger subscribes to.
    pub fn subscriptions(&self) -> &[Subscription] {
        &self.subscriptions
    }

    /// Counts the messages whose handlers have finished, failed ones
    /// included.
    pub fn handled_messages(&self) -> u64 {
        self.handled.load(Ordering::SeqCst)
    }

    /// Connects to every Redis server and subscribes to its channels. The
    /// subscriptions are active when this returns, so a message published
    /// afterwards reaches the handlers once [`Listener::run`] runs.
    pub async fn subscribe(self: &Arc<Self>) -> Result<Listener> {
        let mut streams = Vec::new();
        for subscription in &self.subscriptions {
            let client = ::redis::Client::open(subscription.address.as_str())
                .with_context(|| "invalid Redis address in a Redis trigger".to_string())?;
            let mut pubsub = client.get_async_pubsub().await.with_context(|| {
                format!(
                    "the Redis trigger failed to connect to {}",
                    redacted(&subscription.address)
                )
            })?;
            for channel in subscription.channels.keys() {
                pubsub.subscribe(channel).await.with_context(|| {
                    format!(
                        "the Redis trigger failed to subscribe to {channel} on {}",
                        redacted(&subscription.address)
                    )
                })?;
            }
            streams.push((subscription.clone(), pubsub.into_on_message()));
        }
        Ok(Listener {
            trigger: Arc::clone(self),
            streams,
        })
    }

    /// Calls `handle-message` of `component` with `payload` in a new
    /// instance.
    async fn dispatch(&self, component: &str, payload: Vec<u8>) -> Result<()> {
        let handler = self
            .handlers
            .get(component)
            .with_context(|| format!("no component {component}"))?;
        let mut wasi = WasiCtxBuilder::new();
        wasi.wall_clock(self.clock.clone());
        if self.component_stderr {
            wasi.inherit_stderr().inherit_stdout();
        }
        let state = RequestState::new(
            wasi.build(),
            Arc::clone(&handler.grants),
            Arc::clone(&self.services),
        );
        let mut store = Store::new(&self.engine, state);
        let instance = handler
            .pre
            .instantiate_async(&mut store)
            .await
            .map_err(anyhow::Error::from)?;
        let outcome = store
            .run_concurrent(async |accessor| {
                instance
                    .spin_redis_inbound_redis()
                    .call_handle_message(accessor, payload)
                    .await
            })
            .await
            .map_err(anyhow::Error::from)?
            .map_err(anyhow::Error::from)?;
        outcome.map_err(|error| anyhow!("the handler returned an error: {error:?}"))
    }
}

/// Active subscriptions of a [`RedisTrigger`].
pub struct Listener {
    trigger: Arc<RedisTrigger>,
    streams: Vec<(Subscription, ::redis::aio::PubSubStream)>,
}

impl Listener {
    /// Handles messages until a connection to Redis drops, then returns the
    /// error that Spin's trigger would exit with.
    pub async fn run(self) -> Result<()> {
        let trigger = self.trigger;
        let listeners = self.streams.into_iter().map(|(subscription, stream)| {
            let trigger = Arc::clone(&trigger);
            Box::pin(listen(trigger, subscription, stream))
        });
        let (outcome, _, _) = futures::future::select_all(listeners).await;
        outcome
    }
}

/// Handles the messages of one server's subscriptions one at a time.
async fn listen(
    trigger: Arc<RedisTrigger>,
    subscription: Subscription,
    mut stream: ::redis::aio::PubSubStream,
) -> Result<()> {
    while let Some(message) = stream.next().await {
        let channel = message.get_channel_name().to_string();
        let payload = message.get_payload_bytes().to_vec();
        let Some(components) = subscription.channels.get(&channel) else {
            eprintln!("test-host: message from unexpected Redis channel {channel}");
            continue;
        };
        let calls = components.iter().map(|component| {
            let trigger = &trigger;
            let payload = payload.clone();
            async move {
                if let Err(error) = trigger.dispatch(component, payload).await {
                    eprintln!("test-host: Redis handler of {component} failed: {error:#}");
                }
            }
        });
        futures::future::join_all(calls).await;
        trigger.handled.fetch_add(1, Ordering::SeqCst);
    }
    bail!(
        "the Redis trigger lost its connection to {}",
        redacted(&subscription.address)
    )
}

/// Groups the manifest's Redis triggers by expanded address and channel.
fn subscriptions(manifest: &Manifest, variables: &Variables) -> Result<Vec<Subscription>> {
    let mut by_address: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for trigger in &manifest.redis_triggers {
        let address_template = trigger
            .address
            .as_deref()
            .context("a Redis trigger has no address")?;
        let address = variables.expand(address_template)?;
        let channel = variables.expand(&trigger.channel)?;
        if address.trim().is_empty() {
            bail!(
                "the Redis trigger of {} has an empty address",
                trigger.component
            );
        }
        by_address
            .entry(address)
            .or_default()
            .entry(channel)
            .or_default()
            .push(trigger.component.clone());
    }
    Ok(by_address
        .into_iter()
        .map(|(address, channels)| Subscription { address, channels })
        .collect())
}

fn handler_pre(
    linker: &wasmtime::component::Linker<RequestState>,
    component: &Component,
    source: &std::path::Path,
) -> Result<RedisHandlerPre<RequestState>> {
    let instance_pre = linker
        .instantiate_pre(component)
        .map_err(anyhow::Error::from)
        .with_context(|| {
            format!(
                "{} imports something this host does not provide",
                source.display()
            )
        })?;
    RedisHandlerPre::new(instance_pre)
        .map_err(anyhow::Error::from)
        .with_context(|| {
            format!(
                "{} does not export spin:redis/inbound-redis@3.0.0",
                source.display()
            )
        })
}

/// Replaces the user information of a Redis address, which may hold a
/// password.
fn redacted(address: &str) -> String {
    match address.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://[redacted]@{host}"),
            None => address.to_owned(),
        },
        None => address.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_password() {
        assert_eq!(
            redacted("redis://user:pw@cache:6379"),
            "redis://[redacted]@cache:6379"
        );
        assert_eq!(redacted("redis://cache:6379"), "redis://cache:6379");
    }
}
