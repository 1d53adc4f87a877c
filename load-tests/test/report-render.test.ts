// The page callbacks below run in Chromium, so they see the DOM.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { renderHtml } from '../src/report/html-report.ts';
import type { ScenarioResult } from '../src/result-types.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : 'Debian chromium not installed (apt-get install chromium)';

/** Debian's Chromium, headless, with a fresh profile per run (a persistent context is how playwright takes --user-data-dir). */
function launchChromium(profile: string): ReturnType<typeof chromium.launchPersistentContext> {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

const result: ScenarioResult = JSON.parse(await readFile(new URL('./fixtures/sample-result.json', import.meta.url), 'utf8'));

test('HTML report opens from disk in headless Chromium and draws its three charts', { skip, timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tsgi-lt-report-'));
  const profile = join(dir, 'profile');
  const page = join(dir, 'report.html');
  // A hostile variant name must stay text: the report embeds data, not markup.
  const hostile = structuredClone(result);
  const first = hostile.variants[0];
  assert.ok(first, 'the sample result has a variant');
  first.name = '</script><img src=x onerror=alert(1)>';
  await writeFile(page, renderHtml(hostile));
  const browser = await launchChromium(profile);
  try {
    const tab = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    tab.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    tab.on('request', (r) => requests.push(r.url()));
    tab.on('dialog', (d) => { errors.push(`dialog: ${d.message()}`); void d.dismiss(); });
    await tab.goto(pathToFileURL(page).href);
    await tab.waitForFunction(() => document.body.getAttribute('data-charts-drawn') === '3', undefined, { timeout: 10_000 });
    const charts = await tab.evaluate(() =>
      ['chart-throughput', 'chart-latency', 'chart-cpu'].map((id) => {
        const svg = document.querySelector(`#${id} svg`);
        const box = svg?.getBoundingClientRect();
        const bars = [...(svg?.querySelectorAll('rect.bar') ?? [])].filter((r) => r.getBoundingClientRect().height > 0.4).length;
        return { id, width: box?.width ?? 0, height: box?.height ?? 0, bars, lines: svg?.querySelectorAll('polyline.series').length ?? 0 };
      }),
    );
    const variants = hostile.variants.length;
    const [throughput, latency, cpu] = charts;
    assert.ok(throughput && latency && cpu, `three charts: ${JSON.stringify(charts)}`);
    assert.ok(throughput.width > 100 && throughput.height > 100, JSON.stringify(throughput));
    assert.equal(throughput.bars, variants, 'one bar per variant');
    assert.equal(latency.lines, variants, 'one latency line per variant');
    assert.ok(cpu.bars >= variants, `stacked CPU bars drawn: ${JSON.stringify(cpu)}`);
    // A blank 760x320 PNG compresses to a few hundred bytes; drawn bars and text make it far larger.
    const png = await tab.locator('#chart-throughput svg').screenshot();
    assert.ok(png.length > 2000, `screenshot has content (${png.length} bytes)`);
    const title = await tab.title();
    assert.match(title, /load test: compare-servers/);
    assert.deepEqual(errors, []);
    assert.deepEqual(requests.filter((u) => !u.startsWith('file:')), [], 'the report loads nothing from the network');
    await writeFile(join(dir, 'shot.png'), png);
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
});

const matrixResult: ScenarioResult = JSON.parse(await readFile(new URL('./fixtures/matrix-result.json', import.meta.url), 'utf8'));

test('a scaling-matrix report reads top-down: verdict and one sentence per tier first, then the heat map; one colour per tier', { skip, timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tsgi-lt-report-'));
  const page = join(dir, 'report.html');
  await writeFile(page, renderHtml(matrixResult));
  const browser = await launchChromium(join(dir, 'profile'));
  try {
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    await tab.goto(pathToFileURL(page).href);
    await tab.waitForFunction(() => document.body.getAttribute('data-charts-drawn') === '4', undefined, { timeout: 10_000 });
    const seen = await tab.evaluate(() => {
      const order = [...document.querySelectorAll('#verdict, #tier-sentences, #chart-matrix, #chart-throughput, #chart-cpu')].map((e) => e.id);
      const cells = [...document.querySelectorAll('#chart-matrix svg rect.cell')].map((r) => ({
        title: r.querySelector('title')?.textContent ?? '',
        stroke: r.getAttribute('stroke'),
        height: r.getBoundingClientRect().height,
      }));
      // Every CPU segment of one process group has one fill, whatever variant it is in.
      const fills: Record<string, string[]> = {};
      for (const r of document.querySelectorAll('#chart-cpu svg rect.bar')) {
        const group = (r.querySelector('title')?.textContent ?? '').split(' / ')[1]?.split(':')[0] ?? '';
        const tier = group.startsWith('proxy') && !group.includes('master') ? 'proxy' : group.startsWith('app') && !group.includes('master') ? 'app' : group;
        (fills[tier] ??= []).push(r.getAttribute('fill') ?? '');
      }
      return {
        order,
        verdict: document.querySelector('#verdict')?.textContent ?? '',
        sentences: [...document.querySelectorAll('#tier-sentences li')].map((li) => li.textContent ?? ''),
        cells,
        fills,
      };
    });
    assert.deepEqual(seen.order, ['verdict', 'tier-sentences', 'chart-matrix', 'chart-throughput', 'chart-cpu'], 'verdict first, then the matrix, then the details');
    assert.match(seen.verdict, /^(PASS|FAIL): /);
    assert.equal(seen.sentences.length, 2);
    assert.match(seen.sentences[0] ?? '', /^proxy tier: 1→2 workers gave /);
    assert.match(seen.sentences[1] ?? '', /^app tier: 1→2 workers gave /);
    const cells = matrixResult.matrix?.cells ?? [];
    assert.equal(seen.cells.length, cells.length, 'one heat-map cell per matrix cell');
    for (const c of cells) {
      const drawn = seen.cells.find((d) => d.title.startsWith(`${c.variant}:`));
      assert.ok(drawn && drawn.height > 10, `cell ${c.variant} drawn: ${JSON.stringify(seen.cells)}`);
      assert.match(drawn.title, new RegExp(`bottleneck ${c.bottleneck}$`));
    }
    const proxyStroke = seen.cells.find((d) => d.title.endsWith('bottleneck proxy'))?.stroke;
    const appStroke = seen.cells.find((d) => d.title.endsWith('bottleneck app'))?.stroke;
    assert.ok(proxyStroke && appStroke && proxyStroke !== appStroke, 'the two tiers have two colours');
    assert.deepEqual([...new Set(seen.fills.proxy)], [proxyStroke], 'the proxy tier has one colour in the CPU chart and the matrix');
    assert.deepEqual([...new Set(seen.fills.app)], [appStroke], 'the app tier has one colour in the CPU chart and the matrix');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
});
