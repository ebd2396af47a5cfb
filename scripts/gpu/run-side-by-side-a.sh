#!/usr/bin/env bash
# THERE, call A of the side-by-side measurement (prepared; run with: bash scripts/gpu/run-side-by-side-a.sh, carry
# [".gpu/node.xz", ".gpu/node_modules.tar", "dist", ".peer"]): build with CUDA; the golden and kernel checks; our
# server on PARAMS_V2 measured by the peer client for 60 s (ours.json, every nonce's distance); then two logical
# devices on the same GPU (ENGINE_DEVICES=0,0) for 30 s (ours-2dev.json, and each device's counter from /metrics),
# compared nonce by nonce with the one-device run. The files also stay in /tmp/side for call B on the same machine.
source "$(dirname "$0")/common.sh"
nvidia-smi --query-gpu=uuid --format=csv,noheader | tee "$OUT/gpu-uuid.txt"
kernel_and_golden_checks
mkdir -p /tmp/side

# serve NAME SECONDS ENV...: our model server on :18000 with ENV, measured by the peer client; the server is stopped
# by its PID afterwards, and its log kept.
serve() {
  local name=$1 seconds=$2 pid
  shift 2
  env PORT=18000 HOST=127.0.0.1 ENGINE_BACKEND=cuda MAX_JOB_DURATION=$((seconds + 120)) "$@" \
    $NODE dist/scripts/src/cli.js serve > "/tmp/side/$name-server.log" 2>&1 &
  pid=$!
  step "$name" $((seconds + 240)) python3 .peer/tools/measure.py --url http://127.0.0.1:18000 --params v2 \
    --seconds "$seconds" --out "/tmp/side/$name.json" > "/tmp/side/$name-summary.json"
  curl -s http://127.0.0.1:18000/metrics | grep '^lgb_nonces_computed_total' > "/tmp/side/$name-metrics.txt"
  kill "$pid"; wait "$pid"
  cat "/tmp/side/$name-summary.json" "/tmp/side/$name-metrics.txt"
}

serve ours 60
clocks
serve ours-2dev 30 ENGINE_DEVICES=0,0
step compare-2dev 60 python3 .peer/tools/compare.py /tmp/side/ours.json /tmp/side/ours-2dev.json \
  > /tmp/side/compare-ours-2dev.json
cat /tmp/side/compare-ours-2dev.json
tar -czf "$OUT/side-a.tar.gz" -C /tmp side
