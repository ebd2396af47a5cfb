// Bad inputs (docs/model-server.md "Errors"): each gets its documented status and message as {"error": ...}, never
// Fastify's default body, and the server stays healthy for the next request.
import net from 'node:net';
import { request } from 'undici';
import t from 'tap';
import { PYWORKER_ERROR_PATTERNS } from '../../common/src/log.js';
import { generateBody, openEngine, postJson, startServer, stream, TINY } from './helpers.js';

/** Sends raw bytes and reads the whole answer (the server closes the connection after a parser error). */
function raw(url: string, text: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.end(text));
    let answer = '';
    socket.on('data', (c: Buffer) => (answer += c.toString('utf8')));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

t.test('bad inputs', async (t) => {
  const engine = await openEngine();
  const server = await startServer(engine);
  t.teardown(async () => {
    await server.close();
    await engine.close();
  });
  const body = generateBody();
  const without = (...keys: string[]) => Object.fromEntries(Object.entries(body).filter(([k]) => !keys.includes(k)));

  const cases: [string, string, unknown, number, string | RegExp][] = [
    ['not JSON', '/generate', '{"block_hash": ', 400, /^Invalid JSON: /],
    ['an empty body', '/generate', '', 400, 'Invalid JSON: empty body'],
    ['a JSON array', '/generate', '[1, 2]', 400, 'Invalid JSON: the body must be a JSON object'],
    ['every field missing', '/generate', {}, 400,
      'Missing required fields: ["block_hash", "block_height", "public_key", "r_target", "batch_size", "start_nonce", "params"]'],
    ['fields missing inside the PyWorker wrapper', '/generate', { auth_data: {}, payload: without('public_key', 'r_target') }, 400,
      'Missing required fields: ["public_key", "r_target"]'],
    ['fields missing inside the Runpod wrapper', '/generate', { input: without('params') }, 400, 'Missing required fields: ["params"]'],
    ['a payload that is not an object', '/generate', { auth_data: {}, payload: 'x' }, 400, 'Invalid field payload: must be a JSON object'],
    ['a string height', '/generate', { ...body, block_height: '123' }, 400, /^Invalid field block_height: /],
    ['a numeric public key', '/generate', { ...body, public_key: 5 }, 400, /^Invalid field public_key: /],
    ['an empty block hash', '/generate', { ...body, block_hash: '' }, 400, /^Invalid field block_hash: /],
    ['a string r_target', '/generate', { ...body, r_target: '1.4' }, 400, /^Invalid field r_target: /],
    ['a zero r_target', '/generate', { ...body, r_target: 0 }, 400, /^Invalid field r_target: /],
    ['an infinite r_target', '/generate', JSON.stringify(body).replace('"r_target":1', '"r_target":1e999'), 400, /^Invalid field r_target: /],
    ['a negative start nonce', '/generate', { ...body, start_nonce: -1 }, 400, /^Invalid field start_nonce: /],
    ['a fractional start nonce', '/generate', { ...body, start_nonce: 1.5 }, 400, /^Invalid field start_nonce: /],
    ['an unsafe start nonce', '/generate', { ...body, start_nonce: 2 ** 53 }, 400, /^Invalid field start_nonce: /],
    ['a negative height', '/generate', { ...body, block_height: -5 }, 400, /^Invalid field block_height: /],
    ['params that are not an object', '/generate', { ...body, params: 'tiny' }, 400, /^Invalid field params: /],
    ['params with an unknown key', '/generate', { ...body, params: { ...TINY, dimm: 64 } }, 400, 'Invalid params: dimm: unknown parameter'],
    ['params with dim % n_heads != 0', '/generate', { ...body, params: { ...TINY, dim: 65 } }, 400, /^Invalid params: /],
    ['params with n_heads % n_kv_heads != 0', '/generate', { ...body, params: { ...TINY, n_kv_heads: 3 } }, 400, /^Invalid params: /],
    ['params with a zero size', '/generate', { ...body, params: { ...TINY, n_layers: 0 } }, 400, /^Invalid params: n_layers: /],
    ['params with a negative size', '/generate', { ...body, params: { ...TINY, vocab_size: -1 } }, 400, /^Invalid params: vocab_size: /],
    ['absurd params', '/generate', { ...body, params: { ...TINY, dim: 1e9 } }, 400, /^Invalid params: dim: /],
    ['params too large for this machine', '/generate',
      { ...body, params: { ...TINY, dim: 65536, n_heads: 64, n_kv_heads: 64, n_layers: 4096 } }, 400, /^Invalid params: .*too large/],
    ['no callback_url', '/warmup', { job_id: 'j' }, 400, 'callback_url is required'],
    ['an empty callback_url', '/warmup', { callback_url: '' }, 400, 'callback_url is required'],
    ['a relative callback_url', '/warmup', { callback_url: 'controller/cb' }, 400, /^Invalid field callback_url: /],
    ['an ftp callback_url', '/warmup', { callback_url: 'ftp://127.0.0.1/x' }, 400, /^Invalid field callback_url: /],
    ['a numeric callback_url', '/warmup', { callback_url: 42 }, 400, 'Invalid field callback_url: Expected string'],
    ['a numeric job_id', '/warmup', { callback_url: 'http://127.0.0.1:1', job_id: 7 }, 400, /^Invalid field job_id: /],
    ['no orchestrator_url', '/pooled', {}, 400, 'orchestrator_url is required'],
    ['no orchestrator_url in the wrapper', '/pooled', { auth_data: {}, payload: {} }, 400, 'orchestrator_url is required'],
    ['a malformed orchestrator_url', '/pooled', { orchestrator_url: 'http//orchestrator' }, 400, /^Invalid field orchestrator_url: /],
    ['not JSON to /pooled', '/pooled', 'orchestrator_url=x', 400, /^Invalid JSON: /],
    ['a body nested 10 000 levels deep', '/generate', `${'['.repeat(10_000)}${']'.repeat(10_000)}`, 400,
      'Invalid JSON: nested deeper than 64 levels'],
    ['a payload nested 100 levels deep', '/generate', { payload: { ...body, params: JSON.parse(`${'{"a":'.repeat(100)}1${'}'.repeat(100)}`) } },
      400, 'Invalid JSON: nested deeper than 64 levels'],
  ];

  for (const [what, route, input, status, message] of cases) {
    const res = await postJson(`${server.url}${route}`, input);
    t.equal(res.status, status, `${route} with ${what}: ${status}`);
    t.match(res.json?.error, message, `${route} with ${what}: ${JSON.stringify(res.json?.error)}`);
    t.same(Object.keys(res.json ?? {}).filter((k) => k !== 'code'), ['error'], 'only {"error"} (and "code")');
  }

  t.test('an unknown route is a 404 in the same shape', async (t) => {
    const res = await request(`${server.url}/nope`);
    t.equal(res.statusCode, 404);
    t.same(await res.body.json(), { error: 'Not found: GET /nope', code: 'ERR_NOT_FOUND' });
  });

  t.test('a body over the limit is refused in the same shape', async (t) => {
    const res = await postJson(`${server.url}/generate`, { ...body, padding: 'x'.repeat(2 << 20) });
    t.equal(res.status, 413);
    t.same(Object.keys(res.json), ['error', 'code']);
  });

  t.test('requests Node cannot parse get the same JSON shape', async (t) => {
    const big = await raw(server.url, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    t.match(big, /^HTTP\/1\.1 431 /);
    t.same(JSON.parse(big.slice(big.indexOf('\r\n\r\n') + 4)), { error: 'Request header fields too large', code: 'ERR_HEADER_OVERFLOW' });
    const garbage = await raw(server.url, 'this is not HTTP\r\n\r\n');
    t.match(garbage, /^HTTP\/1\.1 400 /);
    t.same(JSON.parse(garbage.slice(garbage.indexOf('\r\n\r\n') + 4)).code, 'ERR_BAD_REQUEST');
    const badUrl = await raw(server.url, 'GET /%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    t.match(badUrl, /^HTTP\/1\.1 400 /);
    t.match(badUrl, /"code":"ERR_BAD_URL"/);
  });

  t.test('client strings never reach the log with a PyWorker error substring', async (t) => {
    const poison = PYWORKER_ERROR_PATTERNS.join(' ');
    const before = server.events.lines.length;
    await postJson(`${server.url}/generate?why=${encodeURIComponent(poison)}`, { ...body, public_key: 7 });
    const w = await stream(`${server.url}/warmup`, { callback_url: 'http://127.0.0.1:9', job_id: poison });
    await w.until((l) => l.status === 'warmup_waiting');
    w.abort();
    await server.events.jobEnded(w.jobId);
    await postJson(`${server.url}/generate`, `{"block_hash": "${poison}`);
    await request(`${server.url}/${encodeURIComponent(poison)}`).then((r) => r.body.dump());
    const s = await stream(`${server.url}/generate`, generateBody({ r_target: 10, public_key: poison, block_hash: poison }));
    await s.next();
    s.abort();
    await server.events.jobEnded(s.jobId);
    const lines = server.events.lines.slice(before);
    t.ok(lines.length >= 6, `${lines.length} log lines`);
    t.same(lines.filter((l) => PYWORKER_ERROR_PATTERNS.some((p) => l.includes(p))), [], 'none carries one');
  });

  t.test('the server stays healthy and runs the next job', async (t) => {
    const health = await postJson(`${server.url}/health`, '{ not json at all');
    t.equal(health.status, 200, 'POST /health ignores its body');
    t.same(health.json, { status: 'healthy', cuda_broken: false });
    const s = await stream(`${server.url}/generate`, generateBody({ r_target: 10 }));
    t.equal(s.status, 200);
    const line = await s.next();
    s.abort();
    t.ok(line.nonces.length > 0);
  });
});
