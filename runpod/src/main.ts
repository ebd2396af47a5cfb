// `llama-gpu-bench runpod`: the Runpod worker's process (docs/runpod.md §1). Platform mode when
// RUNPOD_WEBHOOK_GET_JOB is set and no --test_input is given: the worker takes jobs until SIGTERM or SIGINT (exit
// status 0), a fatal job (1) or a model server that never came up (1). Otherwise local mode: one test job.
import { readFileSync } from 'node:fs';
import { UsageError } from '../../scripts/src/args.js';
import { ConfigError, loadConfig, type RunpodConfig } from './config.js';
import { modelServerHandler } from './handler.js';
import { runLocal } from './local.js';
import { runpodLogger, toStderr, type Logger } from './logger.js';
import { ModelServer } from './model-server.js';
import { RunpodWorker } from './worker.js';

/** --test_input JSON (or --test_input=JSON); `llama-gpu-bench runpod --help` is answered by the CLI. */
export function parseArgs(argv: string[]): { testInput?: string } {
  let testInput: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('--test_input=')) testInput = arg.slice('--test_input='.length);
    else if (arg === '--test_input') {
      if (i + 1 >= argv.length) throw new UsageError('--test_input needs a JSON value');
      testInput = argv[++i];
    } else throw new UsageError(`unknown flag ${JSON.stringify(arg)} (llama-gpu-bench runpod --help)`);
  }
  return { testInput };
}

function readLocalFile(): string | undefined {
  try {
    return readFileSync('test_input.json', 'utf8');
  } catch {
    return undefined;
  }
}

async function runPlatform(config: RunpodConfig, log: Logger, stopping: AbortSignal): Promise<number> {
  const server = new ModelServer(config.modelServerUrl, config.timings);
  try {
    const worker = new RunpodWorker({
      config,
      log,
      handler: modelServerHandler(server, { cleanupMs: config.timings.stopCleanupMs, log }),
      ready: async (signal) => {
        await server.waitReady(signal);
        log.info({ url: config.modelServerUrl }, 'the model server is ready');
      },
    });
    return await worker.run(stopping);
  } finally {
    await server.close();
  }
}

/** The command; resolves with the exit status. */
export async function runpodCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  let config: RunpodConfig;
  try {
    config = loadConfig(process.env, args.testInput, readLocalFile);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    runpodLogger({ level: 'info', json: false, write: toStderr }).error({ problems: err.problems }, err.message);
    return 1;
  }
  const platform = config.mode === 'platform';
  const log = runpodLogger({ level: config.logLevel, json: platform && config.endpointId !== undefined, write: platform ? undefined : toStderr });
  const stopping = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping.signal.aborted) return;
    log.info({ signal }, 'signal received');
    stopping.abort(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    return platform ? await runPlatform(config, log, stopping.signal) : await runLocal(config, log, stopping.signal);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
