#!/usr/bin/env bash
# The whole test suite: lints, unit tests, integration tests on SQLite and PostgreSQL, and
# end-to-end tests in Chromium. Installs what is missing first. Exits non-zero on any failure.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
started=$SECONDS
bash scripts/setup.sh --with-browser
ensure_postgres
if [ -f .wasm-toolchain ]; then export RUSTUP_TOOLCHAIN="$(cat .wasm-toolchain)"; fi

step "Formatting and lints (clippy -D warnings, server and browser builds)"
cargo fmt --all --check
cargo clippy -p server --all-targets -- -D warnings
cargo clippy -p app --features ssr --all-targets -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown --features all-islands -- -D warnings

step "Unit tests: domain rules and app code (ssr)"
cargo test -p app --features ssr

step "Integration tests: real HTTP server on SQLite and PostgreSQL"
# Several tests at once, each with its own server and database. (A page render used to hang
# now and then with several servers in one process: route-list generation raises a
# process-wide flag in leptos_server that parks resources polled meanwhile, leptos issue
# #4773. The server now generates its routes once per process; see `server::route_list`.)
cargo test -p server -- --test-threads=3

step "Building the front end and the server for the browser tests"
bash scripts/build.sh debug
cargo build -p server --example fake_hubspot --example fake_salesforce

step "Page weight budgets (deterministic: built files and the server's HTML)"
bash scripts/sizes.sh debug

step "End-to-end tests in Chromium (desktop, phone, JavaScript disabled)"
(cd end2end && npx playwright test)

step "All tests passed in $(( SECONDS - started )) s"
