// A streamed response: 200, application/x-ndjson, one JSON object per line, written as produced. The stream
// knows when its client has gone, so the job behind it can stop; waiting for a slow reader (back-pressure) and
// ending the stream are bounded, so a client that keeps its connection open but reads nothing cannot hold the
// devices past the job's limit.
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { Deadline } from '../../../common/src/deadline.js';

/** Aborts when the client goes away before its response has been completely written. */
export function clientGone(res: ServerResponse): AbortSignal {
  const gone = new AbortController();
  const abort = () => gone.abort(new Error('client disconnected'));
  // The client may have left before this was asked (e.g. while the model was being built).
  if (!res.socket || res.socket.destroyed) abort();
  else res.once('close', () => res.writableFinished || abort());
  return gone.signal;
}

export class NdjsonStream {
  /** How often the job had to wait for the client to take its lines (a slow or stalled reader). */
  readerWaits = 0;

  private constructor(
    private readonly res: ServerResponse,
    /** Aborted when the client disconnects before the stream ended. */
    readonly disconnected: AbortSignal,
  ) {}

  /** Takes the response over from Fastify and sends the headers now (x-job-id: the job's number in the log). */
  static open(reply: FastifyReply, disconnected: AbortSignal, jobId: number): NdjsonStream {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache', 'x-job-id': String(jobId) });
    res.flushHeaders();
    return new NdjsonStream(res, disconnected);
  }

  /** Writes one line; false when the client is gone (the line is dropped: nobody is there to read it). */
  write(line: object): boolean {
    if (this.res.writableEnded || this.res.destroyed) return false;
    this.res.write(`${JSON.stringify(line)}\n`);
    return true;
  }

  /** Resolves once the client has taken what was written, is gone, or `stop` aborts (the job's limit or stop). */
  drained(stop: AbortSignal): Promise<void> {
    if (!this.res.writableNeedDrain || this.res.destroyed || stop.aborted) return Promise.resolve();
    this.readerWaits += 1;
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        stop.removeEventListener('abort', done);
        resolve();
      };
      this.res.once('drain', done);
      this.res.once('close', done);
      stop.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * Ends the stream; resolves when the response is finished or the connection closed. A client that has not taken
   * the last lines within `graceMs` is cut off (the connection destroyed): it stopped reading long ago.
   */
  end(graceMs: number): Promise<void> {
    if (this.res.destroyed || this.res.writableFinished) return Promise.resolve();
    return new Promise((resolve) => {
      const grace = new Deadline(graceMs);
      const done = () => {
        grace.dispose();
        resolve();
      };
      grace.signal.addEventListener('abort', () => this.res.destroy(), { once: true });
      this.res.once('close', done);
      this.res.once('finish', done);
      if (!this.res.writableEnded) this.res.end();
    });
  }
}
