// A streamed response: 200, application/x-ndjson, one JSON object per line, written as produced. The stream
// knows when its client has gone, so the job behind it can stop.
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

export class NdjsonStream {
  private readonly gone = new AbortController();

  private constructor(private readonly res: ServerResponse) {
    const gone = () => this.gone.abort(new Error('client disconnected'));
    // The client may have left while the model was being built, before this stream existed.
    if (!res.socket || res.socket.destroyed) gone();
    else res.once('close', () => res.writableFinished || gone());
  }

  /** Takes the response over from Fastify and sends the headers now. */
  static open(reply: FastifyReply): NdjsonStream {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
    res.flushHeaders();
    return new NdjsonStream(res);
  }

  /** Aborted when the client disconnects before the stream ended. */
  get disconnected(): AbortSignal {
    return this.gone.signal;
  }

  /** Writes one line; false when the client is gone (the line is dropped: nobody is there to read it). */
  write(line: object): boolean {
    if (this.res.writableEnded || this.res.destroyed) return false;
    this.res.write(`${JSON.stringify(line)}\n`);
    return true;
  }

  /** Resolves once the client has taken what was written (or is gone): back-pressure for the job. */
  drained(): Promise<void> {
    if (!this.res.writableNeedDrain || this.res.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.once('drain', done);
      this.res.once('close', done);
    });
  }

  /** Ends the stream; resolves when the response is finished or the connection closed. */
  end(): Promise<void> {
    if (this.res.destroyed || this.res.writableFinished) return Promise.resolve();
    return new Promise((resolve) => {
      this.res.once('close', () => resolve());
      this.res.once('finish', () => resolve());
      if (!this.res.writableEnded) this.res.end();
    });
  }
}
