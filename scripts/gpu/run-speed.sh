#!/usr/bin/env bash
# THERE (the speed work's first run): build; each kernel against the CPU; the golden check; the profile (GEMM sweep: heuristic vs
# tuned pick, 32/64 MiB workspace; the V2 forward in the three weight modes; batch 128; V1); PyTorch's fp16/bf16
# 8192³ rate on the same GPU; the V2 bench at the preferred batch, then under a 24 GiB memory cap; V1; CUDA against
# the CPU backend last (the slowest). Eight files come back in $OUT.
# Usage (device tool): bash scripts/gpu/run-speed.sh   with carry [".gpu/node.xz", ".gpu/node_modules.tar", "dist"]
source "$(dirname "$0")/common.sh"
kernel_and_golden_checks
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
benches_then_cpu_check
