// Appending measured rows to BENCHMARKS.md (the table the benchmark scripts share).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const HEADER = '\n## Throughput (recorded by `llama-gpu-bench bench --record`)\n\n' +
  '| date | preset | backend | device | throughput | ratio | details | machine | command |\n' +
  '|---|---|---|---|---|---|---|---|---|\n';

export interface BenchmarkRow {
  date: string;
  preset: string;
  backend: string;
  device: string;
  throughput: string;
  ratio: string;
  extra: string;
  machine: string;
  command: string;
}

export function benchmarksFile(): string {
  // dist/scripts/src/benchmarks-file.js → the package root
  return path.resolve(__dirname, '../../../BENCHMARKS.md');
}

/** Adds a row at the end of the recorded-throughput table (created at the end of the file if absent). */
export function appendBenchmarkRow(row: BenchmarkRow, file = benchmarksFile()): void {
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const cells = [row.date, row.preset, row.backend, row.device, row.throughput, row.ratio, row.extra, row.machine,
    `\`${row.command}\``].map((c) => c.replace(/\|/g, '\\|'));
  const line = `| ${cells.join(' | ')} |`;
  const title = HEADER.trim().split('\n')[0];
  if (!text.includes(title)) text = `${text.replace(/\n*$/, '\n')}${HEADER}`;
  const lines = text.split('\n');
  let i = lines.indexOf(title) + 1;
  while (i < lines.length && (lines[i] === '' || !lines[i].startsWith('|'))) i++; // to the table
  while (i < lines.length && lines[i].startsWith('|')) i++; // past its last row
  lines.splice(i, 0, line);
  writeFileSync(file, lines.join('\n'));
}
