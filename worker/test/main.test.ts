// The process entry point: `main()` in a child process, as `llama-gpu-bench worker` runs it.

import t from 'tap';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { FakeAutoscaler } from './helpers/fake-autoscaler.js';
import { testDir } from './helpers/harness.js';
import { freePort } from './helpers/model-server.js';

const MAIN = join(__dirname, '../src/main.js');
const auto = new FakeAutoscaler();
t.before(() => auto.start());
t.teardown(() => auto.close());

function runMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['-e', `require(${JSON.stringify(MAIN)}).main()`], {
    env: { PATH: process.env.PATH ?? '', WORKER_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

t.test('a complete environment: reports to the autoscaler, then stops cleanly on SIGTERM with status 0', async (t) => {
  const port = await freePort();
  const dir = testDir();
  const p = runMain({
    CONTAINER_ID: '6161', REPORT_ADDR: auto.url, WORKER_HOST: '127.0.0.1', WORKER_PORT: String(port), WORKER_HTTP_PORT: '0',
    PUBLIC_IPADDR: '203.0.113.9', [`VAST_TCP_PORT_${port}`]: '45000', UNSECURED: 'true', MODEL_LOG: join(dir, 'server.log'),
    WORKER_REPORT_TICK_MS: '50',
  });
  await auto.waitFor(() => auto.statuses.some((s) => s.body.id === 6161), 10_000, 'a report');
  t.match(auto.statuses.find((s) => s.body.id === 6161)!.body, { url: 'http://203.0.113.9:45000', version: '1.1.0', error_msg: '' });
  p.child.kill('SIGTERM');
  t.equal(await p.exited, 0, p.stderr());
});

t.test('SIGUSR2 (the model server exited): "Model server exited" is reported at once, then the worker exits 1', async (t) => {
  const port = await freePort();
  const dir = testDir();
  const p = runMain({
    CONTAINER_ID: '6363', REPORT_ADDR: auto.url, WORKER_HOST: '127.0.0.1', WORKER_PORT: String(port), WORKER_HTTP_PORT: '0',
    PUBLIC_IPADDR: '203.0.113.9', [`VAST_TCP_PORT_${port}`]: '45002', UNSECURED: 'true', MODEL_LOG: join(dir, 'server.log'),
    // An idle worker would report again only after this long: the error report must not wait for it.
    WORKER_REPORT_MAX_SILENCE_MS: '600000',
  });
  const mine = () => auto.statuses.filter((s) => s.body.id === 6363).map((s) => s.body);
  await auto.waitFor(() => mine().length > 0, 10_000, 'the first report');
  t.equal(mine()[0].error_msg, '');
  p.child.kill('SIGUSR2');
  await auto.waitFor(() => mine().some((s) => s.error_msg !== ''), 10_000, 'the final report');
  t.equal(mine().find((s) => s.error_msg !== '')!.error_msg, 'Model server exited');
  t.equal(await p.exited, 1, p.stderr());
});

t.test('a missing variable is reported to the autoscaler (not a silent crash); SIGTERM then exits 1', async (t) => {
  const p = runMain({ REPORT_ADDR: auto.url, MASTER_TOKEN: 'mt', WORKER_PORT: '3999' });
  await auto.waitFor(() => auto.statuses.some((s) => s.body.mtoken === 'mt'), 10_000, 'the beacon');
  const beacon = auto.statuses.find((s) => s.body.mtoken === 'mt')!.body;
  t.same(Object.keys(beacon), ['id', 'mtoken', 'version', 'error_msg', 'url']);
  t.match(beacon, { id: 0, version: '1.1.0', url: '' });
  t.match(beacon.error_msg, /CONTAINER_ID is required.*PUBLIC_IPADDR is required.*VAST_TCP_PORT_3999 is required/);
  p.child.kill('SIGTERM');
  t.equal(await p.exited, 1);
});

t.test('a port already in use: "Worker Server failed to launch" is reported; SIGTERM then exits 1', async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => blocker.close(r)));
  const port = (blocker.address() as { port: number }).port;
  const p = runMain({
    CONTAINER_ID: '6262', REPORT_ADDR: auto.url, WORKER_HOST: '127.0.0.1', WORKER_PORT: String(port), WORKER_HTTP_PORT: '0',
    PUBLIC_IPADDR: '203.0.113.9', [`VAST_TCP_PORT_${port}`]: '45001', UNSECURED: 'true', MODEL_LOG: join(testDir(), 'server.log'),
  });
  await auto.waitFor(() => auto.statuses.some((s) => s.body.id === 6262), 10_000, 'the beacon');
  const beacon = auto.statuses.find((s) => s.body.id === 6262)!.body;
  t.match(beacon, { url: 'http://203.0.113.9:45001', error_msg: /^Worker Server failed to launch: .*EADDRINUSE/ });
  p.child.kill('SIGTERM');
  t.equal(await p.exited, 1);
});
