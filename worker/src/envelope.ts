// The request envelope of the handler routes (docs/pyworker.md §2.1, §2.2 steps 1-2) and its 422 shapes.
//   {"auth_data": {cost, endpoint, reqnum, request_idx, signature, url, ...}, "session_id": null, "payload": {...}}
// A body nested deeper than MAX_JSON_DEPTH is refused with 422 right after parsing: the code that walks it later
// (JSON.stringify when the payload is forwarded, comparisons, the logger) is recursive and would overflow the
// stack, which was a 500.

import { MAX_JSON_DEPTH, nestedDeeperThan } from '../../common/src/json-depth.js';

export const AUTH_DATA_KEYS = ['cost', 'endpoint', 'reqnum', 'request_idx', 'signature', 'url'] as const;

export interface Envelope {
  /** Verbatim, extra keys (e.g. __request_id) included; values are not type-checked, as in the PyWorker. */
  authData: Record<string, unknown>;
  payload: Record<string, unknown>;
  sessionId: unknown;
}

export type EnvelopeResult = { ok: true; envelope: Envelope } | { ok: false; status: 422; body: Record<string, unknown> };

/** The answer to a body nested deeper than MAX_JSON_DEPTH. */
export const TOO_DEEP = { error: `body nested deeper than ${MAX_JSON_DEPTH} levels` };

/** Parses and validates a raw request body. */
export function parseEnvelope(raw: Buffer): EnvelopeResult {
  let data: unknown;
  try {
    data = JSON.parse(raw.toString('utf8'));
  } catch {
    return { ok: false, status: 422, body: { error: 'invalid JSON' } };
  }
  if (nestedDeeperThan(data)) return { ok: false, status: 422, body: TOO_DEEP };
  // A JSON value that is not an object has no fields: reported like an object missing both.
  const obj = isObject(data) ? data : {};
  const errors: Record<string, unknown> = {};
  if (!('auth_data' in obj)) {
    errors.auth_data = 'field missing';
  } else {
    const ad = isObject(obj.auth_data) ? obj.auth_data : {};
    const missing: Record<string, string> = {};
    for (const k of AUTH_DATA_KEYS) if (!(k in ad)) missing[k] = 'missing parameter';
    if (Object.keys(missing).length > 0) errors.auth_data = missing;
  }
  if (!('payload' in obj)) errors.payload = 'field missing';
  else if (!isObject(obj.payload)) errors.payload = { data: 'payload must be a dictionary' };
  if (Object.keys(errors).length > 0) return { ok: false, status: 422, body: errors };
  return {
    ok: true,
    envelope: {
      authData: obj.auth_data as Record<string, unknown>,
      payload: obj.payload as Record<string, unknown>,
      sessionId: obj.session_id ?? null,
    },
  };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
