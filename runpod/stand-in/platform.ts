// A loopback stand-in of Runpod's queue-based serverless platform (docs/runpod.md §14): a real HTTP server on
// 127.0.0.1 with its state in memory, driven through a JS API. This file is its wire: worker-facing routes (job-take
// with a held long-poll, job-take-batch, job-stop, job-stream, job-done, ping, each checking the API key) and
// client-facing ones (run, status, stream, cancel). What it remembers is records.ts, its fault injection
// faults.ts, its queue and policies jobs.ts. Every POST body is read as JSON whatever its content type, which is
// recorded.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Route, Scripted } from './faults.js';
import { JobQueue, TERMINAL, type PolicyOptions } from './jobs.js';
import type { PlatformEvent, StandInJob } from './records.js';

export interface StandInOptions extends PolicyOptions {
  endpoint?: string;
  apiKey?: string;
  /** How long an empty job-take or job-stop is held open before 204. */
  holdMs?: number;
}

export class StandInPlatform extends JobQueue {
  readonly endpoint: string;
  readonly apiKey: string;
  holdMs: number;
  url = '';
  private readonly server: http.Server;

  constructor(o: StandInOptions = {}) {
    super(o);
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
          this.pinged(a, event.t);
          return [200, { status: 'pong' }];
        });
      case 'run': {
        const body = (event.body ?? {}) as { input?: unknown; policy?: { executionTimeout?: number } };
        const id = this.submit(body.input, { executionTimeoutMs: body.policy?.executionTimeout });
        return this.answer(res, this.add(Object.assign(event, { kind: 'run', jobId: id })), 200, { id, status: 'IN_QUEUE' });
      }
      case 'status':
        return this.answer(res, Object.assign(event, { kind: 'status', jobId: a }), ...this.statusOf(a));
      case 'stream':
        return this.answer(res, event, ...this.streamOf(a));
      case 'cancel':
        return this.answer(res, this.add(Object.assign(event, { kind: 'cancel', jobId: a })), 200, { id: a, status: this.cancel(a) });
      default:
        return this.answer(res, event, 404, { error: 'not found' });
    }
  }

  private async take(res: http.ServerResponse, event: PlatformEvent): Promise<void> {
    this.add(event);
    if (await this.dropped(res, 'take')) return;
    const script = this.nextScripted('take');
    if (await this.answerScripted(script, res, event)) return;
    const list = script?.listOf !== undefined || event.kind === 'take-batch';
    const max = script?.listOf ?? (event.kind === 'take-batch' ? Math.max(1, Number(event.query.batch_size) || 1) : 1);
    if (!this.hasQueued()) await this.hold(() => this.hasQueued(), res);
    const taken = this.takeQueued(max, event.workerId as string);
    if (taken.length === 0) return this.answer(res, event, 204);
    const wire = (j: StandInJob): Record<string, unknown> => ({ id: j.id, input: j.input });
    return this.answer(res, event, 200, list ? taken.map(wire) : wire(taken[0]));
  }

  private async stop(res: http.ServerResponse, event: PlatformEvent): Promise<void> {
    this.add(event);
    if (await this.dropped(res, 'stop')) return;
    if (await this.answerScripted(this.nextScripted('stop'), res, event)) return;
    const worker = event.workerId as string;
    if (!this.hasStops(worker)) await this.hold(() => this.hasStops(worker), res);
    const ids = this.takeStops(worker);
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
    if (this.delayOf(route) > 0) await this.later(this.delayOf(route));
    const failure = this.nextFailure(route);
    if (failure !== undefined) {
      if (route === 'done') this.jobs.get(event.jobId as string)!.doneAttempts += 1;
      return this.answer(res, event, failure, { error: 'injected failure' });
    }
    const [status, body] = answer();
    return this.answer(res, event, status, body);
  }

  /** Waits and answers as `next` says; false when the usual answer is to follow. */
  private async answerScripted(next: Scripted | undefined, res: http.ServerResponse, event: PlatformEvent): Promise<boolean> {
    if (next === undefined) return false;
    if (next.delayMs !== undefined) await this.later(next.delayMs);
    if (next.status === undefined) return false;
    const type = next.contentType ?? (next.json === undefined ? 'text/plain' : 'application/json');
    const text = next.text ?? (next.json === undefined ? '' : JSON.stringify(next.json));
    this.answerRaw(res, event, next.status, type, text);
    return true;
  }

  private async dropped(res: http.ServerResponse, route: Route): Promise<boolean> {
    if (!this.nextDrop(route)) return false;
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
