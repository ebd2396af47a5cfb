#!/usr/bin/env bash
# THERE, call B of the side-by-side measurement, right after call A on the same warm machine (prepared; carry
# [".peer"]): the reference model_server.py (a checkout of its public repository, unchanged) in fp16 (the
# validators' precision), then in its own bf16, each measured by the same client for 60 s and stopped by its PID
# before the next; its torch version and matmul precision flags logged; then the comparisons: ours against
# reference-fp16, and reference-bf16 against reference-fp16.
set -uo pipefail
: "${OUT:?OUT is set by the device tool}"
LOG=$OUT/run.log
nvidia-smi --query-gpu=uuid --format=csv,noheader | tee "$OUT/gpu-uuid.txt"
[ -f /tmp/side/ours.json ] || { echo "call A's /tmp/side/ours.json is missing: run call A first, on this machine"; exit 1; }
python3 -c 'import torch; print("torch", torch.__version__, "allow_tf32", torch.backends.cuda.matmul.allow_tf32,
  "fp16_reduced_precision", torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction,
  "bf16_reduced_precision", torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction)' | tee /tmp/side/torch.txt

reference() {
  local name=$1 dtype=$2 pid
  REF_DIR=.peer/vast python3 .peer/tools/run_reference.py --port 18001 --dtype "$dtype" \
    > "/tmp/side/$name-server.log" 2>&1 &
  pid=$!
  timeout 400 python3 .peer/tools/measure.py --url http://127.0.0.1:18001 --params v2 --seconds 60 \
    --out "/tmp/side/$name.json" > "/tmp/side/$name-summary.json" 2>> "$LOG"
  echo "$name: exit $?"
  kill "$pid"; wait "$pid"
  cat "/tmp/side/$name-summary.json"
}

reference ref-fp16 fp16
reference ref-bf16 auto
python3 .peer/tools/compare.py /tmp/side/ours.json /tmp/side/ref-fp16.json | tee /tmp/side/compare-ours-ref-fp16.json
python3 .peer/tools/compare.py /tmp/side/ref-bf16.json /tmp/side/ref-fp16.json | tee /tmp/side/compare-bf16-fp16.json
tar -czf "$OUT/side-b.tar.gz" -C /tmp side
