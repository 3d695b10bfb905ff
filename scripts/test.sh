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
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

step "Unit tests: domain rules and app code (ssr)"
cargo test -p app --features ssr

step "Integration tests: real HTTP server on SQLite and PostgreSQL"
# One test at a time: each test runs its own server on its own tokio runtime, and with
# several in one process a page render occasionally never completes (seen 1 run in ~7;
# never with one server, even under 8-way concurrent load). Root cause still open.
cargo test -p server -- --test-threads=1

step "Building the front end and the server for the browser tests"
bash scripts/build.sh debug

step "End-to-end tests in Chromium (desktop, phone, JavaScript disabled)"
(cd end2end && npx playwright test)

step "All tests passed in $(( SECONDS - started )) s"
