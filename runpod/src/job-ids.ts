// The ids of the jobs in progress, shared between the main thread (which writes them when a job is taken and when
// its job-done attempt ends) and the heartbeat thread (which reads them for every ping): a SharedArrayBuffer with
// a sequence number, so a read never waits for the main thread and never sees a half-written list
// (docs/runpod.md §13 req. 5). The main thread's writes are synchronous, so once it has moved on to its next take
// every ping built after that sees the new list.
import { MAX_PING_IDS_BYTES } from './urls.js';

/** [0]: sequence (odd while a write is under way), [1]: byte length of the list. */
const HEADER_INTS = 2;

export class SharedJobIds {
  private readonly header: Int32Array;
  private readonly bytes: Uint8Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(HEADER_INTS * 4 + MAX_PING_IDS_BYTES)) {
    this.header = new Int32Array(buffer, 0, HEADER_INTS);
    this.bytes = new Uint8Array(buffer, HEADER_INTS * 4);
  }

  /** Main thread: replaces the list (ids that do not fit in 64 KiB are left out, as the SDK caps its list). */
  write(ids: readonly string[]): void {
    const encoded = new TextEncoder().encode(ids.join('\n'));
    let length = Math.min(encoded.length, this.bytes.length);
    if (length < encoded.length) length = Math.max(0, encoded.lastIndexOf(0x0a, length));
    Atomics.add(this.header, 0, 1);
    this.bytes.set(encoded.subarray(0, length));
    Atomics.store(this.header, 1, length);
    Atomics.add(this.header, 0, 1);
  }

  /** Heartbeat thread: the current list. */
  read(): string[] {
    for (;;) {
      const before = Atomics.load(this.header, 0);
      if (before % 2 === 1) continue;
      const length = Atomics.load(this.header, 1);
      const copy = this.bytes.slice(0, length);
      if (Atomics.load(this.header, 0) !== before) continue;
      const text = new TextDecoder().decode(copy);
      return text === '' ? [] : text.split('\n');
    }
  }
}
