/* channelkg view: draws the embedded graph with vis-network and adds the legend,
 * class/status filters, a time slider, search, tooltips, a details panel,
 * neighbourhood focus, state in the URL fragment and PNG/SVG export.
 *
 * Every text taken from the data reaches the page through textContent or
 * createTextNode, never innerHTML; links are created with createElement('a') and
 * get an href only when it starts with http:// or https://. The SVG export escapes
 * every text it writes.
 */
(function () {
  "use strict";
  var started = performance.now();
  var data = JSON.parse(document.getElementById("ckg-data").textContent);
  var api = { ready: false, firstDrawMs: null, focused: null, restored: false };
  window.channelkg = api;
  var LABEL_MIN_PX = 10;       // labels are never drawn smaller than this on screen
  // The node label size: the page's own option when it sets one (a channel map does).
  var NODE_FONT = (data.options && data.options.nodes && data.options.nodes.font &&
                   data.options.nodes.font.size) || 13;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function safeUrl(u) {
    return typeof u === "string" && /^https?:\/\//i.test(u) ? u : null;
  }

  /* ---------- indexes ---------- */
  var byId = {}, byKey = {}, edgeById = {}, adj = {};
  data.nodes.forEach(function (n) { byId[n.id] = n; byKey[n.key] = n; adj[n.id] = []; });
  data.edges.forEach(function (e) {
    edgeById[e.id] = e;
    adj[e.from].push(e);
    if (e.to !== e.from) adj[e.to].push(e);
  });

  /* ---------- tooltip / details content: sources, then status and dates, then the rest */
  function sourcesList(src) {
    var ul = el("ul", "ckg-sources");
    src.forEach(function (s) {
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
      if (extra) li.appendChild(el("span", "ckg-src-meta", " — " + extra));
      ul.appendChild(li);
    });
    return ul;
  }
  function infoElement(info) {
    var box = el("div", "ckg-info");
    box.appendChild(el("div", "ckg-info-title", info.t));
    if (info.c) box.appendChild(el("div", "ckg-info-class", info.c));
    if (info.src && info.src.length) {
      box.appendChild(el("div", "ckg-info-head", "Sources"));
      box.appendChild(sourcesList(info.src));
    }
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
    return box;
  }
  /* The node's relations grouped by predicate (and direction); each neighbour is a
   * button that focuses it. */
  function relationsElement(id) {
    var groups = {}, order = [];
    adj[id].forEach(function (e) {
      var out = e.from === id;
      var other = out ? e.to : e.from;
      var name = out ? e.label + " →" : "← " + e.label;
      if (!groups[name]) { groups[name] = []; order.push(name); }
      groups[name].push(other);
    });
    var box = el("div", "ckg-relations");
    if (!order.length) return box;
    box.appendChild(el("div", "ckg-info-head", "Relations"));
    order.sort();
    order.forEach(function (name) {
      var sec = el("div", "ckg-rel");
      sec.appendChild(el("div", "ckg-rel-name", name + " (" + groups[name].length + ")"));
      var ul = el("ul");
      groups[name].sort(function (a, b) {
        return String(byId[a].label).localeCompare(String(byId[b].label));
      }).forEach(function (other) {
        var n = byId[other];
        var b = el("button", "ckg-link", n.label);
        b.type = "button";
        b.setAttribute("data-key", n.key);
        if (n._hidden) b.className += " ckg-off";
        b.addEventListener("click", function () { focusNode(n.key); });
        var li = el("li");
        li.appendChild(b);
        ul.appendChild(li);
      });
      sec.appendChild(ul);
      box.appendChild(sec);
    });
    return box;
  }

  /* ---------- data sets ---------- */
  var bundles = data.bundles || [], bundleOf = {};
  bundles.forEach(function (b, i) { b.members.forEach(function (m) { bundleOf[m] = i; }); });
  var nodes = new vis.DataSet(data.nodes.map(function (n) {
    var o = { id: n.id, label: n.label, group: n.group, x: n.x, y: n.y };
    if (bundleOf[n.id] !== undefined) { n._hidden = true; o.hidden = true; }
    if (n.dashed) o.shapeProperties = { borderDashes: [5, 4] };
    return o;
  }));
  function edgeColor(e) {
    return { color: e.color, highlight: e.color, hover: e.color };
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

  /* A hub's many claims of one class are drawn behind one node ("45 × Claim ▸");
   * a click on it shows them (and the address remembers it). */
  var perHub = {};
  bundles.forEach(function (b) { perHub[b.hub] = (perHub[b.hub] || 0) + 1; });
  bundles.forEach(function (b, i) {
    var k = bundles.slice(0, i).filter(function (o) { return o.hub === b.hub; }).length;
    var angle = -Math.PI / 2 + 2 * Math.PI * k / perHub[b.hub];
    var hub = byId[b.hub];
    b._hidden = false;
    b._label = b.members.length + " × " + b.label + " ▸";
    nodes.add({ id: "bundle-" + i, label: b._label, shape: "box",
                x: hub.x + 110 * Math.cos(angle), y: hub.y + 80 * Math.sin(angle),
                color: { background: "#f3f4f6", border: "#8a8f98" },
                font: { size: 13, color: "#222" } });
    edges.add({ id: "bundle-edge-" + i, from: "bundle-" + i, to: b.hub, dashes: [2, 3],
                color: { color: "#8a8f98" }, width: 2 });
  });
  function bundleIndex(id) {
    return typeof id === "string" && id.indexOf("bundle-") === 0 ? Number(id.slice(7)) : null;
  }

  var container = document.getElementById("ckg-graph");
  var options = data.options;
  options.groups = data.groups;
  var beforeNetwork = performance.now();
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, options);
  api.networkMs = performance.now() - beforeNetwork;

  var state = { classOn: {}, statusOn: {}, day: null, focused: null, open: {} };
  data.classes.forEach(function (c) { state.classOn[c.id] = true; });
  data.statuses.forEach(function (s) { state.statusOn[s.id] = true; });

  network.once("afterDrawing", function () {
    api.firstDrawMs = performance.now();
    api.ready = true;
    document.body.setAttribute("data-ready", "1");
  });

  /* Large views open fitted to the bulk of the nodes (2nd to 98th percentile of x and
   * y), so a few layout outliers do not shrink everything to a dot. */
  function quantile(sorted, p) { return sorted[Math.floor(p * (sorted.length - 1))]; }
  function fitBulk() {
    var xs = [], ys = [], body = network.body.nodes;
    data.nodes.forEach(function (n) {
      if (n._hidden || !body[n.id]) return;
      xs.push(body[n.id].x);
      ys.push(body[n.id].y);
    });
    if (xs.length < 50) { network.fit({ animation: false }); return; }
    xs.sort(function (a, b) { return a - b; });
    ys.sort(function (a, b) { return a - b; });
    var x0 = quantile(xs, 0.02), x1 = quantile(xs, 0.98);
    var y0 = quantile(ys, 0.02), y1 = quantile(ys, 0.98);
    var w = container.clientWidth || 800, h = container.clientHeight || 600;
    var scale = 0.92 * Math.min(w / Math.max(x1 - x0, 1), h / Math.max(y1 - y0, 1));
    network.moveTo({ position: { x: (x0 + x1) / 2, y: (y0 + y1) / 2 }, scale: scale,
                     animation: false });
  }
  function fitView() { if (data.physics) network.fit({ animation: false }); else fitBulk(); }
  if (!data.physics) fitBulk();

  /* ---------- settle: physics polishes the layout, then stops ----------
   * The layout is computed in Python; physics only polishes it. Left running, the
   * solver never quite rests and nodes drift under the pointer, so it is switched
   * off once vis-network reports the layout stable, or after a few seconds. */
  var whenSettled = [];
  function settle() {
    if (api.settled) return;
    network.setOptions({ physics: { enabled: false } });
    api.settled = true;
    document.body.setAttribute("data-settled", "1");
    whenSettled.splice(0).forEach(function (f) { f(); });
  }
  if (data.physics) {
    network.once("stabilized", settle);
    setTimeout(settle, 3000);
  } else {
    api.settled = true;
    document.body.setAttribute("data-settled", "1");
  }

  /* ---------- filters and the time slider ----------
   * An element with vf/vt (computed in Python by the rule of --as-of) is visible on
   * day D iff vf <= D and D < vt; ISO dates compare as strings. */
  function within(d, start, end) { return !(start && start > d) && !(end && d >= end); }
  /* sp: the days a selection (--market ...) reaches the element, as --as-of would. */
  function inTime(o) {
    var d = state.day;
    if (!d) return true;
    if (!within(d, o.vf, o.vt)) return false;
    return !o.sp || o.sp.some(function (s) { return within(d, s[0], s[1]); });
  }
  function shownByFilters(n) {
    if (n.cls && state.classOn[n.cls] === false) return false;
    if (n.status && state.statusOn[n.status] === false) return false;
    return inTime(n);
  }
  function nodeVisible(n) {
    var b = bundleOf[n.id];
    return shownByFilters(n) && (b === undefined || !!state.open[b]);
  }
  function edgeVisible(e) {
    if (e.cls && state.classOn[e.cls] === false) return false;
    if (e.status && state.statusOn[e.status] === false) return false;
    return inTime(e);
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
    bundles.forEach(function (b, i) {
      var shown = b.members.filter(function (m) { return shownByFilters(byId[m]); }).length;
      var hidden = !!state.open[i] || !shown;
      var label = shown + " × " + b.label + " ▸";
      if (hidden !== b._hidden || label !== b._label) {
        b._hidden = hidden;
        b._label = label;
        nu.push({ id: "bundle-" + i, hidden: hidden, label: label });
        eu.push({ id: "bundle-edge-" + i, hidden: hidden });
      }
    });
    if (nu.length) nodes.update(nu);
    if (eu.length) edges.update(eu);
    if (state.focused !== null && byKey[state.focused]._hidden) resetFocus();
    updateStats();
  }
  function shownEdge(e) {
    return !e._hidden && !byId[e.from]._hidden && !byId[e.to]._hidden;
  }
  function visibleNodeKeys() {
    return data.nodes.filter(function (n) { return !n._hidden; }).map(function (n) {
      return n.key;
    });
  }
  function visibleEdgeIds() {
    return data.edges.filter(shownEdge).map(function (e) { return e.id; });
  }
  function visibleNodeCount() { return visibleNodeKeys().length; }
  function visibleEdgeCount() { return visibleEdgeIds().length; }
  function updateStats() {
    var s = document.getElementById("ckg-stats");
    s.textContent = visibleNodeCount() + " of " + data.nodes.length + " nodes, " +
      visibleEdgeCount() + " of " + data.edges.length + " edges shown" +
      (state.day ? " as of " + state.day : "") + (data.physics ? "" : " (fixed layout)");
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
      saveState();
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
  function syncFilterBoxes() {
    document.querySelectorAll("#ckg-legend input[data-class]").forEach(function (cb) {
      cb.checked = state.classOn[cb.getAttribute("data-class")] !== false;
    });
    document.querySelectorAll("#ckg-status input[data-status]").forEach(function (cb) {
      cb.checked = state.statusOn[cb.getAttribute("data-status")] !== false;
    });
  }

  var events = data.events || [];
  var slider = document.getElementById("ckg-slider");
  var dateBox = document.getElementById("ckg-date");
  var dayLabel = document.getElementById("ckg-day");
  var playButton = document.getElementById("ckg-play");
  var playTimer = null;
  if (!events.length) document.getElementById("ckg-time").style.display = "none";
  slider.max = String(events.length);
  slider.value = String(events.length);
  /* Slider position i < n is the i-th dated event; the last position shows every
   * element whatever its dates (no --as-of). */
  function setDay(day) {
    state.day = day || null;
    var i = events.length;
    if (state.day) {
      i = 0;
      while (i + 1 < events.length && events[i + 1] <= state.day) i++;
    }
    slider.value = String(i);
    dateBox.value = state.day || "";
    dayLabel.textContent = state.day ? "as of " + state.day : "all dates";
    applyFilters();
    saveState();
  }
  slider.addEventListener("input", function () {
    var i = Number(slider.value);
    setDay(i < events.length ? events[i] : null);
  });
  dateBox.addEventListener("change", function () {
    setDay(/^\d{4}-\d{2}-\d{2}$/.test(dateBox.value) ? dateBox.value : null);
  });
  function stopPlay() {
    if (playTimer) clearInterval(playTimer);
    playTimer = null;
    playButton.textContent = "▶ play";
  }
  playButton.addEventListener("click", function () {
    if (playTimer) { stopPlay(); return; }
    var i = state.day ? Number(slider.value) + 1 : 0;
    if (i >= events.length) i = 0;
    playButton.textContent = "❚❚ pause";
    setDay(events[i]);
    playTimer = setInterval(function () {
      i += 1;
      if (i >= events.length) { stopPlay(); setDay(null); return; }
      setDay(events[i]);
    }, 900);
  });

  /* ---------- neighbourhood focus ----------
   * Focus restyles nothing and asks vis-network for no redraw: a canvas laid over
   * the graph gets a translucent veil, and the focused node, its edges and its
   * neighbours are drawn again on it (with vis-network's own drawing code, in the
   * same view transform). A click costs work proportional to the neighbourhood,
   * whatever the size of the graph; the overlay is redrawn after every vis-network
   * frame (pan, zoom). Large views (no physics) also select, hover and label edges
   * through the overlay, since one vis-network redraw of 10,000 nodes takes seconds. */
  var big = !data.physics;
  var focus = null;  // {id, nodes: [...], edges: [...], set: {id: true}}
  var hoverId = null;
  var overlay = document.createElement("canvas");
  overlay.id = "ckg-overlay";
  container.parentNode.insertBefore(overlay, container.nextSibling);
  function drawNodeLabel(ctx, n, scale) {
    var b = network.body.nodes[n.id];
    if (!b) return;
    var size = 12 / scale;
    ctx.font = size + "px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    var y = b.y + (b.shape && b.shape.height ? b.shape.height / 2 : 14) + 3 / scale;
    ctx.strokeText(String(n.label), b.x, y);
    ctx.fillText(String(n.label), b.x, y);
  }
  function drawEdgeLabel(ctx, i, scale) {
    var e = network.body.edges[i];
    if (!e || !edgeById[i].label) return;
    var p = e.edgeType.getPoint(0.5);
    ctx.font = (11 / scale) + "px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.strokeText(String(edgeById[i].label), p.x, p.y);
    ctx.fillText(String(edgeById[i].label), p.x, p.y);
  }
  function drawOverlay() {
    var dpr = window.devicePixelRatio || 1;
    var w = container.clientWidth, h = container.clientHeight;
    if (overlay.width !== Math.round(w * dpr) || overlay.height !== Math.round(h * dpr)) {
      overlay.width = Math.round(w * dpr);
      overlay.height = Math.round(h * dpr);
      overlay.style.width = w + "px";
      overlay.style.height = h + "px";
    }
    var ctx = overlay.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, overlay.width, overlay.height);
    var small = NODE_FONT * network.getScale() < LABEL_MIN_PX;
    var hover = hoverId !== null && byId[hoverId] && !byId[hoverId]._hidden;
    if (!focus && !(hover && (small || big)) && !(small && landmarks.length)) return;
    var scale = network.getScale(), t = network.body.view.translation, body = network.body;
    if (focus) {
      ctx.fillStyle = "rgba(255,255,255,0.85)";
      ctx.fillRect(0, 0, overlay.width, overlay.height);
    }
    ctx.setTransform(dpr * scale, 0, 0, dpr * scale, dpr * t.x, dpr * t.y);
    ctx.lineWidth = 3 / scale;
    ctx.strokeStyle = "#ffffff";
    ctx.fillStyle = "#222222";
    if (focus) {
      focus.edges.forEach(function (i) {
        var e = body.edges[i];
        if (e && shownEdge(edgeById[i])) { e.draw(ctx); e.drawArrows(ctx); }
      });
      focus.nodes.forEach(function (i) {
        var b = body.nodes[i];
        if (!b || byId[i]._hidden) return;
        if (big && i === focus.id) {
          ctx.save();
          ctx.beginPath();
          ctx.arc(b.x, b.y, 22, 0, 2 * Math.PI);
          ctx.lineWidth = 3 / scale;
          ctx.strokeStyle = "#1a5fb4";
          ctx.stroke();
          ctx.restore();
        }
        var r = b.draw(ctx);
        if (r && r.drawExternalLabel) r.drawExternalLabel();
      });
      ctx.lineWidth = 3 / scale;
      ctx.strokeStyle = "#ffffff";
      ctx.fillStyle = "#333333";
      if (lazyLabels) {
        focus.edges.forEach(function (i) { if (shownEdge(edgeById[i])) drawEdgeLabel(ctx, i, scale); });
      }
      ctx.fillStyle = "#222222";
      if (small && focus.nodes.length <= 80) {
        focus.nodes.forEach(function (i) { if (!byId[i]._hidden) drawNodeLabel(ctx, byId[i], scale); });
      }
    }
    if (small && !focus) drawLandmarks(ctx, scale);
    if (hover) {
      if (big && body.nodes[hoverId]) {
        var hb = body.nodes[hoverId];
        ctx.beginPath();
        ctx.arc(hb.x, hb.y, 18, 0, 2 * Math.PI);
        ctx.save();
        ctx.strokeStyle = "#222222";
        ctx.lineWidth = 2 / scale;
        ctx.stroke();
        ctx.restore();
      }
      if (small) drawNodeLabel(ctx, byId[hoverId], scale);
    }
  }
  /* Zoomed out (labels hidden), the groups of claims and the best-connected nodes
   * keep a legible label, as long as it overlaps no other one. */
  var landmarks = [];
  function pickLandmarks() {
    if (data.landmarks === false) { landmarks = []; return; }  // a map with legible labels
    var ranked = data.nodes.slice().sort(function (a, b) {
      return (adj[b.id].length - adj[a.id].length) || a.id - b.id;
    });
    landmarks = bundles.map(function (b, i) { return "bundle-" + i; })
      .concat(ranked.slice(0, 12).map(function (n) { return n.id; }));
  }
  function drawLandmarks(ctx, scale) {
    var boxes = [], body = network.body;
    ctx.font = (12 / scale) + "px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    landmarks.forEach(function (id) {
      var b = body.nodes[id], n = byId[id];
      var i = bundleIndex(id);
      if (!b || (n ? n._hidden : bundles[i]._hidden)) return;
      var text = n ? String(n.label) : bundles[i]._label;
      var w = ctx.measureText(text).width, h = 14 / scale;
      var y = b.y + (b.shape && b.shape.height ? b.shape.height / 2 : 14) + 3 / scale;
      var box = [b.x - w / 2, y, b.x + w / 2, y + h];
      if (boxes.some(function (o) {
        return box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3];
      })) return;
      boxes.push(box);
      ctx.strokeText(text, b.x, y);
      ctx.fillText(text, b.x, y);
    });
  }
  pickLandmarks();
  network.on("afterDrawing", drawOverlay);
  window.addEventListener("resize", drawOverlay);
  function focusNeighbourhood(id) {
    var keepNodes = [id].concat(network.getConnectedNodes(id)).filter(function (i) {
      return byId[i] !== undefined;
    });
    var keepEdges = network.getConnectedEdges(id).filter(function (i) {
      return edgeById[i] !== undefined;
    });
    var set = {};
    keepNodes.forEach(function (i) { set[i] = true; });
    focus = { id: id, nodes: keepNodes, edges: keepEdges, set: set };
    state.focused = byId[id] ? byId[id].key : null;
    api.focused = state.focused;
    drawOverlay();
    showDetails(data.ninfo[id], id);
    saveState();
  }
  function resetFocus() {
    if (state.focused === null) return;
    state.focused = null;
    api.focused = null;
    focus = null;
    if (!big) network.unselectAll();
    drawOverlay();
    saveState();
  }
  function dimmedCount() {
    if (!focus) return 0;
    return data.nodes.filter(function (n) { return !n._hidden && !focus.set[n.id]; }).length;
  }
  function labelledEdges() {
    if (!lazyLabels) return data.edges.filter(shownEdge).map(function (e) { return e.id; });
    return focus ? focus.edges.filter(function (i) { return shownEdge(edgeById[i]); }) : [];
  }
  function selectedNode() { return focus ? focus.id : null; }
  /* A node behind a closed group of claims is shown (its group opened) first. */
  function reveal(n) {
    if (n && n._hidden && bundleOf[n.id] !== undefined && shownByFilters(n)) {
      openBundle(bundleOf[n.id]);
    }
  }
  function focusNode(key, opts) {
    var n = byKey[key];
    reveal(n);
    if (!n || n._hidden) return false;
    if (!big) network.selectNodes([n.id]);
    if (!opts || opts.move !== false) {
      network.focus(n.id, { scale: (opts && opts.scale) || 1.2, animation: false });
    }
    focusNeighbourhood(n.id);
    return true;
  }
  function clickNode(key) {
    var n = byKey[key];
    reveal(n);
    if (!n || n._hidden) return false;
    if (!big) network.selectNodes([n.id]);
    focusNeighbourhood(n.id);
    return true;
  }

  function openBundle(i) {
    if (!bundles[i] || state.open[i]) return;
    state.open[i] = true;
    applyFilters();
    saveState();
  }
  function openBundles() {
    bundles.forEach(function (b, i) { state.open[i] = true; });
    applyFilters();
    saveState();
  }

  network.on("click", function (params) {
    tip.style.display = "none";
    var node = params.nodes.length ? params.nodes[0] : null;
    var edge = params.edges.length ? params.edges[0] : null;
    if (big) {  // not selectable: find what is under the pointer
      node = network.getNodeAt(params.pointer.DOM);
      edge = node === undefined ? network.getEdgeAt(params.pointer.DOM) : undefined;
      node = node === undefined ? null : node;
      edge = edge === undefined ? null : edge;
    }
    if (node !== null && bundleIndex(node) !== null) {
      openBundle(bundleIndex(node));
    } else if (node !== null) {
      focusNeighbourhood(node);
    } else if (edge !== null && edgeById[edge] !== undefined) {
      showDetails(data.einfo[edge], null);
    } else {
      resetFocus();
      showDetails(null, null);
    }
  });

  /* ---------- details panel and tooltip ---------- */
  var details = document.getElementById("ckg-details");
  function showDetails(info, id) {
    details.textContent = "";
    details.scrollTop = 0;
    if (!info) {
      details.appendChild(el("div", "ckg-muted", "Click a node or an edge for details."));
      return;
    }
    details.appendChild(infoElement(info));
    if (id !== null && id !== undefined) details.appendChild(relationsElement(id));
  }
  showDetails(null, null);

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
  /* Below the label threshold the hovered node's label is drawn on the overlay. */
  function hoverOn(id, pointer) {
    if (byId[id] === undefined) return;  // a group of claims: its label says it all
    hoverId = id;
    showTip(data.ninfo[id], pointer);
    drawOverlay();
  }
  function hoverOff() {
    if (hoverId === null) return;
    hoverId = null;
    drawOverlay();
    hideTipSoon();
  }
  if (!big) {
    network.on("hoverNode", function (p) { hoverOn(p.node, p.pointer.DOM); });
    network.on("blurNode", hoverOff);
    network.on("hoverEdge", function (p) {
      if (data.einfo[p.edge]) showTip(data.einfo[p.edge], p.pointer.DOM);
    });
    network.on("blurEdge", hideTipSoon);
  } else {
    /* Large views: vis-network's hover (one full redraw per change) is off; the page
     * finds what is under the pointer itself, at most once per frame. */
    var pending = null;
    container.addEventListener("mousemove", function (ev) {
      var r = container.getBoundingClientRect();
      var p = { x: ev.clientX - r.left, y: ev.clientY - r.top };
      if (pending) { pending.p = p; return; }
      pending = { p: p };
      requestAnimationFrame(function () {
        var at = pending.p;
        pending = null;
        var id = network.getNodeAt(at);
        if (id !== undefined && byId[id] !== undefined && !byId[id]._hidden) {
          if (id !== hoverId) hoverOn(id, at);
          return;
        }
        hoverOff();
        var e = network.getEdgeAt(at);
        if (e !== undefined && edgeById[e] && shownEdge(edgeById[e])) showTip(data.einfo[e], at);
        else hideTipSoon();
      });
    });
    container.addEventListener("mouseleave", hoverOff);
  }
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
      if (n._hidden && !shownByFilters(n)) return;  // grouped claims are found too
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

  function zoomBy(f) {
    network.moveTo({ scale: network.getScale() * f, animation: false });
    saveState();
  }
  document.getElementById("ckg-zoom-in").addEventListener("click", function () { zoomBy(1.5); });
  document.getElementById("ckg-zoom-out").addEventListener("click", function () { zoomBy(1 / 1.5); });
  document.getElementById("ckg-reset").addEventListener("click", function () {
    resetFocus();
    showDetails(null, null);
    fitView();
    saveState();
  });

  /* ---------- state in the URL fragment ----------
   * #node=KEY&date=YYYY-MM-DD&hide=CLASS,...&hidestatus=STATUS,...&view=X,Y,SCALE */
  var restoring = true;
  var saveTimer = null;
  function stateFragment() {
    var parts = [];
    var enc = encodeURIComponent;
    if (state.focused !== null) parts.push("node=" + enc(state.focused));
    if (state.day) parts.push("date=" + state.day);
    var hide = Object.keys(state.classOn).filter(function (k) { return !state.classOn[k]; });
    if (hide.length) parts.push("hide=" + hide.map(enc).join(","));
    var hs = Object.keys(state.statusOn).filter(function (k) { return !state.statusOn[k]; });
    if (hs.length) parts.push("hidestatus=" + hs.map(enc).join(","));
    var open = Object.keys(state.open).filter(function (k) { return state.open[k]; });
    if (open.length) parts.push("open=" + open.join(","));
    var p = network.getViewPosition();
    parts.push("view=" + p.x.toFixed(1) + "," + p.y.toFixed(1) + "," +
               network.getScale().toPrecision(5));
    return "#" + parts.join("&");
  }
  function writeState() {
    saveTimer = null;
    if (restoring) return;
    try { history.replaceState(null, "", stateFragment()); } catch (err) { /* sandboxed */ }
  }
  function saveState() {
    if (restoring || saveTimer) return;
    saveTimer = setTimeout(writeState, 150);
  }
  function readFragment(text) {
    var out = {};
    text.replace(/^#/, "").split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
    });
    return out;
  }
  /* Filters, date and the selected node apply at once; the view position once the
   * layout has settled (physics would move it). */
  function restore(text) {
    var s = readFragment(text || "");
    var dec = decodeURIComponent;
    var list = function (v) { return v ? v.split(",").map(dec) : []; };
    list(s.hide).forEach(function (c) { if (c in state.classOn) state.classOn[c] = false; });
    list(s.hidestatus).forEach(function (c) { if (c in state.statusOn) state.statusOn[c] = false; });
    syncFilterBoxes();
    list(s.open).forEach(function (i) { if (bundles[Number(i)]) state.open[Number(i)] = true; });
    setDay(s.date && /^\d{4}-\d{2}-\d{2}$/.test(s.date) ? s.date : null);
    var key = s.node ? dec(s.node) : data.start;
    var n = key ? byKey[key] : null;
    if (n && !n._hidden) {
      if (s.node) clickNode(key);
      else { network.selectNodes([n.id]); showDetails(data.ninfo[n.id], n.id); }
    }
    var v = (s.view || "").split(",").map(Number);
    function place() {
      if (v.length === 3 && v.every(isFinite) && v[2] > 0) {
        network.moveTo({ position: { x: v[0], y: v[1] }, scale: v[2], animation: false });
      }
      restoring = false;
      api.restored = true;
      document.body.setAttribute("data-restored", "1");
    }
    if (api.settled) place(); else whenSettled.push(place);
  }
  network.on("zoom", saveState);
  network.on("dragEnd", saveState);
  restore(location.hash);

  /* ---------- export: PNG of the canvas, SVG built from the drawn positions ---------- */
  function download(url, name) {
    var a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }
  function fileStem() {
    return (String(data.title).replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") ||
            "channelkg-view") + (state.day ? "-" + state.day : "");
  }
  function pngUrl() {
    var src = container.querySelector("canvas");
    var c = document.createElement("canvas");
    c.width = src.width;
    c.height = src.height;
    var ctx = c.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, c.width, c.height);
    ctx.drawImage(src, 0, 0);
    return c.toDataURL("image/png");
  }
  function xml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" }[c];
    }).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "");
  }
  function svgText() {
    var w = container.clientWidth, h = container.clientHeight, scale = network.getScale();
    var body = network.body, inView = {}, pos = {};
    var out = ['<svg xmlns="http://www.w3.org/2000/svg" width="' + w + '" height="' + h +
               '" viewBox="0 0 ' + w + " " + h + '" font-family="sans-serif">',
               '<rect width="100%" height="100%" fill="#ffffff"/>'];
    data.nodes.forEach(function (n) {
      if (n._hidden || !body.nodes[n.id]) return;
      var p = network.canvasToDOM({ x: body.nodes[n.id].x, y: body.nodes[n.id].y });
      pos[n.id] = p;
      if (p.x > -50 && p.y > -50 && p.x < w + 50 && p.y < h + 50) inView[n.id] = true;
    });
    var dim = function (id) { return focus && !focus.set[id] ? ' opacity="0.15"' : ""; };
    data.edges.forEach(function (e) {
      if (!shownEdge(e) || !(inView[e.from] || inView[e.to])) return;
      var a = pos[e.from], b = pos[e.to];
      var faded = focus && !(focus.set[e.from] && focus.set[e.to]) ? ' opacity="0.1"' : "";
      out.push('<line x1="' + a.x.toFixed(1) + '" y1="' + a.y.toFixed(1) + '" x2="' +
               b.x.toFixed(1) + '" y2="' + b.y.toFixed(1) + '" stroke="' + xml(e.color) +
               '" stroke-width="1.2"' + (e.dashed ? ' stroke-dasharray="5 4"' : "") + faded + "/>");
    });
    var r = Math.max(2, 14 * scale), font = NODE_FONT * scale;
    data.nodes.forEach(function (n) {
      if (!inView[n.id]) return;
      var p = pos[n.id], g = data.groups[n.group] || {};
      var fill = g.color ? g.color.background : "#97a3b6";
      out.push('<circle cx="' + p.x.toFixed(1) + '" cy="' + p.y.toFixed(1) + '" r="' +
               r.toFixed(1) + '" fill="' + xml(fill) + '" stroke="#444" stroke-width="0.8"' +
               dim(n.id) + "><title>" + xml(n.label) + "</title></circle>");
      var show = font >= LABEL_MIN_PX || (focus && focus.set[n.id]);
      if (show) {
        out.push('<text x="' + p.x.toFixed(1) + '" y="' + (p.y + r + Math.max(font, 12)).toFixed(1) +
                 '" font-size="' + Math.max(font, 12).toFixed(1) + '" text-anchor="middle" fill="#222"' +
                 dim(n.id) + ">" + xml(n.label) + "</text>");
      }
    });
    bundles.forEach(function (b, i) {
      var bn = body.nodes["bundle-" + i];
      if (b._hidden || !bn) return;
      var p = network.canvasToDOM({ x: bn.x, y: bn.y });
      if (p.x < -50 || p.y < -50 || p.x > w + 50 || p.y > h + 50) return;
      var size = Math.max(font, 12), tw = 0.6 * size * b._label.length;
      out.push('<rect x="' + (p.x - tw / 2 - 4).toFixed(1) + '" y="' + (p.y - size).toFixed(1) +
               '" width="' + (tw + 8).toFixed(1) + '" height="' + (2 * size).toFixed(1) +
               '" fill="#f3f4f6" stroke="#8a8f98"' + dim("bundle-" + i) + "/>");
      out.push('<text x="' + p.x.toFixed(1) + '" y="' + (p.y + size / 3).toFixed(1) +
               '" font-size="' + size.toFixed(1) + '" text-anchor="middle" fill="#222"' +
               dim("bundle-" + i) + ">" + xml(b._label) + "</text>");
    });
    out.push("</svg>");
    return out.join("\n");
  }
  document.getElementById("ckg-png").addEventListener("click", function () {
    download(pngUrl(), fileStem() + ".png");
  });
  document.getElementById("ckg-svg").addEventListener("click", function () {
    download("data:image/svg+xml;charset=utf-8," + encodeURIComponent(svgText()),
             fileStem() + ".svg");
  });

  Object.assign(api, {
    nodes: nodes, edges: edges, network: network, data: data,
    visibleNodeCount: visibleNodeCount, visibleEdgeCount: visibleEdgeCount,
    visibleNodeKeys: visibleNodeKeys, visibleEdgeIds: visibleEdgeIds,
    dimmedCount: dimmedCount, focusNode: focusNode, clickNode: clickNode,
    labelledEdges: labelledEdges, selectedNode: selectedNode,
    openBundles: openBundles, openBundle: openBundle,
    bundles: function () {
      return bundles.map(function (b, i) {
        return { hub: byId[b.hub].key, cls: b.cls, size: b.members.length, open: !!state.open[i],
                 members: b.members.map(function (m) { return byId[m].key; }) };
      });
    },
    resetFocus: resetFocus, setDay: setDay, fitView: fitView,
    stateFragment: stateFragment, svgText: svgText, pngUrl: pngUrl,
    day: function () { return state.day; },
    hiddenClasses: function () {
      return Object.keys(state.classOn).filter(function (k) { return !state.classOn[k]; });
    },
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
  api.scriptMs = performance.now() - started;  // the page's own start-up (vis-network's included)
  api.scriptStart = started;
})();
