#!/usr/bin/env bash
# Installs what is missing, builds, and starts the portal at http://127.0.0.1:3000 on an
# embedded SQLite database (data/portal.db) with demo data. Extra arguments go to the server
# (see `target/release/partner-portal --help`). Settings in .env are honoured.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh
bash scripts/build.sh release
if [ -f .env ]; then set -a; source .env; set +a; fi
step "Starting Partner Portal"
exec target/release/partner-portal "$@"
