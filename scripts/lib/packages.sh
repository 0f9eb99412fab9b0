# Sourced by the scripts. Names the workspace's Spin components and builds the
# cargo arguments that select everything else for the native build.

# Package name of every wasm32-wasip2 component: each crate under
# components/ and the benchmark baseline.
component_packages() {
    local manifest
    for manifest in components/*/Cargo.toml tests/baseline/Cargo.toml; do
        sed -n 's/^name = "\(.*\)"$/\1/p' "$manifest" | head -n 1
    done
}

# Package name of every library crate under crates/.
library_packages() {
    local manifest
    for manifest in crates/*/Cargo.toml; do
        sed -n 's/^name = "\(.*\)"$/\1/p' "$manifest" | head -n 1
    done
}

# `-p NAME` for every component.
component_args=()
while read -r package; do component_args+=(-p "$package"); done < <(component_packages)

# `-p NAME` for every library crate.
library_args=()
while read -r package; do library_args+=(-p "$package"); done < <(library_packages)

# The native workspace: every package but the components. Scripts that build
# the host select exactly this set, with `--tests --bins`, so that they share
# one build of wasmtime instead of resolving its features differently.
host_args=(--workspace)
while read -r package; do host_args+=(--exclude "$package"); done < <(component_packages)
