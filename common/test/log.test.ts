// Logs a client cannot poison: whatever strings reach a log call (message, fields, nested objects, error messages,
// child bindings), no line carries one of the PyWorker's on_error substrings; the one deliberate exception is the
// line of a genuine fatal device failure, which says "CUDA error" once.
import { Writable } from 'node:stream';
import t from 'tap';
import { createLogger, defuse, logDeviceFailure, PYWORKER_ERROR_PATTERNS } from '../src/log.js';

function capture(level = 'info') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
      done();
    },
  });
  return { log: createLogger({ service: 'test', level, destination }), lines };
}

const matches = (line: string) => PYWORKER_ERROR_PATTERNS.filter((p) => line.includes(p));

t.test('no line carries an on_error substring, wherever a client string went', async (t) => {
  const { log, lines } = capture();
  for (const evil of PYWORKER_ERROR_PATTERNS) {
    const text = `x${evil}y`;
    log.info({ publicKey: text, nested: { deep: [text] } }, text);
    log.warn({ err: new Error(text) }, 'job failed');
    log.child({ jobId: text }).info('child binding');
    log.error({ url: `/generate?q=${evil}` }, `request for ${text}`);
  }
  t.ok(lines.length >= 20);
  t.same(lines.flatMap(matches), [], 'none of the five substrings in any line');
  t.ok(lines.every((l) => JSON.parse(l)), 'every line is still JSON');
  t.match(JSON.parse(lines[0]).msg, /xError -y|xTraceback -y/);
});

t.test('a fatal device failure logs exactly one line with "CUDA error", its description defused', async (t) => {
  const { log, lines } = capture();
  log.info('before');
  logDeviceFailure(log.child({ request: 'Error: from a client' }), { code: 'ERR_DEVICE', device: 'cuda:0' },
    'an illegal memory access (RuntimeError: deep inside)');
  log.info({ why: 'CUDA error right after' }, 'after');
  const flagged = lines.filter((l) => matches(l).length > 0);
  t.equal(flagged.length, 1, 'one line');
  const line = JSON.parse(flagged[0]);
  t.equal(line.level, 60);
  t.equal(line.msg, 'CUDA error: an illegal memory access (RuntimeError - deep inside)');
  t.same(matches(flagged[0]), ['CUDA error'], 'only the deliberate substring');
  t.equal(line.code, 'ERR_DEVICE');
});

t.test('defuse rewrites each substring and leaves other text alone', async (t) => {
  t.equal(defuse('Traceback (most recent call last): ValueError: CUDA error OutOfMemoryError RuntimeError:'),
    'Traceback - ValueError - CUDA failure OutOfMemory RuntimeError -');
  t.equal(defuse('an ordinary line: all fine'), 'an ordinary line: all fine');
});
