import t from 'tap';
import { parseEnvelope } from '../src/envelope.js';
import { workloadOf, findRoute, HANDLER_ROUTES } from '../src/route-table.js';

const ad = { cost: 1, endpoint: 'e', reqnum: 1, request_idx: 2, signature: 's', url: 'u' };
const parse = (v: unknown) => parseEnvelope(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)));

t.test('invalid JSON, including an empty body, is 422 {"error":"invalid JSON"}', async (t) => {
  for (const raw of ['', '{', 'nope', '{"a":1,}']) t.same(parse(raw), { ok: false, status: 422, body: { error: 'invalid JSON' } }, JSON.stringify(raw));
});

t.test('missing fields give the PyWorker error maps, both keys together', async (t) => {
  t.same(parse({}), { ok: false, status: 422, body: { auth_data: 'field missing', payload: 'field missing' } });
  t.same(parse([1]), { ok: false, status: 422, body: { auth_data: 'field missing', payload: 'field missing' } });
  t.same(parse({ auth_data: { url: 'u', cost: 1 }, payload: [] }), {
    ok: false,
    status: 422,
    body: {
      auth_data: { endpoint: 'missing parameter', reqnum: 'missing parameter', request_idx: 'missing parameter', signature: 'missing parameter' },
      payload: { data: 'payload must be a dictionary' },
    },
  });
  t.same(parse({ auth_data: ad }), { ok: false, status: 422, body: { payload: 'field missing' } });
});

t.test('a valid envelope keeps auth_data verbatim (extra keys, unchecked value types) and session_id', async (t) => {
  const authData = { ...ad, reqnum: 'not-a-number', __request_id: 'x' };
  t.same(parse({ auth_data: authData, payload: { a: 1 } }), { ok: true, envelope: { authData, payload: { a: 1 }, sessionId: null } });
  t.same(parse({ auth_data: ad, payload: {}, session_id: 'abc' }), { ok: true, envelope: { authData: ad, payload: {}, sessionId: 'abc' } });
});

t.test('the routes carry the seed configuration and workload calculators', async (t) => {
  t.same(
    HANDLER_ROUTES.map((r) => [r.path, r.parallel, r.maxQueueTime]),
    [['/health', true, 5], ['/generate', false, 60], ['/warmup', false, 120], ['/pooled', false, 60], ['/validate', false, 60]],
  );
  const gen = findRoute('/generate')!;
  t.same(workloadOf(gen, {}), { workload: 1024, fallback: false });
  t.same(workloadOf(gen, { batch_size: 256 }), { workload: 256, fallback: false });
  t.same(workloadOf(gen, { batch_size: '64' }), { workload: 64, fallback: false }, 'float("64")');
  t.same(workloadOf(gen, { batch_size: 'lots' }), { workload: 100, fallback: true });
  t.same(workloadOf(gen, { batch_size: -1 }), { workload: 100, fallback: true });
  t.same(workloadOf(findRoute('/health')!, { batch_size: 9 }), { workload: 1, fallback: false });
  t.same(workloadOf(findRoute('/warmup')!, {}), { workload: 100, fallback: false });
  t.same(workloadOf(findRoute('/pooled')!, {}), { workload: 100, fallback: false });
  const validate = findRoute('/validate')!;
  t.same(workloadOf(validate, { nonces: [1, 2, 3] }), { workload: 3, fallback: false }, 'one unit per nonce');
  t.same(workloadOf(validate, { nonces: '1-3' }), { workload: 100, fallback: true });
  t.same(workloadOf(validate, {}), { workload: 100, fallback: true });
  t.equal(findRoute('/generate/'), undefined);
});

t.test('an answer is a stream by the PyWorker rule: event-stream, ndjson/jsonl, "stream" in the type, or chunked', async (t) => {
  const { isStreamResponse } = await import('../src/relay.js');
  t.ok(isStreamResponse({ 'content-type': 'text/event-stream; charset=utf-8' }));
  t.ok(isStreamResponse({ 'content-type': 'application/x-ndjson' }));
  t.ok(isStreamResponse({ 'content-type': 'application/jsonl' }));
  t.ok(isStreamResponse({ 'content-type': 'application/octet-stream', 'content-length': '3' }));
  t.ok(isStreamResponse({ 'content-type': 'application/json', 'transfer-encoding': 'chunked' }));
  t.notOk(isStreamResponse({ 'content-type': 'application/json', 'content-length': '10' }));
  t.notOk(isStreamResponse({}));
});
