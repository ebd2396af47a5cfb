// The platform's URLs, from the RUNPOD_WEBHOOK_* templates (docs/runpod.md §2, §4.1, §6, §7, §8, §9.2, §13 req. 2).
// Placeholders are plain replacements of every occurrence, without URL encoding, as the SDK does. Parameters are
// appended with "&", or "?" when the template has none (the SDK always writes "&"); the template's own parameters
// come first, then batch_size, then job_in_progress or isStream.

export interface Templates {
  getJob: string;
  postOutput: string;
  postStream: string;
  ping: string | undefined;
}

function replaceAll(text: string, placeholder: string, value: string): string {
  return text.split(placeholder).join(value);
}

function append(url: string, params: [string, string][]): string {
  let out = url;
  for (const [name, value] of params) out += `${out.includes('?') ? '&' : '?'}${name}=${value}`;
  return out;
}

export class PlatformUrls {
  /** The take template with the worker id in place of $RUNPOD_POD_ID and $ID (the SDK replaces only $ID). */
  private readonly take: string;
  private readonly stream: string;
  private readonly done: string;
  /** The resolved ping URL without its job_id and runpod_version; undefined when no ping URL is set. */
  readonly ping: string | undefined;
  /** The resolved take URL with /job-take/ → /job-stop/; undefined (no stop channel) without that segment. */
  readonly stop: string | undefined;

  constructor(t: Templates, workerId: string) {
    const worker = (tpl: string): string => replaceAll(tpl, '$RUNPOD_POD_ID', workerId);
    this.take = replaceAll(worker(t.getJob), '$ID', workerId);
    this.stream = worker(t.postStream);
    this.done = worker(t.postOutput);
    this.ping = t.ping === undefined ? undefined : worker(t.ping);
    this.stop = this.take.includes('/job-take/') ? this.take.replace('/job-take/', '/job-stop/') : undefined;
  }

  /** job-take for one job, job-take-batch for more; job_in_progress=1 exactly when the worker holds jobs. */
  takeUrl(count: number, jobInProgress: boolean): string {
    const params: [string, string][] = [];
    let url = this.take;
    if (count > 1) {
      url = url.replace('/job-take/', '/job-take-batch/');
      params.push(['batch_size', String(count)]);
    }
    params.push(['job_in_progress', jobInProgress ? '1' : '0']);
    return append(url, params);
  }

  /** job-stream: partials are posted with isStream=false. */
  streamUrl(jobId: string): string {
    return append(replaceAll(this.stream, '$ID', jobId), [['isStream', 'false']]);
  }

  /** job-done: isStream=true for a streaming handler's final body, false for a plain one. */
  doneUrl(jobId: string, isStream: boolean): string {
    return append(replaceAll(this.done, '$ID', jobId), [['isStream', String(isStream)]]);
  }
}

/** The longest job_id list a ping carries (the SDK's cap), cut at a comma. */
export const MAX_PING_IDS_BYTES = 64 * 1024;

/** A ping URL: job_id (comma-joined, the comma encoded %2C; left out when none) then runpod_version. */
export function pingUrl(base: string, jobIds: readonly string[], version: string): string {
  const params: [string, string][] = [];
  let joined = jobIds.map(encodeURIComponent).join('%2C');
  if (joined.length > MAX_PING_IDS_BYTES) joined = joined.slice(0, Math.max(0, joined.lastIndexOf('%2C', MAX_PING_IDS_BYTES)));
  if (joined !== '') params.push(['job_id', joined]);
  params.push(['runpod_version', encodeURIComponent(version)]);
  return append(base, params);
}
