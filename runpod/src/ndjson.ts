// Reading the model server's NDJSON stream one JSON value per line, as it arrives. A line that is not JSON, or one
// that grows past the cap without ending, ends the stream with an error: the model server writes neither.
import { codedError } from '../../common/src/errors.js';

export const BadStream = codedError('ERR_BAD_STREAM', 'BadStream', (detail: string) => `the model server's stream is broken: ${detail}`);

/** A result line is a few KiB; far more without a newline is not a line. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

export async function* ndjsonValues(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<unknown> {
  // A character split across chunks is decoded once both halves are in.
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of body) {
    rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, newline);
      rest = rest.slice(newline + 1);
      if (line.trim() !== '') yield parse(line);
    }
    if (rest.length > MAX_LINE_BYTES) throw new BadStream(`a line longer than ${MAX_LINE_BYTES} bytes`);
  }
  rest += decoder.decode();
  if (rest.trim() !== '') yield parse(rest);
}

function parse(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    throw new BadStream('a line that is not JSON');
  }
}
