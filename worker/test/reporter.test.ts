// Reports to the autoscaler (docs/pyworker.md §4.1, §4.2): exact wire format, address order and retries, cadence.

import t from 'tap';
import pino from 'pino';
import { Accounting } from '../src/accounting.js';
import { AutoscalerClient } from '../src/autoscaler-client.js';
import { DiskUsage } from '../src/disk.js';
import { pyFloat } from '../src/py-json.js';
import { Reporter, type ReporterOptions } from '../src/reporter.js';
import { FakeAutoscaler } from './helpers/fake-autoscaler.js';
import { startTestWorker } from './helpers/harness.js';

const log = pino({ level: 'silent' });
const auto = new FakeAutoscaler();
t.before(() => auto.start());
t.teardown(() => auto.close());

function reporter(addrs: string[], accounting = new Accounting(), client = new AutoscalerClient({ attempts: 3, timeoutMs: 1000, retryGapMs: 10, log })) {
  const o: ReporterOptions = {
    id: 77, mtoken: 'tok', url: 'https://203.0.113.7:41000', reportAddrs: addrs, tickMs: 20, maxSilenceMs: 200,
    deleteTickMs: 20, accounting, client, disk: new DiskUsage('/'), log,
  };
  return { r: new Reporter(o), accounting, client };
}

t.test('worker_status carries every field, in order, floats as Python writes them', async (t) => {
  const { r, accounting } = reporter([auto.url]);
  const a = accounting.newRecord({ reqnum: 3, request_idx: 903 }, 1024);
  accounting.start(a);
  accounting.reject(accounting.newRecord({ reqnum: 4, request_idx: 904 }, 1));
  accounting.markLoaded(256, 1.5);
  t.equal(
    r.statusBody(0).text,
    '{"id": 77, "mtoken": "tok", "version": "1.1.0", "loadtime": 1.5, "cur_load": 1024.0, "rej_load": 1.0, ' +
      '"new_load": 1024.0, "error_msg": "", "max_perf": 256.0, "cur_perf": 0.0, "cur_capacity": 0, "max_capacity": 0, ' +
      '"num_requests_working": 1, "num_requests_recieved": 2, "additional_disk_usage": 0.0, ' +
      '"working_request_idxs": [903], "url": "https://203.0.113.7:41000"}',
  );
});

t.test('delete_requests uses the newest shape, one POST, with Python float timestamps', async (t) => {
  const { r, accounting } = reporter([auto.url]);
  const rec = accounting.newRecord({ reqnum: 1, request_idx: 11 }, 5);
  accounting.reject(rec);
  t.equal(
    r.deleteBody([rec]),
    `{"worker_id": 77, "mtoken": "tok", "requests": [{"request_idx": 11, "success": false, "status": "Rejected", ` +
      `"entered_queue_at": ${pyFloat(rec.enteredQueueAt)}, "work_started_at": 0.0, "work_completed_at": 0.0}]}`,
  );
  const n = auto.deletes.length;
  t.equal(await r.sendDeletes(new AbortController().signal), true);
  t.equal(auto.deletes.length, n + 1);
  t.same(accounting.pendingDeleteSnapshot(), [], 'sent requests leave the pending list');
});

t.test('addresses are tried in order with retries; the first that accepts ends the send', async (t) => {
  const dead = 'http://127.0.0.1:9';
  const { r, client } = reporter([dead, auto.url, 'http://127.0.0.1:10']);
  t.teardown(() => client.close());
  const n = auto.statuses.length;
  auto.failReports = 2; // the good address fails twice, then accepts on its third and last attempt
  t.equal(await r.sendStatus(new AbortController().signal), true);
  t.equal(auto.statuses.length, n + 1);
  auto.failReports = 3;
  const { r: r2, accounting } = reporter([auto.url]);
  accounting.reject(accounting.newRecord({ reqnum: 1, request_idx: 1 }, 9));
  t.equal(await r2.sendStatus(new AbortController().signal), false, 'three failed attempts: not sent');
  t.equal(accounting.interval.rejected, 9, 'the counters are kept for the next send');
  t.equal(accounting.updatePending, true);
});

t.test('delete_requests skips https://cloud.vast.ai/api/v0', async (t) => {
  const tried: string[][] = [];
  class Spy extends AutoscalerClient {
    override async post(addrs: readonly string[], path: string, body: () => string, signal: AbortSignal): Promise<boolean> {
      tried.push([...addrs, path]);
      return super.post(addrs, path, body, signal);
    }
  }
  const { r, accounting } = reporter(['https://cloud.vast.ai/api/v0', auto.url], undefined, new Spy({ attempts: 1, timeoutMs: 1000, retryGapMs: 0, log }));
  accounting.reject(accounting.newRecord({ reqnum: 1, request_idx: 1 }, 1));
  t.equal(await r.sendDeletes(new AbortController().signal), true);
  t.same(tried, [[auto.url, '/delete_requests/']]);
});

t.test('cadence: a report soon after start, then only when something happened or the silence grew too long', async (t) => {
  const w = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: 'http://127.0.0.1:9', UNSECURED: 'true', CONTAINER_ID: '5151' });
  t.teardown(() => w.close());
  const mine = () => auto.statuses.filter((s) => s.body.id === 5151);
  // tick 50 ms, max silence 400 ms: an idle worker reports once the silence passes 400 ms, not on every tick
  // (which would put the first three reports within ~150 ms of each other).
  await auto.waitFor(() => mine().length >= 3, 5000, 'three idle reports');
  const first = mine().slice(0, 3);
  for (let i = 1; i < first.length; i++) t.ok(first[i].at - first[i - 1].at >= 380, 'reports of an idle worker are spaced by the silence limit');
  t.match(first[0].body, { loadtime: 0, max_perf: 0, error_msg: '', url: 'http://203.0.113.7:41000', mtoken: 'master-token' });
});
