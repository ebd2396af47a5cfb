// npm run soak [-- --minutes N]: the soak-and-fault suite with its long rounds (default 5 minutes), run by tap as
// `npm test` runs the short variant. Results on stdout (tap), exit status that of the suite.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const USAGE = 'usage: npm run soak -- [--minutes N]   (default 5; the short variant runs in npm test)\n';

function main(argv: string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stderr.write(USAGE);
    return 0;
  }
  const i = argv.indexOf('--minutes');
  const minutes = i >= 0 ? Number(argv[i + 1]) : 5;
  if (!(minutes > 0) || argv.length !== (i >= 0 ? 2 : 0)) {
    process.stderr.write(USAGE);
    return 2;
  }
  const root = path.resolve(__dirname, '../..');
  const tap = path.join(root, 'node_modules', '.bin', 'tap');
  const test = path.join(root, 'dist', 'soak', 'test', 'soak.test.js');
  const timeout = String(Math.ceil(minutes * 60 + 600));
  const r = spawnSync(tap, ['--timeout', timeout, test], { stdio: 'inherit', env: { ...process.env, SOAK_MINUTES: String(minutes) } });
  return r.status ?? 1;
}

process.exitCode = main(process.argv.slice(2));
