// A small loopback upstream standing in for the model server in the protocol tests: a real HTTP server whose
// /generate, /warmup and /pooled stream NDJSON lines, steered by the payload:
//   lines (default 3), line_ms (default 10), hold (stream until released or the client leaves),
//   fail_after (destroy the socket after that many lines), status (answer that status with a JSON error).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  method: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export class FakeModel {
  readonly received: Received[] = [];
  /** Streams that ended because their client went away. */
  aborted = 0;
  inFlight = 0;
  healthStatus = 200;
  /** Answer this many upcoming jobs with 503 {"error": "busy"}, as our model server does while its devices are held. */
  busyAnswers = 0;
  private server: Server | undefined;
  private holds = new Set<() => void>();

  get url(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  /** POSTs that reached the server on a path other than /health. */
  jobs(): Received[] {
    return this.received.filter((r) => r.path !== '/health');
  }

  /** Ends every held stream. */
  release(): void {
    for (const h of this.holds) h();
    this.holds.clear();
  }

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse, text: string): void {
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    const path = req.url ?? '/';
    if (!(path === '/health' && req.method === 'GET')) this.received.push({ path, method: req.method ?? '', headers: req.headers, body });
    if (path === '/health') {
      const healthy = this.healthStatus === 200;
      const text = JSON.stringify({ status: healthy ? 'healthy' : 'unhealthy', cuda_broken: !healthy });
      res.writeHead(this.healthStatus, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        'x-model': 'fake',
        connection: 'close',
      });
      res.end(text);
      return;
    }
    if (this.busyAnswers > 0) {
      this.busyAnswers--;
      const text = JSON.stringify({ error: 'busy' });
      res.writeHead(503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'retry-after': '1' });
      res.end(text);
      return;
    }
    const p = (typeof body === 'object' && body !== null ? body : {}) as Record<string, number | boolean | undefined>;
    if (typeof p.status === 'number') {
      const text = JSON.stringify({ error: `status ${p.status}` });
      res.writeHead(p.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    this.stream(req, res, p);
  }

  private stream(req: IncomingMessage, res: ServerResponse, p: Record<string, number | boolean | undefined>): void {
    const lines = typeof p.lines === 'number' ? p.lines : 3;
    const lineMs = typeof p.line_ms === 'number' ? p.line_ms : 10;
    this.inFlight++;
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'x-model': 'fake' });
    let n = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearInterval(timer);
      this.holds.delete(release);
      this.inFlight--;
    };
    const release = (): void => {
      finish();
      res.end();
    };
    res.on('close', () => {
      if (!res.writableFinished) this.aborted++;
      finish();
    });
    const timer = setInterval(() => {
      if (typeof p.fail_after === 'number' && n >= p.fail_after) {
        finish();
        req.socket.destroy();
        return;
      }
      if (!p.hold && n >= lines) return release();
      res.write(`${JSON.stringify({ n, batch_size: p.batch_size ?? null })}\n`);
      n++;
    }, lineMs);
    if (p.hold) this.holds.add(release);
  }

  async close(): Promise<void> {
    const s = this.server;
    if (s === undefined) return;
    this.release();
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
    this.server = undefined;
  }
}
