#!/usr/bin/env bash
# The production profile on one machine, without Docker (docs/deployment.md):
# PostgreSQL, the Temporal server (frontend, history, matching and worker services
# on PostgreSQL), a three-node NATS JetStream cluster with a user per service, two
# workers, two instances of each service behind HAProxy, and Prometheus scraping
# every one of them. Its ports never meet the dev stack's (7233/8233, 4222, 3001-3003,
# 9464), so both run side by side.
#
#   infra/cluster.sh up                 build what is missing, set up, start everything
#   infra/cluster.sh down               stop everything (data kept in .data/cluster)
#   infra/cluster.sh destroy            stop everything and delete its data (PostgreSQL's too)
#   infra/cluster.sh status             every process, its pid and port
#   infra/cluster.sh start|stop|restart|kill <name>   one process by name (kill: SIGKILL, for fault tests)
#   infra/cluster.sh env                the variables a client of the profile needs (KEY, URLs)
#   infra/cluster.sh render <dir>       write the configuration files only (the tests check them)
#   infra/cluster.sh names              the process names
# `infra/stack.sh up --profile cluster` is the same as `infra/cluster.sh up`.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CDATA=${YUQING_CLUSTER_DIR:-$ROOT/.data/cluster}
TOOLS=$ROOT/.tools/bin
export PATH="$TOOLS:$PATH"

TEMPORAL_SERVER_MODULE=go.temporal.io/server
TEMPORAL_SERVER_VERSION=v1.29.1
# Fixed for the life of the cluster (Temporal cannot change it later): 64 shards keep
# the overhead small on two cores and still spread over up to 8 history hosts later.
HISTORY_SHARDS=64
STREAM_REPLICAS=3

PG_PORT=5532
T_FRONTEND=7333 T_FRONTEND_HTTP=7343 T_HISTORY=7334 T_MATCHING=7335 T_WORKER=7339 T_METRICS=9436
NATS_PORTS=(4322 4323 4324) NATS_ROUTES=(6322 6323 6324) NATS_HTTP=(8322 8323 8324)
WORKER_METRICS=(9564 9565)
INTAKE_PORTS=(3101 3111) DISPATCH_PORTS=(3102 3112) REPORTING_PORTS=(3103 3113)
LB_INTAKE=3201 LB_DISPATCH=3202 LB_REPORTING=3203 LB_STATS=8414
PROMETHEUS_PORT=9190
UI_PORT=8333
UI_SERVER_MODULE=github.com/temporalio/ui-server/v2/cmd/server@v2.42.1

NAMES=(postgres temporal temporal-ui nats-1 nats-2 nats-3 worker-1 worker-2 intake-1 intake-2 dispatch-1 dispatch-2 reporting-1 reporting-2 haproxy prometheus)
APP_PROCESSES=(worker-1 worker-2 intake-1 intake-2 dispatch-1 dispatch-2 reporting-1 reporting-2)

ETC=$CDATA/etc PIDS=$CDATA/pids LOGS=$CDATA/logs

say() { printf '\033[1m[cluster]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[cluster] %s\033[0m\n' "$*" >&2; exit 1; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() { # what, seconds, command...
  local what=$1 seconds=$2; shift 2
  for ((i = 0; i < seconds * 4; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
  die "$what did not come up within ${seconds}s (logs: $LOGS)"
}
running() { [[ -f $PIDS/$1.pid ]] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
# PostgreSQL refuses to run as root: as root, its programs run as the postgres user.
PG_AS_OWNER=()
[[ $(id -u) -eq 0 ]] && PG_AS_OWNER=(setpriv --reuid postgres --regid postgres --init-groups)
pg_as_owner() { "${PG_AS_OWNER[@]}" "$@"; }
# PostgreSQL's files live in $CDATA unless, as root, the postgres user cannot reach it (a
# checkout under a root-only directory, such as mktemp -d makes): then under /var/lib, one
# directory per $CDATA.
PG_DATA=$CDATA/postgres PG_SOCKET=$CDATA/postgres-socket pg_home=
if [[ $(id -u) -eq 0 ]]; then
  pg_reach=$CDATA
  while [[ ! -e $pg_reach ]]; do pg_reach=$(dirname "$pg_reach"); done
  if ! pg_as_owner test -x "$pg_reach"; then
    pg_home=/var/lib/yuqing-cluster/$(printf %s "$CDATA" | sha256sum | cut -c1-16)
    PG_DATA=$pg_home/postgres PG_SOCKET=$pg_home/postgres-socket
  fi
fi

secret() { # name: a random secret kept in $ETC/secrets/<name>
  local f=$ETC/secrets/$1
  if [[ ! -s $f ]]; then (umask 077 && mkdir -p "$ETC/secrets" && node -e 'process.stdout.write(require("crypto").randomBytes(24).toString("base64url"))' >"$f"); fi
  cat "$f"
}
nats_url() { # user: every node, with that user's credentials
  local user=$1 pass urls=()
  pass=$(secret "nats-$user")
  for p in "${NATS_PORTS[@]}"; do urls+=("nats://$user:$pass@127.0.0.1:$p"); done
  (IFS=,; echo "${urls[*]}")
}

# ---- configuration -----------------------------------------------------------

render_temporal() { # dir
  mkdir -p "$1/config"
  cat >"$1/config/cluster.yaml" <<EOF
# Rendered by infra/cluster.sh. One process runs the four services; a bigger cluster
# runs them as separate processes (\`server start --service history\`) on several hosts.
log: { stdout: true, level: warn }
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: $HISTORY_SHARDS
  datastores:
    default:
      sql: { pluginName: postgres12, databaseName: temporal, connectAddr: "127.0.0.1:$PG_PORT", connectProtocol: tcp, user: postgres, password: "", maxConns: 20, maxIdleConns: 20, maxConnLifetime: 1h }
    visibility:
      sql: { pluginName: postgres12, databaseName: temporal_visibility, connectAddr: "127.0.0.1:$PG_PORT", connectProtocol: tcp, user: postgres, password: "", maxConns: 4, maxIdleConns: 4, maxConnLifetime: 1h }
global:
  membership: { maxJoinDuration: 30s, broadcastAddress: 127.0.0.1 }
  metrics:
    prometheus: { framework: tally, timerType: histogram, listenAddress: "127.0.0.1:$T_METRICS" }
services:
  frontend: { rpc: { grpcPort: $T_FRONTEND, membershipPort: $((T_FRONTEND - 1000)), bindOnLocalHost: true, httpPort: $T_FRONTEND_HTTP } }
  history: { rpc: { grpcPort: $T_HISTORY, membershipPort: $((T_HISTORY - 1000)), bindOnLocalHost: true } }
  matching: { rpc: { grpcPort: $T_MATCHING, membershipPort: $((T_MATCHING - 1000)), bindOnLocalHost: true } }
  worker: { rpc: { grpcPort: $T_WORKER, membershipPort: $((T_WORKER - 1000)), bindOnLocalHost: true } }
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active: { enabled: true, initialFailoverVersion: 1, rpcName: frontend, rpcAddress: "127.0.0.1:$T_FRONTEND" }
dcRedirectionPolicy: { policy: noop }
dynamicConfigClient: { filepath: "$1/config/dynamicconfig.yaml", pollInterval: 10s }
EOF
  cat >"$1/config/dynamicconfig.yaml" <<'EOF'
# The incident workflow takes Updates (acknowledge, report, approve…).
frontend.enableUpdateWorkflowExecution:
  - value: true
# One partition per task queue: one worker machine's load does not need more, and it keeps sticky polls simple.
matching.numTaskqueueReadPartitions:
  - value: 1
matching.numTaskqueueWritePartitions:
  - value: 1
EOF
}

render_temporal_ui() { # dir: the Web UI for operators: it shows everything and changes nothing
  mkdir -p "$1/config"
  cat >"$1/config/cluster.yaml" <<EOF
temporalGrpcAddress: 127.0.0.1:$T_FRONTEND
host: 127.0.0.1
port: $UI_PORT
enableUi: true
defaultNamespace: default
refreshInterval: 1m
notifyOnNewVersion: false
# Operators look; workflows are changed only through the platform's API (its access rules and audit log).
disableWriteActions: true
workflowTerminateDisabled: true
workflowCancelDisabled: true
workflowSignalDisabled: true
workflowUpdateDisabled: true
workflowResetDisabled: true
batchActionsDisabled: true
startWorkflowDisabled: true
activityCommandsDisabled: true
cors:
  cookieInsecure: true
  allowOrigins: ["http://localhost:$LB_REPORTING"]
EOF
}

render_nats() { # dir
  mkdir -p "$1"
  local admin worker dispatch reporting
  admin=$(secret nats-admin) worker=$(secret nats-worker) dispatch=$(secret nats-dispatch) reporting=$(secret nats-reporting)
  # Each service's user may do only what it does: the relays (worker, dispatch) publish
  # incident.>; dispatch and reporting read their own durable consumer; reporting's
  # live view makes ordered consumers of its own. Only the admin creates streams and consumers.
  local read='"$JS.API.INFO", "$JS.API.STREAM.INFO.INCIDENTS"'
  (umask 077 && cat >"$1/users.conf" <<EOF
authorization {
  users = [
    { user: admin, password: "$admin" }
    { user: worker, password: "$worker", permissions: {
        publish: { allow: ["incident.>", $read] }
        subscribe: { allow: ["_INBOX.>"] } } }
    { user: dispatch, password: "$dispatch", permissions: {
        publish: { allow: ["incident.>", $read, "\$JS.API.CONSUMER.INFO.INCIDENTS.dispatch", "\$JS.API.CONSUMER.MSG.NEXT.INCIDENTS.dispatch", "\$JS.ACK.INCIDENTS.dispatch.>"] }
        subscribe: { allow: ["_INBOX.>"] } } }
    { user: reporting, password: "$reporting", permissions: {
        publish: { allow: [$read, "\$JS.API.CONSUMER.INFO.INCIDENTS.>", "\$JS.API.CONSUMER.MSG.NEXT.INCIDENTS.>", "\$JS.ACK.INCIDENTS.>", "\$JS.API.CONSUMER.CREATE.INCIDENTS.>", "\$JS.API.CONSUMER.DELETE.INCIDENTS.>"], deny: ["incident.>"] }
        subscribe: { allow: ["_INBOX.>"] } } }
  ]
}
EOF
  )
  local routes=()
  for p in "${NATS_ROUTES[@]}"; do routes+=("nats-route://127.0.0.1:$p"); done
  for i in 1 2 3; do
    cat >"$1/nats-$i.conf" <<EOF
server_name: nats-$i
listen: 127.0.0.1:${NATS_PORTS[i - 1]}
http: 127.0.0.1:${NATS_HTTP[i - 1]}
jetstream { store_dir: "$CDATA/nats-$i", max_memory_store: 256MB, max_file_store: 8GB }
cluster {
  name: yuqing
  listen: 127.0.0.1:${NATS_ROUTES[i - 1]}
  routes: [$(IFS=,; echo "${routes[*]}")]
}
include ./users.conf
EOF
  done
}

render_haproxy() { # dir
  mkdir -p "$1"
  {
    cat <<EOF
# Rendered by infra/cluster.sh: the three services, two instances each, checked through /readyz.
global
  maxconn 4096
  stats socket $CDATA/haproxy.sock mode 600 level admin

defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout http-request 10s
  # The console's live stream stays open; its heartbeat comes every 15 s.
  timeout tunnel 1h
  # A refused connection (an instance just died) is tried on the other instance.
  retries 2
  option redispatch
  option forwardfor

frontend stats
  bind 127.0.0.1:$LB_STATS
  http-request use-service prometheus-exporter if { path /metrics }
  stats enable
  stats uri /stats
EOF
    for svc in intake dispatch reporting; do
      local lb ports
      case $svc in intake) lb=$LB_INTAKE ports=("${INTAKE_PORTS[@]}") ;; dispatch) lb=$LB_DISPATCH ports=("${DISPATCH_PORTS[@]}") ;; reporting) lb=$LB_REPORTING ports=("${REPORTING_PORTS[@]}") ;; esac
      cat <<EOF

frontend $svc
  bind 127.0.0.1:$lb
  # Metrics are scraped from each instance, never through the public side.
  http-request deny deny_status 404 if { path /metrics }
  # The instances trust HAProxy's forwarded headers (TRUST_PROXY), so only HAProxy may set
  # them: a client's own X-Forwarded-Host or -Proto would be believed as if HAProxy said it.
  http-request del-header X-Forwarded-Host
  http-request set-header X-Forwarded-Proto http
  default_backend $svc

backend $svc
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 1s fall 2 rise 2
EOF
      for i in 1 2; do echo "  server $svc-$i 127.0.0.1:${ports[i - 1]} check"; done
    done
  } >"$1/haproxy.cfg"
}

render_prometheus() { # dir
  mkdir -p "$1"
  cp "$ROOT/infra/prometheus/alerts.yml" "$1/alerts.yml"
  {
    cat <<EOF
# Rendered by infra/cluster.sh: every process of the cluster profile.
global: { scrape_interval: 5s, evaluation_interval: 5s }
rule_files: [alerts.yml]
scrape_configs:
  - job_name: intake
    static_configs: [{ targets: ['127.0.0.1:${INTAKE_PORTS[0]}', '127.0.0.1:${INTAKE_PORTS[1]}'] }]
  - job_name: dispatch
    static_configs: [{ targets: ['127.0.0.1:${DISPATCH_PORTS[0]}', '127.0.0.1:${DISPATCH_PORTS[1]}'] }]
  - job_name: reporting
    static_configs: [{ targets: ['127.0.0.1:${REPORTING_PORTS[0]}', '127.0.0.1:${REPORTING_PORTS[1]}'] }]
  - job_name: worker
    static_configs: [{ targets: ['127.0.0.1:${WORKER_METRICS[0]}', '127.0.0.1:${WORKER_METRICS[1]}'] }]
  - job_name: temporal
    static_configs: [{ targets: ['127.0.0.1:$T_METRICS'] }]
  - job_name: haproxy
    static_configs: [{ targets: ['127.0.0.1:$LB_STATS'] }]
  - job_name: prometheus
    static_configs: [{ targets: ['127.0.0.1:$PROMETHEUS_PORT'] }]
EOF
  } >"$1/prometheus.yml"
}

render_env() { # the environment of the app processes (the secrets file is the operator's)
  # TRUST_PROXY: HAProxy's address as the instances see it, so that the per-address limits and
  # the audit log see each client (from X-Forwarded-For), not HAProxy.
  (umask 077 && cat >"$ETC/app.env" <<EOF
NODE_ENV=production
LOG_PRETTY=false
HOST=127.0.0.1
DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/yuqing
NATS_STREAM=INCIDENTS
TEMPORAL_ADDRESS=127.0.0.1:$T_FRONTEND
TEMPORAL_NAMESPACE=default
TEMPORAL_TASK_QUEUE=incidents
TEMPORAL_UI_URL=http://localhost:$UI_PORT
INTAKE_PUBLIC_URL=http://localhost:$LB_INTAKE
DISPATCH_PUBLIC_URL=http://localhost:$LB_DISPATCH
REPORTING_PUBLIC_URL=http://localhost:$LB_REPORTING
TRUST_PROXY=127.0.0.1
SECRETS_KEY=$(secret_key)
EOF
  )
  # Each instance's own settings (its port, its NATS user): the files the systemd units
  # read as /etc/yuqing/<program>-N.env, and what start_one adds to app.env.
  local name
  for name in "${APP_PROCESSES[@]}"; do (umask 077 && env_of "$name" >"$ETC/$name.env"); done
}

secret_key() {
  local f=$ETC/secrets/secrets-key
  if [[ ! -s $f ]]; then (umask 077 && mkdir -p "$ETC/secrets" && node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64"))' >"$f"); fi
  cat "$f"
}

render_all() { # dir
  local dir=$1
  mkdir -p "$dir"
  ETC=$dir
  render_temporal "$dir/temporal"
  render_temporal_ui "$dir/temporal-ui"
  render_nats "$dir/nats"
  render_haproxy "$dir/haproxy"
  render_prometheus "$dir/prometheus"
  render_env
}

# ---- tools -------------------------------------------------------------------

ensure_tools() {
  if [[ ! -x $TOOLS/temporal-server ]]; then
    command -v go >/dev/null || die "Go is needed to build the Temporal server"
    say "building the Temporal server $TEMPORAL_SERVER_VERSION and its SQL tool (first time: minutes; later runs reuse Go's caches)"
    mkdir -p "$TOOLS"
    local tmp
    tmp=$(mktemp -d)
    GOBIN=$tmp GOFLAGS=-mod=mod nice -n 10 go install "$TEMPORAL_SERVER_MODULE/cmd/server@$TEMPORAL_SERVER_VERSION" "$TEMPORAL_SERVER_MODULE/cmd/tools/sql@$TEMPORAL_SERVER_VERSION" ||
      die "go install of the Temporal server failed"
    mv "$tmp/sql" "$TOOLS/temporal-sql-tool"
    mv "$tmp/server" "$TOOLS/temporal-server"
    rmdir "$tmp"
  fi
  if [[ ! -x $TOOLS/temporal-ui-server ]]; then
    say "building the Temporal Web UI server ($UI_SERVER_MODULE)"
    local tmp
    tmp=$(mktemp -d)
    GOBIN=$tmp GOFLAGS=-mod=mod nice -n 10 go install "$UI_SERVER_MODULE" || die "go install of the Temporal UI server failed"
    mv "$tmp/server" "$TOOLS/temporal-ui-server"
    rmdir "$tmp"
  fi
  if ! command -v temporal >/dev/null; then
    # The CLI sets up the namespace and search attributes; the same pinned version as infra/stack.sh.
    say "building the temporal CLI"
    GOBIN=$TOOLS GOFLAGS=-mod=mod nice -n 10 go install github.com/temporalio/cli/cmd/temporal@v1.5.1 || die "go install of the temporal CLI failed"
  fi
  command -v nats-server >/dev/null || [[ -x /usr/sbin/nats-server ]] || die "nats-server is missing (apt-get install nats-server)"
  for pkg in haproxy prometheus; do
    if ! command -v "$pkg" >/dev/null; then
      [[ $(id -u) -eq 0 ]] || die "$pkg is missing: apt-get install $pkg"
      say "installing Debian's $pkg package"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg" >>"$LOGS/apt.log" 2>&1 || die "apt-get install $pkg failed"
    fi
  done
  [[ -n $PG_BIN && -x $PG_BIN/postgres ]] || die "PostgreSQL's server binaries are missing (apt-get install postgresql)"
}

temporal_schema_dir() { echo "$(go env GOMODCACHE)/$TEMPORAL_SERVER_MODULE@$TEMPORAL_SERVER_VERSION/schema/postgresql/v12"; }

# ---- processes -----------------------------------------------------------------

command_of() { # name → the command line that runs it (in the foreground)
  local name=$1 n=${1##*-}
  case $name in
    postgres) echo "${PG_AS_OWNER[*]} $PG_BIN/postgres -D $PG_DATA -p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$PG_SOCKET -c max_connections=200" ;;
    temporal) echo "$TOOLS/temporal-server --root $ETC/temporal --config config --env cluster --allow-no-auth start" ;;
    temporal-ui) echo "$TOOLS/temporal-ui-server --root $ETC/temporal-ui --config config --env cluster start" ;;
    nats-*) echo "$(command -v nats-server || echo /usr/sbin/nats-server) -c $ETC/nats/nats-$n.conf" ;;
    worker-*) echo "node $ROOT/services/worker/dist/main.js" ;;
    # Intake answers first, at its systemd unit's priority (Nice= there; without the right to raise it, nice says so and runs it as is).
    intake-*) echo "nice -n $(sed -n 's/^Nice=//p' "$ROOT/infra/systemd/yuqing-intake@.service") node $ROOT/services/intake/dist/server.js" ;;
    dispatch-* | reporting-*) echo "node $ROOT/services/${name%-*}/dist/server.js" ;;
    haproxy) echo "haproxy -db -f $ETC/haproxy/haproxy.cfg" ;;
    prometheus) echo "prometheus --config.file=$ETC/prometheus/prometheus.yml --storage.tsdb.path=$CDATA/prometheus --web.listen-address=127.0.0.1:$PROMETHEUS_PORT --web.enable-lifecycle" ;;
    *) die "no process named $name (names: ${NAMES[*]})" ;;
  esac
}

env_of() { # name → the settings of an app process beyond app.env, one per line
  local name=$1 n=${1##*-}
  case $name in
    worker-*) printf '%s\n' "NATS_URL=$(nats_url worker)" "WORKER_METRICS_PORT=${WORKER_METRICS[n - 1]}" ;;
    intake-*) printf '%s\n' "INTAKE_PORT=${INTAKE_PORTS[n - 1]}" ;;
    dispatch-*) printf '%s\n' "NATS_URL=$(nats_url dispatch)" "DISPATCH_PORT=${DISPATCH_PORTS[n - 1]}" ;;
    reporting-*) printf '%s\n' "NATS_URL=$(nats_url reporting)" "REPORTING_PORT=${REPORTING_PORTS[n - 1]}" ;;
  esac
}

ready_check() { # name → a command that succeeds once it serves
  local name=$1 n=${1##*-}
  case $name in
    postgres) echo "$PG_BIN/pg_isready -q -h 127.0.0.1 -p $PG_PORT" ;;
    # The frontend's HTTP API answers 200 once the server serves (503 while it is not healthy yet).
    temporal) echo "node $ROOT/infra/scripts/check.mjs http http://127.0.0.1:$T_FRONTEND_HTTP/api/v1/system-info" ;;
    temporal-ui) echo "node $ROOT/infra/scripts/check.mjs http http://127.0.0.1:$UI_PORT/" ;;
    nats-*) echo "node $ROOT/infra/scripts/check.mjs http http://127.0.0.1:${NATS_HTTP[n - 1]}/healthz" ;;
    # Ready once it polls its task queue, not when its metrics port opens (seconds earlier, while it loads).
    worker-*) echo "node $ROOT/infra/scripts/check.mjs http http://127.0.0.1:${WORKER_METRICS[n - 1]}/readyz" ;;
    intake-*) echo "node $ROOT/infra/scripts/check.mjs http http://127.0.0.1:${INTAKE_PORTS[n - 1]}/readyz" ;;
    dispatch-*) echo "node $ROOT/infra/scripts/check.mjs http http://127.0.0.1:${DISPATCH_PORTS[n - 1]}/readyz" ;;
    reporting-*) echo "node $ROOT/infra/scripts/check.mjs http http://127.0.0.1:${REPORTING_PORTS[n - 1]}/readyz" ;;
    haproxy) echo "node $ROOT/infra/scripts/check.mjs http http://127.0.0.1:$LB_STATS/metrics" ;;
    prometheus) echo "node $ROOT/infra/scripts/check.mjs http http://127.0.0.1:$PROMETHEUS_PORT/-/ready" ;;
  esac
}

start_one() {
  local name=$1
  if running "$name"; then say "$name: already running (pid $(cat "$PIDS/$name.pid"))"; return; fi
  local cmd
  cmd=$(command_of "$name")
  (
    set -a
    # shellcheck disable=SC1090,SC1091
    . "$ETC/app.env"
    # shellcheck disable=SC1090
    [[ -f $ETC/$name.env ]] && . "$ETC/$name.env"
    set +a
    cd "$CDATA"
    trap '' HUP
    # shellcheck disable=SC2086
    eval "exec $cmd" >>"$LOGS/$name.log" 2>&1
  ) &
  echo $! >"$PIDS/$name.pid"
  # shellcheck disable=SC2046
  wait_for "$name" 90 $(ready_check "$name")
  say "$name: up (pid $(cat "$PIDS/$name.pid"))"
}

stop_one() { # name [signal]
  local name=$1 signal=${2:-TERM}
  # PostgreSQL's TERM waits for every client to leave (pools never do): INT is its fast shutdown.
  [[ $name == postgres && $signal == TERM ]] && signal=INT
  [[ -f $PIDS/$name.pid ]] || return 0
  local pid
  pid=$(cat "$PIDS/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$signal" "$pid" 2>/dev/null || true
    for ((i = 0; i < 120; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    say "$name: stopped"
  fi
  rm -f "$PIDS/$name.pid"
}

# ---- set up once ---------------------------------------------------------------

setup_postgres() {
  if [[ ! -s $PG_DATA/PG_VERSION ]]; then
    say "PostgreSQL: a new cluster in $PG_DATA (port $PG_PORT)"
    mkdir -p "$PG_DATA" "$PG_SOCKET"
    [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$PG_DATA" "$PG_SOCKET"
    chmod 700 "$PG_DATA"
    pg_as_owner "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust --locale=C.UTF-8 -E UTF8 >>"$LOGS/postgres-initdb.log" 2>&1 || die "initdb failed (log: $LOGS/postgres-initdb.log)"
  fi
  start_one postgres
}

setup_temporal_schema() {
  local tool=(temporal-sql-tool --plugin postgres12 --ep 127.0.0.1 -p "$PG_PORT" -u postgres)
  local schema
  schema=$(temporal_schema_dir)
  [[ -d $schema ]] || die "Temporal's schema files are not in $schema (go install populates the module cache)"
  for db in temporal temporal_visibility; do
    local dir=temporal
    [[ $db == temporal_visibility ]] && dir=visibility
    "${tool[@]}" --db "$db" create-database >>"$LOGS/temporal-schema.log" 2>&1 || true
    "${tool[@]}" --db "$db" setup-schema -v 0.0 >>"$LOGS/temporal-schema.log" 2>&1 || true
    "${tool[@]}" --db "$db" update-schema -d "$schema/$dir/versioned" >>"$LOGS/temporal-schema.log" 2>&1 || die "the $db schema could not be set up (log: $LOGS/temporal-schema.log)"
  done
}

setup_temporal_namespace() {
  local addr=(--address "127.0.0.1:$T_FRONTEND")
  temporal operator namespace describe "${addr[@]}" --namespace default >/dev/null 2>&1 ||
    temporal operator namespace create "${addr[@]}" --namespace default --retention 720h >/dev/null
  # A new namespace reaches the frontend's cache within seconds.
  wait_for "the namespace default" 60 temporal operator search-attribute list "${addr[@]}" --namespace default
  local existing
  existing=$(temporal operator search-attribute list "${addr[@]}" --namespace default 2>/dev/null || true)
  for sa in IncidentTier=Keyword IncidentStatus=Keyword District=Keyword Topic=Keyword Overdue=Bool; do
    grep -qE "^\s*${sa%%=*}\s" <<<"$existing" ||
      temporal operator search-attribute create "${addr[@]}" --namespace default --name "${sa%%=*}" --type "${sa#*=}" >/dev/null
  done
}

setup_app() {
  (set -a && . "$ETC/app.env" && set +a && cd "$ROOT" &&
    node shared/dist/bin/admin.js migrate >>"$LOGS/migrate.log" 2>&1) || die "migrations failed (log: $LOGS/migrate.log)"
  if [[ ! -s $ETC/secrets/admin-key ]]; then
    (set -a && . "$ETC/app.env" && set +a && cd "$ROOT" && umask 077 &&
      node shared/dist/bin/admin.js create-client cluster-admin '集群运维客户端' admin | tail -1 >"$ETC/secrets/admin-key") ||
      die "could not create the operators' client"
  fi
}

up() {
  mkdir -p "$PIDS" "$LOGS" "$ETC"
  [[ -f $ROOT/services/worker/dist/main.js ]] || die "build first: make build"
  ensure_tools
  for port in $PG_PORT $T_FRONTEND "${NATS_PORTS[@]}" "${INTAKE_PORTS[@]}" $LB_INTAKE $PROMETHEUS_PORT; do
    listening "$port" && ! running postgres && ! running temporal && ! running nats-1 && die "port $port is in use by something else: the profile needs it"
  done
  render_all "$ETC"
  setup_postgres
  setup_temporal_schema
  start_one temporal
  setup_temporal_namespace
  start_one temporal-ui
  # Together: a node's JetStream is ready only once the cluster has elected its leader.
  local starting=()
  for i in 1 2 3; do
    start_one "nats-$i" &
    starting+=($!)
  done
  wait "${starting[@]}"
  for i in 1 2 3; do running "nats-$i" || die "nats-$i did not start (log: $LOGS/nats-$i.log)"; done
  wait_for "the JetStream cluster" 60 node "$ROOT/infra/cluster/nats-setup.mjs" "$(nats_url admin)" "$STREAM_REPLICAS"
  node "$ROOT/infra/cluster/nats-setup.mjs" "$(nats_url admin)" "$STREAM_REPLICAS" | sed 's/^/[cluster] /'
  setup_app
  for name in worker-1 worker-2 intake-1 intake-2 dispatch-1 dispatch-2 reporting-1 reporting-2 haproxy prometheus; do start_one "$name"; done
  cat <<EOF

  The cluster profile is up (logs: $LOGS; stop: infra/cluster.sh down).
    intake      http://localhost:$LB_INTAKE     dispatch http://localhost:$LB_DISPATCH     reporting http://localhost:$LB_REPORTING (console: /console)
    HAProxy     http://localhost:$LB_STATS/stats    Prometheus http://localhost:$PROMETHEUS_PORT (targets, alerts)
    Temporal    127.0.0.1:$T_FRONTEND (PostgreSQL on $PG_PORT, $HISTORY_SHARDS history shards), Web UI http://localhost:$UI_PORT (read-only)
    NATS        ${NATS_PORTS[*]} (INCIDENTS with $STREAM_REPLICAS replicas)
  The operators' key (all scopes): KEY=\$(cat $ETC/secrets/admin-key)

EOF
}

down() {
  local order=(prometheus haproxy reporting-1 reporting-2 dispatch-1 dispatch-2 intake-1 intake-2 worker-1 worker-2 nats-1 nats-2 nats-3 temporal-ui temporal postgres)
  for name in "${order[@]}"; do stop_one "$name"; done
}

status() {
  for name in "${NAMES[@]}"; do
    if running "$name"; then printf '%-12s running (pid %s)\n' "$name" "$(cat "$PIDS/$name.pid")"; else printf '%-12s stopped\n' "$name"; fi
  done
}

valid_name() { local n; for n in "${NAMES[@]}"; do [[ $n == "$1" ]] && return 0; done; die "no process named '$1' (names: ${NAMES[*]})"; }

mkdir -p "$PIDS" "$LOGS" "$ETC"
case ${1:-} in
  up) up ;;
  down) down ;;
  destroy) down; rm -rf "$CDATA" ${pg_home:+"$pg_home"}; say "data deleted: $CDATA $pg_home" ;;
  status) status ;;
  start) valid_name "${2:-}"; render_all "$ETC"; start_one "$2" ;;
  stop) valid_name "${2:-}"; stop_one "$2" ;;
  kill) valid_name "${2:-}"; stop_one "$2" KILL ;;
  restart) valid_name "${2:-}"; render_all "$ETC"; stop_one "$2"; start_one "$2" ;;
  env)
    echo "KEY=$(cat "$ETC/secrets/admin-key")"
    echo "INTAKE_URL=http://127.0.0.1:$LB_INTAKE DISPATCH_URL=http://127.0.0.1:$LB_DISPATCH REPORTING_URL=http://127.0.0.1:$LB_REPORTING PROMETHEUS_URL=http://127.0.0.1:$PROMETHEUS_PORT"
    ;;
  render) [[ -n ${2:-} ]] || die "usage: $0 render <dir>"; CDATA=$2; ETC=$2; render_all "$2" ;;
  names) echo "${NAMES[*]}" ;;
  *) echo "usage: $0 up|down|destroy|status|start|stop|kill|restart <name>|env|render <dir>|names" >&2; exit 64 ;;
esac
