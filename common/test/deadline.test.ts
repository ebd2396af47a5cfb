// Deadlines hold whatever the garbage collector does: a child process under constant full GCs and allocation
// pressure waits on a 1 s Deadline linked to a parent signal (the shape that lost the job time limit when it was
// AbortSignal.any([signal, AbortSignal.timeout(ms)])), and reports when it fired. Then the small contracts: parents,
// dispose, sleep, untilAborted.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { anySignal, Deadline, DeadlineExceeded, sleep, untilAborted, withDeadline } from '../src/deadline.js';

const DEADLINE_JS = path.resolve(__dirname, '../src/deadline.js');

t.test('a Deadline fires under forced full GCs (node --expose-gc, gc() every few ms)', async (t) => {
  const script = `
    const { Deadline } = require(${JSON.stringify(DEADLINE_JS)});
    const parent = new AbortController();
    const started = Date.now();
    const d = new Deadline(1000, { parents: [parent.signal] });
    d.signal.addEventListener('abort', () => {
      process.stdout.write(JSON.stringify({ firedAfterMs: Date.now() - started, reason: d.signal.reason.name }));
      process.exit(0);
    });
    setInterval(() => { gc(); const junk = []; for (let i = 0; i < 20000; i++) junk.push({ i }); }, 5);
    setTimeout(() => { process.stdout.write(JSON.stringify({ firedAfterMs: null })); process.exit(1); }, 20000).unref();
    // keeps the loop alive without keeping the deadline
    setInterval(() => {}, 1000);
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '-e', script]);
  const out = JSON.parse(stdout) as { firedAfterMs: number | null; reason: string };
  t.ok(out.firedAfterMs !== null && out.firedAfterMs >= 1000 && out.firedAfterMs <= 1000 + 2000,
    `fired after ${out.firedAfterMs} ms (limit 1000 ms, 2 s of slack)`);
  t.equal(out.reason, 'DeadlineExceeded');
});

t.test('a parent that aborts first passes its reason; dispose detaches from the parent', async (t) => {
  const parent = new AbortController();
  const d = new Deadline(60_000, { parents: [parent.signal, undefined] });
  const why = new Error('client gone');
  parent.abort(why);
  t.equal(d.signal.reason, why);
  t.notOk(d.expired, 'not the time itself');

  const long = new AbortController();
  const child = new Deadline(60_000, { parents: [long.signal] });
  child.dispose();
  long.abort();
  t.notOk(child.signal.aborted, 'a disposed deadline no longer follows its parent');
});

t.test('an already aborted parent aborts at once; Infinity means no timer', async (t) => {
  const d = new Deadline(Infinity, { parents: [AbortSignal.abort(new Error('already'))] });
  t.ok(d.signal.aborted);
  const none = anySignal();
  t.notOk(none.signal.aborted);
  t.equal(none.remaining(), Infinity);
  none.dispose();
});

t.test('expiry: the reason names the limit, expired is true, remaining is 0', async (t) => {
  const d = new Deadline(10, { what: 'job time limit' });
  // A Deadline's timer does not keep a process alive by itself (unref); the sleep does, meanwhile.
  await Promise.all([new Promise((resolve) => d.signal.addEventListener('abort', resolve, { once: true })), sleep(50)]);
  t.ok(d.expired);
  t.ok(d.signal.reason instanceof DeadlineExceeded);
  t.equal(d.signal.reason.message, 'job time limit of 0.01 s exceeded');
  t.equal(d.remaining(), 0);
});

t.test('withDeadline disposes after the work; sleep and untilAborted stop on abort', async (t) => {
  let seen: Deadline | undefined;
  t.equal(await withDeadline(60_000, {}, async (d) => ((seen = d), 7)), 7);
  t.notOk(seen!.signal.aborted);
  const stop = new AbortController();
  const slept = sleep(60_000, stop.signal);
  stop.abort();
  t.equal(await slept, false, 'sleep says it was cut short');
  t.equal(await sleep(1), true);
  const never = new Promise<number>(() => undefined);
  const cut = new AbortController();
  const waiting = untilAborted(never, cut.signal);
  cut.abort(new Error('stop'));
  await t.rejects(waiting, { message: 'stop' });
  t.equal(await untilAborted(Promise.resolve(3), new AbortController().signal), 3);
});
