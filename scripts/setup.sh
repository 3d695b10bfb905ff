#!/usr/bin/env bash
# Installs whatever is missing to build and test the portal. Idempotent: a second run only checks.
# Everything comes from the package registries (crates.io, npm, Debian); nothing is downloaded
# from elsewhere at build time.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_wasm_target() {
  if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then return; fi
  step "Adding the wasm32 target (about 10 s)"
  if timeout 180 rustup target add wasm32-unknown-unknown; then return; fi
  note "rustup could not add the target; using Debian's Rust 1.96 toolchain instead"
  debian_wasm_toolchain
}

# Fallback when rustup cannot add the target: Debian's matching rustc, std source and lld,
# with a wasm32 std built once into the system sysroot, linked into rustup as 'system'.
debian_wasm_toolchain() {
  apt_install rustc-web cargo-web rust-web-src rust-web-llvm lld-22
  local sysroot_lib=/usr/lib/rustlib/wasm32-unknown-unknown/lib
  if ! ls "$sysroot_lib"/libstd-*.rlib >/dev/null 2>&1; then
    step "Building the wasm32 standard library once (1-4 minutes)"
    local scratch; scratch="$(mktemp -d)"
    mkdir -p "$scratch/src"
    printf '[package]\nname = "stdbuild"\nversion = "0.0.0"\nedition = "2021"\n[lib]\ncrate-type = ["cdylib"]\n[profile.release]\nlto = true\ncodegen-units = 1\npanic = "abort"\n' > "$scratch/Cargo.toml"
    echo '' > "$scratch/src/lib.rs"
    (cd "$scratch" && PATH=/usr/bin:$PATH RUSTC_BOOTSTRAP=1 cargo build --release --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort)
    mkdir -p "$sysroot_lib"
    cp "$scratch"/target/wasm32-unknown-unknown/release/deps/*.rlib "$sysroot_lib/"
    rm -rf "$scratch"
  fi
  rustup toolchain link system /usr >/dev/null 2>&1 || true
  echo system > "$ROOT/.wasm-toolchain"
  note "Builds will use RUSTUP_TOOLCHAIN=system (Debian rustc 1.96)"
}

ensure_wasm_bindgen() {
  local want; want="$(wasm_bindgen_version)"
  [ -n "$want" ] || die "wasm-bindgen is not in Cargo.lock"
  if command -v wasm-bindgen >/dev/null && [ "$(wasm-bindgen --version | awk '{print $2}')" = "$want" ]; then return; fi
  step "Installing wasm-bindgen-cli $want from crates.io (about 8 minutes, once)"
  cargo install wasm-bindgen-cli --version "$want" --locked \
    || cargo install wasm-bindgen-cli --version "$want"
}

ensure_node_packages() {
  command -v npm >/dev/null || apt_install nodejs npm
  local stamp="$ROOT/end2end/node_modules/.package-lock.stamp"
  if [ -f "$stamp" ] && cmp -s "$stamp" "$ROOT/end2end/package-lock.json"; then return; fi
  step "Installing npm packages (wasm-opt from binaryen, Playwright test runner)"
  (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  cp "$ROOT/end2end/package-lock.json" "$stamp"
}

# Third-party peers and validators the integration tests use: aiosmtpd, a real SMTP server
# that insists on STARTTLS (what it receives is read with Python's standard MIME parser),
# and icalendar, which reads the calendar files.
PYTHON_TEST_PACKAGES=(aiosmtpd==1.4.6 icalendar==6.1.3 jsonschema==4.26.0)
ensure_python_packages() {
  if python3 -c 'import aiosmtpd, icalendar, jsonschema' 2>/dev/null; then return; fi
  step "Installing ${PYTHON_TEST_PACKAGES[*]} from PyPI (test peers and validators)"
  python3 -m pip install --quiet --disable-pip-version-check "${PYTHON_TEST_PACKAGES[@]}" \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "${PYTHON_TEST_PACKAGES[@]}"
}

# 1EdTech's official Open Badges 3.0 JSON Schemas, which the credential tests validate
# against. They are on no registry of their own; the openbadgeslib sdist on PyPI carries
# them verbatim as test fixtures, so they are taken from there (never committed here).
OB3_SCHEMA_DIR="$ROOT/target/third-party/ob_schemas"
ensure_ob3_schema() {
  if [ -f "$OB3_SCHEMA_DIR/ob_v3p0_achievementcredential_schema.json" ]; then return; fi
  step "Fetching 1EdTech's Open Badges 3.0 JSON Schemas (openbadgeslib 4.6.3 sdist, PyPI)"
  local scratch; scratch="$(mktemp -d)"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    openbadgeslib==4.6.3 -d "$scratch"
  tar xzf "$scratch/openbadgeslib-4.6.3.tar.gz" -C "$scratch" \
    openbadgeslib-4.6.3/tests/fixtures/ob_schemas
  mkdir -p "$OB3_SCHEMA_DIR"
  cp "$scratch"/openbadgeslib-4.6.3/tests/fixtures/ob_schemas/*.json "$OB3_SCHEMA_DIR/"
  rm -rf "$scratch"
}

# promtool (Debian's prometheus package) lints the /metrics page in the tests, and the Nu
# HTML Checker (npm vnu-jar) needs a Java runtime.
ensure_validators() {
  if ! command -v promtool >/dev/null; then
    step "Installing Debian's prometheus package for promtool"
    apt_install prometheus
  fi
  if ! command -v java >/dev/null; then
    step "Installing a Java runtime for the Nu HTML Checker"
    apt_install default-jre-headless
  fi
  # OpenSSL makes the key pair the Salesforce JWT tests sign with (never committed).
  if ! command -v openssl >/dev/null; then
    step "Installing Debian's openssl for test key pairs"
    apt_install openssl
  fi
}

ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then return; fi
  step "Installing Debian's Chromium for browser tests"
  apt_install chromium
}

ensure_wasm_target
ensure_wasm_bindgen
ensure_node_packages
ensure_python_packages
ensure_ob3_schema
ensure_validators
if [ "${1:-}" = "--with-browser" ]; then ensure_chromium; fi
