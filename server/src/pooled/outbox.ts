// Results on their way to the orchestrator, one request at a time. Normally each goes out at once (POST results,
// no retry). Results that pile up, because a send failed (they stay buffered; a retry follows after
// HTTP_RETRY_BASE) or while a send was in flight, go out together in one POST results/batch. The buffer is
// bounded; past the bound the oldest results are dropped, and that is logged as an error with the number lost
// (they were also streamed to the /pooled client, line by line).
import type { Logger } from '../log.js';

export interface ResultSender {
  sendResult(result: object): Promise<void>;
  sendResults(results: object[]): Promise<void>;
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
  /** The last send failed. */
  private failing = false;
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

  /** Sends whatever is pending now, without waiting for the retry delay; true when nothing is left. */
  async flush(): Promise<boolean> {
    await this.pumping;
    if (this.queue.length > 0) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.kick();
      await this.pumping;
    }
    return this.pending === 0;
  }

  /** Gives up on what is still pending (the session is over): counted and logged as lost. */
  abandon(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.queue.length > 0) this.drop(this.queue.length, 'the orchestrator did not take them before the session ended');
  }

  private kick(): void {
    if (this.pumping || this.retryTimer) return;
    this.pumping = this.pump().finally(() => (this.pumping = undefined));
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0) {
      const items = this.queue.splice(0, this.queue.length);
      this.inFlight = items.length;
      try {
        if (items.length === 1) await this.sender.sendResult(items[0]);
        else await this.sender.sendResults(items);
        this.delivered += items.length;
        if (this.failing) this.opts.log.info({ results: items.length }, 'pooled: buffered results delivered');
        this.failing = false;
      } catch (err) {
        this.queue.unshift(...items);
        this.failing = true;
        this.opts.log.warn({ err, pending: this.queue.length }, 'pooled: results buffered, the orchestrator did not take them');
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, this.opts.retryDelayMs);
        this.retryTimer.unref();
        return;
      } finally {
        this.inFlight = 0;
        this.enforceBound();
        this.opts.onChange?.(this.pending, 0);
      }
    }
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
