#!/usr/bin/env bash
# First-load size of every page reachable from the navigation (CSS + the bundle its loader
# picks, brotli -q 11), against the budgets: 150 kB for /learn, /learn/<path> and
# /quiz/<attempt>, 250 kB for the others. Deterministic; fails when a page is over budget.
# Usage: scripts/sizes.sh [release|debug]   (default debug; builds if needed)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
PROFILE="${1:-debug}"
ensure_built "$PROFILE"
port=3198
start_demo_server "$PROFILE" "$port"
step "First-load size per page (brotli -q 11)"
node scripts/sizes.mjs "http://127.0.0.1:$port" target/site || { tail -20 "$DEMO_SERVER_LOG"; exit 1; }
