// Bodies of job-stream and job-done (docs/runpod.md §3, §13 req. 4): JSON in UTF-8 with non-ASCII characters raw
// (JSON.stringify's own behaviour). A non-finite number, which Python writes as the invalid literal NaN, goes as
// null and is reported; a value that cannot be serialised at all (a BigInt, a cycle) is reported to the caller,
// which then sends an error instead of nothing (the SDK skips the POST).
import { codedError } from '../../common/src/errors.js';

export const NotSerializable = codedError('ERR_NOT_SERIALIZABLE', 'NotSerializable',
  (reason: string) => `result not serializable: ${reason}`);

export interface Encoded {
  text: string;
  /** How many non-finite numbers were sent as null. */
  nonFinite: number;
}

/** Throws NotSerializable. */
export function encodeBody(value: unknown): Encoded {
  let nonFinite = 0;
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) {
        nonFinite += 1;
        return null;
      }
      return v;
    });
  } catch (err) {
    throw new NotSerializable((err as Error).message);
  }
  if (text === undefined) throw new NotSerializable(`a ${typeof value} has no JSON form`);
  return { text, nonFinite };
}
