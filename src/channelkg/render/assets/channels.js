/* channelkg channel maps: column headers that follow pan and zoom, family bands, the
 * route legend and the route styles (dash pattern per state). Runs after view.js and
 * uses what it exposes on window.channelkg (network, data with data.channels, edges)
 * and, when present, #ckg-main, #ckg-side, #ckg-legend and #ckg-reset. Every text goes
 * through textContent or the canvas; nothing is parsed as HTML.
 */
(function () {
  "use strict";
  var api = window.channelkg;
  if (!api || !api.network || !api.data || !api.data.channels) return;
  var ch = api.data.channels, network = api.network;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  /* ---------- route styles: the legend's line per state ---------- */
  var states = {};
  ch.states.forEach(function (s) { states[s.id] = s; });
  var updates = [];
  api.data.edges.forEach(function (e) {
    var s = e.state && states[e.state];
    if (!s) return;
    updates.push({ id: e.id, dashes: s.dashes || false, width: e.state === "open-confirmed" ? 4 : 3 });
  });
  if (updates.length) api.edges.update(updates);

  /* ---------- column headers ---------- */
  var main = document.getElementById("ckg-main") || document.body;
  var bar = el("div");
  bar.id = "ckg-columns";
  var heads = ch.columns.map(function (c) {
    var h = el("div", "ckg-column", c.label);
    h.setAttribute("data-column", c.id);
    h.appendChild(el("span", "ckg-column-count", c.count + (c.count === 1 ? " node" : " nodes")));
    bar.appendChild(h);
    return h;
  });
  main.appendChild(bar);
  /* A header is as wide as its column on screen (less a gap), so headers never overlap. */
  var pitch = ch.columns.length > 1 ? ch.columns[1].x - ch.columns[0].x : 240;
  function placeHeads() {
    var w = Math.max(24, Math.min(260, pitch * network.getScale() - 8));
    ch.columns.forEach(function (c, i) {
      var p = network.canvasToDOM({ x: c.x, y: 0 });
      heads[i].style.left = (p.x - w / 2) + "px";
      heads[i].style.width = w + "px";
    });
  }
  network.on("afterDrawing", placeHeads);

  /* ---------- fit: the whole map, or its full width from the top when it is tall ---------- */
  var PAD = 24;
  function extent() {
    var box = null;
    network.body.nodeIndices.forEach(function (i) {
      var b = network.getBoundingBox(i);
      if (!box) box = { left: b.left, right: b.right, top: b.top, bottom: b.bottom };
      else {
        box.left = Math.min(box.left, b.left); box.right = Math.max(box.right, b.right);
        box.top = Math.min(box.top, b.top); box.bottom = Math.max(box.bottom, b.bottom);
      }
    });
    if (box) {
      bandLabelBoxes(true).forEach(function (b) {
        box.left = Math.min(box.left, b.left); box.right = Math.max(box.right, b.right);
        box.top = Math.min(box.top, b.top);
      });
    }
    return box;
  }
  function fitMap() {
    var box = extent(), c = network.body.container;
    if (!box || !c.clientWidth || !c.clientHeight) return;
    var w = box.right - box.left + 2 * PAD, h = box.bottom - box.top + 2 * PAD;
    var scale = Math.min(1, c.clientWidth / w, c.clientHeight / h);
    var byWidth = Math.min(1, c.clientWidth / w), cx = (box.left + box.right) / 2;
    if (byWidth > scale * 1.15) {  /* tall: fit the width, start at the top, pan down */
      network.moveTo({ scale: byWidth, animation: false,
        position: { x: cx, y: box.top - PAD + c.clientHeight / 2 / byWidth } });
    } else {
      network.moveTo({ scale: scale, animation: false,
        position: { x: cx, y: (box.top + box.bottom) / 2 } });
    }
  }
  var reset = document.getElementById("ckg-reset");
  if (reset) reset.addEventListener("click", fitMap);

  /* ---------- the details panel: shown once something is clicked ---------- */
  // A map needs the page's width for legible labels at fit; the details panel opens
  // beside it when a node or a route is clicked and closes on a click of the background.
  var panel = document.getElementById("ckg-panel");
  function showPanel(open) {
    if (!panel || panel.classList.contains("ckg-open") === open) return;
    panel.classList.toggle("ckg-open", open);
    network.setSize("100%", "100%");
    network.redraw();
  }
  if (panel) {
    network.on("click", function (params) {
      showPanel(params.nodes.length > 0 || params.edges.length > 0);
    });
  }

  /* ---------- bands (a map of every model family) ---------- */
  var BAND_FILL = ["rgba(78,121,167,0.07)", "rgba(242,142,43,0.07)"];
  var BAND_FONT = 20;
  function bandExtent() {
    var xs = ch.columns.map(function (c) { return c.x; }), half = (ch.box || 200) / 2;
    return { left: Math.min.apply(null, xs) - half - 10, right: Math.max.apply(null, xs) + half + 10 };
  }
  network.on("beforeDrawing", function (ctx) {
    if (!ch.bands.length) return;
    var ext = bandExtent();
    ch.bands.forEach(function (b, i) {
      ctx.fillStyle = BAND_FILL[i % 2];
      ctx.fillRect(ext.left, b.top, ext.right - ext.left, b.bottom - b.top);
      ctx.fillStyle = "#333";
      ctx.font = "600 " + BAND_FONT + "px system-ui, sans-serif";
      ctx.textBaseline = "top";
      ctx.fillText(b.label, ext.left + 10, b.top + 10);
    });
  });
  /* Boxes of the band labels, in page pixels (or canvas units with inCanvas). */
  function bandLabelBoxes(inCanvas) {
    var ctx = document.createElement("canvas").getContext("2d");
    ctx.font = "600 " + BAND_FONT + "px system-ui, sans-serif";
    var ext = bandExtent(), rect = network.body.container.getBoundingClientRect();
    return ch.bands.map(function (b) {
      var a = { x: ext.left + 10, y: b.top + 10 };
      var z = { x: ext.left + 10 + ctx.measureText(b.label).width, y: b.top + 10 + BAND_FONT };
      if (!inCanvas) {
        a = network.canvasToDOM(a); z = network.canvasToDOM(z);
        a = { x: rect.left + a.x, y: rect.top + a.y }; z = { x: rect.left + z.x, y: rect.top + z.y };
      }
      return { text: b.label, left: a.x, top: a.y, right: z.x, bottom: z.y };
    });
  }

  /* ---------- route legend in the side panel ---------- */
  var section = el("div", "ckg-section");
  section.id = "ckg-routes";
  section.appendChild(el("h2", null, "Routes"));
  ch.states.forEach(function (s) {
    var row = el("div", "ckg-route-state");
    row.setAttribute("data-state", s.id);
    var line = el("span", "ckg-route-line ckg-dash-" + s.id);
    line.style.borderTopColor = s.color;
    row.appendChild(line);
    row.appendChild(el("span", "ckg-filter-label", s.label));
    row.appendChild(el("span", "ckg-count", s.count));
    section.appendChild(row);
  });
  section.appendChild(el("p", "ckg-route-note", ch.empty
    ? "No access route into this market is recorded for this model" +
      (ch.on ? " as of " + ch.on + "." : ".")
    : "A closed route ends at the restriction that blocks it. Hover or click a route for its sources and dates."));
  var side = document.getElementById("ckg-side");
  var legend = document.getElementById("ckg-legend");
  var before = legend && legend.parentNode && legend.parentNode.parentNode === side ? legend.parentNode : null;
  if (side) side.insertBefore(section, before); else main.appendChild(section);

  fitMap();
  api.channels = {
    fit: fitMap, columns: ch.columns, routes: ch.routes, bands: ch.bands, bandLabelBoxes: bandLabelBoxes,
    headerBoxes: function () {
      return heads.map(function (h) {
        var r = h.getBoundingClientRect();
        return { text: h.textContent, left: r.left, top: r.top, right: r.right, bottom: r.bottom };
      });
    }
  };
  network.redraw();
})();
