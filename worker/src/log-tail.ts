// Following the model log (docs/pyworker.md §5): wait for the file, read it from the start, line by line (UTF-8,
// lines end at \n, \r\n or \r as with Python's universal newlines, trailing whitespace stripped), and reopen it
// from the start when it is replaced (new inode), removed and recreated, or truncated in place (which the
// PyWorker did not detect).

import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Logger } from 'pino';
import { sleep } from '../../common/src/deadline.js';

export interface LogTailOptions {
  path: string;
  /** Sleep at the end of the file. */
  pollMs: number;
  /** Sleep while the file does not exist. */
  waitMs: number;
  /** An unterminated last line is handed over once it has not grown for this long. */
  partialFlushMs: number;
  onLine: (line: string) => void;
  log: Logger;
}

const CHUNK = 64 * 1024;
/** A longer line is handed over in pieces: memory stays bounded whatever the model writes. */
const MAX_LINE_BYTES = 1024 * 1024;
const decoder = new TextDecoder('utf-8');

/** Follows the file until `signal` aborts. */
export async function followLog(o: LogTailOptions, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const fh = await openWhenPresent(o, signal);
    if (fh === undefined) return;
    try {
      await readUntilReplaced(fh, o, signal);
    } finally {
      await fh.close().catch(() => undefined);
    }
  }
}

async function openWhenPresent(o: LogTailOptions, signal: AbortSignal): Promise<FileHandle | undefined> {
  let logged = false;
  while (!signal.aborted) {
    try {
      return await open(o.path, 'r');
    } catch (err) {
      if (!logged) o.log.info({ path: o.path, err }, 'waiting for the model log');
      logged = true;
    }
    if (!(await sleep(o.waitMs, signal))) return undefined;
  }
  return undefined;
}

/** Reads from the start; returns when the path now names another file, is gone, or was truncated. */
async function readUntilReplaced(fh: FileHandle, o: LogTailOptions, signal: AbortSignal): Promise<void> {
  const ino = (await fh.stat()).ino;
  const buf = Buffer.alloc(CHUNK);
  let pos = 0;
  let partial: Buffer[] = [];
  let partialBytes = 0;
  let partialSince = 0;
  const emit = (bytes: Buffer): void => {
    const line = decoder.decode(bytes).trimEnd();
    if (line !== '') o.onLine(line);
  };
  const flushPartial = (): void => {
    if (partialBytes > 0) emit(Buffer.concat(partial));
    partial = [];
    partialBytes = 0;
  };
  while (!signal.aborted) {
    const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
    if (bytesRead > 0) {
      pos += bytesRead;
      let start = 0;
      for (let i = 0; i < bytesRead; i++) {
        const b = buf[i];
        if (b !== 0x0a && b !== 0x0d) continue;
        partial.push(Buffer.from(buf.subarray(start, i)));
        partialBytes += i - start;
        flushPartial();
        start = i + 1;
      }
      if (start < bytesRead) {
        partial.push(Buffer.from(buf.subarray(start, bytesRead)));
        partialBytes += bytesRead - start;
        partialSince = Date.now();
        if (partialBytes >= MAX_LINE_BYTES) flushPartial();
      }
      continue;
    }
    if (partialBytes > 0 && Date.now() - partialSince >= o.partialFlushMs) flushPartial();
    const now = await stat(o.path).catch(() => undefined);
    if (now === undefined || now.ino !== ino) {
      flushPartial();
      o.log.info({ path: o.path }, now === undefined ? 'model log removed' : 'model log rotated; reading the new file');
      return;
    }
    if (now.size < pos) {
      o.log.info({ path: o.path }, 'model log truncated; reading it from the start');
      return;
    }
    if (!(await sleep(o.pollMs, signal))) return;
  }
}
