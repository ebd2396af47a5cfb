// npm run measure:metrics-latency: how long GET /metrics takes while the devices compute. The model server runs
// in this process on the CPU backend (every core, as `serve` does) with a /generate streaming; /metrics is scraped
// every --interval ms for --seconds and each answer timed. Before the device's owner kept its memory figures in
// atomics, a scrape waited for the batch in flight (3.47 s measured during a PARAMS_V1 stream on 2 cores).
// One JSON object on stdout; a short table on stderr.
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { Engine, parseParamsArg, SAMPLE_JOB } from '../../addon/lib/index.js';
import { createLogger } from '../../common/src/log.js';
import { buildApp } from '../../server/src/app.js';
import { loadConfig } from '../../server/src/config.js';
import { parseFlags, parseNumber, UsageError } from './args.js';
import { log, printJson } from './output.js';
import { sleep } from '../../common/src/deadline.js';

const USAGE = `usage: npm run measure:metrics-latency -- [--params v1|tiny|v2|JSON] [--seconds N] [--interval MS]

Times GET /metrics while a /generate computes on the CPU backend (defaults: v1, 40 s, every 250 ms).
`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stderr.write(USAGE);
    return 0;
  }
  let flags;
  try {
    flags = parseFlags(argv, { params: { type: 'string' }, seconds: { type: 'string' }, interval: { type: 'string' } });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n${USAGE}`);
    return 2;
  }
  const params = parseParamsArg(flags.params ?? 'v1');
  const seconds = parseNumber(flags.seconds, '--seconds', 40, { min: 1 });
  const intervalMs = parseNumber(flags.interval, '--interval', 250, { min: 10 });

  const engine = await Engine.open({ backend: 'cpu' });
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', ENGINE_BACKEND: 'cpu',
    MAX_JOB_DURATION: String(seconds + 60) });
  const app = buildApp({ engine, config, logger: createLogger({ service: 'model-server', level: 'silent' }) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const job = request(`${url}/generate`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, headersTimeout: 0, bodyTimeout: 0,
    body: JSON.stringify({ block_hash: SAMPLE_JOB.blockHash, block_height: 1, public_key: SAMPLE_JOB.publicKey,
      r_target: 10, batch_size: 1, start_nonce: 0, params }),
  });
  const res = await job;
  let batches = 0;
  const reading = (async () => {
    for await (const chunk of res.body) batches += String(chunk).split('\n').filter((l) => l.trim() !== '').length;
  })().catch(() => undefined);
  log(`streaming ${JSON.stringify(params)}; scraping /metrics every ${intervalMs} ms for ${seconds} s`);

  const times: number[] = [];
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    const t0 = performance.now();
    const m = await request(`${url}/metrics`);
    await m.body.text();
    times.push(performance.now() - t0);
    await sleep(intervalMs);
  }
  res.body.destroy();
  await reading;
  await app.close();
  await engine.close();

  times.sort((a, b) => a - b);
  const ms = (x: number) => Math.round(x * 100) / 100;
  const result = { scrapes: times.length, result_lines: batches, p50_ms: ms(percentile(times, 0.5)),
    p99_ms: ms(percentile(times, 0.99)), max_ms: ms(times[times.length - 1]), params, seconds,
    device: engine.devices[0]?.info.name };
  log(`/metrics during the stream: ${result.scrapes} scrapes, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, ` +
    `max ${result.max_ms} ms (${batches} result lines)`);
  printJson(result);
  return 0;
}

main(process.argv.slice(2)).then((code) => (process.exitCode = code), (err: unknown) => {
  process.stderr.write(`measure:metrics-latency: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
