/*
 * Ember web UI: a single page over the REST API (docs/rest.md). Plain
 * JavaScript, no framework, no network beyond this server. Every second it
 * fetches what the visible page shows; charts are drawn on canvas. Values
 * from the server are inserted as text (never as HTML).
 */
'use strict';

const REFRESH_MS = 1000;
const HISTORY = 300;            /* batches shown in the streaming charts */
const LOCAL_POINTS = 300;       /* client-side samples for operator/sink charts */
const COLORS = ['#e4572e', '#2e86de', '#2a9d5c', '#8e44ad', '#d88a1d', '#16a085'];

const $ = (id) => document.getElementById(id);
const local = { keys: [], bytes: [], commit: {} };
let page = 'overview', sinkName = null, timer = null, busy = false, again = false;

/* ---- formatting ---- */

function num(v, digits) {
  if (v === null || v === undefined || !isFinite(v)) return '–';
  const d = digits === undefined ? (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2) : digits;
  return Number(v).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: 0 });
}
function bytes(v) {
  if (v === null || v === undefined) return '–';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return num(v, i ? 1 : 0) + ' ' + u[i];
}
function dur(s) {
  if (s === null || s === undefined) return '–';
  s = Math.floor(s);
  const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
  if (d) return d + 'd ' + h + 'h';
  if (h) return h + 'h ' + m + 'm';
  if (m) return m + 'm ' + (s % 60) + 's';
  return (s % 60) + 's';
}
function ts(v) { return v ? v.replace('T', ' ').replace('Z', '') : '–'; }
function clock(v) { return v ? v.substr(11, 8) : ''; }

/* ---- DOM helpers (text only) ---- */

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function pill(text, kind) { return el('span', text, 'pill ' + kind); }
/* cols: [{h: header, num: bool}], rows: arrays of strings or nodes */
function table(t, cols, rows, empty) {
  t.replaceChildren();
  const hr = el('tr');
  for (const c of cols) hr.appendChild(el('th', c.h, c.num ? 'num' : ''));
  t.appendChild(hr);
  if (!rows.length) {
    const tr = el('tr'), td = el('td', empty || 'none', 'muted');
    td.colSpan = cols.length;
    tr.appendChild(td);
    t.appendChild(tr);
  }
  for (const r of rows) {
    const tr = el('tr');
    r.forEach((v, i) => {
      const td = el('td', null, cols[i] && cols[i].num ? 'num' : '');
      if (v instanceof Node) td.appendChild(v); else td.textContent = v;
      tr.appendChild(td);
    });
    t.appendChild(tr);
  }
}
function link(text, href) { const a = el('a', text); a.href = href; return a; }

/* ---- charts ---- */

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v))), f = v / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

/* series: [{name, color, points: [[t_ms, value], ...]}]; opts.avg draws
 * each series' average as a dashed line. The canvas records what it drew
 * in data-* attributes (points, last, avg) for tests and tooling. */
function chart(canvas, series, opts) {
  opts = opts || {};
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (!w || !h) return;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const L = 56, R = 12, T = 10, B = 24, pw = w - L - R, ph = h - T - B;
  let t0 = Infinity, t1 = -Infinity, vmax = 0, n = 0;
  for (const s of series) for (const [t, v] of s.points) {
    if (t < t0) t0 = t; if (t > t1) t1 = t; if (v > vmax) vmax = v; n++;
  }
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#6b7385';
  if (!n) {
    g.fillText('waiting for data…', L + 8, T + ph / 2);
    canvas.dataset.points = '0';
    return;
  }
  if (t1 === t0) t1 = t0 + 1000;
  const top = niceMax(vmax * 1.1);
  const x = (t) => L + (t - t0) / (t1 - t0) * pw, y = (v) => T + ph - v / top * ph;
  g.strokeStyle = '#e3e6ec';
  g.lineWidth = 1;
  g.textAlign = 'right';
  g.textBaseline = 'middle';
  for (let i = 0; i <= 4; i++) {
    const v = top * i / 4, yy = Math.round(y(v)) + 0.5;
    g.beginPath(); g.moveTo(L, yy); g.lineTo(L + pw, yy); g.stroke();
    g.fillText(num(v), L - 6, yy);
  }
  g.textAlign = 'center';
  g.textBaseline = 'top';
  let prevLabel = '';
  for (let i = 0; i <= 4; i++) {
    const t = t0 + (t1 - t0) * i / 4, label = new Date(t).toISOString().substr(11, 8);
    if (label === prevLabel) continue; /* a short span: one label per second */
    prevLabel = label;
    g.fillText(label, Math.min(Math.max(x(t), L + 24), L + pw - 24), T + ph + 6);
  }
  const avgs = [];
  series.forEach((s, k) => {
    if (!s.points.length) return;
    const c = s.color || COLORS[k % COLORS.length];
    g.beginPath();
    s.points.forEach(([t, v], i) => { if (i) g.lineTo(x(t), y(v)); else g.moveTo(x(t), y(v)); });
    g.strokeStyle = c;
    g.lineWidth = 1.6;
    g.stroke();
    if (series.length === 1) {
      g.lineTo(x(s.points[s.points.length - 1][0]), y(0));
      g.lineTo(x(s.points[0][0]), y(0));
      g.closePath();
      g.globalAlpha = 0.1; g.fillStyle = c; g.fill(); g.globalAlpha = 1;
    }
    const avg = s.points.reduce((a, p) => a + p[1], 0) / s.points.length;
    avgs.push(avg);
    if (opts.avg) {
      g.setLineDash([5, 4]);
      g.strokeStyle = c;
      g.lineWidth = 1;
      g.beginPath(); g.moveTo(L, y(avg)); g.lineTo(L + pw, y(avg)); g.stroke();
      g.setLineDash([]);
      g.fillStyle = c;
      g.textAlign = 'right';
      g.textBaseline = 'bottom';
      g.fillText('avg ' + num(avg), L + pw - 2, y(avg) - 2);
    }
  });
  if (series.length > 1) {
    g.textAlign = 'left';
    g.textBaseline = 'top';
    let lx = L + 8;
    series.forEach((s, k) => {
      g.fillStyle = s.color || COLORS[k % COLORS.length];
      g.fillRect(lx, T + 4, 10, 3);
      g.fillStyle = '#1d2330';
      g.fillText(s.name, lx + 14, T);
      lx += g.measureText(s.name).width + 30;
    });
  }
  const last = series[0].points[series[0].points.length - 1];
  canvas.dataset.points = String(n);
  canvas.dataset.last = String(last ? last[1] : '');
  canvas.dataset.avg = String(avgs.length ? avgs[0] : '');
}

function pushLocal(arr, t, v) {
  arr.push([t, v]);
  if (arr.length > LOCAL_POINTS) arr.shift();
}

/* ---- data ---- */

async function api(path) {
  const r = await fetch(path, { cache: 'no-store' });
  if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
  return r.json();
}

function renderHeader(job) {
  $('job-name').textContent = job.name;
  $('version').textContent = job.version;
  const b = $('job-state');
  b.textContent = job.state;
  b.className = 'badge ' + job.state;
  $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  document.title = 'Ember · ' + job.name;
}

function optionsText(o) {
  return Object.entries(o).map(([k, v]) => k + '=' + v).join('  ');
}

function renderOverview(job, stats, sources, sinks) {
  $('ov-state').textContent = job.state;
  $('ov-uptime').textContent = dur(job.uptime_s);
  $('ov-rate').textContent = num(stats.avg_input_rate);
  $('ov-records').textContent = num(job.records, 0);
  $('ov-batches').textContent = num(job.batches_completed, 0);
  $('ov-memory').textContent = bytes(job.memory_bytes);
  $('ov-watermark').textContent = ts(job.watermark);
  const err = $('ov-error');
  err.classList.toggle('hidden', !job.error);
  err.textContent = job.error || '';
  table($('ov-sources'), [{ h: 'Name' }, { h: 'Connector' }, { h: 'Records', num: 1 }, { h: 'Rate /s', num: 1 }, { h: 'State' }, { h: 'Options' }],
    sources.sources.map((s) => [s.name, s.connector, num(s.records, 0), num(s.rate),
      s.finished ? pill('finished', 'info') : s.idle ? pill('idle', 'warn') : pill('active', 'ok'),
      el('span', optionsText(s.options), 'mono')]));
  table($('ov-sinks'), [{ h: 'Name' }, { h: 'Connector' }, { h: 'Rows', num: 1 }, { h: 'Status' }, { h: 'Options' }],
    sinks.sinks.map((s) => [link(s.name, '#/sink/' + encodeURIComponent(s.name)), s.connector, num(s.rows, 0),
      s.status === 'ok' ? pill('ok', 'ok') : pill('failing', 'bad'), el('span', optionsText(s.options), 'mono')]));
  table($('ov-settings'), [{ h: 'Setting' }, { h: 'Value' }],
    Object.entries(job.settings).map(([k, v]) => [k, v === '' ? '–' : v]));
}

function renderStreaming(job, stats, batches) {
  $('st-rate').textContent = num(stats.avg_input_rate);
  $('st-sched').textContent = num(stats.avg_scheduling_delay_ms);
  $('st-proc').textContent = num(stats.avg_processing_time_ms);
  $('st-total').textContent = num(stats.avg_total_delay_ms);
  $('st-completed').textContent = num(stats.num_total_completed_batches, 0) + ' / ' + num(stats.num_failed_batches, 0);
  $('st-active').textContent = stats.num_active_batches + ' / ' + stats.num_waiting_batches;
  const done = batches.batches.filter((b) => b.status === 'completed').slice().reverse();
  const pts = (f) => done.map((b) => [Date.parse(b.time), f(b)]);
  const interval = (job.batch_interval_ms || 1000) / 1000;
  chart($('ch-rate'), [{ name: 'input', points: pts((b) => b.input_records / interval) }], { avg: true });
  chart($('ch-sched'), [{ name: 'scheduling', points: pts((b) => b.scheduling_delay_ms), color: COLORS[4] }], { avg: true });
  chart($('ch-proc'), [{ name: 'processing', points: pts((b) => b.processing_time_ms), color: COLORS[1] }], { avg: true });
  chart($('ch-total'), [{ name: 'total', points: pts((b) => b.total_delay_ms), color: COLORS[2] }], { avg: true });
  const rows = [];
  for (const a of batches.active) rows.push([String(a.id), '–', '–', '–', '–', '–', pill('active', 'info'), '']);
  if (batches.waiting > 0) rows.push(['+' + batches.waiting, '–', '–', '–', '–', '–', pill('waiting', 'warn'), '']);
  for (const b of batches.batches.slice(0, 30))
    rows.push([String(b.id), clock(b.time), num(b.input_records, 0), num(b.scheduling_delay_ms), num(b.processing_time_ms),
      num(b.total_delay_ms), b.status === 'completed' ? pill('completed', 'ok') : pill('failed', 'bad'), b.error || '']);
  table($('st-batches'), [{ h: 'Batch' }, { h: 'Time' }, { h: 'Input records', num: 1 }, { h: 'Scheduling ms', num: 1 },
    { h: 'Processing ms', num: 1 }, { h: 'Total delay ms', num: 1 }, { h: 'Status' }, { h: 'Error' }], rows);
}

function renderOperators(ops, sources) {
  table($('op-table'), [{ h: 'Operator' }, { h: 'Kind' }, { h: 'Rows in', num: 1 }, { h: 'Rows out', num: 1 },
    { h: 'State keys', num: 1 }, { h: 'State', num: 1 }, { h: 'Late dropped', num: 1 }, { h: 'Evicted', num: 1 }],
  ops.operators.map((o) => [o.id, o.kind, num(o.rows_in, 0), num(o.rows_out, 0), num(o.state_keys, 0),
    bytes(o.state_bytes), num(o.late_dropped, 0), num(o.evicted, 0)]));
  const now = Date.now();
  pushLocal(local.keys, now, ops.operators.reduce((a, o) => a + o.state_keys, 0));
  pushLocal(local.bytes, now, ops.operators.reduce((a, o) => a + o.state_bytes, 0));
  chart($('ch-keys'), [{ name: 'keys', points: local.keys, color: COLORS[3] }], {});
  chart($('ch-bytes'), [{ name: 'bytes', points: local.bytes, color: COLORS[5] }], {});
  table($('op-sources'), [{ h: 'Source' }, { h: 'Watermark' }, { h: 'Max event time' }, { h: 'Lag', num: 1 },
    { h: 'Late records', num: 1 }, { h: 'Bad records', num: 1 }, { h: 'Bytes', num: 1 }],
  sources.sources.map((s) => [s.name, ts(s.watermark), ts(s.max_event_time), s.lag_s === null ? '–' : dur(Math.abs(s.lag_s)) + (s.lag_s < 0 ? ' ahead' : ''),
    num(s.late_records, 0), num(s.bad_records, 0), bytes(s.bytes)]));
}

function renderSinks(sinks) {
  table($('sk-table'), [{ h: 'Sink' }, { h: 'Connector' }, { h: 'Rows', num: 1 }, { h: 'Batches', num: 1 }, { h: 'Errors', num: 1 },
    { h: 'Last commit ms', num: 1 }, { h: 'Avg commit ms', num: 1 }, { h: 'Max commit ms', num: 1 }, { h: 'Queued', num: 1 }, { h: 'Outage' }],
  sinks.sinks.map((s) => [link(s.name, '#/sink/' + encodeURIComponent(s.name)), s.connector, num(s.rows, 0), num(s.batches, 0),
    num(s.errors, 0), num(s.last_commit_ms), num(s.avg_commit_ms), num(s.max_commit_ms),
    s.queued_batches ? num(s.queued_batches, 0) + ' (' + bytes(s.queued_bytes) + ')' : '0',
    s.status === 'ok' ? pill('none', 'ok') : pill('failing since ' + clock(s.failing_since) + ': ' + s.last_error, 'bad')]));
  const now = Date.now();
  for (const s of sinks.sinks) pushLocal(local.commit[s.name] = local.commit[s.name] || [], now, s.last_commit_ms);
  chart($('ch-commit'), sinks.sinks.map((s) => ({ name: s.name, points: local.commit[s.name] })), { avg: sinks.sinks.length === 1 });
}

function renderSink(sinks) {
  const s = sinks.sinks.find((x) => x.name === sinkName);
  $('sr-title').textContent = (s && s.connector === 'view' ? 'View ' : 'Sink ') + sinkName;
  if (!s) { $('sr-meta').textContent = 'no such sink'; $('sr-rows').replaceChildren(); return; }
  $('sr-meta').textContent = (s.connector === 'view' ? 'view · ' + num(s.rows, 0) + ' rows' :
    s.connector + ' · ' + num(s.rows, 0) + ' rows written') + ' · latest ' + s.latest_rows.length + ' rows, newest first';
  const cols = [];
  for (const r of s.latest_rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const rows = s.latest_rows.slice().reverse().map((r) => cols.map((k) => r[k] === null || r[k] === undefined ? 'NULL' :
    typeof r[k] === 'number' ? num(r[k], 3) : String(r[k])));
  table($('sr-rows'), cols.map((c) => ({ h: c, num: s.latest_rows.length && typeof s.latest_rows[0][c] === 'number' })), rows, 'no rows yet');
}

async function refresh() {
  if (busy) { again = true; return; }
  busy = true;
  again = false;
  try {
    const job = await api('/api/v1/job');
    renderHeader(job);
    if (page === 'overview') {
      const [stats, sources, sinks] = await Promise.all([api('/api/v1/statistics'), api('/api/v1/sources'), api('/api/v1/sinks')]);
      renderOverview(job, stats, sources, sinks);
    } else if (page === 'streaming') {
      const [stats, batches] = await Promise.all([api('/api/v1/statistics'), api('/api/v1/batches?limit=' + HISTORY)]);
      renderStreaming(job, stats, batches);
    } else if (page === 'operators') {
      const [ops, sources] = await Promise.all([api('/api/v1/operators'), api('/api/v1/sources')]);
      renderOperators(ops, sources);
    } else if (page === 'sinks') {
      renderSinks(await api('/api/v1/sinks'));
    } else if (page === 'sink') {
      renderSink(await api('/api/v1/sinks'));
    }
  } catch (e) {
    const b = $('job-state');
    b.textContent = 'offline';
    b.className = 'badge failed';
    $('updated').textContent = String(e.message || e);
  } finally {
    busy = false;
  }
  if (again) refresh();  /* the page changed while a refresh was in flight */
}

function route() {
  const h = location.hash.replace(/^#\/?/, '');
  if (h.startsWith('sink/')) {
    const name = decodeURIComponent(h.substr(5));
    if (page !== 'sink' || name !== sinkName) {
      /* never show another sink's rows under this one's name while it loads */
      $('sr-title').textContent = name;
      $('sr-meta').textContent = 'loading';
      $('sr-rows').replaceChildren();
    }
    page = 'sink';
    sinkName = name;
  } else page = ['streaming', 'operators', 'sinks'].includes(h) ? h : 'overview';
  for (const s of document.querySelectorAll('.page')) s.classList.toggle('hidden', s.id !== 'page-' + page);
  for (const a of document.querySelectorAll('nav a'))
    a.classList.toggle('active', a.dataset.page === page || (page === 'sink' && a.dataset.page === 'sinks'));
  refresh();
}

window.addEventListener('hashchange', route);
window.addEventListener('resize', refresh);
document.addEventListener('DOMContentLoaded', () => {
  route();
  timer = setInterval(refresh, REFRESH_MS);
});
