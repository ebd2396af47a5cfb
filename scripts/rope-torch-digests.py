#!/usr/bin/env python3
"""Digests of the RoPE tables as torch builds them on the CPU, for addon/test/core-rope.test.ts.

Needs torch (the test's digests were made with torch 2.13.0+cpu, numpy 2.4.6, glibc 2.36, x86-64). The tables
follow llama31.py's precompute_freqs_cis: float32 freqs 1/theta^(arange(0, hd, 2)/hd), optional Llama-3.1 scaling
done element by element on 0-d float32 tensors, an outer product with float32 positions, torch.polar, then the
model's fp16 cast. Usage: python3 scripts/rope-torch-digests.py '{"name": {params...}, ...}'
"""
import hashlib
import json
import math
import sys

import torch


def scaled(freqs: torch.Tensor) -> torch.Tensor:
    out = []
    for f in freqs:  # 0-d float32 tensors: every Python operator below rounds to float32
        wavelen = 2 * math.pi / f
        if wavelen < 8192 / 4:
            out.append(f)
        elif wavelen > 8192 / 1:
            out.append(f / 8)
        else:
            smooth = (8192 / wavelen - 1) / (4 - 1)
            out.append((1 - smooth) * f / 8 + smooth * f)
    return torch.tensor(out, dtype=freqs.dtype)


def digest(t: torch.Tensor) -> str:
    return hashlib.sha256(t.contiguous().numpy().tobytes()).hexdigest()


def main() -> int:
    result = {}
    for name, p in json.loads(sys.argv[1]).items():
        hd = p["dim"] // p["n_heads"]
        rows = 2 * p["seq_len"]
        freqs = 1.0 / (p["rope_theta"] ** (torch.arange(0, hd, 2)[: hd // 2].float() / hd))
        if p.get("use_scaled_rope", False):
            freqs = scaled(freqs)
        angle = torch.outer(torch.arange(rows, dtype=torch.float32), freqs)
        cis = torch.polar(torch.ones_like(angle), angle)
        result[name] = {"freqs": digest(freqs), "cos": digest(cis.real), "sin": digest(cis.imag),
                        "cos_f16": digest(cis.real.half()), "sin_f16": digest(cis.imag.half())}
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
