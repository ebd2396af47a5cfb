// `llama-gpu-bench weights`: sha256 of every parameter's fp16 bytes, one JSON line each, named_parameters() order.
import { HostModel, parseParamsArg } from '../../../addon/lib/index.js';
import { parseFlags, parseNumber, required } from '../args.js';
import { log } from '../output.js';

export const weightsUsage = `usage: llama-gpu-bench weights --block-hash H [--params JSON|tiny|v1|v2] [--threads N]

The sha256 of every parameter's fp16 little-endian bytes, in the reference's named_parameters() order
(docs/poc-compute.md §3-4): one JSON line per parameter on stdout, {"name", "shape", "sha256"}.

  --block-hash H   the block hash that seeds the weights (required)
  --params P       a preset (tiny, v1, v2) or a job's params JSON (absent keys: the reference defaults)
  --threads N      CPU threads (default: every core)
`;

export async function weightsCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, {
    'block-hash': { type: 'string' },
    params: { type: 'string', default: '{}' },
    threads: { type: 'string' },
  });
  const blockHash = required(f['block-hash'], '--block-hash');
  const params = parseParamsArg(f.params as string);
  const threads = parseNumber(f.threads, '--threads', 0, { min: 0, integer: true });
  const started = performance.now();
  const model = await HostModel.build(blockHash, params, threads);
  const built = performance.now();
  const digests = await model.weightDigests(threads);
  for (const d of digests) process.stdout.write(`${JSON.stringify({ name: d.name, shape: d.shape, sha256: d.sha256 })}\n`);
  log(`weights: ${digests.length} parameters; pool ${((built - started) / 1000).toFixed(2)} s, ` +
    `hashes ${((performance.now() - built) / 1000).toFixed(2)} s`);
}
