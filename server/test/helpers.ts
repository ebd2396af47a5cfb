// Test harness: the real server (buildApp) on a loopback port with the real CPU engine, NDJSON stream readers,
// and loopback HTTP stand-ins for the outside services (controller, orchestrator).
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { request } from 'undici';
import { Engine, PRESETS, SAMPLE_JOB, type EngineDevice, type ModelParams } from '../../addon/lib/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig, type ServerConfig } from '../src/config.js';
import type { ServerEngine } from '../src/engine.js';
import { createLogger } from '../../common/src/log.js';

/** A parsed JSON line or body: the tests check its fields one by one against the spec. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export const TINY = PRESETS.tiny;
export const { blockHash: BLOCK_HASH, publicKey: PUBLIC_KEY } = SAMPLE_JOB;

/** The real engine on its CPU backend, one thread (the CI machine has two cores and tap runs two files at once). */
export function openEngine(): Promise<Engine> {
  return Engine.open({ backend: 'cpu', threads: 1 });
}

/** Short time limits, so every path of the spec runs in a test's seconds. */
export function testConfig(env: Record<string, string> = {}): ServerConfig {
  return loadConfig({
    HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ENGINE_BACKEND: 'cpu',
    MAX_BATCH_SIZE: '8', MAX_JOB_DURATION: '2', WARMUP_POLL_INTERVAL: '0.05', WARMUP_MAX_DURATION: '3',
    POOLED_POLL_INTERVAL: '0.05', POOLED_MAX_DURATION: '4', POOLED_MODEL_LOAD_TIMEOUT: '30',
    POOLED_HEARTBEAT_INTERVAL: '0.1', HTTP_TIMEOUT: '2', HTTP_RETRY_BASE: '0.01', EXIT_ON_FATAL: 'false',
    ...env,
  });
}

/** The server's log as events: tests wait for what the server itself reports ("job started", "job ended", ...)
 *  instead of guessing with timers. SERVER_TEST_LOG=1 also echoes the lines to stderr. */
export class LogEvents {
  readonly records: Json[] = [];
  readonly lines: string[] = [];
  private waiters: { match: (r: Json) => boolean; resolve: (r: Json) => void }[] = [];

  readonly destination = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      for (const line of chunk.toString('utf8').split('\n').filter((l) => l !== '')) this.add(line);
      done();
    },
  });

  private add(line: string): void {
    if (process.env.SERVER_TEST_LOG) process.stderr.write(`${line}\n`);
    this.lines.push(line);
    const record = JSON.parse(line) as Json;
    this.records.push(record);
    this.waiters = this.waiters.filter((w) => !(w.match(record) && (w.resolve(record), true)));
  }

  /** The first record that matches, logged already or from now on. */
  waitFor(match: (r: Json) => boolean): Promise<Json> {
    const seen = this.records.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** The "job ended" record of job `id`. */
  jobEnded(id: number): Promise<Json> {
    return this.waitFor((r) => r.msg === 'job ended' && r.job === id);
  }
}

export interface TestServer {
  url: string;
  config: ServerConfig;
  fatalReports: number;
  events: LogEvents;
  close(): Promise<void>;
}

export async function startServer(engine: ServerEngine, env: Record<string, string> = {}): Promise<TestServer> {
  const config = testConfig(env);
  const events = new LogEvents();
  const server: TestServer = { url: '', config, fatalReports: 0, events, close: async () => undefined };
  const logger = createLogger({ service: 'model-server', level: config.logLevel, destination: events.destination });
  const app = buildApp({ engine, config, logger, onFatal: () => (server.fatalReports += 1) });
  await app.listen({ host: config.host, port: 0 });
  server.url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  server.close = () => app.close();
  return server;
}

/** The real CPU engine behind a WatchedEngine (counts runs, injects failures), served on a loopback port; both are
 *  closed when the test ends. */
export async function startWatchedServer(t: { teardown(fn: () => Promise<void>): void }, env: Record<string, string> = {}):
  Promise<{ watched: WatchedEngine; server: TestServer }> {
  const engine = await openEngine();
  const watched = new WatchedEngine(engine);
  const server = await startServer(watched, env);
  t.teardown(async () => {
    await server.close();
    await engine.close();
  });
  return { watched, server };
}

/** A /generate body for the tiny model. */
export function generateBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    block_hash: BLOCK_HASH, block_height: 123, public_key: PUBLIC_KEY, r_target: 1.0, batch_size: 16,
    start_nonce: 0, params: { ...TINY }, ...overrides,
  };
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; headers: http.IncomingHttpHeaders; json: Json }> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await request(url, { method: 'POST', body: raw, headers: { 'content-type': 'application/json' } });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers as http.IncomingHttpHeaders, json: text ? JSON.parse(text) : undefined };
}

/** A streaming POST read line by line; `abort()` disconnects the client mid-stream. */
export class LineStream {
  readonly lines: Json[] = [];
  private readonly controller = new AbortController();
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  private iterator: AsyncIterator<Json> | undefined;

  constructor(private readonly url: string, private readonly body: unknown) {}

  /** Opens the stream; with `waitIfBusy`, a 503 "busy" (the previous job still releasing) is retried for 5 s. */
  async open(waitIfBusy = true): Promise<this> {
    const until = Date.now() + 5000;
    let res = await this.request();
    while (waitIfBusy && res.statusCode === 503 && Date.now() < until) {
      await res.body.text();
      await delay(20);
      res = await this.request();
    }
    this.status = res.statusCode;
    this.headers = res.headers as http.IncomingHttpHeaders;
    this.iterator = splitLines(res.body)[Symbol.asyncIterator]();
    return this;
  }

  private request() {
    return request(this.url, {
      method: 'POST', body: JSON.stringify(this.body), headers: { 'content-type': 'application/json' },
      signal: this.controller.signal,
    });
  }

  /** The server's number of this job (the x-job-id header of a stream). */
  get jobId(): number {
    return Number(this.headers['x-job-id']);
  }

  /** The next line, or undefined at the end of the stream. */
  async next(): Promise<Json> {
    const r = await this.iterator!.next();
    if (r.done) return undefined;
    this.lines.push(r.value);
    return r.value;
  }

  /** Reads until `predicate` holds for a line (returned), or the stream ends (undefined). */
  async until(predicate: (line: Json) => boolean): Promise<Json> {
    for (let line = await this.next(); line !== undefined; line = await this.next()) if (predicate(line)) return line;
    return undefined;
  }

  async rest(): Promise<Json[]> {
    while ((await this.next()) !== undefined);
    return this.lines;
  }

  abort(): void {
    this.controller.abort();
  }
}

async function* splitLines(body: AsyncIterable<Buffer>): AsyncGenerator<Json> {
  let buffered = '';
  try {
    for await (const chunk of body) {
      buffered += chunk.toString('utf8');
      for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
        const line = buffered.slice(0, i);
        buffered = buffered.slice(i + 1);
        if (line.trim() !== '') yield JSON.parse(line);
      }
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
    return;
  }
  if (buffered.trim() !== '') yield JSON.parse(buffered);
}

export async function stream(url: string, body: unknown, waitIfBusy = true): Promise<LineStream> {
  return new LineStream(url, body).open(waitIfBusy);
}

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Json;
  headers: http.IncomingHttpHeaders;
  at: number;
  /** The status the stub answered with. */
  status?: number;
}

/** `body` is sent as JSON, `raw` as it is (e.g. an answer that is not JSON). */
export type StubAnswer = { status?: number; body?: unknown; raw?: string };
export type StubHandler = (req: Recorded) => StubAnswer | undefined | Promise<StubAnswer | undefined>;

/** A stand-in for an outside service: a real HTTP server on loopback that records every request. */
export class StubService {
  readonly requests: Recorded[] = [];
  url = '';
  private waiters: { match: (r: Recorded) => boolean; resolve: (r: Recorded) => void }[] = [];
  private readonly server: http.Server;

  constructor(private handler: StubHandler) {
    this.server = http.createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://x');
        const rec: Recorded = { method: req.method ?? '', path: u.pathname, query: u.searchParams, body: data ? JSON.parse(data) : undefined, headers: req.headers, at: Date.now() };
        this.requests.push(rec);
        Promise.resolve(this.handler(rec)).then((answer) => {
          rec.status = answer?.status ?? 200;
          res.writeHead(rec.status, { 'content-type': 'application/json' });
          res.end(answer?.raw ?? (answer?.body === undefined ? '' : JSON.stringify(answer.body)));
          this.waiters = this.waiters.filter((w) => !(w.match(rec) && (w.resolve(rec), true)));
        }, (err: Error) => {
          res.writeHead(500);
          res.end(err.message);
        });
      });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The first request that matches, recorded already or from now on (resolved once it has been answered). */
  waitFor(match: (r: Recorded) => boolean): Promise<Recorded> {
    const seen = this.requests.find((r) => r.status !== undefined && match(r));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  setHandler(handler: StubHandler): void {
    this.handler = handler;
  }

  count(method: string, path: string): number {
    return this.requests.filter((r) => r.method === method && r.path === path).length;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it holds (or fails the test after `ms`). */
export async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await delay(10);
  }
}

/** The real engine seen through wrappers that count (and may fail) device.run calls: for tests that must prove
 *  when computation stops, or how a fatal device failure is reported. Everything else is the real engine. */
export class WatchedEngine implements ServerEngine {
  runs = 0;
  /** device.run calls per public key. */
  readonly runsByKey = new Map<string, number>();
  /** When set, run() rejects with this instead of computing (e.g. an EngineError with code ERR_DEVICE). */
  failWith: ((call: number) => Error | undefined) | undefined;
  loadFailure: Error | undefined;
  /** Makes load() take at least this long (a big model's build, in miniature). */
  loadDelayMs = 0;
  /** load() calls so far. */
  loads = 0;
  /** Runs waiting at the gate (see hold()). */
  held = 0;
  /** 'held' when a run stops at the gate, 'load' when load() is called. */
  readonly events = new EventEmitter();
  private gate: Promise<void> | undefined;
  private loadGate: Promise<void> | undefined;
  private readonly wrapped = new Map<EngineDevice, EngineDevice>();

  constructor(readonly engine: Engine) {}

  get backend() {
    return this.engine.backend;
  }

  get devices(): readonly EngineDevice[] {
    return this.engine.devices.map((d) => {
      let w = this.wrapped.get(d);
      if (!w) {
        const run: EngineDevice['run'] = (publicKey, nonces, opts) => {
          this.runs += 1;
          this.runsByKey.set(publicKey, (this.runsByKey.get(publicKey) ?? 0) + 1);
          const failure = this.failWith?.(this.runs);
          if (failure) return Promise.reject(failure);
          const gate = this.gate;
          if (!gate) return d.run(publicKey, nonces, opts);
          this.held += 1;
          this.events.emit('held');
          return gate.then(() => {
            this.held -= 1;
            return d.run(publicKey, nonces, opts);
          });
        };
        w = Object.create(d, { run: { value: run }, memory: { value: () => d.memory() } }) as EngineDevice;
        this.wrapped.set(d, w);
      }
      return w;
    });
  }

  /** From now on every run waits (a batch that takes long) until the returned function is called. */
  hold(): () => void {
    let open!: () => void;
    this.gate = new Promise((resolve) => (open = resolve));
    return () => {
      this.gate = undefined;
      open();
    };
  }

  /** From now on every load waits (a build that takes long) until the returned function is called. */
  holdLoads(): () => void {
    let open!: () => void;
    this.loadGate = new Promise((resolve) => (open = resolve));
    return () => {
      this.loadGate = undefined;
      open();
    };
  }

  async load(blockHash: string, params: ModelParams) {
    this.loads += 1;
    this.events.emit('load');
    await delay(this.loadDelayMs);
    await this.loadGate;
    if (this.loadFailure) throw this.loadFailure;
    return this.engine.load(blockHash, params);
  }
}
