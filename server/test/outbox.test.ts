// The pooled result buffer on its own: delivery order, batching of what piles up, the bound, a flush that runs out
// of time, and that every loss is logged as an error with its count. The sender is a stand-in for the
// orchestrator client; it settles when told to, so nothing here depends on timing.
import { Writable } from 'node:stream';
import pino from 'pino';
import t from 'tap';
import { ResultOutbox, type ResultSender } from '../src/pooled/outbox.js';
import { eventually, type Json } from './helpers.js';

function capture() {
  const records: Json[] = [];
  const log = pino({ level: 'info' }, new Writable({
    write(chunk, _enc, done) {
      records.push(JSON.parse(chunk.toString()));
      done();
    },
  }));
  return { log, records };
}

class Sender implements ResultSender {
  calls: { kind: 'one' | 'batch'; ids: number[] }[] = [];
  up = true;
  /** When set, sends wait (until their signal aborts) instead of answering: an orchestrator that hangs. */
  hang = false;
  async sendResult(result: object, signal: AbortSignal) {
    return this.send('one', [result], signal);
  }
  async sendResults(results: object[], signal: AbortSignal) {
    return this.send('batch', results, signal);
  }
  private async send(kind: 'one' | 'batch', results: object[], signal: AbortSignal) {
    this.calls.push({ kind, ids: results.map((r) => (r as { id: number }).id) });
    if (this.hang) {
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    }
    await Promise.resolve();
    if (!this.up) throw new Error('HTTP 503');
  }
}

const never = new AbortController().signal;

t.test('one result goes out alone; what piles up meanwhile goes out as one batch, in order', async (t) => {
  const sender = new Sender();
  const outbox = new ResultOutbox(sender, { limit: 100, retryDelayMs: 10, log: capture().log });
  outbox.push({ id: 1 });
  outbox.push({ id: 2 });
  outbox.push({ id: 3 });
  t.ok(await outbox.flush(never));
  t.same(sender.calls, [{ kind: 'one', ids: [1] }, { kind: 'batch', ids: [2, 3] }]);
  t.equal(outbox.delivered, 3);
});

t.test('failed results stay buffered, are retried after the delay, and arrive once', async (t) => {
  const sender = new Sender();
  sender.up = false;
  const outbox = new ResultOutbox(sender, { limit: 100, retryDelayMs: 20, log: capture().log });
  for (let id = 1; id <= 5; id++) outbox.push({ id });
  await eventually(() => sender.calls.length >= 2, 10_000);
  t.equal(outbox.pending, 5, 'all buffered while the orchestrator fails, and retried');
  sender.calls = [];
  sender.up = true;
  await eventually(() => outbox.pending === 0, 10_000);
  t.same(sender.calls.flatMap((c) => c.ids), [1, 2, 3, 4, 5]);
  t.equal(sender.calls[0].kind, 'batch', 'the buffer goes out as results/batch');
  t.equal(outbox.delivered, 5);
});

t.test('past the bound the oldest are dropped, and each loss is logged as an error with its count', async (t) => {
  const sender = new Sender();
  sender.up = false;
  const { log, records } = capture();
  const changes: [number, number][] = [];
  const outbox = new ResultOutbox(sender, { limit: 3, retryDelayMs: 60_000, log, onChange: (p, l) => changes.push([p, l]) });
  outbox.push({ id: 1 });
  await outbox.flush(never); // the first send has failed: the rest waits for the retry
  for (let id = 2; id <= 5; id++) outbox.push({ id });
  t.equal(outbox.pending, 3);
  t.equal(outbox.lost, 2);
  const errors = records.filter((r) => r.level === 50);
  t.same(errors.map((r) => r.lost), [1, 1]);
  t.match(errors[0].msg, /1 results lost/);
  t.ok(changes.some(([, lost]) => lost === 1), 'losses reach the metrics');
  sender.up = true;
  sender.calls = [];
  t.ok(await outbox.flush(never));
  t.same(sender.calls.flatMap((c) => c.ids), [3, 4, 5], 'the newest survive');
  t.equal(outbox.lost, 2);
  t.equal(outbox.delivered + outbox.pending + outbox.lost, 5, 'every result counted once');
});

t.test('a flush that runs out of time cuts the send in flight; closing counts and logs what is left', async (t) => {
  const sender = new Sender();
  sender.hang = true;
  const { log, records } = capture();
  const outbox = new ResultOutbox(sender, { limit: 10, retryDelayMs: 60_000, log });
  outbox.push({ id: 1 });
  outbox.push({ id: 2 });
  const time = new AbortController();
  const flushed = outbox.flush(time.signal);
  await eventually(() => sender.calls.length === 1);
  time.abort(new Error('cleanup deadline'));
  t.notOk(await flushed, 'the hanging send was cut: results still pending');
  t.equal(outbox.pending, 2);
  outbox.close('the session cleanup ran out of time');
  t.equal(outbox.pending, 0);
  t.equal(outbox.lost, 2);
  t.equal(outbox.delivered, 0);
  t.equal(records.filter((r) => r.level === 50).at(-1).lost, 2);
  outbox.push({ id: 3 });
  t.equal(sender.calls.length, 1, 'nothing is sent after the session closed');
});
