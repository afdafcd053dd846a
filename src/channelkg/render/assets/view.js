/* channelkg view: draws the embedded graph with vis-network and adds the legend,
 * class/status filters, search, tooltips and neighbourhood focus.
 *
 * Every text taken from the data reaches the page through textContent or
 * createTextNode, never innerHTML; links are created with createElement('a') and
 * get an href only when it starts with http:// or https://.
 */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("ckg-data").textContent);
  var DIM = 0.12;
  var api = { ready: false, firstDrawMs: null, focused: null };
  window.channelkg = api;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function safeUrl(u) {
    return typeof u === "string" && /^https?:\/\//i.test(u) ? u : null;
  }

  /* ---------- tooltip / details content ---------- */
  function infoElement(info) {
    var box = el("div", "ckg-info");
    box.appendChild(el("div", "ckg-info-title", info.t));
    if (info.c) box.appendChild(el("div", "ckg-info-class", info.c));
    if (info.rows && info.rows.length) {
      var table = el("table");
      info.rows.forEach(function (r) {
        var tr = el("tr");
        tr.appendChild(el("th", null, r[0]));
        tr.appendChild(el("td", null, r[1]));
        table.appendChild(tr);
      });
      box.appendChild(table);
    }
    if (info.src && info.src.length) {
      box.appendChild(el("div", "ckg-info-class", "Sources"));
      var ul = el("ul", "ckg-sources");
      info.src.forEach(function (s) {
        var li = el("li");
        var url = safeUrl(s.url);
        if (url) {
          var a = document.createElement("a");
          a.href = url;
          a.target = "_blank";
          a.rel = "noopener noreferrer";
          a.textContent = s.title || url;
          li.appendChild(a);
        } else {
          li.appendChild(document.createTextNode(s.title || s.id || "source"));
          if (s.url) li.appendChild(document.createTextNode(" (" + s.url + ")"));
        }
        var extra = [s.publisher, s.date].filter(Boolean).join(", ");
        if (extra) li.appendChild(document.createTextNode(" — " + extra));
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }
    return box;
  }

  /* ---------- data sets ---------- */
  var nodes = new vis.DataSet(data.nodes.map(function (n) {
    var o = { id: n.id, label: n.label, group: n.group, x: n.x, y: n.y };
    if (n.dashed) o.shapeProperties = { borderDashes: [5, 4] };
    return o;
  }));
  function edgeColor(e, alpha) {
    var c = { color: e.color, highlight: e.color, hover: e.color };
    if (alpha !== undefined) c.opacity = alpha;
    return c;
  }
  /* Large views draw edge labels only around the focused node: drawing tens of
   * thousands of labels when zoomed in would take seconds per frame. */
  var lazyLabels = !!data.lazyEdgeLabels;
  var edges = new vis.DataSet(data.edges.map(function (e) {
    var o = {
      id: e.id, from: e.from, to: e.to, label: lazyLabels ? "" : e.label,
      arrows: e.arrows ? "to" : "", dashes: !!e.dashed, color: edgeColor(e)
    };
    if (e.smooth) o.smooth = e.smooth;
    return o;
  }));

  var container = document.getElementById("ckg-graph");
  var options = data.options;
  options.groups = data.groups;
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, options);

  var state = {
    classOn: {}, statusOn: {}, focused: null, firstDrawMs: null, ready: false
  };
  data.classes.forEach(function (c) { state.classOn[c.id] = true; });
  data.statuses.forEach(function (s) { state.statusOn[s.id] = true; });

  network.once("afterDrawing", function () {
    state.firstDrawMs = performance.now();
    state.ready = true;
    api.firstDrawMs = state.firstDrawMs;
    api.ready = true;
    document.body.setAttribute("data-ready", "1");
  });
  if (!data.physics) network.fit({ animation: false });

  /* ---------- settle: physics polishes the layout, then stops ----------
   * The layout is computed in Python; physics only polishes it. Left running, the
   * solver never quite rests and nodes drift under the pointer, so it is switched
   * off once vis-network reports the layout stable, or after a few seconds. */
  function settle() {
    if (api.settled) return;
    network.setOptions({ physics: { enabled: false } });
    api.settled = true;
    document.body.setAttribute("data-settled", "1");
  }
  if (data.physics) {
    network.once("stabilized", settle);
    setTimeout(settle, 3000);
  } else {
    api.settled = true;
    document.body.setAttribute("data-settled", "1");
  }

  /* ---------- filters ---------- */
  function nodeVisible(n) {
    if (n.cls && state.classOn[n.cls] === false) return false;
    if (n.status && state.statusOn[n.status] === false) return false;
    return true;
  }
  function edgeVisible(e) {
    if (e.cls && state.classOn[e.cls] === false) return false;
    if (e.status && state.statusOn[e.status] === false) return false;
    return true;
  }
  function applyFilters() {
    var nu = [], eu = [];
    data.nodes.forEach(function (n) {
      var hidden = !nodeVisible(n);
      if (hidden !== !!n._hidden) { n._hidden = hidden; nu.push({ id: n.id, hidden: hidden }); }
    });
    data.edges.forEach(function (e) {
      var hidden = !edgeVisible(e);
      if (hidden !== !!e._hidden) { e._hidden = hidden; eu.push({ id: e.id, hidden: hidden }); }
    });
    if (nu.length) nodes.update(nu);
    if (eu.length) edges.update(eu);
    updateStats();
  }
  function visibleNodeCount() {
    return nodes.get({ filter: function (n) { return !n.hidden; } }).length;
  }
  function visibleEdgeCount() {
    return edges.get({
      filter: function (e) {
        if (e.hidden) return false;
        var a = nodes.get(e.from), b = nodes.get(e.to);
        return !!a && !!b && !a.hidden && !b.hidden;
      }
    }).length;
  }
  function updateStats() {
    var s = document.getElementById("ckg-stats");
    s.textContent = visibleNodeCount() + " of " + data.nodes.length + " nodes, " +
      visibleEdgeCount() + " of " + data.edges.length + " edges shown" +
      (data.physics ? "" : " (fixed layout)");
  }

  function filterRow(kind, id, labelText, count, swatch) {
    var lab = el("label", "ckg-filter");
    var cb = document.createElement("input");
    cb.type = "checkbox";
    cb.checked = true;
    cb.setAttribute("data-" + kind, id);
    cb.addEventListener("change", function () {
      if (kind === "class") state.classOn[id] = cb.checked; else state.statusOn[id] = cb.checked;
      applyFilters();
    });
    lab.appendChild(cb);
    if (swatch) lab.appendChild(swatch);
    lab.appendChild(el("span", "ckg-filter-label", labelText));
    lab.appendChild(el("span", "ckg-count", count));
    return lab;
  }

  var legend = document.getElementById("ckg-legend");
  data.classes.forEach(function (c) {
    var sw = el("span", "ckg-swatch ckg-shape-" + (c.shape || "dot") + (c.edge ? " ckg-edge" : ""));
    sw.style.backgroundColor = c.color;
    sw.setAttribute("data-color", c.color);
    var row = filterRow("class", c.id, c.label + (c.edge ? " (edge)" : ""), c.count, sw);
    row.setAttribute("data-class", c.id);
    row.title = c.id + (c.styledBy && c.styledBy !== c.id ? " (style of " + c.styledBy + ")" : "");
    legend.appendChild(row);
  });
  var statusBox = document.getElementById("ckg-status");
  if (!data.statuses.length) statusBox.parentNode.style.display = "none";
  data.statuses.forEach(function (s) {
    statusBox.appendChild(filterRow("status", s.id, s.label, s.count, null));
  });

  /* ---------- neighbourhood focus ---------- */
  var byId = {};
  data.nodes.forEach(function (n) { byId[n.id] = n; });
  var byKey = {};
  data.nodes.forEach(function (n) { byKey[n.key] = n; });
  var edgeById = {};
  data.edges.forEach(function (e) { edgeById[e.id] = e; });

  /* Dimming sets one global opacity (cheap even for 10,000 nodes) and explicit
   * overrides only on the focused neighbourhood (`bright`); ids brightened by an
   * earlier focus are set dim explicitly (`darkened`), and a reset restores both. */
  var bright = { nodes: [], edges: [] };
  var darkened = { nodes: {}, edges: {} };  // ids set explicitly dim by an earlier focus
  function setDimmed(on) {
    var edgeOpts = { color: { opacity: on ? DIM / 2 : 1 } };
    if (!lazyLabels) edgeOpts.font = { color: on ? "rgba(0,0,0,0.12)" : "#333" };
    network.setOptions({
      nodes: { opacity: on ? DIM : 1, font: { color: on ? "rgba(0,0,0,0.2)" : "#222" } },
      edges: edgeOpts
    });
  }
  function override(nodeIds, edgeIds, on) {
    if (nodeIds.length) {
      nodes.update(nodeIds.map(function (i) {
        return { id: i, opacity: on ? 1 : DIM, font: { color: on ? "#222" : "rgba(0,0,0,0.2)" } };
      }));
    }
    if (edgeIds.length) {
      edges.update(edgeIds.map(function (i) {
        var u = { id: i, color: edgeColor(edgeById[i], on ? 1 : DIM / 2),
                  font: { color: on ? "#333" : "rgba(0,0,0,0.12)" } };
        if (lazyLabels) u.label = on && state.focused !== null ? edgeById[i].label : "";
        return u;
      }));
    }
  }
  function focusNeighbourhood(id) {
    var keepNodes = [id].concat(network.getConnectedNodes(id));
    var keepEdges = network.getConnectedEdges(id);
    override(bright.nodes, bright.edges, false);
    bright.nodes.forEach(function (i) { darkened.nodes[i] = true; });
    bright.edges.forEach(function (i) { darkened.edges[i] = true; });
    state.focused = byId[id] ? byId[id].key : null;
    api.focused = state.focused;
    setDimmed(true);
    override(keepNodes, keepEdges, true);
    keepNodes.forEach(function (i) { delete darkened.nodes[i]; });
    keepEdges.forEach(function (i) { delete darkened.edges[i]; });
    bright = { nodes: keepNodes, edges: keepEdges };
    showDetails(data.ninfo[id]);
  }
  function resetFocus() {
    if (state.focused === null) return;
    state.focused = null;
    api.focused = null;
    setDimmed(false);
    override(bright.nodes.concat(Object.keys(darkened.nodes).map(Number)),
             bright.edges.concat(Object.keys(darkened.edges).map(Number)), true);
    bright = { nodes: [], edges: [] };
    darkened = { nodes: {}, edges: {} };
    network.unselectAll();
  }
  function dimmedCount() {
    var body = network.body.nodes, n = 0;
    network.body.nodeIndices.forEach(function (i) { if (body[i].options.opacity < 1) n++; });
    return n;
  }
  function focusNode(key, opts) {
    var n = byKey[key];
    if (!n) return false;
    if (n._hidden) return false;
    network.selectNodes([n.id]);
    network.focus(n.id, { scale: (opts && opts.scale) || 1.2, animation: false });
    focusNeighbourhood(n.id);
    return true;
  }

  network.on("click", function (params) {
    tip.style.display = "none";
    if (params.nodes.length) {
      focusNeighbourhood(params.nodes[0]);
    } else if (params.edges.length) {
      showDetails(data.einfo[params.edges[0]]);
    } else {
      resetFocus();
      showDetails(null);
    }
  });

  /* ---------- details panel and tooltip ---------- */
  var details = document.getElementById("ckg-details");
  function showDetails(info) {
    details.textContent = "";
    if (info) details.appendChild(infoElement(info));
    else details.appendChild(el("div", "ckg-muted", "Click a node or an edge for details."));
  }
  showDetails(null);

  var tip = document.getElementById("ckg-tooltip");
  var hideTimer = null;
  var overTip = false;
  function showTip(info, pointer) {
    if (hideTimer) { clearTimeout(hideTimer); hideTimer = null; }
    tip.textContent = "";
    tip.appendChild(infoElement(info));
    tip.style.display = "block";
    var w = container.clientWidth, h = container.clientHeight;
    var x = pointer.x + 14, y = pointer.y + 14;
    var tw = tip.offsetWidth, th = tip.offsetHeight;
    if (x + tw > w) x = Math.max(0, pointer.x - tw - 14);
    if (y + th > h) y = Math.max(0, h - th - 4);
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }
  function hideTipSoon() {
    if (hideTimer) clearTimeout(hideTimer);
    hideTimer = setTimeout(function () { if (!overTip) tip.style.display = "none"; }, 700);
  }
  tip.addEventListener("mouseenter", function () { overTip = true; });
  tip.addEventListener("mouseleave", function () { overTip = false; hideTipSoon(); });
  network.on("hoverNode", function (p) { showTip(data.ninfo[p.node], p.pointer.DOM); });
  network.on("blurNode", hideTipSoon);
  network.on("hoverEdge", function (p) { showTip(data.einfo[p.edge], p.pointer.DOM); });
  network.on("blurEdge", hideTipSoon);
  network.on("dragStart", function () { tip.style.display = "none"; });

  /* ---------- search ---------- */
  var search = document.getElementById("ckg-search");
  var results = document.getElementById("ckg-results");
  var MAX_RESULTS = 30;
  var degree = {};
  data.edges.forEach(function (e) {
    degree[e.from] = (degree[e.from] || 0) + 1;
    degree[e.to] = (degree[e.to] || 0) + 1;
  });
  /* Every visible node whose label or id contains the text, best first: the label
   * itself, then labels starting with it, then id matches, then the rest; within a
   * rank, better-connected nodes first. */
  function allMatches(q) {
    q = q.trim().toLowerCase();
    if (!q) return [];
    var out = [];
    data.nodes.forEach(function (n) {
      if (n._hidden) return;
      var label = String(n.label).toLowerCase(), key = String(n.key).toLowerCase();
      var local = key.slice(key.indexOf(":") + 1);
      var rank = label === q || local === q ? 0
        : label.indexOf(q) === 0 || local.indexOf(q) === 0 ? 1
        : label.indexOf(q) >= 0 ? 2 : key.indexOf(q) >= 0 ? 3 : -1;
      if (rank >= 0) out.push({ n: n, rank: rank });
    });
    out.sort(function (a, b) {
      return a.rank - b.rank || (degree[b.n.id] || 0) - (degree[a.n.id] || 0) ||
        (String(a.n.label) < String(b.n.label) ? -1 : String(a.n.label) > String(b.n.label) ? 1 : 0);
    });
    return out.map(function (m) { return m.n; });
  }
  function matches(q) { return allMatches(q).slice(0, MAX_RESULTS); }
  function renderResults() {
    results.textContent = "";
    var all = allMatches(search.value);
    if (all.length > MAX_RESULTS) {
      results.appendChild(el("li", "ckg-muted",
        "first " + MAX_RESULTS + " of " + all.length + " matches; type more to narrow"));
    }
    all.slice(0, MAX_RESULTS).forEach(function (n) {
      var li = el("li");
      var b = el("button", null);
      b.type = "button";
      b.setAttribute("data-key", n.key);
      b.appendChild(document.createTextNode(n.label + " "));
      b.appendChild(el("span", "ckg-muted", data.ninfo[n.id].c || ""));
      b.addEventListener("click", function () { focusNode(n.key); });
      li.appendChild(b);
      results.appendChild(li);
    });
  }
  search.addEventListener("input", renderResults);
  search.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") {
      var m = matches(search.value);
      if (m.length) focusNode(m[0].key);
      ev.preventDefault();
    } else if (ev.key === "Escape") {
      search.value = "";
      renderResults();
      resetFocus();
    }
  });
  /* A view drawn around a node opens with that node selected and its details shown. */
  if (data.start && byKey[data.start]) {
    network.selectNodes([byKey[data.start].id]);
    showDetails(data.ninfo[byKey[data.start].id]);
  }

  function zoomBy(f) {
    network.moveTo({ scale: network.getScale() * f, animation: false });
  }
  document.getElementById("ckg-zoom-in").addEventListener("click", function () { zoomBy(1.5); });
  document.getElementById("ckg-zoom-out").addEventListener("click", function () { zoomBy(1 / 1.5); });
  document.getElementById("ckg-reset").addEventListener("click", function () {
    resetFocus();
    showDetails(null);
    network.fit({ animation: false });
  });

  Object.assign(api, {
    nodes: nodes, edges: edges, network: network, data: data,
    visibleNodeCount: visibleNodeCount, visibleEdgeCount: visibleEdgeCount,
    dimmedCount: dimmedCount, focusNode: focusNode, resetFocus: resetFocus,
    matches: function (q) { return matches(q).map(function (n) { return n.key; }); },
    nodeId: function (key) { return byKey[key] ? byKey[key].id : null; },
    edgeDomPosition: function (edgeId) {
      var e = network.body.edges[edgeId];
      return e ? network.canvasToDOM(e.edgeType.getPoint(0.5)) : null;
    },
    domPosition: function (key) {
      var n = byKey[key];
      if (!n) return null;
      var p = network.getPositions([n.id])[n.id];
      return network.canvasToDOM(p);
    }
  });
  updateStats();
})();
