// Answers from services outside the project (controller, orchestrator, autoscaler) are read with a size cap: a
// misbehaving peer that answers gigabytes must cost a failed request, not the process's memory.
import { codedError } from './errors.js';

export const AnswerTooLarge = codedError('ERR_ANSWER_TOO_LARGE', 'AnswerTooLarge',
  (limit: number) => `the answer is larger than ${limit} bytes`);

/** The stream's bytes, or AnswerTooLarge as soon as they pass `limit` (the rest is not read). */
export async function readCapped(body: AsyncIterable<Uint8Array> & { destroy?(): unknown }, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > limit) {
      body.destroy?.();
      throw new AnswerTooLarge(limit);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
