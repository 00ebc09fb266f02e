#!/usr/bin/env node
/*
 * bench/ui_watch.js - keeps the web UI open in headless chromium while a
 * job runs, for bench/http_cost.sh: starts the browser, prints "ready",
 * waits for the server, opens PAGE
 * (default the streaming tab, which polls every second and redraws its
 * charts) and stays until the server goes away.
 *   usage: node bench/ui_watch.js PORT [PAGE]
 */
'use strict';
const { chromium } = require('../tests/browser/node_modules/playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [port, hash] = process.argv.slice(2);
const base = 'http://127.0.0.1:' + port;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function up() {
  try { return (await fetch(base + '/healthz')).status === 200; } catch (e) { return false; }
}

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ember-watch-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  /* the browser is up before the job starts, so its start-up is not
   * counted against the job */
  console.log('ready');
  for (let i = 0; i < 400 && !(await up()); i++) await sleep(25);
  try {
    await page.goto(base + '/#/' + (hash || 'streaming'));
    while (await up()) await sleep(250);
  } catch (e) { /* the job ended while loading */ }
  await ctx.close();
  fs.rmSync(dir, { recursive: true, force: true });
})();
