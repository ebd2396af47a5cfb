// What every route and job shares: the engine, the configuration, the logger, the one-job slot, the metrics,
// the outgoing HTTP client and the health state.
import type { Logger } from '../../common/src/log.js';
import type { ServerConfig } from './config.js';
import type { ServerEngine } from './engine.js';
import type { Outbound } from './http/outbound.js';
import type { JobSlot } from './jobs/slot.js';
import type { Health } from './health.js';
import type { ServerMetrics } from './metrics.js';

export interface ServerContext {
  readonly engine: ServerEngine;
  readonly config: ServerConfig;
  readonly log: Logger;
  readonly slot: JobSlot;
  readonly metrics: ServerMetrics;
  readonly http: Outbound;
  readonly health: Health;
}
