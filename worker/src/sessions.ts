// Sessions (docs/pyworker.md §7): a session reuses one auth_data for many requests. Its placeholder carries
// auth_data.cost in cur_load (not in the wait time); each request with its session_id extends it by `lifetime`;
// expired sessions are closed by a periodic sweep, which drops their in-flight connections and POSTs
// on_close_payload (plus session_id) to on_close_route, a path on the model server (the PyWorker's client session
// has the model server as its base URL).

import { randomInt } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { HttpClient } from '../../common/src/http-client.js';
import { clientField } from './client-field.js';
import type { Accounting, RequestRecord } from './accounting.js';
import { DEFAULT_WORKLOAD } from './route-table.js';

export interface Session {
  id: string;
  lifetime: number;
  authData: Record<string, unknown>;
  /** Epoch seconds. */
  expiration: number;
  createdAt: number;
  onCloseRoute: string | null;
  onClosePayload: unknown;
  /** In-flight responses of this session's requests, dropped when it closes. */
  requests: Set<ServerResponse>;
  record: RequestRecord;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export interface SessionStoreOptions {
  accounting: Accounting;
  /** 0: no limit. */
  maxSessions: number;
  modelServerUrl: string;
  closeTimeoutMs: number;
  log: Logger;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  /** The on_close calls: best effort, each bounded by WORKER_SESSION_CLOSE_TIMEOUT_MS. */
  private readonly http: HttpClient;

  constructor(private readonly o: SessionStoreOptions) {
    this.http = new HttpClient({ timeoutMs: o.closeTimeoutMs, maxAnswerBytes: 0 });
  }

  get size(): number {
    return this.sessions.size;
  }

  get(id: unknown): Session | undefined {
    return typeof id === 'string' ? this.sessions.get(id) : undefined;
  }

  /** A request names this session: extend it by its lifetime. Undefined when unknown. */
  touch(id: unknown): Session | undefined {
    const s = this.get(id);
    if (s !== undefined) s.expiration += s.lifetime;
    return s;
  }

  isFull(): boolean {
    return this.o.maxSessions > 0 && this.sessions.size >= this.o.maxSessions;
  }

  /** The placeholder record a create request is accounted with (its workload is auth_data.cost). */
  placeholder(authData: Record<string, unknown>): RequestRecord {
    const cost = Number(authData.cost);
    const workload = Number.isFinite(cost) && cost >= 0 ? cost : DEFAULT_WORKLOAD;
    return this.o.accounting.newRecord(authData, workload, 'session');
  }

  create(
    record: RequestRecord,
    authData: Record<string, unknown>,
    lifetime: number,
    onCloseRoute: string | null,
    onClosePayload: unknown,
  ): Session {
    const now = Date.now() / 1000;
    let id: string;
    do id = Array.from({ length: 13 }, () => ID_ALPHABET[randomInt(ID_ALPHABET.length)]).join('');
    while (this.sessions.has(id));
    const session: Session = {
      id,
      lifetime,
      authData,
      expiration: now + lifetime,
      createdAt: now,
      onCloseRoute,
      onClosePayload: onCloseRoute === null ? null : onClosePayload,
      requests: new Set(),
      record,
    };
    record.workStartedAt = now;
    this.sessions.set(id, session);
    this.o.accounting.start(record);
    return session;
  }

  /** Closes a session: false if it was already gone. */
  async close(id: string): Promise<boolean> {
    const s = this.sessions.get(id);
    if (s === undefined) return false;
    this.sessions.delete(id);
    for (const res of s.requests) res.destroy();
    s.requests.clear();
    await this.runOnClose(s);
    this.o.accounting.success(s.record);
    this.o.accounting.end(s.record);
    return true;
  }

  /** Closes every expired session; resolves when their on_close calls are done. */
  async sweep(now = Date.now() / 1000): Promise<void> {
    const expired = [...this.sessions.values()].filter((s) => s.expiration < now);
    await Promise.all(expired.map((s) => this.close(s.id)));
  }

  /** Best effort, bounded in time, never throws. */
  private async runOnClose(s: Session): Promise<void> {
    if (s.onCloseRoute === null) return;
    if (!s.onCloseRoute.startsWith('/')) {
      this.o.log.warn({ session_id: s.id, route: clientField(s.onCloseRoute) }, 'on_close_route is not a model server path; skipped');
      return;
    }
    const p = s.onClosePayload;
    const body: Record<string, unknown> =
      p === null || p === undefined ? {} : typeof p === 'object' && !Array.isArray(p) ? { ...p } : { payload: p };
    if (!('session_id' in body)) body.session_id = s.id;
    try {
      const { status } = await this.http.send('POST', `${this.o.modelServerUrl}${s.onCloseRoute}`, { body, statusOnly: true });
      if (status >= 400) this.o.log.warn({ session_id: s.id, status }, 'on_close call failed');
    } catch (err) {
      this.o.log.warn({ session_id: s.id, err }, 'on_close call failed');
    }
  }

  /** When the worker stops: the on_close client's connections go. */
  dispose(): Promise<void> {
    return this.http.close();
  }
}
