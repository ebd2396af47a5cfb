// `llama-gpu-bench verify RESULTS`: what a validator would make of a results file (docs/poc-compute.md §8). The file
// is checked for consistency (verify/results-file.ts), a seeded sample of its reported nonces is recomputed, and one
// JSON object on stdout says, per nonce, reported against recomputed distance, then the invalid count, |Δ|, the
// binomial tail and the verdict. Exit 0: the network would pass it; 3: it would flag it; 2: bad input.
import { deltaStats, Engine, judge, runAcrossDevices, VALIDATION_SAMPLES } from '../../../addon/lib/index.js';
import { parseBackend, parseCommandLine, parseNumber, UsageError } from '../args.js';
import { log, printJson, Progress } from '../output.js';
import { resolveJob } from '../verify/job.js';
import { readResults } from '../verify/results-file.js';
import { sampleNonces } from '../verify/sample.js';

/** The exit status of a file the network would flag as fraud. */
export const EXIT_FLAGGED = 3;

export const verifyUsage = `usage: llama-gpu-bench verify RESULTS [--job FILE] [--block-hash H] [--public-key PK]
         [--params JSON|tiny|v1|v2] [--r-target R] [--start-nonce N] [--samples N] [--seed S]
         [--backend cpu|cuda|auto] [--threads N]

Checks a /generate or /pooled NDJSON results file (RESULTS, or - for stdin) as the network's validators would:
its consistency (one block hash and public key, no nonce twice or outside the job, counters that add up, every
reported dist below r_target), then recomputes a seeded sample of its reported nonces and applies their rule
(a nonce is invalid when its recomputed dist is above r_target; fraud when P(X >= invalid), X ~ B(samples, 5e-4),
is below 1e-7, i.e. 5 or more of 200).

  --job FILE         the job as a /generate body (block_hash, public_key, params, r_target, start_nonce); flags win
  --block-hash, --public-key   default: the results file's own
  --params, --r-target         required (here or in --job)
  --start-nonce N    first nonce of the job (default 0)
  --samples N        nonces to recompute (default ${VALIDATION_SAMPLES}, all of them when fewer are reported)
  --seed S           the sample's seed (default: the block hash); printed
  --backend B        cpu (default), cuda or auto; --threads N: CPU threads (default: every core)

stdout: one JSON object {"verdict", "invalid", "sampled", "tail_probability", "abs_delta", "samples": [{"nonce",
"reported", "recomputed", "abs_delta", "invalid"}], ...}. Progress on stderr (live on a terminal).
Exit status: 0 pass, ${EXIT_FLAGGED} the network would flag it, 2 bad input (the line is named), 1 failure.
`;

export async function verifyCommand(argv: string[]): Promise<number> {
  const { values: f, positionals } = parseCommandLine(argv, {
    job: { type: 'string' },
    'block-hash': { type: 'string' },
    'public-key': { type: 'string' },
    params: { type: 'string' },
    'r-target': { type: 'string' },
    'start-nonce': { type: 'string' },
    samples: { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError('one RESULTS file is required (- for stdin)');
  const samples = parseNumber(f.samples, '--samples', VALIDATION_SAMPLES, { min: 1, integer: true });
  const threads = parseNumber(f.threads, '--threads', 0, { min: 0, integer: true });
  const backend = parseBackend(f.backend, 'cpu');
  const job = resolveJob(f);
  const started = performance.now();
  const file = await readResults(positionals[0], job);
  const seed = f.seed ?? file.blockHash;
  const picked = sampleNonces(file.reported.map((r) => r.nonce), samples, seed);
  const byNonce = new Map(file.reported.map((r) => [r.nonce, r]));

  const engine = await Engine.open({ backend, threads });
  let recomputed: Float64Array;
  const progress = new Progress();
  try {
    const devices = engine.devices.map((d) => d.info.name).join(', ');
    log(`verify: ${file.reported.length} reported nonces on ${file.resultLines} lines; recomputing ${picked.length} ` +
      `(seed ${JSON.stringify(seed)}) on ${devices}`);
    await engine.load(file.blockHash, job.params);
    recomputed = await runAcrossDevices(engine.devices, file.publicKey, picked, {
      onProgress: (done) => progress.update(`verify: ${done}/${picked.length} recomputed`),
    });
  } finally {
    progress.done();
    await engine.close();
  }

  const reported = picked.map((n) => (byNonce.get(n) as { dist: number }).dist);
  const verdict = judge(recomputed, job.rTarget, reported);
  const out = {
    verdict: verdict.verdict, invalid: verdict.invalid, sampled: verdict.sampled,
    tail_probability: verdict.tail_probability, p_mismatch: verdict.p_mismatch, significance: verdict.significance,
    abs_delta: deltaStats(reported, recomputed),
    results: positionals[0],
    job: { block_hash: file.blockHash, public_key: file.publicKey, params: job.params, r_target: job.rTarget,
      start_nonce: job.startNonce },
    file: { lines: file.lines, result_lines: file.resultLines, reported: file.reported.length, computed: file.computed,
      stream_error: file.streamError },
    seed, backend: engine.backend,
    seconds: Math.round((performance.now() - started) / 10) / 100,
    samples: picked.map((nonce, i) => ({
      nonce, line: (byNonce.get(nonce) as { line: number }).line, reported: reported[i], recomputed: recomputed[i],
      abs_delta: Math.abs(reported[i] - recomputed[i]), invalid: !(recomputed[i] <= job.rTarget),
    })),
  };
  printJson(out);
  log(`verify: ${verdict.invalid} of ${verdict.sampled} invalid, tail probability ${verdict.tail_probability.toPrecision(3)}: ` +
    `${verdict.verdict === 'fraud' ? 'the network would flag these results as fraud' : 'pass'}`);
  return verdict.verdict === 'fraud' ? EXIT_FLAGGED : 0;
}
