import t from 'tap';
import { Accounting, MAX_PENDING_DELETES } from '../src/accounting.js';
import { FifoQueue } from '../src/fifo.js';

const ad = (reqnum: number) => ({ reqnum, request_idx: reqnum + 100 });

t.test('the wait time is the working set workload over max(max_perf, 1e-5), session placeholders excluded', async (t) => {
  const a = new Accounting();
  t.equal(a.waitTime(), 0, 'empty working set: 0 whatever max_perf');
  const r1 = a.newRecord(ad(1), 1024);
  a.start(r1);
  t.equal(a.waitTime(), 1024 / 1e-5, 'not loaded yet: max_perf 0 behaves as 1e-5');
  a.maxPerf = 256;
  const s = a.newRecord(ad(2), 500, 'session');
  a.start(s);
  t.equal(a.waitTime(), 4);
  t.equal(a.curLoad(), 1524, 'cur_load includes the placeholder');
  const inSession = a.newRecord(ad(2), 50, 'in-session');
  a.start(inSession);
  t.equal(a.workingCount(), 2, 'a request inside a session is not in the working set');
  t.equal(a.interval.received, 1574, 'but its workload is received');
});

t.test('two requests with the same reqnum are both tracked (pitfall 10)', async (t) => {
  const a = new Accounting();
  const [x, y] = [a.newRecord(ad(5), 1), a.newRecord(ad(5), 2)];
  a.start(x);
  a.start(y);
  t.equal(a.workingCount(), 2);
  t.equal(a.receivedTotal(), 1, 'one distinct reqnum');
  a.success(x);
  a.end(x);
  t.equal(a.curLoad(), 2);
});

t.test('outcomes: counters, statuses, success flags, and what is queued for deletion', async (t) => {
  const a = new Accounting();
  const ok = a.newRecord(ad(1), 10);
  const bad = a.newRecord(ad(2), 20);
  const gone = a.newRecord(ad(3), 30);
  const rej = a.newRecord(ad(4), 40);
  for (const r of [ok, bad, gone]) a.start(r);
  a.updatePending = false;
  a.cancelled(gone);
  t.equal(a.updatePending, false, 'a cancellation alone does not trigger a report');
  a.success(ok);
  a.errored(bad);
  a.reject(rej);
  for (const r of [ok, bad, gone]) a.end(r);
  t.same(a.interval, { served: 10, received: 60, cancelled: 30, errored: 20, rejected: 40 });
  t.same(a.pendingDeleteSnapshot().map((r) => [r.requestIdx, r.status, r.success]), [
    [104, 'Rejected', false], [101, 'Success', true], [102, 'Error', false], [103, 'Cancelled', true],
  ]);
  t.equal(rej.workStartedAt, 0);
  a.commitInterval({ served: 10, received: 50, cancelled: 30, errored: 20, rejected: 40 });
  t.same(a.interval, { served: 0, received: 10, cancelled: 0, errored: 0, rejected: 0 }, 'only what was sent is subtracted');
  t.equal(a.receivedTotal(), 4);
});

t.test('the error is sticky, marks the model loaded and resets the interval counters', async (t) => {
  const a = new Accounting();
  a.reject(a.newRecord(ad(1), 7));
  a.setError('first');
  a.setError('second');
  t.equal(a.errorMsg, 'first');
  t.equal(a.modelLoaded, true);
  t.equal(a.interval.rejected, 0);
});

t.test('the recoverable (health) error is reported only while no sticky error is set, and clearing it leaves the sticky one', async (t) => {
  const a = new Accounting();
  a.markLoaded(10, 1);
  a.updatePending = false;
  a.setHealthError('Model server unhealthy: x (3 failed probes)');
  t.equal(a.errorMsg, 'Model server unhealthy: x (3 failed probes)');
  t.equal(a.updatePending, true, 'a report is due');
  t.equal(a.stickyError, '');
  a.updatePending = false;
  t.equal(a.clearHealthError(), true);
  t.equal(a.errorMsg, '', 'recovered');
  t.equal(a.updatePending, true, 'the recovery is reported too');
  t.equal(a.clearHealthError(), false, 'nothing left to clear');
  a.setHealthError('Model server unhealthy: y (3 failed probes)');
  a.setError('Model server exited');
  t.equal(a.errorMsg, 'Model server exited', 'the sticky error wins');
  t.equal(a.clearHealthError(), true);
  t.equal(a.errorMsg, 'Model server exited', 'and stays after a recovery');
  a.setHealthError('Model server unhealthy: z (3 failed probes)');
  t.equal(a.errorMsg, 'Model server exited');
  t.equal(a.healthError, 'Model server unhealthy: z (3 failed probes)');
});

t.test('pending deletions are bounded while the autoscaler is unreachable', async (t) => {
  const a = new Accounting();
  for (let i = 0; i < MAX_PENDING_DELETES + 5; i++) a.reject(a.newRecord(ad(i), 1));
  const pending = a.pendingDeleteSnapshot();
  t.equal(pending.length, MAX_PENDING_DELETES);
  t.equal(pending[0].reqnum, 5, 'the oldest went first');
  t.equal(a.droppedDeletes, 5);
});

t.test('the FIFO runs only its head; a waiter that aborts leaves the line; release is idempotent', async (t) => {
  const q = new FifoQueue();
  const order: string[] = [];
  const ctl = () => new AbortController();
  const first = await q.acquire(ctl().signal);
  t.ok(q.running);
  const bCtl = ctl();
  const b = q.acquire(bCtl.signal).then((rel) => { order.push('b'); return rel; }, (e: unknown) => { order.push('b aborted'); throw e; });
  const c = q.acquire(ctl().signal).then((rel) => { order.push('c'); return rel; });
  t.equal(q.waiting, 2);
  bCtl.abort();
  await t.rejects(b, { code: 'ERR_QUEUE_ABORTED' });
  t.equal(q.waiting, 1);
  first();
  first();
  const relC = await c;
  t.same(order, ['b aborted', 'c']);
  t.equal(q.waiting, 0);
  relC();
  t.notOk(q.running);
  const aborted = new AbortController();
  aborted.abort();
  await t.rejects(q.acquire(aborted.signal), { code: 'ERR_QUEUE_ABORTED' });
});
