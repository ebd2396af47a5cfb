#!/usr/bin/env bash
# start_server.sh: the image's entry point (docs/deploy.md).
#
# 1. Rotates MODEL_LOG (default /var/log/model/server.log) to MODEL_LOG.old: a fresh file with a new inode, so a
#    worker tailing the log from its start (ours or the Python PyWorker) never acts on a stale
#    "Application startup complete." or error line from a previous boot (docs/pyworker.md §9.3).
# 2. Starts the model server (`cli.js serve`) on MODEL_SERVER_HOST (default 127.0.0.1: a new job takes over from
#    the running one, so only the worker in front may reach it), its stdout and stderr appended to MODEL_LOG. Node
#    writes each line to a file with one synchronous write(2), so the log is line-buffered as produced.
# 3. Optionally starts our worker (`cli.js worker`) in place of the Python PyWorker: START_WORKER=true, or
#    START_WORKER=auto (default) with SUPERVISOR_SKIP_PYWORKER=true, or with SERVERLESS=true on an image without
#    Vast's PyWorker supervisor script. With USE_SSL=true (the default when the worker runs, as in Vast's script)
#    the instance certificate is obtained as Vast's start_server.sh does (docs/pyworker.md §1.1.3).
# 4. Waits; when either process exits, stops the other and exits with its status. TERM/INT are forwarded. When
#    the model server exits first, the worker gets SIGUSR2 instead of TERM: it reports "Model server exited" to
#    the autoscaler in one last worker_status and exits 1 (SIGUSR1 would start Node's inspector). It has 15 s for
#    that, then gets TERM, then KILL 5 s later.
#
# PLATFORM=runpod (default vast) runs the same image as a Runpod serverless worker (docs/deploy.md): the model server,
# its output on the container's stderr, and our Runpod worker (`cli.js runpod`), whose JSON log lines are the
# container's stdout. None of the Vast steps above (no model log for a PyWorker, no certificate, no Vast variables);
# step 4 as above, except that a model server exiting first is answered with TERM: the Runpod worker then cancels
# its job, posts what it has, and exits.
#
# Settings (environment): PLATFORM, MODEL_LOG, MODEL_LOG_TEE (also copy the server's output to stdout), MODEL_SERVER_HOST,
# START_WORKER, SUPERVISOR_SKIP_PYWORKER, SERVERLESS, USE_SSL, WORKER_SSL_CERT, WORKER_SSL_KEY, CONTAINER_ID,
# REPORT_ADDR, WORKER_PORT, MASTER_TOKEN, NODE_BIN, LGB_CLI. The services read their own settings from the environment.
set -euo pipefail

APP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NODE_BIN="${NODE_BIN:-node}"
LGB_CLI="${LGB_CLI:-$APP_DIR/dist/scripts/src/cli.js}"
MODEL_LOG="${MODEL_LOG:-/var/log/model/server.log}"
MODEL_LOG_TEE="${MODEL_LOG_TEE:-false}"
MODEL_SERVER_HOST="${MODEL_SERVER_HOST:-127.0.0.1}"
PLATFORM="${PLATFORM:-vast}"
START_WORKER="${START_WORKER:-auto}"
VAST_SIGN_CERT_URL="${VAST_SIGN_CERT_URL:-https://console.vast.ai/api/v0/sign_cert/}"
PYWORKER_SUPERVISOR_SCRIPT="${PYWORKER_SUPERVISOR_SCRIPT:-/opt/supervisor-scripts/pyworker.sh}"
export MODEL_LOG

server_pid=""
worker_pid=""

log() { printf '%s start_server: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

is_true() {
  case "${1,,}" in
    true | 1 | yes | on) return 0 ;;
    *) return 1 ;;
  esac
}

# Report a bootstrap failure to the autoscaler as Vast's script does (docs/pyworker.md §4.4), then exit 1.
report_error_and_exit() {
  local msg="$1" body addr
  log "error: $msg"
  if want_worker && command -v curl >/dev/null 2>&1; then
    body="$(ERROR_MSG="$msg" "$NODE_BIN" -e '
      const e = process.env;
      process.stdout.write(JSON.stringify({ id: Number.parseInt(e.CONTAINER_ID || "0", 10) || 0,
        mtoken: e.MASTER_TOKEN || "", version: e.PYWORKER_VERSION || "0", error_msg: e.ERROR_MSG, url: e.URL || "" }));')"
    IFS=',' read -r -a addrs <<<"${REPORT_ADDR:-https://run.vast.ai}"
    for addr in "${addrs[@]}"; do
      curl -fsS --max-time 10 -X POST -H 'Content-Type: application/json' --data "$body" \
        "${addr%/}/worker_status/" >/dev/null || log "could not report the error to $addr"
    done
  fi
  exit 1
}

want_worker() {
  case "${START_WORKER,,}" in
    true | 1 | yes | on) return 0 ;;
    false | 0 | no | off) return 1 ;;
    auto)
      is_true "${SUPERVISOR_SKIP_PYWORKER:-false}" && return 0
      # SERVERLESS=true and no base-image supervisor that would launch the Python PyWorker: nobody else will.
      is_true "${SERVERLESS:-false}" && [[ ! -e "$PYWORKER_SUPERVISOR_SCRIPT" ]]
      ;;
    *)
      log "START_WORKER must be true, false or auto (got '$START_WORKER')"
      exit 2
      ;;
  esac
}

rotate_model_log() {
  mkdir -p "$(dirname "$MODEL_LOG")"
  if [[ -e "$MODEL_LOG" ]]; then
    # mv, not truncate: tailers detect the new inode (docs/pyworker.md §5); in-place truncation goes unnoticed.
    mv -f "$MODEL_LOG" "$MODEL_LOG.old"
  fi
  : >"$MODEL_LOG"
}

cert_is_fresh() {
  [[ -s "$WORKER_SSL_CERT" && -s "$WORKER_SSL_KEY" ]] &&
    openssl x509 -checkend 86400 -noout -in "$WORKER_SSL_CERT" >/dev/null 2>&1
}

# The instance certificate, as Vast's start_server.sh makes it: an RSA-2048 key and a CSR (CN=pyworker.vast.ai,
# SAN IP:0.0.0.0) signed by Vast's console for this CONTAINER_ID; clients trust Vast's root CA.
ensure_instance_cert() {
  if cert_is_fresh; then
    log "using the existing certificate $WORKER_SSL_CERT"
    return 0
  fi
  [[ -n "${CONTAINER_ID:-}" ]] || report_error_and_exit "USE_SSL=true needs CONTAINER_ID to sign a certificate"
  command -v openssl >/dev/null 2>&1 || report_error_and_exit "USE_SSL=true needs openssl"
  command -v curl >/dev/null 2>&1 || report_error_and_exit "USE_SSL=true needs curl"
  local csr="${WORKER_SSL_KEY%.key}.csr" attempt delay=2 tmp
  mkdir -p "$(dirname "$WORKER_SSL_CERT")" "$(dirname "$WORKER_SSL_KEY")"
  (umask 077 && openssl req -newkey rsa:2048 -nodes -subj "/CN=pyworker.vast.ai" \
    -addext "subjectAltName=IP:0.0.0.0" -keyout "$WORKER_SSL_KEY" -out "$csr" >/dev/null 2>&1) ||
    report_error_and_exit "could not create a key and CSR in $(dirname "$WORKER_SSL_KEY")"
  tmp="$(mktemp "${WORKER_SSL_CERT}.XXXXXX")"
  for attempt in 1 2 3 4 5; do
    if curl -fsS --max-time 30 -X POST -H 'Content-Type: application/octet-stream' --data-binary "@$csr" \
      "${VAST_SIGN_CERT_URL}?instance_id=${CONTAINER_ID}" -o "$tmp"; then
      mv -f "$tmp" "$WORKER_SSL_CERT"
      log "certificate signed: $WORKER_SSL_CERT"
      return 0
    fi
    log "certificate signing failed (attempt $attempt of 5)"
    ((attempt < 5)) && sleep "$delay" && delay=$((delay * 2))
  done
  rm -f "$tmp"
  report_error_and_exit "Failed to get a signed SSL certificate after 5 attempts"
}

stop_children() {
  local pid
  for pid in "$worker_pid" "$server_pid"; do
    if [[ -n "$pid" ]]; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for pid in "$worker_pid" "$server_pid"; do
    if [[ -n "$pid" ]]; then wait "$pid" 2>/dev/null || true; fi
  done
}

# Waits up to $2 seconds for process $1 to end; false if it still runs then.
wait_exit() {
  local pid="$1" deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# The model server is gone: the worker tells the autoscaler (SIGUSR2) before it exits, so the instance leaves
# rotation at once instead of when its reports stop. Bounded: a worker that does not exit is stopped.
stop_worker_after_model_exit() {
  kill -USR2 "$worker_pid" 2>/dev/null || return 0
  if ! wait_exit "$worker_pid" 15; then
    log "the worker did not exit within 15 s of SIGUSR2; stopping it"
    kill -TERM "$worker_pid" 2>/dev/null || true
    wait_exit "$worker_pid" 5 || kill -KILL "$worker_pid" 2>/dev/null || true
  fi
  wait "$worker_pid" 2>/dev/null || true
}

# shellcheck disable=SC2317  # invoked by the traps below
on_signal() {
  log "received $1: stopping"
  stop_children
  exit $((128 + $2))
}

# Waits for the first child to exit, then stops the other and exits with its status. With $2 = true and the
# model server gone first, the worker is told (SIGUSR2) so the platform learns at once.
supervise() {
  local worker_name=$1 tell_worker=$2 status=0
  wait -n || status=$?
  if ! kill -0 "$server_pid" 2>/dev/null; then
    log "the model server exited (status $status); stopping"
    if [[ "$tell_worker" == true && -n "$worker_pid" ]]; then
      stop_worker_after_model_exit
      exit "$status"
    fi
  else
    log "the $worker_name exited (status $status); stopping"
  fi
  stop_children
  exit "$status"
}

# Runpod serverless: the model server and the Runpod worker. Runpod shows the container's output, and its log
# lines on stdout are the worker's JSON, so the model server writes to stderr (no file: nothing there reads one).
run_runpod() {
  trap 'on_signal TERM 15' TERM
  trap 'on_signal INT 2' INT
  log "model server: $NODE_BIN $LGB_CLI serve on $MODEL_SERVER_HOST (output on stderr)"
  HOST="$MODEL_SERVER_HOST" "$NODE_BIN" "$LGB_CLI" serve 1>&2 &
  server_pid=$!
  log "runpod worker: $NODE_BIN $LGB_CLI runpod"
  "$NODE_BIN" "$LGB_CLI" runpod &
  worker_pid=$!
  supervise "runpod worker" false
}

main() {
  [[ -f "$LGB_CLI" ]] || { log "$LGB_CLI not found: run \`npm run build\` first"; exit 1; }
  case "${PLATFORM,,}" in
    vast) ;;
    runpod) run_runpod ;;
    *)
      log "PLATFORM must be vast or runpod (got '$PLATFORM')"
      exit 2
      ;;
  esac
  local worker=false
  if want_worker; then
    worker=true
    export WORKER_PORT="${WORKER_PORT:-3000}" REPORT_ADDR="${REPORT_ADDR:-https://run.vast.ai}"
    export USE_SSL="${USE_SSL:-true}" WORKER_SSL_CERT="${WORKER_SSL_CERT:-/etc/instance.crt}"
    export WORKER_SSL_KEY="${WORKER_SSL_KEY:-/etc/instance.key}"
    is_true "$USE_SSL" && ensure_instance_cert
  fi

  trap 'on_signal TERM 15' TERM
  trap 'on_signal INT 2' INT
  rotate_model_log
  log "model server: $NODE_BIN $LGB_CLI serve on $MODEL_SERVER_HOST >> $MODEL_LOG"
  if is_true "$MODEL_LOG_TEE"; then
    HOST="$MODEL_SERVER_HOST" "$NODE_BIN" "$LGB_CLI" serve > >(tee -a "$MODEL_LOG") 2>&1 &
  else
    HOST="$MODEL_SERVER_HOST" "$NODE_BIN" "$LGB_CLI" serve >>"$MODEL_LOG" 2>&1 &
  fi
  server_pid=$!
  if [[ "$worker" == true ]]; then
    log "worker: $NODE_BIN $LGB_CLI worker (port $WORKER_PORT, USE_SSL=$USE_SSL)"
    "$NODE_BIN" "$LGB_CLI" worker &
    worker_pid=$!
  fi

  supervise worker true
}

main "$@"
