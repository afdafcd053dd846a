// SVG timeline and bar chart of the query page and the entity pages (no external code).
// Every text is set with textContent; links are only relative (entity pages) or http(s).
"use strict";
(function () {
  var SVG = "http://www.w3.org/2000/svg";

  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  /* A link target that cannot run script: http(s), or a relative path without a scheme. */
  function safeHref(url) {
    if (typeof url !== "string" || url === "") { return null; }
    var scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url);
    if (scheme) { return /^https?$/i.test(scheme[1]) ? url : null; }
    return /^[\s\\/]*[\\/][\\/]/.test(url) ? null : url;  // no protocol-relative URL
  }

  /* Milliseconds (UTC) of an xsd:date, dateTime, gYear or gYearMonth value, or NaN. */
  function parseDay(text) {
    var m = /^(-?\d{4,})(?:-(\d\d)(?:-(\d\d))?)?/.exec(String(text || "").trim());
    if (!m) { return NaN; }
    return Date.UTC(+m[1], m[2] ? +m[2] - 1 : 0, m[3] ? +m[3] : 1);
  }

  function note(container, text) {
    var p = document.createElement("p");
    p.className = "note";
    p.textContent = text;
    container.appendChild(p);
    return null;
  }

  function clip(text, n) {
    text = String(text);
    return text.length > n ? text.slice(0, n - 1) + "…" : text;
  }

  function wrapLink(node, href) {
    var target = safeHref(href);
    if (!target) { return node; }
    var a = el("a", { href: target });
    a.appendChild(node);
    return a;
  }

  /* items: [{start, end?, label, href?, status?}]; draws one lane per item, in date order. */
  function timeline(container, items) {
    container.textContent = "";
    var rows = items.filter(function (i) { return !isNaN(parseDay(i.start)); });
    if (!rows.length) { return note(container, "Nothing dated to draw on a timeline."); }
    rows.sort(function (a, b) { return parseDay(a.start) - parseDay(b.start); });
    var lo = Infinity, hi = -Infinity;
    rows.forEach(function (r) {
      lo = Math.min(lo, parseDay(r.start));
      hi = Math.max(hi, parseDay(r.end || r.start), parseDay(r.start));
    });
    var y0 = new Date(lo).getUTCFullYear(), y1 = new Date(hi).getUTCFullYear() + 1;
    lo = Date.UTC(y0, 0, 1);
    hi = Date.UTC(y1, 0, 1);
    var width = Math.max(640, container.clientWidth || 900), left = 20, right = 20, lane = 22;
    var statuses = [];
    rows.forEach(function (r) {
      if (r.status && statuses.indexOf(String(r.status)) < 0) { statuses.push(String(r.status)); }
    });
    var height = 34 + rows.length * lane + (statuses.length ? 22 : 0);
    var x = function (t) { return left + (t - lo) / (hi - lo) * (width - left - right); };
    var svg = el("svg", { "class": "ckg-timeline", width: width, height: height,
                          viewBox: "0 0 " + width + " " + height, role: "img" });
    svg.appendChild(el("title", {}, "Timeline of " + rows.length + " dated items"));
    var step = Math.max(1, Math.ceil((y1 - y0) / 12));
    for (var y = y0; y <= y1; y += step) {
      var tx = x(Date.UTC(y, 0, 1));
      svg.appendChild(el("line", { x1: tx, x2: tx, y1: 18, y2: height, "class": "grid" }));
      svg.appendChild(el("text", { x: tx, y: 13, "class": "tick", "text-anchor": "middle" }, y));
    }
    rows.forEach(function (r, i) {
      var cy = 32 + i * lane, sx = x(parseDay(r.start));
      var g = el("g", { "class": "item status-" + String(r.status || "").replace(/\W+/g, "-") });
      var tip = String(r.start) + (r.end ? " – " + r.end : "") + ": " + r.label;
      g.appendChild(el("title", {}, tip));
      if (r.end && !isNaN(parseDay(r.end))) {
        var ex = x(parseDay(r.end));
        g.appendChild(el("rect", { x: sx, y: cy - 4, width: Math.max(2, ex - sx), height: 8,
                                   rx: 3, "class": "span" }));
      }
      g.appendChild(el("circle", { cx: sx, cy: cy, r: 5, "class": "dot" }));
      var rightSide = sx < width * 0.6;
      g.appendChild(el("text", { x: rightSide ? sx + 9 : sx - 9, y: cy + 4, "class": "label",
                                 "text-anchor": rightSide ? "start" : "end" },
                       clip(r.start + "  " + r.label, 90)));
      svg.appendChild(wrapLink(g, r.href));
    });
    statuses.sort().forEach(function (st, k) {  // the legend of the dot colours
      var g = el("g", { "class": "legend status-" + st.replace(/\W+/g, "-") });
      var lx = left + k * 170, ly = height - 12;
      g.appendChild(el("circle", { cx: lx + 5, cy: ly - 4, r: 5, "class": "dot" }));
      g.appendChild(el("text", { x: lx + 14, y: ly, "class": "tick" }, st));
      svg.appendChild(g);
    });
    container.appendChild(svg);
    return svg;
  }

  /* items: [{label, values: [numbers], href?}], series: names of the values. */
  function bars(container, items, series) {
    container.textContent = "";
    if (!items.length) { return note(container, "No numbers to draw as bars."); }
    var max = 0;
    items.forEach(function (i) { i.values.forEach(function (v) { max = Math.max(max, v); }); });
    var width = Math.max(640, container.clientWidth || 900), labelW = Math.min(360, width * 0.4);
    var bar = 16, gap = 8, k = series.length, group = k * bar + gap;
    var legend = k > 1 ? 26 : 8, height = legend + items.length * group + 6;
    var scale = function (v) { return max > 0 ? v / max * (width - labelW - 70) : 0; };
    var svg = el("svg", { "class": "ckg-bars", width: width, height: height,
                          viewBox: "0 0 " + width + " " + height, role: "img" });
    svg.appendChild(el("title", {}, "Bar chart of " + series.join(", ")));
    if (k > 1) {
      series.forEach(function (name, s) {
        svg.appendChild(el("rect", { x: labelW + s * 150, y: 4, width: 12, height: 12,
                                     "class": "bar s" + (s % 6) }));
        svg.appendChild(el("text", { x: labelW + s * 150 + 16, y: 15, "class": "tick" }, name));
      });
    }
    items.forEach(function (item, i) {
      var top = legend + i * group;
      var g = el("g", { "class": "row" });
      g.appendChild(el("title", {}, item.label + ": " + item.values.join(", ")));
      g.appendChild(el("text", { x: labelW - 8, y: top + k * bar / 2 + 4, "class": "label",
                                 "text-anchor": "end" }, clip(item.label, 56)));
      item.values.forEach(function (v, s) {
        var w = scale(v);
        g.appendChild(el("rect", { x: labelW, y: top + s * bar, width: Math.max(1, w),
                                   height: bar - 2, "class": "bar s" + (s % 6) }));
        g.appendChild(el("text", { x: labelW + w + 5, y: top + s * bar + bar - 5,
                                   "class": "value" }, v));
      });
      svg.appendChild(wrapLink(g, item.href));
    });
    container.appendChild(svg);
    return svg;
  }

  window.ckgCharts = { timeline: timeline, bars: bars, safeHref: safeHref, parseDay: parseDay };
}());
