#!/usr/bin/env node
/*
 * tests/browser/ui.test.js - drives Debian's chromium (headless, through
 * playwright-core) against a running `ember run` job and checks that the
 * web UI shows the job with live, changing figures; saves a screenshot of
 * every page into OUT_DIR.
 *
 *   usage: node tests/browser/ui.test.js EMBER_BINARY OUT_DIR
 * Prints ok/FAIL per check and "N passed, N failed"; exits 1 on failure.
 */
'use strict';
const { chromium } = require('playwright-core');
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const [ember, outDir] = process.argv.slice(2);
if (!ember || !outDir) {
  console.error('usage: ui.test.js EMBER_BINARY OUT_DIR');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TOKEN = 'browser-test-token-3f9a';
let passed = 0, failed = 0;

function check(name, ok, detail) {
  if (ok) { passed++; console.log('ok   ' + name); }
  else { failed++; console.log('FAIL ' + name + (detail ? '\n    ' + detail : '')); }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const number = (s) => Number(String(s).replace(/[^0-9.\-]/g, ''));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

/* Polls fn in the page until it returns true. (page.waitForFunction
 * evaluates through eval, which the UI's Content-Security-Policy forbids;
 * page.evaluate does not.) */
async function waitFor(page, fn, ms) {
  const end = Date.now() + (ms || 15000);
  while (Date.now() < end) {
    if (await page.evaluate(fn)) return;
    await sleep(100);
  }
  throw new Error('timed out waiting for ' + fn.toString());
}

async function waitReady(base, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try { const r = await fetch(base + '/readyz'); if (r.status === 200) return true; } catch (e) { /* not up yet */ }
    await sleep(100);
  }
  return false;
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ember-browser-'));
  const port = await freePort();
  const base = 'http://127.0.0.1:' + port;
  fs.writeFileSync(path.join(tmp, 'air.sql'), `
SET batch_interval = '250ms';
CREATE SOURCE readings (
    device_id TEXT, ts TIMESTAMP, pm25 DOUBLE, co2 BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '30' SECOND
) WITH (connector = 'generator', devices = 40, rate = 3000, seed = 7, faults = true);
CREATE SINK per_minute WITH (connector = 'file', path = '${tmp}/per_minute.jsonl') AS
    SELECT device_id, window_start, round(avg(pm25), 1) AS pm25_avg, max(co2) AS co2_max, count(*) AS n
    FROM TUMBLE(readings, ts, INTERVAL '1' MINUTE)
    GROUP BY device_id, window_start, window_end;
CREATE VIEW hot AS SELECT device_id, ts, pm25 FROM readings WHERE pm25 > 50;
CREATE SINK alerts WITH (connector = 'file', path = '${tmp}/alerts.jsonl') AS
    SELECT device_id, ts, pm25 FROM hot;
`);
  const job = spawn(ember, ['run', path.join(tmp, 'air.sql'), '--set', 'http=127.0.0.1:' + port,
    '--set', 'http_token=' + TOKEN], { stdio: ['ignore', 'ignore', 'pipe'] });
  let jobLog = '';
  job.stderr.on('data', (d) => { jobLog += d; });
  let browser = null;
  try {
    check('job serves /readyz', await waitReady(base, 15000), jobLog);
    browser = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = browser.pages()[0] || await browser.newPage();
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(String(e)));
    const external = [];
    page.on('request', (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });

    /* overview */
    await page.goto(base + '/');
    await waitFor(page, () => document.getElementById('ov-records').textContent !== '–');
    check('overview names the job', (await page.textContent('#job-name')) === 'air');
    check('overview shows state running', (await page.textContent('#job-state')) === 'running');
    const rec1 = number(await page.textContent('#ov-records'));
    await sleep(2000);
    const rec2 = number(await page.textContent('#ov-records'));
    check('overview record count grows live', rec2 > rec1 && rec1 > 0, rec1 + ' -> ' + rec2);
    check('overview lists the source', (await page.textContent('#ov-sources')).includes('readings'));
    const sinksText = await page.textContent('#ov-sinks');
    check('overview lists both sinks', sinksText.includes('per_minute') && sinksText.includes('alerts'));
    const body = await page.content();
    check('the token never reaches the page', !body.includes(TOKEN));
    check('settings show the token redacted', (await page.textContent('#ov-settings')).includes('[redacted]'));
    await page.screenshot({ path: path.join(outDir, 'browser-overview.png'), fullPage: true });

    /* streaming */
    await page.click('nav a[data-page=streaming]');
    await waitFor(page, () => Number(document.getElementById('ch-rate').dataset.points) > 2);
    const pts = async (id) => Number(await page.getAttribute('#' + id, 'data-points'));
    const p1 = await pts('ch-rate');
    const firstBatch = async () => number(await page.textContent('#st-batches tr:nth-child(3) td:first-child'));
    const b1 = await firstBatch();
    await sleep(2000);
    const p2 = await pts('ch-rate');
    const b2 = await firstBatch();
    check('input-rate chart gains points live', p2 > p1, p1 + ' -> ' + p2);
    for (const id of ['ch-sched', 'ch-proc', 'ch-total'])
      check(id + ' chart has points', (await pts(id)) > 2);
    check('input-rate chart average is about the generator rate',
      Math.abs(Number(await page.getAttribute('#ch-rate', 'data-avg')) - 3000) < 900,
      await page.getAttribute('#ch-rate', 'data-avg'));
    check('batches table shows newer batches', b2 > b1, b1 + ' -> ' + b2);
    check('batches table shows the active batch', (await page.textContent('#st-batches')).includes('active'));
    check('average processing time shown', !Number.isNaN(number(await page.textContent('#st-proc'))));
    await page.screenshot({ path: path.join(outDir, 'browser-streaming.png'), fullPage: true });

    /* operators */
    await page.click('nav a[data-page=operators]');
    await waitFor(page, () => document.getElementById('op-table').textContent.includes('window_aggregate'));
    const opText = await page.textContent('#op-table');
    check('operators page shows the window aggregate', opText.includes('window_aggregate'));
    const keysCell = await page.$$eval('#op-table tr', (rows) => {
      const r = rows.find((x) => x.textContent.includes('window_aggregate'));
      return r ? r.children[4].textContent : '';
    });
    check('the aggregate holds state keys', number(keysCell) > 0, keysCell);
    const wm = await page.textContent('#op-sources tr:nth-child(2) td:nth-child(2)');
    await sleep(1500);
    const wm2 = await page.textContent('#op-sources tr:nth-child(2) td:nth-child(2)');
    check('source watermark shown and advancing', /^\d{4}-/.test(wm) && wm2 > wm, wm + ' -> ' + wm2);
    check('state-keys chart has points', (await pts('ch-keys')) > 0);
    await page.screenshot({ path: path.join(outDir, 'browser-operators.png'), fullPage: true });

    /* sinks */
    await page.click('nav a[data-page=sinks]');
    await waitFor(page, () => document.getElementById('sk-table').textContent.includes('alerts'));
    const rowsOf = async () => number(await page.$$eval('#sk-table tr', (rows) => {
      const r = rows.find((x) => x.textContent.includes('alerts'));
      return r ? r.children[2].textContent : '';
    }));
    const r1 = await rowsOf();
    await sleep(2000);
    const r2 = await rowsOf();
    check('sink row counts grow live', r2 > r1, r1 + ' -> ' + r2);
    check('sinks show no outage', (await page.textContent('#sk-table')).includes('none'));
    check('commit-latency chart has points', (await pts('ch-commit')) > 0);
    await page.screenshot({ path: path.join(outDir, 'browser-sinks.png'), fullPage: true });

    /* one sink's latest rows */
    await page.click('#sk-table a:text("per_minute")');
    await waitFor(page, () => document.querySelectorAll('#sr-rows tr').length > 2);
    const head = await page.textContent('#sr-rows tr:first-child');
    check('sink page shows its columns', head.includes('device_id') && head.includes('pm25_avg'));
    const nrows = await page.$$eval('#sr-rows tr', (r) => r.length - 1);
    check('sink page shows latest rows', nrows > 0 && nrows <= 20, String(nrows));
    await page.screenshot({ path: path.join(outDir, 'browser-sink.png'), fullPage: true });

    /* a view's latest rows */
    await page.click('nav a[data-page=sinks]');
    await page.click('#sk-table a:text("hot")');
    await waitFor(page, () => document.getElementById('sr-meta').textContent.startsWith('view') &&
      document.querySelectorAll('#sr-rows tr').length > 1);
    check('view page is titled as a view', (await page.textContent('#sr-title')).startsWith('View hot'));
    const vhead = await page.textContent('#sr-rows tr:first-child');
    check('view page shows its columns and latest rows', vhead.includes('pm25') &&
      (await page.$$eval('#sr-rows tr', (r) => r.length - 1)) > 0);
    await page.screenshot({ path: path.join(outDir, 'browser-view.png'), fullPage: true });

    check('no console errors', problems.length === 0, problems.join('\n    '));
    check('no request leaves the server (offline UI)', external.length === 0, external.join(' '));
  } catch (e) {
    check('browser session', false, String(e && e.stack || e));
  } finally {
    if (browser) await browser.close();
    job.kill('SIGTERM');
    await new Promise((r) => { job.on('exit', r); setTimeout(r, 5000); });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(passed + ' passed, ' + failed + ' failed');
  process.exit(failed ? 1 : 0);
}
main();
