// The GPU check script (addon/test/gpu/gpu-check.ts) on a machine without a CUDA device: it must say why it did not
// run and exit 0, so CI proves it loads the addon and skips cleanly. On a GPU machine it is run directly instead
// (scripts/gpu/run-check.sh): it takes minutes there, too long for the test suite.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { loadNative } from '../lib/index.js';

const SCRIPT = path.join(__dirname, 'gpu', 'gpu-check.js');

const listed = loadNative().listDevices('cuda');
const skip = listed.devices.length > 0
  ? 'a CUDA device is present: the full GPU check runs through scripts/gpu/run-check.sh, not the test suite'
  : false;

t.test('without a CUDA device the GPU check prints the reason and exits 0', { skip }, async (t) => {
  const r = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8', timeout: 60_000 });
  t.equal(r.status, 0, `exit code 0 (stderr: ${r.stderr.trim()})`);
  const report = JSON.parse(r.stdout) as { skipped: boolean; reason: string };
  t.equal(report.skipped, true, 'reported as skipped');
  t.equal(report.reason, listed.reason, 'with the engine\'s reason for having no CUDA device');
  t.ok(report.reason.length > 0, `reason: ${report.reason}`);
  t.match(r.stderr, /skipped: no CUDA device/, 'the skip is stated on stderr');
});
