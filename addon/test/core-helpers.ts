// Helpers for the determinism-core tests: the golden files, Python's float.hex format, digests of typed arrays,
// and the addon's test-only exports.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { testing } from './test-addon.js';

/** The repository root (tests run from dist/addon/test). */
export const ROOT = path.resolve(__dirname, '../../..');

/** The golden vectors' folder (addon/test/golden/README.md says what each file holds and where it comes from). */
export const GOLDEN_DIR = path.join(ROOT, 'addon/test/golden');

export function golden<T = any>(name: string): T { // eslint-disable-line @typescript-eslint/no-explicit-any
  return JSON.parse(readFileSync(path.join(GOLDEN_DIR, name), 'utf8')) as T;
}

/** The test addon's `testing` namespace (addon/test/native/testing.cc). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function core(): any {
  return testing();
}

/** Python's float.hex() of a double, e.g. -0x1.258a25bba5223p+0, 0x0.0p+0. */
export function floatHex(x: number): string {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  const hi = dv.getUint32(0), lo = dv.getUint32(4);
  const sign = hi >>> 31 ? '-' : '';
  const e = (hi >>> 20) & 0x7ff;
  const mant = ((BigInt(hi & 0xfffff) << 32n) | BigInt(lo)).toString(16).padStart(13, '0');
  if (e === 0x7ff) return mant === '0000000000000' ? `${sign}inf` : 'nan';
  if (e === 0 && mant === '0000000000000') return `${sign}0x0.0p+0`;
  const exp = e === 0 ? -1022 : e - 1023;
  return `${sign}0x${e === 0 ? 0 : 1}.${mant}p${exp < 0 ? '-' : '+'}${Math.abs(exp)}`;
}

/** The double written by Python's float.hex(). */
export function fromHex(s: string): number {
  const m = /^(-?)0x([01])\.([0-9a-f]+)p([+-]\d+)$/.exec(s);
  if (!m) throw new Error(`not a float.hex string: ${s}`);
  const mant = BigInt(`0x${m[2]}${m[3]}`);
  const v = Number(mant) * 2 ** (Number(m[4]) - 4 * m[3].length);
  return m[1] ? -v : v;
}

export function sha256(view: ArrayBufferView): string {
  return createHash('sha256').update(new Uint8Array(view.buffer, view.byteOffset, view.byteLength)).digest('hex');
}

/** sha256 of an int32 permutation written as numpy int64 little-endian bytes. */
export function sha256Int64(perm: Int32Array): string {
  return sha256(BigInt64Array.from(perm, (v) => BigInt(v)));
}

/** float32 bit patterns of a Float32Array. */
export function f32Bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}
