// A stand-in for Vast's autoscaler: a real HTTP server on loopback serving /pubkey/ with an RSA key made for the
// test, recording every /worker_status/ and /delete_requests/ body, and failing on demand.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export interface Recorded {
  /** The raw body, for checks of the exact wire format. */
  text: string;
  body: Record<string, unknown>;
  at: number;
}

export class FakeAutoscaler {
  readonly statuses: Recorded[] = [];
  readonly deletes: Recorded[] = [];
  /** worker_status bodies answered with 500 (failReports). */
  readonly refusedStatuses: Recorded[] = [];
  pubkeyRequests = 0;
  /** Answer this many upcoming report POSTs with 500. */
  failReports = 0;
  /** Answer /pubkey/ with 503 this many times. */
  failPubkey = 0;
  pubkeyFormat: 'spki' | 'pkcs1' = 'spki';
  /** Answer /pubkey/ with this text instead of the key. */
  pubkeyAnswer: string | undefined;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  private server: Server | undefined;
  private waiters: (() => void)[] = [];

  constructor() {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  /** Base64 RSASSA-PKCS1-v1_5/SHA-256 signature of the exact bytes the worker verifies. */
  signUrl(url: string, key: KeyObject = this.privateKey): string {
    const message = Buffer.from(`{\n    "url": ${JSON.stringify(url)}\n}`, 'utf8');
    return sign('sha256', message, key).toString('base64');
  }

  /** An auth_data as /route/ returns it, signed over its url. */
  authData(reqnum: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const url = `https://203.0.113.7:41000`;
    return {
      cost: 100,
      endpoint: 'test-endpoint',
      reqnum,
      request_idx: 1000 + reqnum,
      signature: this.signUrl(url),
      url,
      __request_id: `req-${reqnum}`,
      ...overrides,
    };
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (req.method === 'GET' && req.url === '/pubkey/') {
          this.pubkeyRequests++;
          if (this.failPubkey > 0) {
            this.failPubkey--;
            res.writeHead(503).end('unavailable');
            return;
          }
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(this.pubkeyAnswer ?? this.publicKey.export({ type: this.pubkeyFormat, format: 'pem' }));
          return;
        }
        const list = req.url === '/worker_status/' ? this.statuses : req.url === '/delete_requests/' ? this.deletes : null;
        if (req.method !== 'POST' || list === null) {
          res.writeHead(404).end();
          return;
        }
        const recorded = { text, body: JSON.parse(text) as Record<string, unknown>, at: Date.now() };
        if (this.failReports > 0) {
          this.failReports--;
          if (list === this.statuses) this.refusedStatuses.push(recorded);
          res.writeHead(500).end();
        } else {
          list.push(recorded);
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        }
        for (const w of this.waiters.splice(0)) w();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
  }

  /** Resolves once `predicate` holds over the recorded reports (checked after each one), or rejects after `ms`. */
  async waitFor(predicate: () => boolean, ms = 5000, what = 'autoscaler condition'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 25);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  lastStatus(): Record<string, unknown> | undefined {
    return this.statuses.at(-1)?.body;
  }

  /** Every request entry sent to /delete_requests/ so far. */
  deletedRequests(): Record<string, unknown>[] {
    return this.deletes.flatMap((d) => d.body.requests as Record<string, unknown>[]);
  }

  async close(): Promise<void> {
    const s = this.server;
    if (s === undefined) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
