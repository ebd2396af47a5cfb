import t from 'tap';
import { appendFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { followLog } from '../src/log-tail.js';
import { LogCapture, testDir, until } from './helpers/harness.js';

/** The follower's lines, and its own log: what it says it saw (a missing file, a rotation) is what tests wait for. */
function follow(path: string) {
  const lines: string[] = [];
  const log = new LogCapture();
  const ctl = new AbortController();
  const done = followLog({ path, pollMs: 10, waitMs: 20, partialFlushMs: 150, onLine: (l) => lines.push(l), log: log.logger() }, ctl.signal);
  /** How many times the follower has logged `msg`. */
  const said = (msg: string) => log.messages().filter((m) => m === msg).length;
  return { lines, said, stop: async () => { ctl.abort(); await done; } };
}

t.test('waits for the file, reads it from the start, line by line, trailing whitespace stripped', async (t) => {
  const path = join(testDir(), 'server.log');
  const f = follow(path);
  t.teardown(f.stop);
  await until(() => f.said('waiting for the model log') === 1, 2000, 'the follower waiting for the file');
  writeFileSync(path, 'old line one\nold line two  \t\n');
  await until(() => f.lines.length === 2);
  appendFileSync(path, 'crlf\r\nprogress 10%\rprogress 20%\r\n\n\nsplit ');
  // "split " came in the same read as "progress 20%": it now waits, unterminated, for the rest of its line.
  await until(() => f.lines.length === 5);
  appendFileSync(path, 'line é\n');
  await until(() => f.lines.length === 6);
  t.same(f.lines, ['old line one', 'old line two', 'crlf', 'progress 10%', 'progress 20%', 'split line é']);
});

t.test('an unterminated last line is handed over once it stops growing', async (t) => {
  const path = join(testDir(), 'server.log');
  writeFileSync(path, 'Application startup complete.');
  const f = follow(path);
  t.teardown(f.stop);
  await until(() => f.lines.length === 1, 2000);
  t.same(f.lines, ['Application startup complete.']);
});

t.test('rotation (a new inode) and removal are followed: the new file is read from its start', async (t) => {
  const path = join(testDir(), 'server.log');
  writeFileSync(path, 'first boot\n');
  const f = follow(path);
  t.teardown(f.stop);
  await until(() => f.lines.length === 1);
  renameSync(path, `${path}.old`);
  appendFileSync(`${path}.old`, 'late write to the old file\n');
  writeFileSync(path, 'second boot\n');
  await until(() => f.lines.includes('second boot'));
  t.ok(f.lines.indexOf('second boot') > 0);
  const waits = f.said('waiting for the model log');
  rmSync(path);
  await until(() => f.said('model log removed') === 1 && f.said('waiting for the model log') === waits + 1, 2000, 'the removal seen');
  writeFileSync(path, 'third boot\n');
  await until(() => f.lines.includes('third boot'));
  t.equal(f.lines.filter((l) => l === 'second boot').length, 1, 'nothing is read twice');
});

t.test('truncation in place (same inode) is detected and the file is read again from its start', async (t) => {
  const path = join(testDir(), 'server.log');
  writeFileSync(path, 'a long first line of the previous boot\n');
  const f = follow(path);
  t.teardown(f.stop);
  await until(() => f.lines.length === 1);
  truncateSync(path, 0);
  await until(() => f.said('model log truncated; reading it from the start') === 1, 2000, 'the truncation seen');
  appendFileSync(path, 'after\n');
  await until(() => f.lines.length === 2);
  t.same(f.lines, ['a long first line of the previous boot', 'after']);
});
