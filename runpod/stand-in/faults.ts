// Fault injection of the stand-in platform (docs/runpod.md §14): scripted answers for job-take and job-stop, failing
// and slow result POSTs, connections dropped before any answer. A layer of the stand-in between what it records and
// how it answers.
import { Records } from './records.js';

/** A scripted answer for job-take or job-stop: a status with an optional body, or a delay before the usual answer;
 *  for job-take also `listOf`: up to that many queued jobs, as a list (a platform handing out more than asked). */
export interface Scripted {
  status?: number;
  json?: unknown;
  text?: string;
  contentType?: string;
  delayMs?: number;
  listOf?: number;
}

export type Route = 'take' | 'stop' | 'stream' | 'done' | 'ping';

export class Faults extends Records {
  private readonly scripts: Record<'take' | 'stop', Scripted[]> = { take: [], stop: [] };
  private readonly failures: Partial<Record<'stream' | 'done', { n: number; status: number }>> = {};
  private readonly delays: Partial<Record<Route, number>> = {};
  private readonly drops: Partial<Record<Route, number>> = {};

  scriptTake(answers: Scripted[]): void {
    this.scripts.take.push(...answers);
  }

  scriptStop(answers: Scripted[]): void {
    this.scripts.stop.push(...answers);
  }

  /** The next n POSTs of job-stream are answered `status`. */
  failStream(n: number, status: number): void {
    this.failures.stream = { n, status };
  }

  /** The next n POSTs of job-done are answered `status`. */
  failDone(n: number, status: number): void {
    this.failures.done = { n, status };
  }

  /** Every answer on `route` comes this much later (0: none). */
  delay(route: Route, ms: number): void {
    this.delays[route] = ms;
  }

  /** The next n requests on `route` lose their connection before any answer. */
  dropConnection(route: Route, n: number): void {
    this.drops[route] = n;
  }

  protected nextScripted(route: 'take' | 'stop'): Scripted | undefined {
    return this.scripts[route].shift();
  }

  /** The status of an injected failure for this request, if one is due. */
  protected nextFailure(route: Route): number | undefined {
    const failure = route === 'stream' || route === 'done' ? this.failures[route] : undefined;
    if (failure === undefined || failure.n <= 0) return undefined;
    failure.n -= 1;
    return failure.status;
  }

  protected delayOf(route: Route): number {
    return this.delays[route] ?? 0;
  }

  /** Whether this request's connection is to be dropped. */
  protected nextDrop(route: Route): boolean {
    const n = this.drops[route] ?? 0;
    if (n <= 0) return false;
    this.drops[route] = n - 1;
    return true;
  }
}
