// A stand-in for a service outside the project (the controller, the orchestrator): a real HTTP server on loopback
// that records every request and answers as the scenario says — JSON, an error status, a huge body, or nothing at
// all (it hangs until the stand-in is closed).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PeerRequest {
  method: string;
  path: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  at: number;
}

export type PeerAnswer =
  | { status?: number; json?: unknown }
  | { status?: number; hugeBytes: number }
  | { hang: true };

export class Peer {
  readonly requests: PeerRequest[] = [];
  url = '';
  private readonly server: http.Server;
  private waiters: { match: (r: PeerRequest) => boolean; resolve: (r: PeerRequest) => void }[] = [];

  constructor(public handler: (req: PeerRequest) => PeerAnswer) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const rec: PeerRequest = { method: req.method ?? '', path: (req.url ?? '/').split('?')[0], body: parse(text), at: Date.now() };
        this.requests.push(rec);
        // The handler first: a waiter may test state the handler keeps (a count of answered requests).
        const answer = this.handler(rec);
        this.waiters = this.waiters.filter((w) => !(w.match(rec) && (w.resolve(rec), true)));
        if ('hang' in answer) return; // closed with the server
        if ('hugeBytes' in answer) return void sendHuge(res, answer.status ?? 200, answer.hugeBytes);
        res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
        res.end(answer.json === undefined ? '' : JSON.stringify(answer.json));
      });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The first request that matches, received already or later. */
  waitFor(match: (r: PeerRequest) => boolean): Promise<PeerRequest> {
    const seen = this.requests.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  count(suffix: string): number {
    return this.requests.filter((r) => r.path.endsWith(suffix)).length;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function parse(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return text;
  }
}

/** A JSON-looking body of `bytes` bytes, written in pieces as the peer reads them. */
function sendHuge(res: http.ServerResponse, status: number, bytes: number): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes });
  const piece = Buffer.alloc(64 * 1024, 0x20);
  let left = bytes;
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, piece.length);
      left -= n;
      if (!res.write(n === piece.length ? piece : piece.subarray(0, n))) return void res.once('drain', pump);
    }
    res.end();
  };
  res.on('error', () => undefined);
  pump();
}
