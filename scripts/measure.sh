#!/usr/bin/env bash
# Prints the size of every built asset (each bundle's JS and wasm, the CSS; raw/gzip/brotli) and the cold
# start time (process start to the first 200 from /healthz, migrations and demo seed included).
# Usage: scripts/measure.sh [release|debug]   (default release; builds if needed)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
PROFILE="${1:-release}"
ensure_built "$PROFILE"

step "First-load assets"
node -e '
  const zlib = require("zlib"), fs = require("fs"), dir = "target/site/pkg";
  const manifest = Object.fromEntries(fs.readFileSync(`${dir}/assets.txt`, "utf8").trim().split("\n").map(l => l.split(": ")));
  let raw = 0, gz = 0, br = 0;
  const kb = n => (n / 1024).toFixed(1).padStart(8) + " kB";
  console.log("file".padEnd(34) + "raw".padStart(11) + "gzip".padStart(11) + "brotli".padStart(11));
  for (const kind of Object.keys(manifest)) {
    const bytes = fs.readFileSync(`${dir}/${manifest[kind]}`);
    const g = zlib.gzipSync(bytes, { level: 9 }).length;
    const b = zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
    raw += bytes.length; gz += g; br += b;
    console.log(manifest[kind].padEnd(34) + kb(bytes.length) + kb(g) + kb(b));
  }
  console.log("all bundles".padEnd(34) + kb(raw) + kb(gz) + kb(br) + "   (a page loads the CSS and at most one bundle: scripts/sizes.sh)");
'

step "Cold start ($PROFILE binary, fresh SQLite database)"
work="$(mktemp -d)"
port=3197
for run in 1 2 3; do
  rm -rf "$work"/*
  start_ns=$(date +%s%N)
  "target/$PROFILE/partner-portal" --database-url "sqlite:$work/portal.db" --data-dir "$work" \
    --bind "127.0.0.1:$port" > "$work.log" 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$work.log"; die "server exited"; }
    sleep 0.005
  done
  end_ns=$(date +%s%N)
  echo "run $run: $(( (end_ns - start_ns) / 1000000 )) ms to first 200 on /healthz (budget: 1000 ms)"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
done
rm -rf "$work" "$work.log"
