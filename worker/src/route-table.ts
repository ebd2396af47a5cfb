// The handler routes and their workload calculators (docs/pyworker.md §11, the seed's worker configuration; /validate
// is ours: the model server's recomputation of given nonces, README "POST /validate").

export interface HandlerRoute {
  path: string;
  /** true: forwarded at once; false: one shared process-wide FIFO, only its head runs. */
  parallel: boolean;
  /** Admission limit in seconds of estimated wait (docs/pyworker.md §3); null disables admission. */
  maxQueueTime: number | null;
  /** Workload units of one request, from its payload. */
  workload(payload: Record<string, unknown>): number;
}

/** The fallback of the newest PyWorker when a calculator throws or returns a negative or non-finite value. */
export const DEFAULT_WORKLOAD = 100.0;

export const HANDLER_ROUTES: readonly HandlerRoute[] = [
  { path: '/health', parallel: true, maxQueueTime: 5.0, workload: () => 1.0 },
  {
    path: '/generate',
    parallel: false,
    maxQueueTime: 60.0,
    // float(payload.get("batch_size", 1024)): Python's float() also accepts numeric strings.
    workload: (p) => (p.batch_size === undefined ? 1024 : pyFloatOf(p.batch_size)),
  },
  { path: '/warmup', parallel: false, maxQueueTime: 120.0, workload: () => 100.0 },
  { path: '/pooled', parallel: false, maxQueueTime: 60.0, workload: () => 100.0 },
  // It needs the devices as a job does, so it waits its turn in the FIFO; its work is one unit per nonce.
  { path: '/validate', parallel: false, maxQueueTime: 60.0, workload: (p) => nonceCount(p.nonces) },
];

/** The benchmark handler (docs/pyworker.md §6): POST /health with {} as the payload. */
export const BENCHMARK_ROUTE = '/health';
export const BENCHMARK_PAYLOAD: Record<string, unknown> = {};

export function findRoute(path: string): HandlerRoute | undefined {
  return HANDLER_ROUTES.find((r) => r.path === path);
}

/** The workload of a request, with the newest PyWorker's fallback of 100 for a failing calculator. */
export function workloadOf(route: HandlerRoute, payload: Record<string, unknown>): { workload: number; fallback: boolean } {
  try {
    const w = route.workload(payload);
    if (Number.isFinite(w) && w >= 0) return { workload: w, fallback: false };
  } catch {
    // the fallback below
  }
  return { workload: DEFAULT_WORKLOAD, fallback: true };
}

function nonceCount(nonces: unknown): number {
  if (!Array.isArray(nonces)) throw new TypeError('nonces is not a list');
  return nonces.length;
}

function pyFloatOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v.trim());
    if (!Number.isNaN(n)) return n;
  }
  throw new TypeError(`batch_size ${JSON.stringify(v)} is not a number`);
}
