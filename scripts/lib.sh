# Shared helpers for the project scripts. Source it; do not run it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-1}"
export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# The exact wasm-bindgen version the workspace resolved; the CLI must match it.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

apt_install() {
  if [ ! -f /var/lib/apt/lists/.partner-portal-updated ]; then
    apt-get update -qq && touch /var/lib/apt/lists/.partner-portal-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# PostgreSQL on 127.0.0.1:5432 with trust auth for local tests: used if running, else
# installed from Debian's packages and started.
ensure_postgres() {
  if command -v pg_isready >/dev/null && pg_isready -h 127.0.0.1 -p 5432 -q; then return; fi
  step "Starting PostgreSQL for the integration tests"
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql
    local hba; hba="$(ls /etc/postgresql/*/main/pg_hba.conf | sort -V | tail -1)"
    # Tests connect as postgres without a password, only from this machine.
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  local version; version="$(ls /etc/postgresql | sort -V | tail -1)"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 60); do
    pg_isready -h 127.0.0.1 -p 5432 -q && return
    sleep 0.5
  done
  die "PostgreSQL did not start on 127.0.0.1:5432"
}

# Builds the front end and the server (profile $1) unless both are already there.
ensure_built() {
  [ -x "$ROOT/target/$1/partner-portal" ] && [ -f "$ROOT/target/site/pkg/assets.txt" ] || bash "$ROOT/scripts/build.sh" "$1"
}

# Starts the built server (profile $1) on 127.0.0.1:$2 with a fresh SQLite database and demo
# data (without the generated history, so page weights stay those of the seeded demo), waits for /healthz, and stops it (and removes its files) when the script exits.
# Sets DEMO_SERVER_LOG to its log file.
start_demo_server() {
  local profile="$1" port="$2" work
  work="$(mktemp -d)"
  "$ROOT/target/$profile/partner-portal" --database-url "sqlite:$work/portal.db" --data-dir "$work" \
    --site-root "$ROOT/target/site" --bind "127.0.0.1:$port" --demo-history false > "$work/server.log" 2>&1 &
  DEMO_SERVER_PID=$!
  DEMO_SERVER_DIR="$work"
  DEMO_SERVER_LOG="$work/server.log"
  trap 'kill -TERM $DEMO_SERVER_PID 2>/dev/null; wait $DEMO_SERVER_PID 2>/dev/null; rm -rf "$DEMO_SERVER_DIR"' EXIT
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
    kill -0 "$DEMO_SERVER_PID" 2>/dev/null || { cat "$DEMO_SERVER_LOG"; die "server exited"; }
    sleep 0.1
  done
}
