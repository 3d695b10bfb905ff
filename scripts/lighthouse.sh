#!/usr/bin/env bash
# Lighthouse mobile on /login, /learn, /learn/<path>, /quiz/<attempt>, /deals and
# /deals/pipeline against a fresh release server (demo data). Reports only: timing-based.
# Usage: scripts/lighthouse.sh [release|debug]   (default release; builds if needed)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
PROFILE="${1:-release}"
[ -x "target/$PROFILE/partner-portal" ] && [ -f target/site/pkg/assets.txt ] || bash scripts/build.sh "$PROFILE"
work="$(mktemp -d)"
port=3199
"target/$PROFILE/partner-portal" --database-url "sqlite:$work/portal.db" --data-dir "$work" \
  --site-root target/site --bind "127.0.0.1:$port" > "$work/server.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
  kill -0 "$pid" 2>/dev/null || { cat "$work/server.log"; die "server exited"; }
  sleep 0.1
done
step "Lighthouse mobile ($PROFILE server)"
node scripts/lighthouse.mjs "http://127.0.0.1:$port"
