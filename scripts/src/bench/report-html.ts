// report.html: one self-contained page drawn from results.json (no script, no network; charts are inline SVG): the
// verdict on the run's validity, what ran on what, a table of the figures, per device its throughput over time
// against its ceiling and its batch-latency distribution, the validity checks and the spot-checked nonces.
import type { BenchReport, Check, DeviceResult } from './report.js';
import { escapeHtml as e, formatNumber, histogram, lineChart } from './svg.js';

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1180px;color:#1d2430;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}h3{font-size:15px;margin:16px 0 6px}
table{border-collapse:collapse;margin:6px 0 12px}td,th{border:1px solid #d5dae3;padding:4px 9px;text-align:left;vertical-align:top}
th{background:#f2f4f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
.verdict{font-weight:600;padding:8px 12px;border-radius:6px;display:inline-block}
.valid{background:#e3f5e6;color:#17612a}.invalid{background:#fbe6e4;color:#8c1d12}
.ok{color:#17612a;font-weight:600}.fail{color:#8c1d12;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:16px}.muted{color:#5b6472}code{font-size:12px;overflow-wrap:anywhere}
table.scenario th{width:130px}
svg text{font-size:11px;fill:#39414d}svg .axis-title{font-size:12px;fill:#1d2430}
svg .plot{fill:#fbfcfe;stroke:#c9cfda}svg .grid{stroke:#e6e9ef}svg .tick{stroke:#9aa3b0}
svg .series{fill:none;stroke:#2f6fd6;stroke-width:2}svg .point{fill:#2f6fd6}
svg .ceiling{stroke:#c2412d;stroke-width:1.5;stroke-dasharray:6 4}svg .ceiling-label{fill:#c2412d}
svg .bar{fill:#7fa7e6}svg .marker{stroke:#1d2430;stroke-dasharray:3 3}svg .marker-label{fill:#1d2430}`;

const gib = (bytes: number) => (bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`);
const mark = (ok: boolean) => `<span class="${ok ? 'ok' : 'fail'}">${ok ? 'pass' : 'FAIL'}</span>`;

function table(head: string[], rows: string[][], cls = ''): string {
  return `<table${cls ? ` class="${cls}"` : ''}><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>` +
    rows.map((r) => `<tr>${r.join('')}</tr>`).join('') + '</table>';
}
const td = (text: string | number) => `<td>${e(String(text))}</td>`;
const num = (text: string | number) => `<td class="num">${e(String(text))}</td>`;

/** Latencies in ms below 10 s, else in s. */
function latencyUnit(d: DeviceResult): { scale: number; unit: string } {
  return d.batch_latency_s.max < 10 ? { scale: 1000, unit: 'ms' } : { scale: 1, unit: 's' };
}

function deviceSection(d: DeviceResult): string {
  const label = `${d.backend}:${d.index}`;
  const { scale, unit } = latencyUnit(d);
  const l = d.batch_latency_s;
  const throughput = lineChart({
    cls: 'throughput', data: { device: label }, label: `Throughput of ${d.device} over the timed runs`,
    points: d.throughput_series, xLabel: 'seconds into the timed runs', yLabel: 'nonces/s',
    ceiling: { value: d.ceiling_nonces_per_s, label: `ceiling ${formatNumber(d.ceiling_nonces_per_s)} nonces/s (100% of the ${d.peak_kind} peak)` },
  });
  const latency = histogram({
    cls: 'latency', data: { device: label }, label: `Batch latency of ${d.device}`,
    edges: d.latency_histogram.edges_s.map((x) => x * scale), counts: d.latency_histogram.counts,
    markers: [['p50', l.p50], ['p90', l.p90], ['p99', l.p99]].map(([name, v]) => ({
      value: (v as number) * scale, label: `${name} ${formatNumber((v as number) * scale)} ${unit}` })),
    xLabel: `batch latency (${unit}), batch of ${d.batch}`, yLabel: 'batches',
  });
  return `<section class="device" data-device="${e(label)}"><h3>${e(label)}: ${e(d.device)}</h3>` +
    `<div class="charts">${throughput}${latency}</div></section>`;
}

function checkRow(name: string, c: Check): string[] {
  return [td(name), `<td>${mark(c.ok)}</td>`, td(c.required), td(c.measured)];
}

export function renderReport(r: BenchReport): string {
  const v = r.validity;
  const failed = [['warm-up', v.warmup], ['minimum duration', v.min_duration], ['correctness spot-check', v.spot_check]]
    .filter(([, c]) => !(c as Check).ok).map(([n]) => n);
  const verdict = v.valid ? 'Valid run: warm-up done, minimum duration met, correctness spot-check passed'
    : `Not a valid run: ${failed.join(', ')} failed`;
  const s = r.scenario;
  const scenario = `<table class="scenario">${([
    ['preset', e(s.preset)], ['params', `<code>${e(JSON.stringify(s.params))}</code>`],
    ['timed runs', `${s.runs} × ${s.seconds_per_run} s, after a warm-up of ${s.warmup_s} s`],
    ['cost', `${formatNumber(s.flops_per_nonce)} FLOP per nonce`], ['r_target', String(s.r_target)],
    ['block hash', `<code>${e(s.block_hash)}</code>`], ['public key', `<code>${e(s.public_key)}</code>`],
  ] as const).map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table>`;
  const m = r.machine;
  const devices = table(['device', 'backend', 'memory', 'arch / threads', 'driver'], r.devices.map((d) => [
    td(d.name), td(`${d.backend}:${d.index}`), num(gib(d.memory_bytes)), td(d.backend === 'cuda' ? d.arch : `${d.threads} threads`),
    td(d.driver ? `${d.driver}${d.driver_cuda ? ` (CUDA ${d.driver_cuda})` : ''}` : '—')]));
  const results = table(['device', 'nonces/s', 'TFLOP/s', '% of peak', 'peak', 'latency p50 / p90 / p99', 'cold start',
    'peak memory'], r.results.map((d) => {
    const { scale, unit } = latencyUnit(d);
    const l = d.batch_latency_s;
    return [td(`${d.backend}:${d.index} ${d.device}`), num(d.nonces_per_s), num(d.tflops), num(`${d.percent_of_peak}%`),
      td(d.peak_detail), num(`${[l.p50, l.p90, l.p99].map((x) => formatNumber(x * scale)).join(' / ')} ${unit}`),
      num(`${d.cold_start_s} s`), num(gib(d.memory_peak_bytes))];
  }));
  const validity = table(['check', 'result', 'required', 'measured'], [
    checkRow('warm-up done', v.warmup), checkRow('minimum duration met', v.min_duration),
    checkRow('correctness spot-check', v.spot_check)], 'validity');
  const spot = table(['nonce', 'benchmarked on', 'distance', `recomputed (${v.spot_check.checker})`, '|Δ|'],
    v.spot_check.nonces.map((n) => [num(n.nonce), td(n.device), num(n.dist), num(n.recomputed), num(n.abs_delta.toExponential(2))]),
    'spot-check');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${e(`${r.benchmark} ${r.version}: ${s.preset} on ${r.results.map((d) => d.device).join(', ')}`)}</title>
<style>${STYLE}</style></head><body>
<h1>${e(r.benchmark)} ${e(r.version)}: benchmark report</h1>
<p class="muted">${e(r.timestamp)} · <code>${e(r.command)}</code></p>
<p class="verdict ${v.valid ? 'valid' : 'invalid'}">${e(verdict)}</p>
<h2>Scenario</h2>${scenario}
<h2>Machine</h2><p>${e(m.cpu)}, ${m.cores} cores, ${gib(m.memory_bytes)} memory · ${e(m.os)} · Node ${e(m.node)}</p>${devices}
<h2>Results</h2>${results}
<p>Total: ${r.total.nonces_per_s} nonces/s; ${r.total.computed} nonces computed, ${r.total.valid} below r_target; model load
${r.total.model_load_s} s, cold start ${r.total.cold_start_s} s (block hash to the first batch of every device).</p>
<h2>Per device</h2>
<p class="muted">Throughput: nonces per second between a device's results, over the timed runs; the dashed line is the
rate at 100% of its peak. Latency: from asking for a batch to its result (on CUDA, with two batches in flight, the one
ahead included).</p>
${r.results.map(deviceSection).join('\n')}
<h2>Validity</h2>${validity}
<h3>Spot-checked nonces</h3>${spot}
<p class="muted">The figures are in results.json beside this file.</p>
</body></html>
`;
}
