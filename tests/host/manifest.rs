//! The parts of a Spin manifest (`spin.toml`, manifest version 2) and of a
//! runtime configuration file that the host acts on.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// An application manifest with component sources resolved against its folder.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Folder of the manifest; component sources are relative to it.
    pub root: PathBuf,
    /// `[application] version`.
    pub version: String,
    /// Application variables by name.
    pub variables: BTreeMap<String, VariableDecl>,
    /// `[[trigger.http]]` entries in manifest order.
    pub http_triggers: Vec<HttpTrigger>,
    /// `[[trigger.redis]]` entries in manifest order, each with its address
    /// or the application's default address, still as templates.
    pub redis_triggers: Vec<RedisTrigger>,
    /// Components by id.
    pub components: BTreeMap<String, ComponentDecl>,
}

/// One `[variables]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableDecl {
    /// Value used when nothing overrides it; absent means the variable is required.
    pub default: Option<String>,
    /// Whether the value must be kept out of logs.
    #[serde(default)]
    pub secret: bool,
    /// Whether the application fails to start without a value.
    #[serde(default)]
    pub required: bool,
}

/// One `[[trigger.http]]` entry.
#[derive(Debug, Clone, Deserialize)]
pub struct HttpTrigger {
    /// Route pattern: `/exact`, `/prefix/...`, or with `:name` segments.
    pub route: String,
    /// Id of the component serving the route.
    pub component: String,
}

/// One `[[trigger.redis]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisTrigger {
    /// Address of the Redis server, such as `redis://127.0.0.1:6379`. It
    /// may contain `{{ variable }}` templates. Absent means the address of
    /// `[application.trigger.redis]`.
    pub address: Option<String>,
    /// Channel to subscribe to. It may contain `{{ variable }}` templates.
    pub channel: String,
    /// Id of the component that handles the channel's messages.
    pub component: String,
}

/// One `[component.<id>]` entry.
#[derive(Debug, Clone, Deserialize)]
pub struct ComponentDecl {
    /// Path of the `.wasm` file, relative to the manifest.
    pub source: PathBuf,
    /// SQLite database labels the component may open.
    #[serde(default)]
    pub sqlite_databases: Vec<String>,
    /// Key-value store labels the component may open.
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    /// Outbound destinations such as `redis://*:*` or `https://example.com`.
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    /// Component variables; values may be `{{ app_variable }}` templates.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct RawManifest {
    spin_manifest_version: u32,
    application: RawApplication,
    #[serde(default)]
    variables: BTreeMap<String, VariableDecl>,
    #[serde(default)]
    trigger: RawTriggers,
    #[serde(default)]
    component: BTreeMap<String, ComponentDecl>,
}

#[derive(Deserialize)]
struct RawApplication {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    trigger: RawApplicationTriggers,
}

/// `[application.trigger.<type>]` settings shared by a trigger type.
#[derive(Deserialize, Default)]
struct RawApplicationTriggers {
    #[serde(default)]
    redis: Option<RawRedisDefaults>,
}

#[derive(Deserialize)]
struct RawRedisDefaults {
    address: String,
}

#[derive(Deserialize, Default)]
struct RawTriggers {
    #[serde(default)]
    http: Vec<HttpTrigger>,
    #[serde(default)]
    redis: Vec<RedisTrigger>,
}

impl Manifest {
    /// Reads and checks a manifest: every trigger names a declared component
    /// and every component variable template names a declared variable.
    pub fn load(path: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read manifest {}", path.display()))?;
        let raw: RawManifest = toml::from_str(&text)
            .with_context(|| format!("invalid manifest {}", path.display()))?;
        if raw.spin_manifest_version != 2 {
            bail!(
                "unsupported spin_manifest_version {}",
                raw.spin_manifest_version
            );
        }

        let root = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let default_redis_address = raw.application.trigger.redis.map(|redis| redis.address);
        let mut redis_triggers = raw.trigger.redis;
        for trigger in &mut redis_triggers {
            if trigger.address.is_none() {
                trigger.address = default_redis_address.clone();
            }
        }
        let manifest = Manifest {
            root,
            version: raw.application.version.unwrap_or_default(),
            variables: raw.variables,
            http_triggers: raw.trigger.http,
            redis_triggers,
            components: raw.component,
        };
        manifest.check()?;
        Ok(manifest)
    }

    fn check(&self) -> Result<()> {
        for trigger in &self.http_triggers {
            if !self.components.contains_key(&trigger.component) {
                bail!(
                    "route {} names unknown component {}",
                    trigger.route,
                    trigger.component
                );
            }
        }
        for trigger in &self.redis_triggers {
            if !self.components.contains_key(&trigger.component) {
                bail!(
                    "Redis channel {} names unknown component {}",
                    trigger.channel,
                    trigger.component
                );
            }
            let Some(address) = &trigger.address else {
                bail!(
                    "Redis channel {} has no address, and [application.trigger.redis] sets none",
                    trigger.channel
                );
            };
            for template in [address, &trigger.channel] {
                self.check_template(template)?;
            }
        }
        for (id, component) in &self.components {
            for template in component.variables.values() {
                for name in crate::variables::template_references(template)? {
                    if !self.variables.contains_key(name) {
                        bail!("component {id} refers to undeclared variable {name}");
                    }
                }
            }
        }
        Ok(())
    }

    fn check_template(&self, template: &str) -> Result<()> {
        for name in crate::variables::template_references(template)? {
            if !self.variables.contains_key(name) {
                bail!("{template:?} refers to undeclared variable {name}");
            }
        }
        Ok(())
    }

    /// Absolute path of a component's `.wasm` file.
    pub fn component_source(&self, id: &str) -> Option<PathBuf> {
        self.components.get(id).map(|c| self.root.join(&c.source))
    }
}

/// Where the labelled SQLite databases and key-value stores live, read from a
/// Spin runtime configuration file (`[sqlite_database.<label>]` and
/// `[key_value_store.<label>]` with `type = "spin"` and a `path`).
#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    /// SQLite database files by label.
    pub sqlite_databases: BTreeMap<String, PathBuf>,
    /// Key-value store files by label.
    pub key_value_stores: BTreeMap<String, PathBuf>,
}

#[derive(Deserialize)]
struct RawRuntimeConfig {
    #[serde(default)]
    sqlite_database: BTreeMap<String, RawStore>,
    #[serde(default)]
    key_value_store: BTreeMap<String, RawStore>,
}

#[derive(Deserialize)]
struct RawStore {
    #[serde(rename = "type")]
    kind: String,
    path: Option<PathBuf>,
}

impl RuntimeConfig {
    /// Reads a runtime configuration file; relative paths are taken from its folder.
    pub fn load(path: &Path) -> Result<RuntimeConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read runtime config {}", path.display()))?;
        let raw: RawRuntimeConfig = toml::from_str(&text)
            .with_context(|| format!("invalid runtime config {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        Ok(RuntimeConfig {
            sqlite_databases: resolve_stores(base, raw.sqlite_database)?,
            key_value_stores: resolve_stores(base, raw.key_value_store)?,
        })
    }
}

fn resolve_stores(
    base: &Path,
    stores: BTreeMap<String, RawStore>,
) -> Result<BTreeMap<String, PathBuf>> {
    let mut resolved = BTreeMap::new();
    for (label, store) in stores {
        if store.kind != "spin" {
            bail!(
                "store {label}: only type = \"spin\" is supported, not {:?}",
                store.kind
            );
        }
        let Some(path) = store.path else {
            bail!("store {label}: a path is required");
        };
        resolved.insert(label, base.join(path));
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Manifest> {
        let folder = tempfile::tempdir()?;
        let path = folder.path().join("spin.toml");
        std::fs::write(&path, text)?;
        Manifest::load(&path)
    }

    const WORKER: &str = r#"
spin_manifest_version = 2
[application]
name = "worker"
[application.trigger.redis]
address = "redis://default:6379"
[variables]
channel = { default = "events" }
[[trigger.redis]]
channel = "{{ channel }}"
component = "worker"
[[trigger.redis]]
address = "redis://other:6379"
channel = "{{ channel }}.retries"
component = "worker"
[component.worker]
source = "worker.wasm"
"#;

    #[test]
    fn redis_triggers_take_default_address() {
        let manifest = load(WORKER).unwrap();

        let addresses: Vec<Option<&str>> = manifest
            .redis_triggers
            .iter()
            .map(|trigger| trigger.address.as_deref())
            .collect();
        assert_eq!(
            addresses,
            [Some("redis://default:6379"), Some("redis://other:6379")]
        );
        assert_eq!(manifest.redis_triggers[1].channel, "{{ channel }}.retries");
        assert!(manifest.http_triggers.is_empty());
    }

    #[test]
    fn redis_trigger_without_any_address_is_an_error() {
        let text = WORKER.replace(
            "[application.trigger.redis]\naddress = \"redis://default:6379\"\n",
            "",
        );

        let error = load(&text).unwrap_err();

        assert!(error.to_string().contains("has no address"), "{error}");
    }

    #[test]
    fn redis_trigger_unknown_names_are_errors() {
        let unknown_component =
            WORKER.replacen("component = \"worker\"", "component = \"nope\"", 1);
        let unknown_variable = WORKER.replacen("{{ channel }}", "{{ missing }}", 1);

        let component_error = load(&unknown_component).unwrap_err();
        let variable_error = load(&unknown_variable).unwrap_err();

        assert!(
            component_error
                .to_string()
                .contains("unknown component nope"),
            "{component_error}"
        );
        assert!(
            variable_error
                .to_string()
                .contains("undeclared variable missing"),
            "{variable_error}"
        );
    }
}
