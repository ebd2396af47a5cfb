// What the benchmark ran on: the machine, each device's peak (the ceiling its throughput is measured against) and,
// for GPUs, the driver as nvidia-smi reports it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { loadNative, type EngineDevice } from '../../../addon/lib/index.js';

export interface Peak {
  tflops: number;
  /** 'measured': an fp16 GEMM timed in the same run (CUDA); 'nominal': a datasheet-style figure (CPU). */
  kind: 'measured' | 'nominal';
  /** How it was obtained, in words. */
  detail: string;
}

export async function devicePeak(d: EngineDevice, gemmSize: number): Promise<Peak> {
  if (d.info.backend === 'cuda') {
    const tflops = await loadNative().measureGemmTflops(d.info.index, gemmSize, gemmSize, gemmSize);
    return { tflops, kind: 'measured',
      detail: `measured fp16 GEMM peak (${gemmSize}³ cuBLASLt, ${tflops.toFixed(0)} TFLOP/s)` };
  }
  const ghz = cpuGhz();
  const tflops = (d.info.threads * ghz * 32) / 1000; // AVX2: 2 FMA pipes × 8 fp32 lanes × 2 FLOP per cycle
  return { tflops, kind: 'nominal',
    detail: `nominal AVX2 fp32 peak (${d.info.threads} threads × ${ghz.toFixed(2)} GHz × 32)` };
}

function cpuGhz(): number {
  try {
    const m = /cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return Number(m[1]) / 1000;
  } catch {
    // not Linux: fall through to os.cpus()
  }
  return (os.cpus()[0]?.speed ?? 2000) / 1000;
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memory_bytes: number;
  os: string;
  node: string;
}

export function machineInfo(): MachineInfo {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU', cores: os.cpus().length, memory_bytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`, node: process.version,
  };
}

/** "AMD EPYC 7B13, 2 cores, 8 GiB": the machine column of BENCHMARKS.md. */
export function machineDescription(m: MachineInfo = machineInfo()): string {
  return `${m.cpu}, ${m.cores} cores, ${(m.memory_bytes / 2 ** 30).toFixed(0)} GiB`;
}

export function shortDeviceName(name: string): string {
  const m = /\b(H100|H200|A100|A10G?|L40S?|L4|B200|RTX \d{4}\w*|A6000|V100|T4)\b/.exec(name);
  return m ? m[1] : name.startsWith('CPU') ? 'CPU' : name;
}

export interface GpuDriver {
  driver: string;
  /** The newest CUDA version the driver supports (nvidia-smi's "CUDA Version"). */
  cuda: string | undefined;
}

/** The NVIDIA driver, when nvidia-smi is there to say; undefined otherwise. */
export function gpuDriver(): GpuDriver | undefined {
  try {
    const smi = (args: string[]) => execFileSync('nvidia-smi', args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
    const driver = smi(['--query-gpu=driver_version', '--format=csv,noheader']).split('\n')[0].trim();
    const cuda = /CUDA Version:\s*([\d.]+)/.exec(smi([]))?.[1];
    return driver ? { driver, cuda } : undefined;
  } catch {
    return undefined;
  }
}
