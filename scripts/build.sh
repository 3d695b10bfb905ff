#!/usr/bin/env bash
# Builds the front end (wasm + JS + CSS with content-hashed names) into target/site, then the
# server. Usage: scripts/build.sh [release|debug]   (server profile; default release)
# Drives cargo, wasm-bindgen and wasm-opt directly, so cargo-leptos is not needed to build.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROFILE="${1:-release}"
cd "$ROOT"
if [ -f .wasm-toolchain ]; then export RUSTUP_TOOLCHAIN="$(cat .wasm-toolchain)"; fi

SITE="$ROOT/target/site"
PKG="$SITE/pkg"
WASM_IN="$ROOT/target/wasm32-unknown-unknown/wasm-release/frontend.wasm"

step "Compiling the front end to WebAssembly (first time: several minutes)"
cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release

# Skip bindgen/optimisation when neither the wasm nor the styles changed.
inputs_hash="$(cat "$WASM_IN" style/*.css | sha256sum | cut -c1-64)"
if [ -f "$PKG/assets.txt" ] && [ "$(cat "$PKG/.inputs" 2>/dev/null)" = "$inputs_hash" ]; then
  note "front-end assets are up to date"
else
  step "Generating JS bindings and optimising the wasm"
  STAGE="$SITE/pkg.new"
  rm -rf "$STAGE" && mkdir -p "$STAGE"
  wasm-bindgen --target web --no-typescript --out-dir "$STAGE" --out-name portal "$WASM_IN"
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$STAGE/portal_bg.wasm" -o "$STAGE/portal_bg.opt.wasm"
  mv "$STAGE/portal_bg.opt.wasm" "$STAGE/portal_bg.wasm"
  cat style/main.css > "$STAGE/portal.css"

  short_hash() { sha256sum "$1" | cut -c1-16; }
  js="portal.$(short_hash "$STAGE/portal.js").js"
  wasm="portal.$(short_hash "$STAGE/portal_bg.wasm").wasm"
  css="portal.$(short_hash "$STAGE/portal.css").css"
  mv "$STAGE/portal.js" "$STAGE/$js"
  mv "$STAGE/portal_bg.wasm" "$STAGE/$wasm"
  mv "$STAGE/portal.css" "$STAGE/$css"
  printf 'js: %s\nwasm: %s\ncss: %s\n' "$js" "$wasm" "$css" > "$STAGE/assets.txt"
  # Precompressed copies at maximum quality; the server sends them to browsers that accept them.
  node -e '
    const zlib = require("zlib"), fs = require("fs"), dir = process.argv[1];
    for (const name of fs.readdirSync(dir).filter(n => /\.(js|wasm|css)$/.test(n))) {
      const raw = fs.readFileSync(`${dir}/${name}`);
      fs.writeFileSync(`${dir}/${name}.br`, zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }));
      fs.writeFileSync(`${dir}/${name}.gz`, zlib.gzipSync(raw, { level: 9 }));
    }' "$STAGE"
  echo "$inputs_hash" > "$STAGE/.inputs"
  rm -rf "$PKG" && mv "$STAGE" "$PKG"
  note "wrote $js, $wasm, $css"
fi
mkdir -p "$SITE"
cp -r public/. "$SITE/"

step "Compiling the server ($PROFILE)"
if [ "$PROFILE" = "release" ]; then
  cargo build -p server --release
else
  cargo build -p server
fi
