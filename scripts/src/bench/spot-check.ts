// The benchmark's correctness spot check: a fast device is worth nothing if its distances are wrong. A few nonces the
// timed runs computed are recomputed on the other backend (CUDA against the CPU reference, or the CPU against CUDA
// when the machine has it), one at a time until a time cap (the engine cannot stop a batch, so the cap is checked
// between nonces, and the first is always done: V2 on a CPU fits one or two in 60 s). Without a second backend they
// are repeated on the device that computed them. They must agree within the sum of both sides' tolerance against the
// reference (docs/poc-compute.md §8: 2e-5 for the CPU forward, 1e-4 for a GPU's).
import { Engine, loadNative, type Backend, type EngineDevice, type ModelParams } from '../../../addon/lib/index.js';
import type { Progress } from '../output.js';

const TOLERANCE: Record<Backend, number> = { cpu: 2e-5, cuda: 1e-4 };

export interface SpotNonce {
  nonce: number;
  /** The benchmarked device that computed it, and its distance. */
  device: string;
  dist: number;
  recomputed: number;
  abs_delta: number;
}

export interface SpotCheck {
  ok: boolean;
  method: 'second-backend' | 'repeat';
  /** The backend and device that recomputed. */
  checker: string;
  /** Why the second backend was not used (method "repeat"). */
  reason?: string;
  tolerance: number;
  cap_s: number;
  seconds: number;
  nonces: SpotNonce[];
}

export interface SpotCheckOptions {
  blockHash: string;
  publicKey: string;
  params: ModelParams;
  threads: number;
  capSeconds: number;
  /** At most this many nonces. */
  count: number;
  progress: Progress;
}

export interface Candidate {
  nonce: number;
  dist: number;
  /** Index into `devices`. */
  device: number;
}

/** Picks up to `count` candidates spread over the devices and over time (each device's samples are in time order). */
export function spread(samples: readonly { nonce: number; dist: number }[][], count: number): Candidate[] {
  const picked: Candidate[] = [];
  const perDevice = Math.max(1, Math.ceil(count / Math.max(1, samples.length)));
  for (let k = 0; k < perDevice; k++) {
    samples.forEach((list, device) => {
      if (picked.length >= count || list.length === 0) return;
      const i = Math.min(list.length - 1, Math.floor(((k + 0.5) * list.length) / perDevice));
      if (!picked.some((p) => p.device === device && p.nonce === list[i].nonce)) picked.push({ ...list[i], device });
    });
  }
  return picked;
}

export async function spotCheck(engine: Engine, candidates: readonly Candidate[], o: SpotCheckOptions): Promise<SpotCheck> {
  const started = performance.now();
  const other: Backend = engine.backend === 'cuda' ? 'cpu' : 'cuda';
  let reason: string | undefined;
  if (other === 'cuda' && loadNative().listDevices('cuda').devices.length === 0) {
    reason = 'no CUDA device on this machine';
  } else {
    let second: Engine | undefined;
    try {
      second = await Engine.open({ backend: other, threads: o.threads });
      o.progress.update(`spot check: loading the model on ${second.devices[0].info.name}`, true);
      await second.load(o.blockHash, o.params);
      const device = second.devices[0];
      const nonces = await recompute(candidates, () => device, engine.devices, o, started);
      return result('second-backend', `${other}: ${device.info.name}`, TOLERANCE[engine.backend] + TOLERANCE[other], nonces);
    } catch (err) {
      reason = `the ${other} backend failed: ${(err as Error).message}`;
    } finally {
      await second?.close();
    }
  }
  const nonces = await recompute(candidates, (c) => engine.devices[c.device], engine.devices, o, started);
  return { ...result('repeat', `${engine.backend}: the same devices`, 2 * TOLERANCE[engine.backend], nonces), reason };

  function result(method: SpotCheck['method'], checker: string, tolerance: number, checked: SpotNonce[]): SpotCheck {
    return {
      ok: checked.length > 0 && checked.every((n) => n.abs_delta <= tolerance), method, checker, tolerance,
      cap_s: o.capSeconds, seconds: Math.round(performance.now() - started) / 1000, nonces: checked,
    };
  }
}

/** One nonce at a time on `checker(candidate)`, while the next one is expected to fit in the cap. */
async function recompute(candidates: readonly Candidate[], checker: (c: Candidate) => EngineDevice,
  devices: readonly EngineDevice[], o: SpotCheckOptions, started: number): Promise<SpotNonce[]> {
  const out: SpotNonce[] = [];
  let slowest = 0;
  for (const c of candidates.slice(0, o.count)) {
    const elapsed = (performance.now() - started) / 1000;
    if (out.length > 0 && elapsed + slowest > o.capSeconds) break;
    o.progress.update(`spot check: nonce ${c.nonce} (${out.length + 1}/${Math.min(o.count, candidates.length)})`, true);
    const t0 = performance.now();
    const { dist } = await checker(c).run(o.publicKey, [c.nonce]);
    slowest = Math.max(slowest, (performance.now() - t0) / 1000);
    out.push({ nonce: c.nonce, device: devices[c.device].info.name, dist: c.dist, recomputed: dist[0],
      abs_delta: Math.abs(dist[0] - c.dist) });
  }
  o.progress.done();
  return out;
}
