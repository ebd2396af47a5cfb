#!/usr/bin/env bash
# THERE (speed issue): build; each kernel against the CPU; the golden check; the profile (GEMM sweep: heuristic vs
# tuned pick, 32/64 MiB workspace; the V2 forward in the three weight modes; batch 128; V1); PyTorch's fp16/bf16
# 8192³ rate on the same GPU; the V2 bench at the preferred batch, then under a 24 GiB memory cap; V1; CUDA against
# the CPU backend last (the slowest). Eight files come back in $OUT.
# Usage (device tool): bash scripts/gpu/run-speed.sh   with carry [".gpu/node.xz", ".gpu/node_modules.tar", "dist"]
source "$(dirname "$0")/common.sh"
step kernel-check 60 build/lgb_cuda_kernel_check > "$OUT/kernel-check.json"; grep -v '"ok":true' "$OUT/kernel-check.json"
step gpu-check-golden 120 $NODE dist/addon/test/gpu/gpu-check.js --golden-only --json "$OUT/gpu-check-golden.json" >/dev/null
grep -E "gpu-check: (ok|FAIL|error|skipped)" "$LOG"
step profile-v2 150 build/lgb_cuda_profile v2 ${PROFILE_V2_BATCHES:-64} gemm ${PROFILE_V2_MODES:-materialised shifted_copies pool} \
  > "$OUT/profile.json"
step profile-v2-batch 60 build/lgb_cuda_profile v2 ${PROFILE_V2_EXTRA:-128} materialised | grep '"forward"' >> "$OUT/profile.json"
step profile-v1 60 build/lgb_cuda_profile v1 ${PROFILE_V1_BATCHES:-128} materialised >> "$OUT/profile.json"
clocks
grep -E '"gemm_sweep"|"forward"|"swiglu"' "$OUT/profile.json" | cut -c1-260
step torch 60 python3 - >> "$OUT/profile.json" <<'PY'
import json, torch
res = {"what": "torch_gemm", "torch": torch.__version__}
for name, dt in (("fp16", torch.float16), ("bf16", torch.bfloat16)):
    a = torch.randn(8192, 8192, device="cuda", dtype=dt); b = torch.randn(8192, 8192, device="cuda", dtype=dt)
    for _ in range(12): a @ b
    ms = []
    for _ in range(25):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record(); a @ b; e.record(); e.synchronize(); ms.append(s.elapsed_time(e))
    ms.sort(); res[name + "_tflops"] = round(2 * 8192 ** 3 / (ms[len(ms) // 2] * 1e-3) / 1e12, 1)
print(json.dumps(res))
PY
tail -1 "$OUT/profile.json"
bench bench-v2 "$OUT/bench-v2.json" --params v2 --seconds 10
clocks
bench bench-v2-24gb "$OUT/bench-v2.json" --params v2 --seconds 10 --memory-limit-gb 24
bench bench-v1 "$OUT/bench-v1.json" --params v1 --seconds 5
grep -h -o '"cold_start_s":[0-9.]*\|"memory_peak_bytes":[0-9]*\|"percent_of_peak":[0-9.]*' "$OUT"/bench-v*.json | paste -sd' '
step gpu-check-cpu 230 $NODE dist/addon/test/gpu/gpu-check.js --cpu-only --json "$OUT/gpu-check-cpu.json" >/dev/null
grep -E "gpu-check: (ok|FAIL|error)" "$LOG" | tail -5
