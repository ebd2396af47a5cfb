// stdout carries results only; logs and progress go to stderr, live progress only when stderr is a terminal.
export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** A single self-rewriting status line on a terminal; silent otherwise. */
export class Progress {
  private readonly live = process.stderr.isTTY === true;
  private last = 0;

  update(text: string, force = false): void {
    if (!this.live) return;
    const now = performance.now();
    if (!force && now - this.last < 200) return;
    this.last = now;
    process.stderr.write(`\r\x1b[2K${text}`);
  }

  done(): void {
    if (this.live) process.stderr.write('\r\x1b[2K');
  }
}
