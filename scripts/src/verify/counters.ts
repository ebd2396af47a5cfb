// The counters of result lines (docs/model-server.md "POST /generate"), checked as they must add up whatever the
// devices did: a line lists its batch's valid nonces (batch_valid), per device total_valid grows by exactly that
// (batches without a valid nonce add none and send no /generate line) and total_computed by at least batch_computed;
// the job-wide aggregated_* likewise across devices; a device's nonces are its own (start + w + x·n_workers) and
// below its next_nonce. Counters a line lacks are not checked. A /pooled line (it has a result_id) may start a new
// epoch: a switch_job or a new range resets the counters.

type Line = Record<string, unknown>;

interface DeviceCounters {
  valid: number;
  computed: number;
}

export class CounterCheck {
  private readonly devices = new Map<number, DeviceCounters>();
  private aggregateValid = 0;
  private aggregateComputed: number | undefined;
  private lastBatchNumber: number | undefined;

  constructor(private readonly startNonce: number) {}

  /** Nonces the job says it computed so far: its job-wide counter, else the sum of its devices' counters. */
  computed(): number | undefined {
    if (this.aggregateComputed !== undefined) return this.aggregateComputed;
    if (this.devices.size === 0) return undefined;
    return [...this.devices.values()].reduce((sum, d) => sum + d.computed, 0);
  }

  check(l: Line, nonces: readonly number[], fail: (reason: string) => never): void {
    const count = (field: string): number | undefined => {
      const v = l[field];
      if (v === undefined) return undefined;
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return fail(`${field} is not a non-negative integer`);
      return v;
    };
    const valid = nonces.length;
    const batchValid = count('batch_valid');
    if (batchValid !== undefined && batchValid !== valid) fail(`batch_valid is ${batchValid} but the line lists ${valid} nonces`);
    const batchComputed = count('batch_computed');
    if (batchComputed !== undefined && batchComputed < valid) {
      fail(`batch_computed ${batchComputed} is less than the ${valid} nonces the line lists`);
    }
    const worker = count('worker_id') ?? 0;
    this.checkDevice(worker, valid, batchComputed ?? valid, count('total_valid'), count('total_computed'),
      typeof l.result_id === 'string', fail);

    const nWorkers = count('n_workers');
    if (nWorkers !== undefined && worker >= nWorkers) fail(`worker_id ${worker} is not below n_workers ${nWorkers}`);
    const next = count('next_nonce');
    for (const n of nonces) {
      if (next !== undefined && n >= next) fail(`nonce ${n} is not below the device's next_nonce ${next}`);
      if (nWorkers !== undefined && (n - this.startNonce) % nWorkers !== worker) {
        fail(`nonce ${n} is not device ${worker}'s: of ${nWorkers} devices from start_nonce ${this.startNonce}, ` +
          `device ${worker} computes ${this.startNonce + worker}, ${this.startNonce + worker + nWorkers}, ...`);
      }
    }
    this.checkJob(valid, batchComputed ?? valid, count('aggregated_total_valid'), count('aggregated_total_computed'),
      count('aggregated_batch_number'), fail);
  }

  private checkDevice(worker: number, valid: number, batchComputed: number, totalValid: number | undefined,
    totalComputed: number | undefined, mayRestart: boolean, fail: (reason: string) => never): void {
    let d = this.devices.get(worker) ?? { valid: 0, computed: 0 };
    if (mayRestart && totalValid === valid && (totalComputed === undefined || totalComputed === batchComputed)) {
      d = { valid: 0, computed: 0 }; // a new epoch of a /pooled session
    }
    const validNow = d.valid + valid;
    if (totalValid !== undefined && totalValid !== validNow) {
      fail(`total_valid of device ${worker} is ${totalValid}, but its lines list ${validNow} valid nonces`);
    }
    const computedAtLeast = d.computed + batchComputed;
    if (totalComputed !== undefined && totalComputed < computedAtLeast) {
      fail(`total_computed of device ${worker} is ${totalComputed}, less than the ${computedAtLeast} its lines account for`);
    }
    this.devices.set(worker, { valid: validNow, computed: totalComputed ?? computedAtLeast });
  }

  private checkJob(valid: number, batchComputed: number, aggregateValid: number | undefined,
    aggregateComputed: number | undefined, batchNumber: number | undefined, fail: (reason: string) => never): void {
    this.aggregateValid += valid;
    if (aggregateValid !== undefined && aggregateValid !== this.aggregateValid) {
      fail(`aggregated_total_valid is ${aggregateValid}, but the lines so far list ${this.aggregateValid} valid nonces`);
    }
    if (aggregateComputed !== undefined) {
      const atLeast = (this.aggregateComputed ?? 0) + batchComputed;
      if (aggregateComputed < atLeast) {
        fail(`aggregated_total_computed is ${aggregateComputed}, less than the ${atLeast} the lines account for`);
      }
      this.aggregateComputed = aggregateComputed;
    }
    if (batchNumber !== undefined) {
      if (this.lastBatchNumber !== undefined && batchNumber <= this.lastBatchNumber) {
        fail(`aggregated_batch_number ${batchNumber} does not follow ${this.lastBatchNumber}`);
      }
      this.lastBatchNumber = batchNumber;
    }
  }
}
