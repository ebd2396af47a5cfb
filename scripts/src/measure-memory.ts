#!/usr/bin/env node
// measure:memory: the peak host memory a CPU model build and its first batch add to a process, next to the guard's
// estimate (addon/lib/memory.ts). Each shape runs in a fresh child process that opens the engine as the model server
// does, reads VmHWM, builds the model (engine.load), runs the first batch of the server's size, and reads VmHWM
// again: the difference is the peak the job added. One JSON line per shape on stdout, a table on stderr.
//
//   npm run measure:memory -- [--shapes tiny,mid,v1] [--threads N] [--max-batch 256] [--switches N]
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Engine, estimateHostMemory, hostModelBytes, PRESETS, SAMPLE_JOB, totalParams } from '../../addon/lib/index.js';
import type { HostMemoryEstimate, ModelParams } from '../../addon/lib/index.js';
import { parseFlags, parseNumber, UsageError } from './args.js';

const USAGE = `usage: npm run measure:memory -- [options]

Peak host memory (VmHWM) a CPU model build and its first batch add, against the guard's estimate.

  --shapes LIST     comma-separated shapes (default tiny,mid,v1):
                      tiny  the tiny preset
                      mid   v1 with dim 512, 4 layers, 8 heads (8 kv), seq_len 64 (FFN weights larger than the pool)
                      v1    PARAMS_V1 (2.97 B parameters)
  --threads N       CPU compute threads (default 0: every core, the model server's ENGINE_THREADS default)
  --max-batch N     the server's MAX_BATCH_SIZE (default 256): the first batch is min(preferred batch, N)
  --switches N      then load N more models of the same shape (other block hashes) in the same process, one batch
                    each, and report VmRSS after each: whether the engine releases the models it replaced (default 0)
  --help            this text
`;

const SHAPES: Record<string, ModelParams> = {
  tiny: { ...PRESETS.tiny },
  mid: { ...PRESETS.v1, dim: 512, n_layers: 4, n_heads: 8, n_kv_heads: 8, seq_len: 64 },
  v1: { ...PRESETS.v1 },
};

interface ChildRequest {
  shape: string;
  threads: number;
  maxBatch: number;
  switches: number;
}

interface Measurement {
  shape: string;
  params: ModelParams;
  parameters: number;
  threads: number;
  batch: number;
  preferredBatch: number;
  /** VmHWM and VmRSS after Engine.open, and after the build and the first batch (bytes). */
  before: { hwm: number; rss: number };
  after: { hwm: number; rss: number };
  measured: number;
  estimate: HostMemoryEstimate;
  /** The former guard's figure: the host model alone. */
  hostModelBytes: number;
  ratio: number;
  buildSeconds: number;
  batchSeconds: number;
  /** --switches: VmRSS less the VmRSS after Engine.open, after each further model's batch. */
  switches: number[];
}

/** VmHWM (peak resident) and VmRSS of this process, in bytes. */
function residentMemory(): { hwm: number; rss: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!m) throw new Error(`/proc/self/status has no ${key}`);
    return Number(m[1]) * 1024;
  };
  return { hwm: kib('VmHWM'), rss: kib('VmRSS') };
}

// In the child: nothing is printed between the two readings (console output alone faults in ~1 MiB of code).
async function measure(req: ChildRequest): Promise<Measurement> {
  const params = SHAPES[req.shape];
  const engine = await Engine.open({ backend: 'cpu', threads: req.threads });
  try {
    const device = engine.devices[0];
    const available = os.freemem();
    const before = residentMemory();
    const t0 = performance.now();
    await engine.load(SAMPLE_JOB.blockHash, params);
    const t1 = performance.now();
    // server/src/jobs/batches.ts: the device's preferred batch, capped by MAX_BATCH_SIZE.
    const batch = Math.max(1, Math.min(device.preferredBatch, req.maxBatch));
    await device.run(SAMPLE_JOB.publicKey, Array.from({ length: batch }, (_, i) => i));
    const t2 = performance.now();
    const after = residentMemory();
    const threads = device.info.threads;
    const estimate = estimateHostMemory(params, { backend: 'cpu', threads, batch, available });
    const measured = after.hwm - before.hwm;
    const switches: number[] = [];
    for (let i = 1; i <= req.switches; i++) {
      await engine.load(`${SAMPLE_JOB.blockHash.slice(0, -4)}${String(i).padStart(4, '0')}`, params);
      await device.run(SAMPLE_JOB.publicKey, Array.from({ length: batch }, (_, k) => k));
      switches.push(residentMemory().rss - before.rss);
    }
    return { shape: req.shape, params, parameters: totalParams(params), threads, batch,
      preferredBatch: device.preferredBatch, before, after, measured, estimate, hostModelBytes: hostModelBytes(params),
      ratio: measured / estimate.total, buildSeconds: (t1 - t0) / 1000, batchSeconds: (t2 - t1) / 1000, switches };
  } finally {
    await engine.close();
  }
}

function runChild(req: ChildRequest): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--child', JSON.stringify(req)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: Measurement | undefined;
    child.on('message', (m) => (result = m as Measurement));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (result && code === 0) resolve(result);
      else reject(new Error(`the ${req.shape} child exited with ${signal ?? `code ${code}`}`));
    });
  });
}

const MIB = 2 ** 20;
const mib = (n: number) => `${(n / MIB).toFixed(1)} MiB`;

function table(rows: Measurement[]): string {
  const head = ['shape', 'parameters', 'threads', 'batch', 'estimate', 'measured', 'ratio', 'model alone'];
  const cells = rows.map((r) => [r.shape, `${(r.parameters / 1e6).toFixed(r.parameters < 1e6 ? 3 : 1)} M`,
    String(r.threads), String(r.batch), mib(r.estimate.total), mib(r.measured), r.ratio.toFixed(3), mib(r.hostModelBytes)]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ');
  const out = [line(head), ...cells.map(line)];
  for (const r of rows) {
    const e = r.estimate;
    out.push(`${r.shape}: estimate = max(build ${mib(e.build)}, model ${mib(e.model)} + tables ${mib(e.tables)} +` +
      ` scratch ${mib(e.scratch)} + inputs ${mib(e.inputs)}) + runtime ${mib(e.runtime)}; device batch` +
      ` ${e.deviceBatch}; ${r.buildSeconds.toFixed(1)} s to build, ${r.batchSeconds.toFixed(1)} s for the batch`);
    if (r.switches.length > 0) {
      out.push(`${r.shape}: VmRSS added after each further model: ${r.switches.map(mib).join(', ')}`);
    }
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    const result = await measure(JSON.parse(argv[1]) as ChildRequest);
    await new Promise<void>((resolve, reject) => process.send?.(result, (err: Error | null) => (err ? reject(err) : resolve())));
    process.disconnect?.(); // the IPC channel would keep the child alive
    return;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  const flags = parseFlags(argv, {
    shapes: { type: 'string', default: 'tiny,mid,v1' },
    threads: { type: 'string', default: '0' },
    'max-batch': { type: 'string', default: '256' },
    switches: { type: 'string', default: '0' },
  });
  const shapes = (flags.shapes ?? '').split(',').map((s) => s.trim());
  for (const s of shapes) if (!Object.hasOwn(SHAPES, s)) throw new UsageError(`--shapes: unknown shape "${s}"`);
  const threads = parseNumber(flags.threads, '--threads', 0, { min: 0, integer: true });
  const maxBatch = parseNumber(flags['max-batch'], '--max-batch', 256, { min: 1, integer: true });
  const switches = parseNumber(flags.switches, '--switches', 0, { min: 0, integer: true });
  const rows: Measurement[] = [];
  for (const shape of shapes) {
    process.stderr.write(`measuring ${shape} ...\n`);
    const r = await runChild({ shape, threads, maxBatch, switches });
    process.stdout.write(`${JSON.stringify(r)}\n`);
    rows.push(r);
  }
  process.stderr.write(`${table(rows)}\n`);
  process.stderr.write(`${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown CPU'}, ` +
    `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof UsageError ? `${err.message}\n\n${USAGE}` : `${(err as Error).stack}\n`}`);
  process.exitCode = err instanceof UsageError ? 2 : 1;
});
