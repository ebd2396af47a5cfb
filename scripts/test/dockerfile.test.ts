// The Dockerfile, checked without a Docker engine: parsed into stages and instructions, then every file it copies,
// script it runs and port it promises is checked against the repository, and start_server.sh (its entry point)
// is syntax-checked (and linted by shellcheck where installed).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';

const ROOT = path.resolve(__dirname, '../../..');
const read = (rel: string): string => fs.readFileSync(path.join(ROOT, rel), 'utf8');
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

interface Instruction {
  cmd: string;
  args: string;
  line: number;
}

interface Stage {
  image: string;
  name: string;
  body: Instruction[];
}

/** Joins continuation lines, drops comments and parser directives, splits each instruction into word and rest. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (/^\s*#/.test(line)) return;
    if (pending === '') start = i + 1;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    if (full === '') return;
    const m = /^(\w+)\s+([\s\S]*)$/.exec(full);
    if (!m) throw new Error(`line ${start}: cannot parse "${full}"`);
    out.push({ cmd: m[1].toUpperCase(), args: m[2].trim(), line: start });
  });
  return out;
}

/** ARG defaults declared before the first FROM, substituted into FROM lines as Docker does. */
function stagesOf(instructions: Instruction[]): Stage[] {
  const globals: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.cmd === 'FROM') {
      const [image, as, name] = ins.args.replace(/\$\{(\w+)\}/g, (_, v: string) => globals[v] ?? '').split(/\s+/);
      if (as?.toUpperCase() !== 'AS' || !name) throw new Error(`line ${ins.line}: every stage is named (FROM ... AS x)`);
      stages.push({ image, name, body: [] });
    } else if (stages.length === 0) {
      if (ins.cmd !== 'ARG') throw new Error(`line ${ins.line}: only ARG may precede FROM`);
      const [k, v = ''] = ins.args.split('=');
      globals[k] = v.replace(/^"|"$/g, '');
    } else {
      stages[stages.length - 1].body.push(ins);
    }
  }
  return stages;
}

/** .dockerignore semantics: patterns in order, the last match wins, a match on a folder covers what is inside. */
function ignoredByDockerignore(rel: string, patterns: string[]): boolean {
  const toRegex = (p: string): RegExp =>
    new RegExp(
      '^' +
        p
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*\/?/g, '<globstar>')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]')
          .replace(/<globstar>/g, '(.*/)?') +
        '$',
    );
  const prefixes = rel.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const re = toRegex(path.posix.normalize(negate ? raw.slice(1) : raw));
    if (prefixes.some((p) => re.test(p))) ignored = !negate;
  }
  return ignored;
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

const instructions = parseDockerfile(read('Dockerfile'));
const stages = stagesOf(instructions);
const ignore = read('.dockerignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const build = stages[0];
const runtime = stages[stages.length - 1];
const of = (stage: Stage, cmd: string): Instruction[] => stage.body.filter((i) => i.cmd === cmd);
const allRuns = (stage: Stage): string => of(stage, 'RUN').map((i) => i.args).join('\n');

t.test('two stages: a CUDA 13 devel build on Ubuntu 24.04, then a CUDA base runtime', async (t) => {
  t.equal(stages.length, 2);
  t.equal(build.name, 'build');
  t.match(build.image, /^nvidia\/cuda:13\.0\.\d+-devel-ubuntu24\.04$/);
  t.equal(runtime.name, 'runtime');
  t.match(runtime.image, /^nvidia\/cuda:13\.0\.\d+-(base|runtime)-ubuntu24\.04$/);
  t.match(allRuns(runtime), /libcublas-/, 'the runtime installs cuBLAS');
});

t.test('the build stage installs Node 20 from nodejs.org, checked, and builds the addon with CUDA', async (t) => {
  const nodeVersion = instructions.find((i) => i.cmd === 'ARG' && i.args.startsWith('NODE_VERSION='));
  t.match(nodeVersion?.args, /^NODE_VERSION=20\.\d+\.\d+$/);
  const runs = allRuns(build);
  t.match(runs, /https:\/\/nodejs\.org\/dist\/v\$\{NODE_VERSION\}\//, 'the official tarball');
  t.match(runs, /SHASUMS256\.txt.*sha256sum -c/, 'verified against SHASUMS256.txt');
  const archs = of(build, 'ARG').find((i) => i.args.startsWith('CUDA_ARCHS='));
  t.equal(archs?.args, 'CUDA_ARCHS="80;86;89;90;100"');
  t.match(runs, /cmake-js compile --directory addon --out build\s+--CDLLAMA_GPU_CUDA=ON/);
  t.match(runs, /--CDLLAMA_GPU_CUDA_ARCHS=\$\{CUDA_ARCHS\}/);
  t.match(runs, /npm ci --ignore-scripts/, 'dependencies before the sources: the install script is skipped');
  t.match(runs, /npm prune --omit=dev/);
  for (const m of runs.matchAll(/npm run ([\w:-]+)/g)) t.ok(scripts[m[1]], `package.json has the script "${m[1]}"`);
});

t.test('every file it copies from the context exists and is not excluded by .dockerignore', async (t) => {
  const copies = stages.flatMap((s) => of(s, 'COPY')).filter((c) => !c.args.includes('--from='));
  t.ok(copies.length > 0);
  for (const c of copies) {
    const words = c.args.split(/\s+/).filter((w) => !w.startsWith('--'));
    for (const src of words.slice(0, -1)) {
      t.ok(fs.existsSync(path.join(ROOT, src)), `${src} exists (line ${c.line})`);
      t.notOk(ignoredByDockerignore(src, ignore), `${src} is in the build context`);
    }
  }
  for (const rel of ['node_modules/tap', 'build/Release/llama_gpu_bench.node', 'dist/scripts/src/cli.js', 'x.log']) {
    t.ok(ignoredByDockerignore(rel, ignore), `${rel} stays out of the context`);
  }
});

t.test('the runtime copies the addon, dist/ and production node_modules from the build stage', async (t) => {
  const fromBuild = of(runtime, 'COPY').filter((c) => c.args.includes('--from=build'));
  const sources = fromBuild.map((c) => c.args.split(/\s+/).filter((w) => !w.startsWith('--'))[0]);
  for (const want of ['/src/dist', '/src/node_modules', '/src/build/Release/llama_gpu_bench.node', '/usr/local/bin/node']) {
    t.ok(sources.includes(want), `copies ${want}`);
  }
  const names = new Set(stages.map((s) => s.name));
  for (const c of stages.flatMap((s) => of(s, 'COPY'))) {
    const from = /--from=(\S+)/.exec(c.args)?.[1];
    if (from) t.ok(names.has(from), `--from=${from} names a stage`);
  }
});

t.test('the runtime exposes only the worker\'s 3000, checks /health, runs as a non-root user', async (t) => {
  t.same(of(runtime, 'EXPOSE').flatMap((i) => i.args.split(/\s+/)).sort(), ['3000']);
  const health = of(runtime, 'HEALTHCHECK');
  t.equal(health.length, 1);
  t.match(health[0]?.args, /CMD .*\/health/);
  const user = of(runtime, 'USER');
  t.equal(user.length, 1);
  t.notMatch(user[0]?.args, /^(root|0)(:|$)/);
  const created = /useradd\b.*?\s(\w+)\s*(&&|$)/m.exec(allRuns(runtime))?.[1];
  t.equal(user[0]?.args, created, 'the user is created in the stage');
});

t.test('the entry point is start_server.sh, which runs the CLI the build produces', async (t) => {
  const entry = of(runtime, 'ENTRYPOINT');
  t.equal(entry.length, 1);
  t.same(JSON.parse(entry[0].args), ['/app/start_server.sh']);
  t.ok(of(runtime, 'COPY').some((c) => /\bstart_server\.sh\b/.test(c.args) && c.args.includes('--chmod=0755')));
  t.ok(fs.statSync(path.join(ROOT, 'start_server.sh')).mode & 0o111, 'start_server.sh is executable in the repo');
  const script = read('start_server.sh');
  t.match(script, /dist\/scripts\/src\/cli\.js/);
  t.ok(fs.existsSync(path.join(ROOT, 'scripts/src/cli.ts')), 'dist/scripts/src/cli.js is compiled from scripts/src/cli.ts');
  t.match(script, /^set -euo pipefail$/m);
});

t.test('start_server.sh parses (bash -n)', async (t) => {
  const r = spawnSync('bash', ['-n', path.join(ROOT, 'start_server.sh')], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
});

const shellcheck = spawnSync('shellcheck', ['--version']).status === 0;
const noShellcheck = shellcheck ? false : 'shellcheck is not installed here (the CI workflow runs it)';
t.test('start_server.sh is shellcheck-clean', { skip: noShellcheck }, async (t) => {
  const r = spawnSync('shellcheck', ['-f', 'gcc', 'start_server.sh'], { cwd: ROOT, encoding: 'utf8' });
  t.equal(r.stdout, '', 'no findings');
  t.equal(r.status, 0);
});

// --- start_server.sh's behaviour, with the real CLI and stand-in Vast services (HTTP servers on loopback) ---

interface Stub {
  url: string;
  seen: { method: string; url: string; body: string }[];
  close: () => Promise<void>;
}

async function stub(answer: (url: string) => string): Promise<Stub> {
  const seen: Stub['seen'] = [];
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      res.end(answer(req.url ?? ''));
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      srv.closeAllConnections();
      srv.close(() => resolve());
    });
  return { url: `http://127.0.0.1:${port}`, seen, close };
}

function startScript(env: Record<string, string>): ChildProcess & { output: () => string } {
  const child = spawn('bash', [path.join(ROOT, 'start_server.sh')], {
    // A clean environment (no Vast variables of the machine running the tests), but the addon build in use.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LLAMA_GPU_BENCH_ADDON: process.env.LLAMA_GPU_BENCH_ADDON, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  return Object.assign(child, { output: () => output });
}

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)));

async function until(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

t.test('start_server.sh rotates the model log, starts the server into it, and stops it on TERM', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgb-start-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'model', 'server.log');
  fs.mkdirSync(path.dirname(log));
  fs.writeFileSync(log, 'stale: Application startup complete.\n');
  const staleInode = fs.statSync(log).ino;
  const port = await freePort();
  const child = startScript({ MODEL_LOG: log, START_WORKER: 'false', HOST: '127.0.0.1', PORT: String(port),
    ENGINE_BACKEND: 'cpu', ENGINE_THREADS: '1' });
  t.teardown(() => child.kill('SIGKILL'));
  const read = (): string => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '');
  const started = (): boolean => fs.existsSync(`${log}.old`) && read().includes('Application startup complete.');
  await until('the startup line', () => started() || child.exitCode !== null);
  t.equal(child.exitCode, null, `still running (${child.output()}; model log: ${read()})`);
  t.notMatch(read(), /stale/, 'the new log starts empty of the previous boot');
  t.equal(fs.readFileSync(`${log}.old`, 'utf8'), 'stale: Application startup complete.\n', 'the old log is kept');
  t.not(fs.statSync(log).ino, staleInode, 'a new file (a tailer sees the inode change)');
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  t.equal(res.status, 200);
  child.kill('SIGTERM');
  t.equal(await exited(child), 143, 'exits 128+TERM');
  await t.rejects(fetch(`http://127.0.0.1:${port}/health`), 'the server is gone');
});

t.test('start_server.sh reports a certificate it cannot get to the autoscaler and exits 1', async (t) => {
  const autoscaler = await stub(() => '{}');
  t.teardown(autoscaler.close);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgb-start-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const child = startScript({ MODEL_LOG: path.join(dir, 'server.log'), START_WORKER: 'auto', SUPERVISOR_SKIP_PYWORKER: 'true',
    USE_SSL: 'true', REPORT_ADDR: autoscaler.url, MASTER_TOKEN: 'tok', WORKER_SSL_CERT: path.join(dir, 'i.crt'),
    WORKER_SSL_KEY: path.join(dir, 'i.key') });
  t.equal(await exited(child), 1, child.output());
  t.match(child.output(), /needs CONTAINER_ID/);
  t.equal(autoscaler.seen.length, 1);
  t.equal(autoscaler.seen[0].url, '/worker_status/');
  t.same(JSON.parse(autoscaler.seen[0].body), { id: 0, mtoken: 'tok', version: '0',
    error_msg: 'USE_SSL=true needs CONTAINER_ID to sign a certificate', url: '' });
  t.notOk(fs.existsSync(path.join(dir, 'server.log')), 'nothing was started');
});

const openssl = spawnSync('openssl', ['version']).status === 0;
const noOpenssl = openssl ? false : 'the openssl command is not installed here (start_server.sh needs it for USE_SSL)';
t.test('start_server.sh has the instance CSR signed, keeps the certificate, then starts the worker', { skip: noOpenssl }, async (t) => {
  const cert = '-----BEGIN CERTIFICATE-----\nc2lnbmVkIGJ5IHRoZSBzdGFuZC1pbg==\n-----END CERTIFICATE-----\n';
  const vastConsole = await stub(() => cert);
  const autoscaler = await stub(() => '{}');
  t.teardown(vastConsole.close);
  t.teardown(autoscaler.close);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgb-start-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const crt = path.join(dir, 'tls', 'instance.crt');
  const key = path.join(dir, 'tls', 'instance.key');
  // No PUBLIC_IPADDR: the worker cannot start and reports that to the autoscaler (its beacon), which shows it ran.
  const child = startScript({ MODEL_LOG: path.join(dir, 'server.log'), START_WORKER: 'true', USE_SSL: 'true',
    CONTAINER_ID: '4242', REPORT_ADDR: autoscaler.url, VAST_SIGN_CERT_URL: `${vastConsole.url}/api/v0/sign_cert/`,
    WORKER_SSL_CERT: crt, WORKER_SSL_KEY: key, HOST: '127.0.0.1', PORT: String(await freePort()), ENGINE_BACKEND: 'cpu',
    ENGINE_THREADS: '1' });
  t.teardown(() => child.kill('SIGKILL'));
  await until('the worker beacon', () => autoscaler.seen.length > 0 || child.exitCode !== null);
  t.equal(vastConsole.seen[0]?.url, '/api/v0/sign_cert/?instance_id=4242');
  t.match(vastConsole.seen[0]?.body, /^-----BEGIN CERTIFICATE REQUEST-----/);
  t.equal(fs.readFileSync(crt, 'utf8'), cert, 'the signed certificate is stored');
  t.equal(fs.statSync(key).mode & 0o077, 0, 'the key is private');
  t.match(JSON.parse(autoscaler.seen[0]?.body ?? '{}').error_msg, /PUBLIC_IPADDR/, 'the worker ran, with USE_SSL');
  child.kill('SIGTERM');
  t.equal(await exited(child), 143);
});

t.test('start_server.sh: a model server killed with SIGKILL is reported by the worker (SIGUSR2), then the script exits', async (t) => {
  const autoscaler = await stub(() => '{}');
  t.teardown(autoscaler.close);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgb-start-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const [serverPort, workerPort, workerHttpPort] = [await freePort(), await freePort(), await freePort()];
  const child = startScript({ MODEL_LOG: path.join(dir, 'server.log'), START_WORKER: 'true', USE_SSL: 'false', UNSECURED: 'true',
    WORKER_PERF: '50', CONTAINER_ID: '4343', REPORT_ADDR: autoscaler.url, PUBLIC_IPADDR: '203.0.113.5',
    WORKER_HOST: '127.0.0.1', WORKER_PORT: String(workerPort), WORKER_HTTP_PORT: String(workerHttpPort),
    [`VAST_TCP_PORT_${workerPort}`]: '45100', PORT: String(serverPort), MODEL_SERVER_URL: `http://127.0.0.1:${serverPort}`,
    ENGINE_BACKEND: 'cpu', ENGINE_THREADS: '1', WORKER_REPORT_TICK_MS: '100' });
  /** The script's children by role, from ps (the model server runs `cli.js serve`, the worker `cli.js worker`). */
  const childPid = (role: string): number | undefined => {
    const ps = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(child.pid)], { encoding: 'utf8' }).stdout;
    const line = ps.split('\n').find((l) => l.trim().endsWith(` ${role}`));
    return line === undefined ? undefined : Number(line.trim().split(/\s+/)[0]);
  };
  t.teardown(() => {
    for (const pid of [childPid('worker'), childPid('serve')]) if (pid !== undefined) process.kill(pid, 'SIGKILL');
    child.kill('SIGKILL');
  });
  const statuses = (): Record<string, unknown>[] =>
    autoscaler.seen.filter((s) => s.url === '/worker_status/').map((s) => JSON.parse(s.body) as Record<string, unknown>);
  await until('the worker loaded', () => statuses().some((s) => (s.loadtime as number) > 0) || child.exitCode !== null, 60_000);
  t.equal(child.exitCode, null, `still running (${child.output()})`);
  const server = childPid('serve');
  t.ok(server, 'the model server is a child of the script');
  process.kill(server as number, 'SIGKILL');
  await until('the error report', () => statuses().some((s) => s.error_msg !== '') || child.exitCode !== null);
  t.equal(statuses().find((s) => s.error_msg !== '')?.error_msg, 'Model server exited', child.output());
  t.equal(await exited(child), 137, 'the script exits with the model server\'s status (128+KILL)');
  t.match(child.output(), /the model server exited \(status 137\)/);
});
