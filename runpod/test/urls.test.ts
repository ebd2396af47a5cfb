// The platform's URLs from the RUNPOD_WEBHOOK_* templates (docs/runpod.md §13 req. 2), including the SDK's own probe
// URLs (§4.1, §8, §9.2), and the answers to job-take and job-stop (§4.2, §9.2).
import t from 'tap';
import { readStopAnswer, readTakeAnswer } from '../src/answers.js';
import { pingUrl, PlatformUrls } from '../src/urls.js';

const base = 'http://h/v2/ep';
const templates = {
  getJob: `${base}/job-take/$ID?gpu=SIM`,
  postOutput: `${base}/job-done/$RUNPOD_POD_ID/$ID?gpu=SIM`,
  postStream: `${base}/job-stream/$RUNPOD_POD_ID/$ID?gpu=SIM`,
  ping: `${base}/ping/$RUNPOD_POD_ID?gpu=SIM`,
};

t.test('URLs as the SDK sends them for the platform\'s templates', async (t) => {
  const u = new PlatformUrls(templates, 'pod-1');
  const cases: [string, string][] = [
    [u.takeUrl(1, false), `${base}/job-take/pod-1?gpu=SIM&job_in_progress=0`],
    [u.takeUrl(2, false), `${base}/job-take-batch/pod-1?gpu=SIM&batch_size=2&job_in_progress=0`],
    [u.takeUrl(1, true), `${base}/job-take/pod-1?gpu=SIM&job_in_progress=1`],
    [u.stop as string, `${base}/job-stop/pod-1?gpu=SIM`],
    [u.streamUrl('job-7'), `${base}/job-stream/pod-1/job-7?gpu=SIM&isStream=false`],
    [u.doneUrl('job-7', true), `${base}/job-done/pod-1/job-7?gpu=SIM&isStream=true`],
    [u.doneUrl('job-7', false), `${base}/job-done/pod-1/job-7?gpu=SIM&isStream=false`],
    [pingUrl(u.ping as string, ['job-L1', 'job-L2'], '1.12.0'), `${base}/ping/pod-1?gpu=SIM&job_id=job-L1%2Cjob-L2&runpod_version=1.12.0`],
    [pingUrl(u.ping as string, [], '1.12.0'), `${base}/ping/pod-1?gpu=SIM&runpod_version=1.12.0`],
  ];
  for (const [got, want] of cases) t.equal(got, want);
});

t.test('templates without a query get "?"; $RUNPOD_POD_ID in the take template is replaced too; no /job-take/, no stop channel', async (t) => {
  const u = new PlatformUrls({ getJob: 'http://h/take/$RUNPOD_POD_ID/$ID', postOutput: 'http://h/done/$ID', postStream: 'http://h/s/$ID',
    ping: undefined }, 'w');
  t.equal(u.takeUrl(1, false), 'http://h/take/w/w?job_in_progress=0');
  t.equal(u.doneUrl('j', true), 'http://h/done/j?isStream=true');
  t.equal(u.streamUrl('j'), 'http://h/s/j?isStream=false');
  t.equal(u.stop, undefined);
  t.equal(u.ping, undefined);
});

t.test('every occurrence of a placeholder is replaced, without encoding', async (t) => {
  const u = new PlatformUrls({ ...templates, postOutput: 'http://h/$ID/$ID?x=$RUNPOD_POD_ID' }, 'p d');
  t.equal(u.doneUrl('a/b', true), 'http://h/a/b/a/b?x=p d&isStream=true');
});

const answer = (status: number, body = '', type = 'application/json') => ({ status, body: Buffer.from(body), headers: { 'content-type': type } });

t.test('job-take answers (docs/runpod.md §4.2)', async (t) => {
  t.same(readTakeAnswer(answer(204)), { kind: 'empty', why: 'HTTP 204' });
  t.same(readTakeAnswer(answer(400)), { kind: 'empty', why: 'HTTP 400' });
  t.same(readTakeAnswer(answer(429)), { kind: 'rate-limited' });
  t.same(readTakeAnswer(answer(500)), { kind: 'error', detail: 'HTTP 500' });
  t.same(readTakeAnswer(answer(401)), { kind: 'error', detail: 'HTTP 401' });
  t.same(readTakeAnswer(answer(200, '{"id":"a","input":{}}', 'text/plain')), { kind: 'empty', why: 'no JSON body' });
  t.same(readTakeAnswer(answer(200, '')), { kind: 'empty', why: 'no JSON body' });
  t.same(readTakeAnswer(answer(200, '{not json')), { kind: 'empty', why: 'no JSON body' });
  t.same(readTakeAnswer(answer(200, '[]')), { kind: 'empty', why: 'no job in the list' });
  t.same(readTakeAnswer(answer(200, '7')), { kind: 'empty', why: 'not a job' });
  t.same(readTakeAnswer(answer(200, '{"id":"x"}')), { kind: 'error', detail: 'Job has missing field(s): id or input.' });
  t.same(readTakeAnswer(answer(200, '{"id":"a","input":{"k":1},"webhook":"w"}', 'application/json; charset=utf-8')),
    { kind: 'jobs', jobs: [{ id: 'a', input: { k: 1 }, webhook: 'w' }], dropped: 0 });
  t.same(readTakeAnswer(answer(200, '[{"id":"a","input":1},{"input":2},{"id":"b","input":null}]')),
    { kind: 'jobs', jobs: [{ id: 'a', input: 1 }, { id: 'b', input: null }], dropped: 1 });
});

t.test('job-stop answers (docs/runpod.md §9.2)', async (t) => {
  t.same(readStopAnswer(answer(204)), { kind: 'none', why: 'HTTP 204' });
  t.same(readStopAnswer(answer(429)), { kind: 'rate-limited' });
  t.same(readStopAnswer(answer(404)), { kind: 'error', detail: 'HTTP 404' });
  t.same(readStopAnswer(answer(200, '{"jobsToStop":["a",3,"b"]}')), { kind: 'ids', ids: ['a', 'b'] });
  t.same(readStopAnswer(answer(200, '{"jobsToStop":[]}')), { kind: 'none', why: 'no id' });
  t.same(readStopAnswer(answer(200, '{"stop":["a"]}')), { kind: 'none', why: 'not a jobsToStop list' });
  t.same(readStopAnswer(answer(200, '{"jobsToStop":["a"]}', 'text/plain')), { kind: 'none', why: 'not a jobsToStop list' });
});
