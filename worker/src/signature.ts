// Request signature verification (docs/pyworker.md §2.3): RSASSA-PKCS1-v1_5 with SHA-256 over the bytes of Python's
// json.dumps({"url": auth_data.url}, indent=4, sort_keys=True), signature in standard base64.

import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { pyDumpsIndent4Sorted } from './py-json.js';

/** The exact bytes the router signs for a request whose auth_data.url is `url`. */
export function signedMessage(url: unknown): Buffer {
  return Buffer.from(pyDumpsIndent4Sorted({ url }), 'utf8');
}

/** Parses the autoscaler's public key: PEM, SPKI ("PUBLIC KEY") or PKCS#1 ("RSA PUBLIC KEY"). Throws if invalid. */
export function parsePublicKey(pem: string): KeyObject {
  const key = createPublicKey({ key: pem.trim(), format: 'pem' });
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`public key is ${key.asymmetricKeyType ?? 'unknown'}, not RSA`);
  return key;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/** Verifies auth_data.signature over auth_data.url. Never throws: every failure is a reason. */
export function verifySignature(key: KeyObject | undefined, authData: Record<string, unknown>): VerifyResult {
  if (key === undefined) return { ok: false, reason: 'the public key is not loaded' };
  const signature = authData.signature;
  if (typeof signature !== 'string' || signature === '') return { ok: false, reason: 'signature is not a non-empty string' };
  // Lenient like Python's b64decode: characters outside the alphabet are ignored.
  const bytes = Buffer.from(signature, 'base64');
  if (bytes.length === 0) return { ok: false, reason: 'signature is not base64' };
  try {
    if (verify('sha256', signedMessage(authData.url), key, bytes)) return { ok: true };
    return { ok: false, reason: 'signature does not verify over {"url": auth_data.url}' };
  } catch (err) {
    return { ok: false, reason: `signature check failed: ${(err as Error).message}` };
  }
}
