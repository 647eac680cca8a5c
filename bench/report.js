'use strict';
// Turns the JSON lines written by bench/run.sh (one per loadgen run) into markdown:
// a summary with Samwaad/baseline ratios, then every run.  node bench/report.js FILE.jsonl
const fs = require('node:fs');

const file = process.argv[2];
if (!file) { console.error('usage: node report.js results.jsonl'); process.exit(2); }
const rows = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

const median = (xs) => {
  const v = xs.filter((x) => x != null && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const fmt = (x, d = 0) => (x == null || !Number.isFinite(x) ? '–' : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
const ms = (x) => (x == null ? '–' : x < 10 ? fmt(x, 2) : x < 100 ? fmt(x, 1) : fmt(x, 0));
const target = (r) => r.label.split(':')[0];
const kind = (r) => r.label.split(':')[1];
// ceiling (bench/ceiling, optional): the cheapest server the generator can run against,
// a third column when present; the ratios stay Samwaad against the baseline.
const targets = ['baseline', 'samwaad', 'ceiling'].filter((t) => rows.some((r) => target(r) === t));
const names = { baseline: 'Node socket.io 4 baseline', samwaad: 'Samwaad', ceiling: 'ceiling (this machine)' };

function chatRuns(t, k, rate) {
  return rows.filter((r) => r.mode === 'chat' && target(r) === t && kind(r) === k && (rate == null || r.offered_per_s === rate));
}
function agg(runs, f) { return median(runs.map(f)); }

// one summary row: cells per target + ratio (higher is better when up=true)
const summary = [];
function line(label, values, ratio) { summary.push([label, ...values, ratio]); }
function ratio(vals, up) {
  const bi = targets.indexOf('baseline');
  const si = targets.indexOf('samwaad');
  if (bi < 0 || si < 0) return '–';
  const [b, s] = [vals[bi], vals[si]];
  if (b == null || s == null || !b || !s) return '–';
  return '×' + fmt(up ? s / b : b / s, 1);
}

// saturation: the best delivered/s over the offered rates (median over repeats per rate)
const sat = targets.map((t) => {
  const rates = [...new Set(chatRuns(t, 'saturation').map((r) => r.offered_per_s))];
  let best = null;
  for (const rate of rates) {
    const runs = chatRuns(t, 'saturation', rate);
    const d = agg(runs, (r) => r.delivered_per_s);
    if (!best || d > best.delivered) best = { rate, delivered: d, us: agg(runs, (r) => r.cpu.server_us_per_msg), cores: agg(runs, (r) => r.cpu.server_cores), gen: agg(runs, (r) => r.cpu.generator_us_per_msg) };
  }
  return best;
});
if (sat.some(Boolean)) {
  const satRates = [...new Set(rows.filter((r) => kind(r) === 'saturation').map((r) => r.offered_per_s))].sort((a, b) => a - b);
  line(`saturated throughput: most delivered msg/s (offered ${satRates.map((x) => fmt(x)).join(', ')})`,
    sat.map((s) => (s ? `${fmt(s.delivered)} (at ${fmt(s.rate)} offered)` : '–')), ratio(sat.map((s) => s && s.delivered), true));
  line('server CPU at that point', sat.map((s) => (s ? `${fmt(s.cores, 2)} cores, ${fmt(s.us, 1)} µs/msg` : '–')), ratio(sat.map((s) => s && s.us), false));
  line('generator CPU at that point', sat.map((s) => (s ? `${fmt(s.gen, 1)} µs/msg` : '–')), '');
}
const latRates = [...new Set(rows.filter((r) => kind(r) === 'latency').map((r) => r.offered_per_s))].sort((a, b) => a - b);
for (const rate of latRates) {
  const per = targets.map((t) => chatRuns(t, 'latency', rate));
  const us = per.map((runs) => agg(runs, (r) => r.cpu.server_us_per_msg));
  line(`server CPU per delivered message at ${fmt(rate)} msg/s`, us.map((x) => (x == null ? '–' : `${fmt(x, 1)} µs`)), ratio(us, false));
  const del = per.map((runs) => agg(runs, (r) => r.delivered_per_s));
  line(`delivered msg/s at ${fmt(rate)} msg/s offered`, del.map((x) => fmt(x)), ratio(del, true));
  const p = (q) => per.map((runs) => agg(runs, (r) => r.latency_ms[q]));
  const [p50, p99, p999] = [p('p50'), p('p99'), p('p999')];
  line(`latency p50 / p99 / p99.9 at ${fmt(rate)} msg/s (ms)`, targets.map((_, i) => `${ms(p50[i])} / ${ms(p99[i])} / ${ms(p999[i])}`), `p99 ${ratio(p99, false)}`);
}
const idle = targets.map((t) => rows.filter((r) => r.mode === 'idle' && target(r) === t));
if (idle.some((x) => x.length)) {
  const kb = idle.map((runs) => agg(runs, (r) => r.rss_per_conn_kb));
  const conn = idle.map((runs) => agg(runs, (r) => r.connected));
  line(`RSS per idle authenticated socket (KB)`, kb.map((x, i) => (x == null ? '–' : `${fmt(x, 1)} (${fmt(conn[i])} sockets)`)), ratio(kb, false));
  const hs = idle.map((runs) => agg(runs, (r) => r.server_cpu_us_per_connect));
  line('server CPU per socket handshake (µs)', hs.map((x) => fmt(x)), ratio(hs, false));
}
const errs = targets.map((t) => rows.filter((r) => target(r) === t).reduce((a, r) => a + (r.errors || 0) + (r.failed || 0) + (r.disconnects || 0), 0));
line('errors over all runs (see the run table)', errs.map((x) => fmt(x)), '');
const other = targets.map((t) => rows.filter((r) => target(r) === t && r.cpu).map((r) => r.cpu.other_cores));
line('CPU used by other processes during the runs (cores, min–max)', other.map((v) => (v.length ? `${fmt(Math.min(...v), 2)}–${fmt(Math.max(...v), 2)}` : '–')), '');

const out = [];
out.push(`| figure | ${targets.map((t) => names[t]).join(' | ')} | Samwaad advantage |`);
out.push(`|---|${targets.map(() => '---:').join('|')}|---:|`);
for (const s of summary) out.push(`| ${s.join(' | ')} |`);
out.push('');
out.push('Every run:');
out.push('');
out.push('| server | kind | offered/s | delivered/s | p50 ms | p99 ms | p99.9 ms | server µs/msg | server cores | generator µs/msg | other cores | errors |');
out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows.filter((x) => x.mode === 'chat')) {
  out.push(`| ${target(r)} | ${kind(r)} | ${fmt(r.offered_per_s)} | ${fmt(r.delivered_per_s)} | ${ms(r.latency_ms.p50)} | ${ms(r.latency_ms.p99)} | ${ms(r.latency_ms.p999)} | ${fmt(r.cpu.server_us_per_msg, 1)} | ${fmt(r.cpu.server_cores, 2)} | ${fmt(r.cpu.generator_us_per_msg, 1)} | ${fmt(r.cpu.other_cores, 2)} | ${r.errors}${r.errors ? ` (${r.error_detail.first || 'late/missing'})` : ''} |`);
}
const idleRows = rows.filter((x) => x.mode === 'idle');
if (idleRows.length) {
  out.push('');
  out.push('| server | idle sockets | users | RSS before kB | RSS after kB | KB per socket | connect s | server µs per handshake |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of idleRows) out.push(`| ${target(r)} | ${fmt(r.connected)}/${fmt(r.requested)} | ${fmt(r.users)} | ${fmt(r.rss_before_kb)} | ${fmt(r.rss_after_kb)} | ${fmt(r.rss_per_conn_kb, 2)} | ${fmt(r.connect_s, 1)} | ${fmt(r.server_cpu_us_per_connect)} |`);
}
console.log(out.join('\n'));
