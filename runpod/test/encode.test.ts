// Result bodies (docs/runpod.md §13 req. 4), the log's shape (req. 18) and the shared list of jobs in progress that
// the heartbeat thread reads (req. 5).
import t from 'tap';
import { encodeBody, NotSerializable } from '../src/encode.js';
import { SharedJobIds } from '../src/job-ids.js';
import { runpodLogger } from '../src/logger.js';
import { pyTruthy } from '../src/json-values.js';

t.test('bodies: UTF-8 with raw non-ASCII, non-finite numbers as null (counted), unserialisable values refused', async (t) => {
  t.same(encodeBody({ output: ['é', 1.5] }), { text: '{"output":["é",1.5]}', nonFinite: 0 });
  t.same(encodeBody({ output: [NaN, Infinity, 2] }), { text: '{"output":[null,null,2]}', nonFinite: 2 });
  t.throws(() => encodeBody({ big: 1n }), NotSerializable);
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  t.throws(() => encodeBody(cycle), /^result not serializable: /);
});

t.test('log lines: {"requestId", "message", "level"} with RUNPOD_ENDPOINT_ID, plain lines without; both defused', async (t) => {
  const json: string[] = [];
  const log = runpodLogger({ level: 'debug', json: true, write: (l) => json.push(l) });
  log.info('started');
  log.child({ requestId: 'job-1' }).warn({ detail: 'RuntimeError: from a client' }, 'job failed');
  log.debug('debugging');
  t.match(JSON.parse(json[0]), { requestId: null, message: 'started', level: 'INFO' });
  t.match(JSON.parse(json[1]), { requestId: 'job-1', message: 'job failed', level: 'WARN', detail: 'RuntimeError - from a client' });
  t.same(Object.keys(JSON.parse(json[1])).slice(0, 3), ['requestId', 'message', 'level'], 'the SDK\'s three fields first');
  t.equal(JSON.parse(json[2]).level, 'DEBUG');
  const plain: string[] = [];
  const p = runpodLogger({ level: 'info', json: false, write: (l) => plain.push(l) });
  p.child({ requestId: 'job-2' }).error({ n: 1 }, 'Error: bad');
  p.info('hello');
  t.same(plain, ['ERROR   | job-2 | Error - bad {"n":1}', 'INFO    | hello']);
});

t.test('the shared list of jobs in progress reads back what was last written', async (t) => {
  const ids = new SharedJobIds();
  t.same(ids.read(), []);
  ids.write(['job-1']);
  const other = new SharedJobIds(ids.buffer);
  t.same(other.read(), ['job-1'], 'through another view of the same memory, as the thread has');
  ids.write(['a', 'ü']);
  t.same(other.read(), ['a', 'ü']);
  ids.write([]);
  t.same(other.read(), []);
  ids.write(['x'.repeat(40_000), 'y'.repeat(40_000)]);
  t.same(other.read(), ['x'.repeat(40_000)], 'cut to 64 KiB at a whole id');
});

t.test('Python truthiness', async (t) => {
  t.same([undefined, null, false, 0, NaN, '', [], {}].map(pyTruthy), Array(8).fill(false));
  t.same([true, 1, -1, 'x', [0], { a: 0 }, '0'].map(pyTruthy), Array(7).fill(true));
});
