#!/usr/bin/env node
// llama-gpu-bench: the package's command line. Results go to stdout (JSON), logs and progress to stderr.
// Exit codes: 0 ok, 1 failure, 2 bad usage or bad params (verify: 3, results the network would flag).
// `<command> --help` prints the command's usage on stderr and exits 0.
import { EngineError, ErrorCodes } from '../../addon/lib/index.js';
import { defuse } from '../../common/src/log.js';
import { UsageError, wantsHelp } from './args.js';
import { benchCommand, benchUsage } from './commands/bench.js';
import { computeCommand, computeUsage } from './commands/compute.js';
import { verifyCommand, verifyUsage } from './commands/verify.js';
import { weightsCommand, weightsUsage } from './commands/weights.js';

// The services own their configuration (environment) and process lifecycle; loaded only when asked for.
async function serveCommand(argv: string[]): Promise<void> {
  if (argv.length > 0) throw new UsageError('serve takes no flags: configure it with environment variables (README)');
  const { main: serve } = await import('../../server/src/server.js');
  await serve();
}

async function workerCommand(argv: string[]): Promise<void> {
  if (argv.length > 0) throw new UsageError('worker takes no flags: configure it with environment variables (README)');
  const { main: work } = await import('../../worker/src/main.js');
  await work();
}

const serveUsage = `usage: llama-gpu-bench serve

The model server (POST /generate, /warmup, /pooled, /validate; GET /health, /metrics), until SIGINT or SIGTERM.
It takes no flags: its configuration is the environment (PORT, ENGINE_BACKEND, MAX_JOB_DURATION, ...), documented
in README.md, "Model server" → "Environment"; its HTTP contract is docs/model-server.md.
`;

const workerUsage = `usage: llama-gpu-bench worker

The Vast.ai PyWorker-compatible worker in front of the model server, until SIGINT or SIGTERM.
It takes no flags: its configuration is the environment (CONTAINER_ID, PUBLIC_IPADDR, MODEL_SERVER_URL, WORKER_PERF,
...), documented in README.md, "Worker" → "Environment"; its protocol is docs/pyworker.md.
`;

const runpodUsage = `usage: llama-gpu-bench runpod [--test_input JSON]

The Runpod serverless worker in front of the model server at MODEL_SERVER_URL. With RUNPOD_WEBHOOK_GET_JOB set
(Runpod sets it), it takes jobs from the platform until SIGINT or SIGTERM. Otherwise, or with --test_input, it runs
one job locally ('{"input": {...}}', else the file ./test_input.json), prints each partial and then the final body
on stdout as JSON lines, and exits 0, or 1 when the job failed; it starts a model server for the job when none
answers at MODEL_SERVER_URL. Its environment is documented in README.md, "Runpod worker"; its protocol is
docs/runpod.md.
`;

const USAGE = `usage: llama-gpu-bench <command> [flags]     (llama-gpu-bench <command> --help: the command's flags)

commands:
  weights  --block-hash H [--params JSON|tiny|v1|v2] [--threads N]
           one JSON line per parameter: {"name", "shape", "sha256"} (sha256 of its fp16 LE bytes)
  compute  --block-hash H --public-key PK --nonces 0-63,70 [--params ...] [--r-target R] [--backend cpu|cuda|auto]
           [--details] [--threads N]
           one JSON object: {"nonces", "dist", "valid"?, "target_sha256"?, "details"?}
  bench    [--params tiny|v1|v2|JSON] [--backend auto|cpu|cuda] [--seconds N] [--runs N] [--batch N] [--json]
           [--record] [--report DIR] [--memory-limit-gb G]   nonces/s per device, TFLOP/s, % of the device's peak,
           cold start, memory; --report writes results.json and report.html
  verify   RESULTS [--job FILE] [--params ...] [--r-target R] [--samples N] [--seed S] [--backend cpu|cuda|auto]
           a results file judged as the network's validators would: exit 0 pass, 3 flagged, 2 bad input
  serve    the model server (environment: see README)
  worker   the PyWorker-compatible worker (environment: see README)
  runpod   [--test_input JSON]   the Runpod serverless worker (environment: see README)
`;

interface Command {
  /** Resolves with the exit status (0 when it resolves with nothing). */
  run: (argv: string[]) => Promise<number | void>;
  usage: string;
}

const commands: Record<string, Command> = {
  weights: { run: weightsCommand, usage: weightsUsage },
  compute: { run: computeCommand, usage: computeUsage },
  bench: { run: benchCommand, usage: benchUsage },
  verify: { run: verifyCommand, usage: verifyUsage },
  serve: { run: serveCommand, usage: serveUsage },
  worker: { run: workerCommand, usage: workerUsage },
  runpod: { run: async (argv) => (await import('../../runpod/src/main.js')).runpodCommand(argv), usage: runpodUsage },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stderr.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`llama-gpu-bench: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  if (wantsHelp(rest)) {
    process.stderr.write(command.usage);
    return 0;
  }
  // The services' output is their log, which a PyWorker reads for failures: their last words are defused too (the
  // one line a fatal device failure owes it has been logged already).
  const say = name === 'serve' || name === 'worker' ? defuse : (text: string) => text;
  try {
    return (await command.run(rest)) ?? 0;
  } catch (err) {
    if (err instanceof UsageError || (err instanceof EngineError && (err.code === ErrorCodes.invalidParams || err.code === ErrorCodes.invalidArgument))) {
      process.stderr.write(say(`llama-gpu-bench ${name}: ${err.message}\n`));
      return 2;
    }
    if (err instanceof EngineError) {
      process.stderr.write(say(`llama-gpu-bench ${name}: ${err.message} (${err.code})\n`));
      return 1;
    }
    process.stderr.write(say(`llama-gpu-bench ${name}: ${(err as Error).stack ?? String(err)}\n`));
    return 1;
  }
}

if (require.main === module) {
  // A closed pipe (`... | head`) ends the command quietly, like any Unix filter.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  main(process.argv.slice(2)).then((code) => {
    // A service may have set its own status (e.g. 1 after a fatal device failure): keep it.
    if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
  });
}
