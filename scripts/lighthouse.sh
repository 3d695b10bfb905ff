#!/usr/bin/env bash
# Lighthouse mobile on /login, /learn, /learn/<path>, /quiz/<attempt>, /deals and
# /deals/pipeline against a fresh release server (demo data), then navigation by full page
# loads on the same phone profile (scripts/navigation.mjs). Reports only: timing-based.
# Usage: scripts/lighthouse.sh [release|debug]   (default release; builds if needed)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
PROFILE="${1:-release}"
ensure_built "$PROFILE"
port=3199
start_demo_server "$PROFILE" "$port"
step "Lighthouse mobile ($PROFILE server)"
node scripts/lighthouse.mjs "http://127.0.0.1:$port"
step "Navigation by full page loads (phone profile)"
node scripts/navigation.mjs "http://127.0.0.1:$port"
