//! Generates the host bindings for the Spin interfaces from the WIT files that
//! ship inside the `spin-sdk` crate the components are built with, so the host
//! and the components always agree on the interface versions.

use cargo_metadata::MetadataCommand;
use std::path::PathBuf;

const SPIN_SDK_VERSION: &str = "7.0.0";

fn main() {
    println!("cargo:rerun-if-changed=../Cargo.lock");
    println!("cargo:rerun-if-changed=build.rs");

    let metadata = MetadataCommand::new()
        .manifest_path("../Cargo.toml")
        .exec()
        .expect("cargo metadata failed for the workspace");
    let sdk = metadata
        .packages
        .iter()
        .find(|p| p.name.as_str() == "spin-sdk" && p.version.to_string() == SPIN_SDK_VERSION)
        .unwrap_or_else(|| {
            panic!("spin-sdk {SPIN_SDK_VERSION} is not in the workspace's dependency graph")
        });
    let wit_dir = sdk
        .manifest_path
        .parent()
        .expect("a manifest path has a parent folder")
        .join("wit");

    let bindings = format!(
        r#"wasmtime::component::bindgen!({{
    path: {wit_dir:?},
    inline: "
        package cloudvelous:test-host;
        world spin-host {{
            import spin:sqlite/sqlite@3.1.0;
            import spin:key-value/key-value@3.0.0;
            import spin:redis/redis@3.0.0;
            import spin:variables/variables@3.0.0;
        }}
    ",
    world: "cloudvelous:test-host/spin-host",
    imports: {{ default: trappable }},
    with: {{
        "spin:sqlite/sqlite.connection": crate::interfaces::sqlite::SqliteConnection,
        "spin:key-value/key-value.store": crate::interfaces::key_value::KeyValueStore,
        "spin:redis/redis.connection": crate::interfaces::redis::RedisConnection,
    }},
}});
"#,
        wit_dir = wit_dir.as_str()
    );
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("spin_bindings.rs"), bindings)
        .expect("failed to write the generated bindings");

    // The export of a Redis-triggered component, as `#[redis_subscriber]`
    // of spin-sdk generates it: `handle-message` of
    // `spin:redis/inbound-redis`, an async function. Its types come from
    // the `spin:redis/redis` bindings above.
    let redis_handler = format!(
        r#"wasmtime::component::bindgen!({{
    path: {wit_dir:?},
    inline: "
        package cloudvelous:test-host-redis;
        world redis-handler {{
            export spin:redis/inbound-redis@3.0.0;
        }}
    ",
    world: "cloudvelous:test-host-redis/redis-handler",
    exports: {{ default: async | store }},
    with: {{
        "spin:redis/redis": crate::bindings::spin::redis::redis,
    }},
}});
"#,
        wit_dir = wit_dir.as_str()
    );
    std::fs::write(
        out_dir.join("spin_redis_handler_bindings.rs"),
        redis_handler,
    )
    .expect("failed to write the generated Redis handler bindings");
}
