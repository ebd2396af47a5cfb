// additional_disk_usage (docs/pyworker.md §4.1): GiB used on a file system since the previous report attempt.

import { statfs } from 'node:fs/promises';

export class DiskUsage {
  private last: number | undefined;

  constructor(private readonly path: string) {}

  /** GiB in use now, or undefined when the file system cannot be queried. */
  async usedGiB(): Promise<number | undefined> {
    try {
      const s = await statfs(this.path);
      return ((s.blocks - s.bfree) * s.bsize) / 2 ** 30;
    } catch {
      return undefined;
    }
  }

  /** Change since the previous call (0 the first time, or when unknown). */
  async delta(): Promise<number> {
    const now = await this.usedGiB();
    if (now === undefined) return 0;
    const prev = this.last ?? now;
    this.last = now;
    return now - prev;
  }
}
