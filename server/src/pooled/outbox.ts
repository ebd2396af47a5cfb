// Results on their way to the orchestrator, one request at a time. Normally each goes out at once (POST results,
// no retry). Results that pile up, because a send failed (they stay buffered; a retry follows after
// HTTP_RETRY_BASE) or while a send was in flight, go out together in one POST results/batch.
//
// Every result is counted exactly once as delivered (a 2xx answer, whatever its body), pending, or lost (past the
// buffer bound, or still pending when the session's cleanup ran out of time). A send that failed without a clear
// answer (a timeout) may still have been recorded by the orchestrator; its results are sent again with the same
// `result_id`, so an orchestrator can tell a repeat from a new result.
import type { Logger } from '../../../common/src/log.js';

export interface ResultSender {
  sendResult(result: object, signal: AbortSignal): Promise<void>;
  sendResults(results: object[], signal: AbortSignal): Promise<void>;
}

export interface OutboxOptions {
  limit: number;
  retryDelayMs: number;
  log: Logger;
  /** Called when the pending count changes, with the number of results just lost (usually 0). */
  onChange?(pending: number, lost: number): void;
}

export class ResultOutbox {
  private queue: object[] = [];
  private inFlight = 0;
  /** Aborts the send in flight (a flush whose time ran out). */
  private sending: AbortController | undefined;
  /** The last send failed. */
  private failing = false;
  private closed = false;
  private pumping: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  delivered = 0;
  lost = 0;

  constructor(
    private readonly sender: ResultSender,
    private readonly opts: OutboxOptions,
  ) {}

  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  push(result: object): void {
    this.queue.push(result);
    this.enforceBound();
    this.opts.onChange?.(this.pending, 0);
    this.kick();
  }

  /** Sends whatever is pending now, without waiting for the retry delay; true when nothing is left. `signal`
   *  ends the wait, and the send in flight with it (its results stay pending). */
  async flush(signal: AbortSignal): Promise<boolean> {
    const cut = (): void => this.sending?.abort(signal.reason);
    if (signal.aborted) cut();
    else signal.addEventListener('abort', cut, { once: true });
    try {
      await this.pumping;
      if (this.queue.length > 0 && !signal.aborted) {
        this.clearRetry();
        this.kick();
        await this.pumping;
      }
      return this.pending === 0;
    } finally {
      signal.removeEventListener('abort', cut);
    }
  }

  /** The session is over: what is still pending is counted and logged as lost, and nothing more is sent. */
  close(why: string): void {
    this.closed = true;
    this.clearRetry();
    if (this.queue.length > 0) this.drop(this.queue.length, why);
  }

  private kick(): void {
    if (this.pumping || this.retryTimer || this.closed) return;
    this.pumping = this.pump().finally(() => (this.pumping = undefined));
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const items = this.queue.splice(0, this.queue.length);
      this.inFlight = items.length;
      const sending = new AbortController();
      this.sending = sending;
      try {
        if (items.length === 1) await this.sender.sendResult(items[0], sending.signal);
        else await this.sender.sendResults(items, sending.signal);
        this.delivered += items.length;
        if (this.failing) this.opts.log.info({ results: items.length }, 'pooled: buffered results delivered');
        this.failing = false;
      } catch (err) {
        this.queue.unshift(...items);
        this.failing = true;
        this.opts.log.warn({ err, pending: this.queue.length }, 'pooled: results buffered, the orchestrator did not take them');
        if (!sending.signal.aborted) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.kick();
          }, this.opts.retryDelayMs);
          this.retryTimer.unref();
        }
        return;
      } finally {
        this.sending = undefined;
        this.inFlight = 0;
        this.enforceBound();
        this.opts.onChange?.(this.pending, 0);
      }
    }
  }

  private clearRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private enforceBound(): void {
    const over = Math.min(this.pending - this.opts.limit, this.queue.length);
    if (over > 0) this.drop(over, `the buffer holds at most ${this.opts.limit}`);
  }

  private drop(count: number, why: string): void {
    this.queue.splice(0, count);
    this.lost += count;
    this.opts.log.error({ lost: count, lostTotal: this.lost, limit: this.opts.limit }, `pooled: ${count} results lost: ${why}`);
    this.opts.onChange?.(this.pending, count);
  }
}
