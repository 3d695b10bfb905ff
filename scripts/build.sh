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

# One build of the frontend crate per bundle (app/src/lib.rs `BUNDLES`, which a unit test
# holds to this line): the learner bundle (form enhancer, lesson video), the quiz runner, and
# the form enhancer with the live checks (deal registration, credential check). Cargo keeps
# each feature set's build, so switching costs only the final link.
BUNDLES=("learner:forms,video" "quiz:quiz" "checks:forms,checks")
step "Compiling the front end to WebAssembly: ${#BUNDLES[@]} bundles (first time: several minutes each)"
WASM_DIR="$ROOT/target/wasm-bundles"
mkdir -p "$WASM_DIR"
for entry in "${BUNDLES[@]}"; do
  cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release --features "${entry#*:}"
  cp "$WASM_IN" "$WASM_DIR/${entry%%:*}.wasm"
done

# Skip bindgen/optimisation when neither the wasm nor the styles changed.
inputs_hash="$(for entry in "${BUNDLES[@]}"; do cat "$WASM_DIR/${entry%%:*}.wasm"; done | cat - style/*.css scripts/minify-css.mjs | sha256sum | cut -c1-64)"
if [ -f "$PKG/assets.txt" ] && [ "$(cat "$PKG/.inputs" 2>/dev/null)" = "$inputs_hash" ]; then
  note "front-end assets are up to date"
else
  step "Generating JS bindings and optimising the wasm"
  STAGE="$SITE/pkg.new"
  rm -rf "$STAGE" && mkdir -p "$STAGE"
  short_hash() { sha256sum "$1" | cut -c1-16; }
  : > "$STAGE/assets.txt"
  for entry in "${BUNDLES[@]}"; do
    bundle="${entry%%:*}"
    out="portal-$bundle"
    wasm-bindgen --target web --no-typescript --out-dir "$STAGE" --out-name "$out" "$WASM_DIR/$bundle.wasm"
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-reference-types --enable-multivalue \
      "$STAGE/${out}_bg.wasm" -o "$STAGE/$out.opt.wasm"
    rm "$STAGE/${out}_bg.wasm"
    js="$out.$(short_hash "$STAGE/$out.js").js"
    wasm="$out.$(short_hash "$STAGE/$out.opt.wasm").wasm"
    mv "$STAGE/$out.js" "$STAGE/$js"
    mv "$STAGE/$out.opt.wasm" "$STAGE/$wasm"
    printf '%s_js: %s\n%s_wasm: %s\n' "$bundle" "$js" "$bundle" "$wasm" >> "$STAGE/assets.txt"
  done
  # Served without comments or spare whitespace (the first-load budgets count every byte).
  node scripts/minify-css.mjs style/main.css "$STAGE/portal.css"
  css="portal.$(short_hash "$STAGE/portal.css").css"
  mv "$STAGE/portal.css" "$STAGE/$css"
  printf 'css: %s\n' "$css" >> "$STAGE/assets.txt"
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
  note "wrote $(tr "\n" " " < "$PKG/assets.txt")"
fi
mkdir -p "$SITE"
cp -r public/. "$SITE/"

step "Compiling the server ($PROFILE)"
if [ "$PROFILE" = "release" ]; then
  cargo build -p server --release
else
  cargo build -p server
fi
