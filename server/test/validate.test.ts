// POST /validate on the real server with the real CPU engine (tiny model): the distances `llama-gpu-bench compute`
// gives, in the order asked; the network's verdict (docs/poc-compute.md §8) when r_target and the reported dist come
// along; the documented 400s; and its place beside the jobs: 503 busy while a job runs (which goes on untouched), a
// job that arrives takes over from it, the model cache shared, a fatal device failure reported as by a job.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { binomialTail, EngineError } from '../../addon/lib/index.js';
import { PYWORKER_ERROR_PATTERNS } from '../../common/src/log.js';
import { BLOCK_HASH, eventually, generateBody, postJson, PUBLIC_KEY, startWatchedServer, stream, TINY, type Json } from './helpers.js';

const CLI = path.resolve(__dirname, '../../scripts/src/cli.js');
const R_TARGET = 1.41;

function validateBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { block_hash: BLOCK_HASH, public_key: PUBLIC_KEY, params: { ...TINY }, nonces: [5, 3, 9, 3], ...overrides };
}

t.test('/validate', async (t) => {
  const { watched, server } = await startWatchedServer(t, { MAX_JOB_DURATION: '60', TAKEOVER_TIMEOUT: '30' });
  const url = `${server.url}/validate`;

  t.test('answers the distances `llama-gpu-bench compute` gives, in the order given, duplicates kept', async (t) => {
    const res = await postJson(url, validateBody());
    t.equal(res.status, 200);
    t.same(Object.keys(res.json), ['dist'], 'without r_target: the distances alone');
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'compute', '--block-hash', BLOCK_HASH,
      '--public-key', PUBLIC_KEY, '--params', JSON.stringify(TINY), '--nonces', '5,3,9,3', '--backend', 'cpu', '--threads', '1']);
    t.same(res.json.dist, JSON.parse(stdout).dist, 'bit-equal (same CPU engine; JSON round-trips float64)');
    t.equal(res.json.dist[1], res.json.dist[3]);
    for (const wrapped of [{ auth_data: { signature: '' }, payload: validateBody() }, { input: validateBody() }]) {
      const w = await postJson(url, wrapped);
      t.same(w.json, res.json, `the ${Object.keys(wrapped)[0] === 'input' ? 'Runpod' : 'PyWorker'} wrapper is removed`);
    }
  });

  t.test('with dist and r_target: the network\'s verdict, 5 forged of 200 is fraud, 4 is not', async (t) => {
    const range = Array.from({ length: 600 }, (_, i) => i);
    const all = (await postJson(url, validateBody({ nonces: range }))).json.dist as number[];
    const valid = range.filter((n) => all[n] < R_TARGET);
    const invalid = range.filter((n) => all[n] > R_TARGET);
    t.ok(valid.length >= 200 && invalid.length >= 5, 'enough of both in the range');
    const ask = (forged: number) => {
      const nonces = [...valid.slice(0, 200 - forged), ...invalid.slice(0, forged)];
      // A forger reports them below r_target, as the honest ones.
      const dist = nonces.map((n) => (all[n] < R_TARGET ? all[n] : R_TARGET - 0.01));
      return postJson(url, validateBody({ nonces, dist, r_target: R_TARGET }));
    };
    const honest = await ask(0);
    t.match(honest.json, { sampled: 200, invalid: 0, tail_probability: 1, verdict: 'pass', p_mismatch: 5e-4,
      significance: 1e-7, abs_delta: { count: 200, max: 0 } });
    const four = await ask(4);
    t.match(four.json, { invalid: 4, verdict: 'pass' });
    const five = await ask(5);
    t.match(five.json, { invalid: 5, verdict: 'fraud', tail_probability: binomialTail(200, 5, 5e-4) });
    t.ok(five.json.tail_probability < 1e-7);
    t.ok(five.json.abs_delta.max > 0, 'the forged distances differ from the recomputed ones');
    const noDist = await postJson(url, validateBody({ nonces: invalid.slice(0, 5), r_target: R_TARGET }));
    t.match(noDist.json, { invalid: 5, sampled: 5, verdict: 'fraud' }, 'r_target alone: recomputed above it counts');
    t.notOk('abs_delta' in noDist.json);
  });

  t.test('bad bodies get the documented 400s', async (t) => {
    const base = validateBody();
    const without = (...keys: string[]) => Object.fromEntries(Object.entries(base).filter(([k]) => !keys.includes(k)));
    const cases: [string, unknown, string | RegExp][] = [
      ['not JSON', '{"nonces": [', /^Invalid JSON: /],
      ['every field missing', {}, 'Missing required fields: ["block_hash", "public_key", "params", "nonces"]'],
      ['nonces missing in the wrapper', { auth_data: {}, payload: without('nonces') }, 'Missing required fields: ["nonces"]'],
      ['dist without r_target', { ...base, dist: [1, 1, 1, 1] }, 'Missing required fields: ["r_target"]'],
      ['no nonces', { ...base, nonces: [] }, /^Invalid field nonces: /],
      ['a negative nonce', { ...base, nonces: [1, -2] }, /^Invalid field nonces: /],
      ['a fractional nonce', { ...base, nonces: [1.5] }, /^Invalid field nonces: /],
      ['an unsafe nonce', { ...base, nonces: [2 ** 53] }, /^Invalid field nonces: /],
      ['nonces not an array', { ...base, nonces: '0-63' }, /^Invalid field nonces: /],
      ['10,001 nonces', { ...base, nonces: Array.from({ length: 10_001 }, (_, i) => i) }, /^Invalid field nonces: .*10000/],
      ['dist of another length', { ...base, dist: [1], r_target: 1.4 }, 'Invalid field dist: 1 distances for 4 nonces (one per nonce)'],
      ['a string in dist', { ...base, dist: [1, 'x', 1, 1], r_target: 1.4 }, /^Invalid field dist: /],
      ['a zero r_target', { ...base, r_target: 0 }, /^Invalid field r_target: /],
      ['an empty block hash', { ...base, block_hash: '' }, /^Invalid field block_hash: /],
      ['a numeric public key', { ...base, public_key: 5 }, /^Invalid field public_key: /],
      ['params that are not an object', { ...base, params: 'tiny' }, /^Invalid field params: /],
      ['params with an unknown key', { ...base, params: { ...TINY, dimm: 1 } }, 'Invalid params: dimm: unknown parameter'],
      ['params too large for this machine', { ...base, params: { ...TINY, dim: 65536, n_heads: 64, n_kv_heads: 64, n_layers: 4096 } },
        /^Invalid params: .*too large/],
    ];
    const runs = watched.runs;
    for (const [what, body, message] of cases) {
      const res = await postJson(url, body);
      t.equal(res.status, 400, `${what}: 400`);
      t.match(res.json?.error, message, `${what}: ${JSON.stringify(res.json?.error)}`);
      t.same(Object.keys(res.json ?? {}).sort(), ['code', 'error'], 'only {"error", "code"}');
    }
    t.equal(watched.runs, runs, 'nothing was computed');
  });

  t.test('while a job runs: 503 busy with Retry-After, and the job goes on untouched', async (t) => {
    const job = await stream(`${server.url}/generate`, generateBody({ r_target: 10 }));
    const before = await job.next();
    const marks = server.events.records.length;
    const res = await postJson(url, validateBody());
    t.equal(res.status, 503);
    t.same(res.json, { error: 'busy', code: 'ERR_BUSY' });
    const retryAfter = Number(res.headers['retry-after']);
    t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${retryAfter} s (until the job's time limit)`);
    const after = await job.next();
    t.equal(after.aggregated_batch_number, before.aggregated_batch_number + 1, 'the job went on');
    t.notOk(server.events.records.slice(marks).some((r) => /takes over|job ended/.test(r.msg)), 'and was never stopped');
    job.abort();
    t.equal((await server.events.jobEnded(job.jobId)).outcome, 'cancelled', 'it ended only when its client left');
  });

  t.test('a job that arrives takes over from a validation, which answers 503 busy', async (t) => {
    const release = watched.hold();
    const validation = postJson(url, validateBody({ nonces: Array.from({ length: 64 }, (_, i) => i) }));
    await once(watched.events, 'held');
    const second = await postJson(url, validateBody());
    t.equal(second.status, 503, 'a second validation meanwhile: busy');
    t.equal(second.headers['retry-after'], '1');
    const marks = server.events.records.length;
    const job = stream(`${server.url}/generate`, generateBody({ r_target: 10 }), false);
    await server.events.waitFor((r) => server.events.records.indexOf(r) >= marks && r.msg.startsWith('a new job takes over'));
    release();
    const refused = await validation;
    t.equal(refused.status, 503);
    t.same(refused.json, { error: 'busy', code: 'ERR_BUSY' });
    const ended = await server.events.waitFor((r) => server.events.records.indexOf(r) >= marks && r.msg === 'validation ended');
    t.equal(ended.outcome, 'superseded', 'the validation stopped after its batch in flight');
    const s = await job;
    t.equal(s.status, 200, 'the job got the devices');
    t.ok(Array.isArray((await s.next()).nonces));
    s.abort();
    await server.events.jobEnded(s.jobId);
  });

  t.test('uses the model cache as a job does: a different model replaces the loaded one', async (t) => {
    const other = 'ab'.repeat(32);
    t.equal((await postJson(url, validateBody({ block_hash: other }))).status, 200);
    t.equal(watched.engine.loaded?.blockHash, other);
    const again = await postJson(url, validateBody({ block_hash: other }));
    t.equal(again.status, 200);
    const reuse = server.events.records.filter((r) => r.msg === 'model ready').at(-1);
    t.equal(reuse.reused, true, 'the same model again is reused');
  });

  t.test('a client that leaves stops the validation after its batch in flight', async (t) => {
    const release = watched.hold();
    const controller = new AbortController();
    const left = fetch(url, { method: 'POST', body: JSON.stringify(validateBody({ nonces: Array.from({ length: 64 }, (_, i) => i) })),
      signal: controller.signal }).catch((err: Error) => err);
    await once(watched.events, 'held');
    const runs = watched.runs;
    const marks = server.events.records.length;
    const since = (match: (r: Json) => boolean) => server.events.waitFor((r) => server.events.records.indexOf(r) >= marks && match(r));
    controller.abort();
    t.type(await left, Error);
    await since((r) => r.msg.startsWith('client disconnected'));
    release();
    const ended = await since((r) => r.msg === 'validation ended');
    t.equal(ended.outcome, 'cancelled');
    t.equal(watched.runs, runs, 'no batch after the one in flight');
    t.equal((await postJson(url, validateBody())).status, 200, 'the devices are free again');
  });
});

t.test('a fatal device failure during a validation: 500 with the device error, cuda_broken for good, one CUDA line', async (t) => {
  const { watched, server } = await startWatchedServer(t);
  watched.failWith = () => new EngineError('ERR_DEVICE', 'CUDA error: an illegal memory access was encountered');
  const res = await postJson(`${server.url}/validate`, validateBody());
  t.equal(res.status, 500);
  t.same(res.json, { error: 'CUDA error: an illegal memory access was encountered', code: 'ERR_DEVICE' });
  const health = await fetch(`${server.url}/health`);
  t.equal(health.status, 503);
  await health.arrayBuffer();
  await eventually(() => server.fatalReports === 1);
  t.equal(server.fatalReports, 1, 'reported once the answer was out');
  const flagged = server.events.lines.filter((l) => PYWORKER_ERROR_PATTERNS.some((p) => l.includes(p)));
  t.equal(flagged.length, 1, 'exactly one log line a PyWorker reads as a failure');
  t.match(JSON.parse(flagged[0]).msg, /^CUDA error: fatal device failure, cuda_broken is set/);
  const after = await postJson(`${server.url}/validate`, validateBody());
  t.same([after.status, after.json], [503, { error: 'Worker CUDA is broken', code: 'ERR_CUDA_BROKEN' }]);
});
