// The server's health as /health reports it: cuda_broken, set by a fatal device failure and never cleared (a
// restart is the cure), and the hook that lets the process exit once the failing stream has been flushed.
/** cuda_broken: set by a fatal device failure, and never cleared (a restart is the cure). */
export class Health {
  private failure: Error | undefined;

  constructor(private readonly onFatal: (err: Error) => void) {}

  get cudaBroken(): boolean {
    return this.failure !== undefined;
  }

  markBroken(err: Error): void {
    this.failure ??= err;
  }

  /** The stream that reported the failure is flushed: the process may now exit (the app's onFatal decides). */
  fatalReported(): void {
    if (this.failure) this.onFatal(this.failure);
  }
}
