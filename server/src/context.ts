// What every route and job shares: the engine, the configuration, the logger, the one-job slot, the metrics,
// the outgoing HTTP client and the health state.
import type { Logger } from '../../common/src/log.js';
import type { ServerConfig } from './config.js';
import type { ServerEngine } from './engine.js';
import type { Outbound } from './http/outbound.js';
import type { JobSlot } from './jobs/slot.js';
import type { ServerMetrics } from './metrics.js';

/** cuda_broken: set by a fatal device failure, and never cleared (a restart is the cure). */
export class Health {
  private failure: Error | undefined;

  constructor(private readonly onFatal: (err: Error) => void) {}

  get cudaBroken(): boolean {
    return this.failure !== undefined;
  }

  markBroken(err: Error): void {
    this.failure ??= err;
  }

  /** The stream that reported the failure is flushed: the process may now exit (the app's onFatal decides). */
  fatalReported(): void {
    if (this.failure) this.onFatal(this.failure);
  }
}

export interface ServerContext {
  readonly engine: ServerEngine;
  readonly config: ServerConfig;
  readonly log: Logger;
  readonly slot: JobSlot;
  readonly metrics: ServerMetrics;
  readonly http: Outbound;
  readonly health: Health;
}
