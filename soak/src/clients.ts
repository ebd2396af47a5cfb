// Clients as they behave in the field, on node:http so that a paused response really stops reading the socket
// (the kernel buffers fill and the server sees back-pressure): one that reads everything, one that stops reading
// but keeps its connection open (a stalled client, or a front whose own client has gone), one that vanishes.
import http from 'node:http';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Line = Record<string, any>;

export class StreamClient {
  readonly lines: Line[] = [];
  /** Resolves when the response has ended (complete: true) or the connection closed before that (false). */
  readonly ended: Promise<{ complete: boolean }>;
  private rest = '';

  private constructor(private readonly req: http.ClientRequest, readonly res: http.IncomingMessage) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.rest += chunk;
      const parts = this.rest.split('\n');
      this.rest = parts.pop() ?? '';
      for (const p of parts) if (p.trim() !== '') this.lines.push(JSON.parse(p) as Line);
    });
    this.ended = new Promise((resolve) => {
      res.once('end', () => resolve({ complete: res.complete }));
      res.once('close', () => resolve({ complete: res.complete }));
      res.once('error', () => resolve({ complete: false }));
    });
  }

  /** POSTs `body` as JSON and resolves once the answer's headers are in. */
  static open(url: string, body: unknown, headers: Record<string, string> = {}): Promise<StreamClient> {
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, agent: false });
      req.once('response', (res) => resolve(new StreamClient(req, res)));
      req.once('error', reject);
      req.end(JSON.stringify(body));
    });
  }

  get status(): number {
    return this.res.statusCode ?? 0;
  }

  /** The model server's number of this job (x-job-id; a worker in front does not relay it). */
  get jobId(): number {
    return Number(this.res.headers['x-job-id']);
  }

  /** Stops reading: the connection stays open, the server's writes back up. */
  pause(): void {
    this.res.pause();
  }

  resume(): void {
    this.res.resume();
  }

  /** Resolves once `n` lines have arrived (or the stream ended first: then false). */
  async waitLines(n: number): Promise<boolean> {
    while (this.lines.length < n) {
      const more = await Promise.race([
        new Promise<boolean>((resolve) => this.res.once('data', () => resolve(true))),
        this.ended.then(() => false),
      ]);
      if (!more && this.lines.length < n) return false;
    }
    return true;
  }

  /** Reads to the end; the lines. */
  async all(): Promise<Line[]> {
    this.resume();
    await this.ended;
    return this.lines;
  }

  /** Goes away without a word: the connection is destroyed. */
  vanish(): void {
    this.req.destroy();
  }
}

/** A plain request whose whole answer is read (status and body text). */
export function post(url: string, body: unknown | string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, agent: false });
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
    });
    req.once('error', reject);
    req.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
}
