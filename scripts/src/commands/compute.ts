// `llama-gpu-bench compute`: distances of given nonces (the validator's tool): one JSON object on stdout.
import { Engine, parseParamsArg, runAcrossDevices } from '../../../addon/lib/index.js';
import { parseBackend, parseFlags, parseNonces, parseNumber, required, UsageError } from '../args.js';
import { log, printJson } from '../output.js';

export const computeUsage = `usage: llama-gpu-bench compute --block-hash H --public-key PK --nonces LIST [--params JSON|tiny|v1|v2]
         [--r-target R] [--backend cpu|cuda|auto] [--threads N] [--details]

The distances of given nonces (docs/poc-compute.md §5-7), as a validator recomputes them: one JSON object on
stdout, {"nonces", "dist"} in the order given (duplicates kept).

  --nonces LIST    e.g. 0-63,70 (ranges inclusive)
  --params P       a preset or a job's params JSON (absent keys: the reference defaults)
  --r-target R     adds "valid": dist < R per nonce
  --backend B      cpu (default), cuda or auto; --threads N: CPU threads (default: every core)
  --details        adds the target's and each nonce's input and permutation sha256 (to compare with the reference)
`;

export async function computeCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, {
    'block-hash': { type: 'string' },
    'public-key': { type: 'string' },
    params: { type: 'string', default: '{}' },
    nonces: { type: 'string' },
    'r-target': { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string' },
    details: { type: 'boolean', default: false },
  });
  const blockHash = required(f['block-hash'], '--block-hash');
  const publicKey = required(f['public-key'], '--public-key');
  const params = parseParamsArg(f.params as string);
  const nonces = parseNonces(required(f.nonces, '--nonces'));
  let rTarget: number | undefined;
  if (f['r-target'] !== undefined) {
    rTarget = parseNumber(f['r-target'], '--r-target', 0);
    if (!(rTarget > 0)) throw new UsageError('--r-target: must be a positive number');
  }
  const threads = parseNumber(f.threads, '--threads', 0, { min: 0, integer: true });
  const engine = await Engine.open({ backend: parseBackend(f.backend, 'cpu'), threads });
  try {
    log(`compute: ${nonces.length} nonces on ${engine.devices.map((d) => d.info.name).join(', ')}`);
    await engine.load(blockHash, params);
    const dist = await runAcrossDevices(engine.devices, publicKey, nonces);
    const out: Record<string, unknown> = { nonces, dist: Array.from(dist) };
    if (rTarget !== undefined) out.valid = Array.from(dist, (d) => d < (rTarget as number));
    if (f.details) {
      const model = engine.hostModel;
      if (!model) throw new Error('model not loaded');
      out.target_sha256 = model.targetSha256();
      out.details = await model.nonceDetails(publicKey, nonces, threads);
    }
    printJson(out);
  } finally {
    await engine.close();
  }
}
