import t from 'tap';
import { generateKeyPairSync, sign } from 'node:crypto';
import { parsePublicKey, signedMessage, verifySignature } from '../src/signature.js';
import { pyDumpsIndent4Sorted, pyFloat, pyJsonString } from '../src/py-json.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const url = 'https://203.0.113.7:41000';
const sig = (message: Buffer): string => sign('sha256', message, privateKey).toString('base64');

t.test('the signed message is Python json.dumps({"url": url}, indent=4, sort_keys=True)', async (t) => {
  t.equal(signedMessage(url).toString('utf8'), '{\n    "url": "https://203.0.113.7:41000"\n}');
  // ensure_ascii: non-ASCII as \uXXXX (surrogate pairs above U+FFFF), DEL and control characters escaped
  t.equal(pyJsonString('é\u{1F600}\x7f\x01\n"\\/'), '"\\u00e9\\ud83d\\ude00\\u007f\\u0001\\n\\"\\\\/"');
  t.equal(signedMessage(null).toString(), '{\n    "url": null\n}');
  t.equal(
    pyDumpsIndent4Sorted({ b: [1, { z: true, a: 1.5 }], a: {} , c: []}),
    '{\n    "a": {},\n    "b": [\n        1,\n        {\n            "a": 1.5,\n            "z": true\n        }\n    ],\n    "c": []\n}',
  );
});

t.test('floats are written as Python repr writes them', async (t) => {
  const cases: [number, string][] = [
    [0, '0.0'], [1, '1.0'], [100, '100.0'], [1.5, '1.5'], [0.0001, '0.0001'], [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'], [1234567890123456, '1234567890123456.0'], [1e16, '1e+16'], [2.5e22, '2.5e+22'],
    [-3.25, '-3.25'], [0.1 + 0.2, '0.30000000000000004'], [1024 / 100, '10.24'],
  ];
  for (const [x, want] of cases) t.equal(pyFloat(x), want, String(x));
});

t.test('a signature made with the private key verifies; anything else fails with a reason', async (t) => {
  const key = parsePublicKey(publicKey.export({ type: 'spki', format: 'pem' }) as string);
  const good = sig(signedMessage(url));
  t.same(verifySignature(key, { url, signature: good }), { ok: true });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const cases: [string, Record<string, unknown>][] = [
    ['another url', { url: `${url}/x`, signature: good }],
    ['another key', { url, signature: sign('sha256', signedMessage(url), other).toString('base64') }],
    ['the compact JSON message', { url, signature: sig(Buffer.from(JSON.stringify({ url }))) }],
    ['not base64', { url, signature: '!!!' }],
    ['not a string', { url, signature: 12 }],
    ['truncated', { url, signature: good.slice(0, 40) }],
  ];
  for (const [what, ad] of cases) {
    const r = verifySignature(key, ad);
    t.equal(r.ok, false, what);
    if (!r.ok) t.match(r.reason, /\w/, `${what} has a reason`);
  }
  t.same(verifySignature(undefined, { url, signature: good }), { ok: false, reason: 'the public key is not loaded' });
});

t.test('the public key is accepted as SPKI and as PKCS#1 PEM, and refused otherwise', async (t) => {
  const good = sig(signedMessage(url));
  for (const type of ['spki', 'pkcs1'] as const) {
    const key = parsePublicKey(`\n${publicKey.export({ type, format: 'pem' }) as string}\n`);
    t.same(verifySignature(key, { url, signature: good }), { ok: true }, type);
  }
  t.throws(() => parsePublicKey('not a key'));
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
  t.throws(() => parsePublicKey(ec), /not RSA/);
});
