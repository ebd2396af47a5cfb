// Batches on several devices side by side ("lanes": one per device, or several where a device pipelines), as both
// a miner's stream (stream.ts) and a validator's list (schedule.ts) run them: the first lane to fail stops the
// others after their batch in flight, and the whole settles only once no batch is in flight.

/** A lane runs batches until done or until `failed()` says another lane has failed. */
export type Lane = (failed: () => boolean) => Promise<void>;

/** Runs the lanes; rejects with the first failure once every lane has settled. */
export async function runLanes(lanes: readonly Lane[]): Promise<void> {
  let failed = false;
  const results = await Promise.allSettled(lanes.map(async (lane) => {
    try {
      await lane(() => failed);
    } catch (err) {
      failed = true;
      throw err;
    }
  }));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}
