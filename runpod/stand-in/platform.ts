// A loopback stand-in of Runpod's queue-based serverless platform (docs/runpod.md §14): a real HTTP server on
// 127.0.0.1 with its state in memory, driven through a JS API. Worker-facing routes (job-take with a held long-poll,
// job-take-batch, job-stop, job-stream, job-done, ping), client-facing ones (run, status, stream, cancel), the
// platform's policies (cancel, execution timeout, liveness, stopPod), fault injection and observation. Every POST
// body is read as JSON whatever its content type, which is recorded.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Records, type JobStatus, type PlatformEvent, type StandInJob } from './records.js';

export interface StandInOptions {
  endpoint?: string;
  apiKey?: string;
  /** How long an empty job-take or job-stop is held open before 204. */
  holdMs?: number;
  /** Default execution timeout of a job from the moment it is taken (none by default). */
  executionTimeoutMs?: number;
  /** No ping from a worker for this long records a liveness_lapse (default 3 × 1000 ms). */
  livenessMs?: number;
}

/** A scripted answer for job-take or job-stop: a status with an optional body, or a delay before the usual answer. */
export interface Scripted {
  status?: number;
  json?: unknown;
  text?: string;
  contentType?: string;
  delayMs?: number;
}

export type Route = 'take' | 'stop' | 'stream' | 'done' | 'ping';

const TERMINAL: readonly JobStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];

export class StandInPlatform extends Records {
  readonly endpoint: string;
  readonly apiKey: string;
  holdMs: number;
  url = '';
  private readonly server: http.Server;
  private readonly queue: string[] = [];
  private readonly pendingStops = new Map<string, string[]>();
  private readonly scripts: Record<'take' | 'stop', Scripted[]> = { take: [], stop: [] };
  private readonly failures: Partial<Record<'stream' | 'done', { n: number; status: number }>> = {};
  private readonly delays: Partial<Record<Route, number>> = {};
  private readonly drops: Partial<Record<Route, number>> = {};
  private readonly lastPing = new Map<string, { t: number; lapsed: boolean }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private nextId = 1;

  constructor(private readonly o: StandInOptions = {}) {
    super();
    this.endpoint = o.endpoint ?? 'ep';
    this.apiKey = o.apiKey ?? 'stand-in-key';
    this.holdMs = o.holdMs ?? 200;
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    const liveness = setInterval(() => this.checkLiveness(), 100);
    liveness.unref();
    this.timers.add(liveness);
    return this;
  }

  /** The worker's RUNPOD_* environment for this stand-in (docs/runpod.md §14 "Env helper"). */
  env(podId = 'pod-1', pingIntervalMs = 1000): Record<string, string> {
    const base = `${this.url}/v2/${this.endpoint}`;
    return {
      RUNPOD_WEBHOOK_GET_JOB: `${base}/job-take/$ID?gpu=SIM`,
      RUNPOD_WEBHOOK_POST_OUTPUT: `${base}/job-done/$RUNPOD_POD_ID/$ID?gpu=SIM`,
      RUNPOD_WEBHOOK_POST_STREAM: `${base}/job-stream/$RUNPOD_POD_ID/$ID?gpu=SIM`,
      RUNPOD_WEBHOOK_PING: `${base}/ping/$RUNPOD_POD_ID?gpu=SIM`,
      RUNPOD_AI_API_KEY: this.apiKey,
      RUNPOD_POD_ID: podId,
      RUNPOD_PING_INTERVAL: String(pingIntervalMs),
      RUNPOD_ENDPOINT_ID: this.endpoint,
    };
  }

  // --- the client's side (also POST /run, /cancel) ---

  /** Queues a job; its id. */
  submit(input: unknown, policy: { executionTimeoutMs?: number; id?: string } = {}): string {
    const id = policy.id ?? `job-${this.nextId++}`;
    this.jobs.set(id, { id, input, status: 'IN_QUEUE', executionTimeoutMs: policy.executionTimeoutMs ?? this.o.executionTimeoutMs,
      chunks: [], read: 0, progress: [], doneAttempts: 0, xRequestIds: [], contentTypes: [] });
    this.queue.push(id);
    this.changed();
    return id;
  }

  /** A queued job is removed; a running one becomes CANCELLED and its worker is told on job-stop. */
  cancel(id: string): JobStatus | undefined {
    const job = this.jobs.get(id);
    if (job === undefined) return undefined;
    if (job.status === 'IN_QUEUE') this.queue.splice(this.queue.indexOf(id), 1);
    if (job.status === 'IN_PROGRESS') this.queueStop(job);
    if (!TERMINAL.includes(job.status)) job.status = 'CANCELLED';
    this.changed();
    return job.status;
  }

  job(id: string): StandInJob {
    const job = this.jobs.get(id);
    if (job === undefined) throw new Error(`stand-in platform: no job ${id}`);
    return job;
  }

  // --- fault injection ---

  scriptTake(answers: Scripted[]): void {
    this.scripts.take.push(...answers);
  }

  scriptStop(answers: Scripted[]): void {
    this.scripts.stop.push(...answers);
  }

  failStream(n: number, status: number): void {
    this.failures.stream = { n, status };
  }

  failDone(n: number, status: number): void {
    this.failures.done = { n, status };
  }

  /** Every answer on `route` comes this much later (0: none). */
  delay(route: Route, ms: number): void {
    this.delays[route] = ms;
  }

  /** The next n requests on `route` lose their connection before any answer. */
  dropConnection(route: Route, n: number): void {
    this.drops[route] = n;
  }

  close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  // --- the worker's side ---

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const event: PlatformEvent = { kind: 'unknown', t: Date.now(), method: req.method ?? '', path: url.pathname,
      query: Object.fromEntries(url.searchParams), headers: req.headers, body: parseJson(text) };
    const parts = url.pathname.split('/').filter((p) => p !== '');
    if (parts[0] !== 'v2' || parts[1] !== this.endpoint) return this.answer(res, event, 404, { error: 'not found' });
    const [, , action, a, b] = parts;
    const client = ['run', 'status', 'stream', 'cancel'].includes(action);
    if (!client && req.headers.authorization !== this.apiKey) {
      event.kind = 'unauthorized';
      return this.answer(res, this.add(event), 401, { error: 'unauthorized' });
    }
    switch (action) {
      case 'job-take':
      case 'job-take-batch':
        return this.take(res, Object.assign(event, { kind: action === 'job-take' ? 'take' : 'take-batch', workerId: a }));
      case 'job-stop':
        return this.stop(res, Object.assign(event, { kind: 'stop', workerId: a }));
      case 'job-stream':
        return this.stream(req, res, Object.assign(event, { kind: 'stream', workerId: a, jobId: b }));
      case 'job-done':
        return this.done(req, res, Object.assign(event, { kind: 'done', workerId: a, jobId: b }));
      case 'ping':
        return this.routeAnswer(res, Object.assign(event, { kind: 'ping', workerId: a }), 'ping', () => {
          this.lastPing.set(a, { t: event.t, lapsed: false });
          return [200, { status: 'pong' }];
        });
      case 'run': {
        const body = (event.body ?? {}) as { input?: unknown; policy?: { executionTimeout?: number } };
        const id = this.submit(body.input, { executionTimeoutMs: body.policy?.executionTimeout });
        return this.answer(res, this.add(Object.assign(event, { kind: 'run', jobId: id })), 200, { id, status: 'IN_QUEUE' });
      }
      case 'status':
        return this.answer(res, Object.assign(event, { kind: 'status', jobId: a }), ...this.statusOf(a));
      case 'stream': {
        const job = this.jobs.get(a);
        if (job === undefined) return this.answer(res, event, 404, { error: 'not found' });
        const fresh = job.chunks.slice(job.read).map((c) => ({ output: c.output }));
        job.read = job.chunks.length;
        return this.answer(res, event, 200, { status: job.status, stream: fresh });
      }
      case 'cancel':
        return this.answer(res, this.add(Object.assign(event, { kind: 'cancel', jobId: a })), 200, { id: a, status: this.cancel(a) });
      default:
        return this.answer(res, event, 404, { error: 'not found' });
    }
  }

  private async take(res: http.ServerResponse, event: PlatformEvent): Promise<void> {
    this.add(event);
    if (await this.dropped(res, 'take')) return;
    const scripted = await this.scripted('take', res, event);
    if (scripted) return;
    const max = event.kind === 'take-batch' ? Math.max(1, Number(event.query.batch_size) || 1) : 1;
    if (this.queue.length === 0) await this.hold(() => this.queue.length > 0, res);
    const taken = this.queue.splice(0, max).map((id) => this.job(id));
    if (taken.length === 0) return this.answer(res, event, 204);
    for (const job of taken) this.start(job, event.workerId as string);
    const body = event.kind === 'take' ? taken[0] : taken;
    const wire = (j: StandInJob): Record<string, unknown> => ({ id: j.id, input: j.input });
    return this.answer(res, event, 200, Array.isArray(body) ? body.map(wire) : wire(body));
  }

  private start(job: StandInJob, workerId: string): void {
    job.status = 'IN_PROGRESS';
    job.workerId = workerId;
    job.takenAt = Date.now();
    if (job.executionTimeoutMs !== undefined) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (job.status !== 'IN_PROGRESS') return;
        job.status = 'TIMED_OUT';
        this.queueStop(job);
        this.changed();
      }, job.executionTimeoutMs);
      this.timers.add(timer);
    }
  }

  private queueStop(job: StandInJob): void {
    if (job.workerId === undefined) return;
    const list = this.pendingStops.get(job.workerId) ?? [];
    list.push(job.id);
    this.pendingStops.set(job.workerId, list);
    this.changed();
  }

  private async stop(res: http.ServerResponse, event: PlatformEvent): Promise<void> {
    this.add(event);
    if (await this.dropped(res, 'stop')) return;
    if (await this.scripted('stop', res, event)) return;
    const worker = event.workerId as string;
    const pending = (): boolean => (this.pendingStops.get(worker)?.length ?? 0) > 0;
    if (!pending()) await this.hold(pending, res);
    const ids = this.pendingStops.get(worker) ?? [];
    this.pendingStops.delete(worker);
    if (ids.length === 0) return this.answer(res, event, 204);
    return this.answer(res, event, 200, { jobsToStop: ids });
  }

  private stream(req: http.IncomingMessage, res: http.ServerResponse, event: PlatformEvent): Promise<void> {
    return this.routeAnswer(res, event, 'stream', () => {
      const job = this.jobs.get(event.jobId as string);
      if (job === undefined || TERMINAL.includes(job.status)) {
        event.kind = 'late_stream';
        return job === undefined ? [404, { error: 'unknown job' }] : [200, 'ok'];
      }
      job.xRequestIds.push(String(req.headers['x-request-id']));
      job.contentTypes.push(String(req.headers['content-type']));
      job.chunks.push({ output: (event.body as { output?: unknown } | undefined)?.output, t: event.t,
        contentType: req.headers['content-type'], xRequestId: req.headers['x-request-id'] as string | undefined, query: event.query });
      return [200, 'ok'];
    });
  }

  private done(req: http.IncomingMessage, res: http.ServerResponse, event: PlatformEvent): Promise<void> {
    return this.routeAnswer(res, event, 'done', () => {
      const job = this.jobs.get(event.jobId as string);
      const body = (event.body ?? {}) as Record<string, unknown>;
      if (job === undefined) {
        event.kind = 'late_done';
        return [404, { error: 'unknown job' }];
      }
      if (body.status === 'IN_PROGRESS') {
        event.kind = 'progress';
        job.progress.push(body.output);
        return [200, 'ok'];
      }
      job.doneAttempts += 1;
      job.xRequestIds.push(String(req.headers['x-request-id']));
      job.contentTypes.push(String(req.headers['content-type']));
      if (job.status === 'CANCELLED' || job.status === 'TIMED_OUT') {
        event.kind = 'late_done';
        return [200, 'ok'];
      }
      job.final = { output: body.output, error: body.error, stopPod: body.stopPod, isStream: event.query.isStream, t: event.t };
      job.status = body.error === undefined ? 'COMPLETED' : 'FAILED';
      if (body.stopPod === true) this.add({ ...event, kind: 'stop_pod_requested' });
      return [200, 'ok'];
    });
  }

  /** A stream/done/ping request: a drop, a scripted failure and a delay apply, then `answer` is the real one. */
  private async routeAnswer(res: http.ServerResponse, event: PlatformEvent, route: Route, answer: () => [number, unknown]): Promise<void> {
    this.add(event);
    if (await this.dropped(res, route)) return;
    if (this.delays[route]) await this.sleep(this.delays[route] as number);
    const failure = route === 'stream' || route === 'done' ? this.failures[route] : undefined;
    if (failure !== undefined && failure.n > 0) {
      failure.n -= 1;
      if (route === 'done') this.jobs.get(event.jobId as string)!.doneAttempts += 1;
      return this.answer(res, event, failure.status, { error: 'injected failure' });
    }
    const [status, body] = answer();
    return this.answer(res, event, status, body);
  }

  private async scripted(route: 'take' | 'stop', res: http.ServerResponse, event: PlatformEvent): Promise<boolean> {
    const next = this.scripts[route].shift();
    if (next === undefined) return false;
    if (next.delayMs !== undefined) await this.sleep(next.delayMs);
    if (next.status === undefined) return false;
    const type = next.contentType ?? (next.json === undefined ? 'text/plain' : 'application/json');
    const text = next.text ?? (next.json === undefined ? '' : JSON.stringify(next.json));
    this.answerRaw(res, event, next.status, type, text);
    return true;
  }

  private async dropped(res: http.ServerResponse, route: Route): Promise<boolean> {
    const n = this.drops[route] ?? 0;
    if (n <= 0) return false;
    this.drops[route] = n - 1;
    res.socket?.destroy();
    return true;
  }

  /** Holds a long-poll until `until()` holds, holdMs passes or the worker hangs up. */
  private async hold(until: () => boolean, res: http.ServerResponse): Promise<void> {
    await new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.timers.delete(timer);
        unsubscribe();
        res.off('close', finish);
        resolve();
      };
      const timer = setTimeout(finish, this.holdMs);
      this.timers.add(timer);
      const unsubscribe = this.subscribe(() => until() && finish());
      res.once('close', finish);
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private statusOf(id: string): [number, unknown] {
    const job = this.jobs.get(id);
    if (job === undefined) return [404, { error: 'not found' }];
    return [200, { id, status: job.status, ...(job.final?.output === undefined ? {} : { output: job.final.output }),
      ...(job.final?.error === undefined ? {} : { error: job.final.error }), workerId: job.workerId ?? null }];
  }

  private checkLiveness(): void {
    const limit = this.o.livenessMs ?? 3000;
    for (const [worker, seen] of this.lastPing) {
      if (!seen.lapsed && Date.now() - seen.t > limit) {
        seen.lapsed = true;
        this.add({ kind: 'liveness_lapse', t: Date.now(), method: '', path: '', query: {}, headers: {}, workerId: worker });
      }
    }
  }

  private answer(res: http.ServerResponse, event: PlatformEvent, status: number, body?: unknown): void {
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    this.answerRaw(res, event, status, typeof body === 'string' ? 'text/plain' : 'application/json', text);
  }

  private answerRaw(res: http.ServerResponse, event: PlatformEvent, status: number, contentType: string, text: string): void {
    event.status = status;
    event.answeredAt = Date.now();
    if (!res.destroyed) {
      res.writeHead(status, status === 204 ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
      res.end(status === 204 ? undefined : text);
    }
    this.changed();
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
