/**
 * The report's chart code, inlined into the HTML as plain browser JS (no
 * CDN, no build step): it reads the embedded result JSON and draws SVG bar
 * and line charts. Kept as a string because it runs in the browser, not here.
 */
export const CHART_SCRIPT = String.raw`
(function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  var COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563', '#65a30d', '#9333ea'];
  var data = JSON.parse(document.getElementById('result-data').textContent);
  // One colour per tier in every chart: a process group is coloured by the tier its name starts with.
  var TIER_COLORS = { proxy: '#2563eb', 'proxy master': '#93c5fd', app: '#16a34a', 'app master': '#86efac', 'load generator': '#6b7280' };
  function tierColor(group, i) {
    if (TIER_COLORS[group]) return TIER_COLORS[group];
    if (/^proxy/.test(group)) return /master/.test(group) ? TIER_COLORS['proxy master'] : TIER_COLORS.proxy;
    if (/^app/.test(group)) return /master/.test(group) ? TIER_COLORS['app master'] : TIER_COLORS.app;
    return COLORS[(i + 3) % COLORS.length];
  }
  var W = 760, H = 320, M = { l: 70, r: 20, t: 20, b: 70 };

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, attrs) {
    var t = el('text', Object.assign({ x: x, y: y, 'font-size': 12, fill: '#111' }, attrs || {}), parent);
    t.textContent = s;
    return t;
  }
  function niceMax(v) {
    if (!(v > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var m = v / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }
  function axes(svg, max, unit) {
    var ih = H - M.t - M.b;
    el('line', { x1: M.l, y1: M.t, x2: M.l, y2: H - M.b, stroke: '#333' }, svg);
    el('line', { x1: M.l, y1: H - M.b, x2: W - M.r, y2: H - M.b, stroke: '#333' }, svg);
    for (var i = 0; i <= 4; i++) {
      var v = (max * i) / 4;
      var y = H - M.b - (ih * i) / 4;
      el('line', { x1: M.l - 4, y1: y, x2: W - M.r, y2: y, stroke: '#e5e7eb' }, svg);
      text(svg, M.l - 8, y + 4, (v >= 100 ? Math.round(v) : +v.toFixed(2)) + '', { 'text-anchor': 'end' });
    }
    text(svg, 14, M.t + ih / 2, unit, { transform: 'rotate(-90 14 ' + (M.t + ih / 2) + ')', 'text-anchor': 'middle' });
  }
  function newSvg(id) {
    var host = document.getElementById(id);
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, class: 'chart', role: 'img' }, host);
    return svg;
  }

  // Bars: one per variant, with the per-round values as dots (the noise).
  function barChart(id, labels, values, unit, rounds) {
    var svg = newSvg(id);
    var max = niceMax(Math.max.apply(null, values.concat(rounds ? [].concat.apply([], rounds) : [])));
    axes(svg, max, unit);
    var iw = W - M.l - M.r, ih = H - M.t - M.b;
    var slot = iw / Math.max(1, labels.length);
    labels.forEach(function (label, i) {
      var h = (ih * values[i]) / max;
      var x = M.l + slot * i + slot * 0.15;
      var r = el('rect', { class: 'bar', x: x, y: H - M.b - h, width: slot * 0.7, height: Math.max(h, 0.5), fill: COLORS[i % COLORS.length] }, svg);
      el('title', {}, r).textContent = label + ': ' + values[i] + ' ' + unit;
      text(svg, x + slot * 0.35, H - M.b - h - 4, String(Math.round(values[i])), { 'text-anchor': 'middle' });
      text(svg, x + slot * 0.35, H - M.b + 16, label, { 'text-anchor': 'middle', 'font-size': 11 });
      (rounds && rounds[i] || []).forEach(function (rv) {
        el('circle', { class: 'round-dot', cx: x + slot * 0.35, cy: H - M.b - (ih * rv) / max, r: 3, fill: '#111', opacity: 0.6 }, svg);
      });
    });
    return svg;
  }

  // Lines: latency at each percentile, one line per variant.
  function lineChart(id, series, xLabels, unit) {
    var svg = newSvg(id);
    var all = [];
    series.forEach(function (s) { all = all.concat(s.values); });
    var max = niceMax(Math.max.apply(null, all));
    axes(svg, max, unit);
    var iw = W - M.l - M.r - 140, ih = H - M.t - M.b;
    xLabels.forEach(function (xl, j) {
      text(svg, M.l + (iw * j) / Math.max(1, xLabels.length - 1), H - M.b + 16, xl, { 'text-anchor': 'middle' });
    });
    series.forEach(function (s, i) {
      var pts = s.values.map(function (v, j) {
        return (M.l + (iw * j) / Math.max(1, xLabels.length - 1)) + ',' + (H - M.b - (ih * v) / max);
      });
      el('polyline', { class: 'series', points: pts.join(' '), fill: 'none', stroke: COLORS[i % COLORS.length], 'stroke-width': 2 }, svg);
      s.values.forEach(function (v, j) {
        el('circle', { cx: M.l + (iw * j) / Math.max(1, xLabels.length - 1), cy: H - M.b - (ih * v) / max, r: 3, fill: COLORS[i % COLORS.length] }, svg);
      });
      el('rect', { class: 'legend', x: W - M.r - 130, y: M.t + i * 18, width: 12, height: 12, fill: COLORS[i % COLORS.length] }, svg);
      text(svg, W - M.r - 112, M.t + i * 18 + 10, s.name, { 'font-size': 11 });
    });
    return svg;
  }

  // Stacked bars: CPU microseconds per request, one segment per process group.
  function stackedChart(id, labels, stacks, unit) {
    var svg = newSvg(id);
    var groups = [];
    stacks.forEach(function (st) { st.forEach(function (g) { if (groups.indexOf(g.group) < 0) groups.push(g.group); }); });
    var totals = stacks.map(function (st) { return st.reduce(function (a, g) { return a + g.value; }, 0); });
    var max = niceMax(Math.max.apply(null, totals));
    axes(svg, max, unit);
    var iw = W - M.l - M.r - 150, ih = H - M.t - M.b;
    var slot = iw / Math.max(1, labels.length);
    labels.forEach(function (label, i) {
      var y = H - M.b;
      var x = M.l + slot * i + slot * 0.15;
      stacks[i].forEach(function (g) {
        var h = (ih * g.value) / max;
        if (h <= 0) return;
        y -= h;
        var r = el('rect', { class: 'bar', x: x, y: y, width: slot * 0.7, height: h, fill: tierColor(g.group, groups.indexOf(g.group)) }, svg);
        el('title', {}, r).textContent = label + ' / ' + g.group + ': ' + g.value.toFixed(1) + ' ' + unit;
      });
      text(svg, x + slot * 0.35, y - 4, totals[i].toFixed(0), { 'text-anchor': 'middle' });
      text(svg, x + slot * 0.35, H - M.b + 16, label, { 'text-anchor': 'middle', 'font-size': 11 });
    });
    groups.forEach(function (g, i) {
      el('rect', { class: 'legend', x: W - M.r - 140, y: M.t + i * 18, width: 12, height: 12, fill: tierColor(g, i) }, svg);
      text(svg, W - M.r - 122, M.t + i * 18 + 10, g, { 'font-size': 11 });
    });
    return svg;
  }

  // Heat map of the scaling matrix: proxy workers (replicas in containers) down, app workers across; each cell's shade is its
  // throughput, its label the req/s and the bottleneck tier in that tier's colour.
  function matrixChart(id, matrix) {
    var svg = newSvg(id);
    var ps = [], as = [];
    matrix.cells.forEach(function (c) {
      if (ps.indexOf(c.proxyWorkers) < 0) ps.push(c.proxyWorkers);
      if (as.indexOf(c.appWorkers) < 0) as.push(c.appWorkers);
    });
    ps.sort(function (a, b) { return a - b; });
    as.sort(function (a, b) { return a - b; });
    var max = Math.max.apply(null, matrix.cells.map(function (c) { return c.rps; }).concat([1]));
    var iw = W - M.l - M.r - 150, ih = H - M.t - M.b;
    var cw = iw / as.length, ch = ih / ps.length;
    as.forEach(function (a, j) { text(svg, M.l + cw * j + cw / 2, H - M.b + 16, 'app ' + a, { 'text-anchor': 'middle', fill: TIER_COLORS.app }); });
    ps.forEach(function (p, i) { text(svg, M.l - 8, M.t + ch * i + ch / 2 + 4, 'proxy ' + p, { 'text-anchor': 'end', fill: TIER_COLORS.proxy }); });
    text(svg, M.l + iw / 2, H - M.b + 36, matrix.topology === 'containers' ? 'app replicas' : 'app workers', { 'text-anchor': 'middle' });
    matrix.cells.forEach(function (c) {
      var x = M.l + cw * as.indexOf(c.appWorkers), y = M.t + ch * ps.indexOf(c.proxyWorkers);
      var shade = 0.12 + 0.78 * (c.rps / max);
      var r = el('rect', { class: 'cell', x: x + 1, y: y + 1, width: cw - 2, height: ch - 2, fill: '#f59e0b', 'fill-opacity': shade.toFixed(3),
        stroke: c.bottleneck === 'proxy' || c.bottleneck === 'app' ? TIER_COLORS[c.bottleneck] : '#9ca3af', 'stroke-width': 3 }, svg);
      el('title', {}, r).textContent = c.variant + ': ' + Math.round(c.rps) + ' req/s, bottleneck ' + c.bottleneck;
      text(svg, x + cw / 2, y + ch / 2 - 2, Math.round(c.rps) + ' req/s', { 'text-anchor': 'middle', 'font-weight': 'bold' });
      text(svg, x + cw / 2, y + ch / 2 + 14, 'limit: ' + c.bottleneck, { 'text-anchor': 'middle', 'font-size': 11,
        fill: c.bottleneck === 'proxy' || c.bottleneck === 'app' ? TIER_COLORS[c.bottleneck] : '#374151' });
    });
    [['proxy', 'proxy tier is the limit'], ['app', 'app tier is the limit']].forEach(function (l, i) {
      el('rect', { class: 'legend', x: W - M.r - 140, y: M.t + i * 18, width: 12, height: 12, fill: 'none', stroke: TIER_COLORS[l[0]], 'stroke-width': 3 }, svg);
      text(svg, W - M.r - 122, M.t + i * 18 + 10, l[1], { 'font-size': 11 });
    });
    return svg;
  }

  var v = data.variants || [];
  var names = v.map(function (x) { return x.name; });
  var drawn = 0;
  if (data.matrix && data.matrix.cells && data.matrix.cells.length > 0) {
    matrixChart('chart-matrix', data.matrix);
    drawn++;
  }
  if (v.length > 0) {
    barChart('chart-throughput', names, v.map(function (x) { return x.rps; }), 'req/s', v.map(function (x) { return x.roundRps; }));
    drawn++;
    lineChart('chart-latency', v.map(function (x) {
      return { name: x.name, values: x.latencyCurve.map(function (p) { return p[1]; }) };
    }), (v[0].latencyCurve || []).map(function (p) { return 'p' + p[0]; }), 'ms');
    drawn++;
    stackedChart('chart-cpu', names, v.map(function (x) {
      return x.cpu.map(function (g) { return { group: g.group, value: g.cpuUsPerRequest }; });
    }), 'CPU us / request');
    drawn++;
  }
  document.body.setAttribute('data-charts-drawn', String(drawn));
})();
`;
