// `llama-gpu-bench weights`: sha256 of every parameter's fp16 bytes, one JSON line each, named_parameters() order.
import { HostModel, parseParamsArg } from '../../../addon/lib/index.js';
import { parseFlags, parseNumber, required } from '../args.js';
import { log } from '../output.js';

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
