// A per-request signal that aborts on a timeout or when a long-lived parent signal aborts. Node 20's
// AbortSignal.any() keeps track of every signal derived from a parent, which is worth avoiding for the parents that
// live as long as the worker (a report every second for weeks): this one detaches itself when disposed.

export interface ScopedSignal {
  signal: AbortSignal;
  dispose(): void;
}

export function timeoutSignal(timeoutMs: number, parent?: AbortSignal): ScopedSignal {
  const ctl = new AbortController();
  const onAbort = (): void => ctl.abort(parent?.reason);
  const timer = setTimeout(() => ctl.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  if (parent?.aborted) onAbort();
  else parent?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: ctl.signal,
    dispose: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onAbort);
    },
  };
}
