// Result views of the query page: table, graph (vis-network), timeline and bar chart.
// A result is {kind: "SELECT"|"ASK"|"GRAPH", vars: [...], rows: [{var: term}], boolean}
// where a term is a SPARQL JSON term ({type, value, datatype?, "xml:lang"?}).
// Every text goes through textContent; only entity pages and http(s) IRIs become links.
"use strict";
(function () {
  var PREFIXES = {
    "https://w3id.org/channelkg/ontology#": "ckg:",
    "https://w3id.org/channelkg/id/": "kgid:",
    "http://www.w3.org/2000/01/rdf-schema#": "rdfs:",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf:",
    "http://www.w3.org/2001/XMLSchema#": "xsd:",
    "http://www.w3.org/2004/02/skos/core#": "skos:",
    "http://purl.org/dc/terms/": "dcterms:",
    "http://www.w3.org/ns/prov#": "prov:",
    "https://schema.org/": "schema:"
  };
  var XSD = "http://www.w3.org/2001/XMLSchema#";
  var NUMERIC = ["integer", "decimal", "double", "float", "int", "long", "short",
                 "nonNegativeInteger", "positiveInteger", "unsignedInt"];
  var DATES = ["date", "dateTime", "gYear", "gYearMonth"];
  var VIEWS = ["table", "graph", "timeline", "chart"];
  var MAX_NODES = 3000, MAX_ITEMS = 1000;  // beyond these a drawing helps no one
  var LABELS = ["http://www.w3.org/2000/01/rdf-schema#label",
                "http://www.w3.org/2004/02/skos/core#prefLabel", "https://schema.org/name",
                "http://purl.org/dc/terms/title"];
  var ALIASES = { barchart: "chart", bar: "chart", bars: "chart", chart: "chart",
                  table: "table", graph: "graph", timeline: "timeline" };

  function shorten(iri) {
    for (var ns in PREFIXES) {
      if (iri.indexOf(ns) === 0) { return PREFIXES[ns] + iri.slice(ns.length); }
    }
    return iri;
  }

  /* The entity page of an IRI of the graph's namespaces (the slug of serve/entity.py). */
  function entityHref(iri) {
    var kgid = "https://w3id.org/channelkg/id/", ckg = "https://w3id.org/channelkg/ontology#";
    if (iri.indexOf(kgid) === 0 && iri.length > kgid.length) {
      return "entity/" + encodeURIComponent(iri.slice(kgid.length));
    }
    if (iri.indexOf(ckg) === 0 && iri.length > ckg.length) {
      return "entity/" + encodeURIComponent("ckg:" + iri.slice(ckg.length));
    }
    return null;
  }

  /* The default view a query's header asks for ("# view: graph", or WDQS's
   * "#defaultView:Graph"), or null. Only the leading comment lines count. */
  function headerView(text) {
    var lines = String(text || "").split(/\r?\n/);
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i].trim();
      if (line === "") { continue; }
      if (line.charAt(0) !== "#") { break; }
      var m = /^#\s*(?:view|defaultView)\s*:\s*([A-Za-z]+)/i.exec(line);
      if (m && ALIASES[m[1].toLowerCase()]) { return ALIASES[m[1].toLowerCase()]; }
    }
    return null;
  }

  function dtype(term) {
    return term && term.type === "literal" && term.datatype && term.datatype.indexOf(XSD) === 0
      ? term.datatype.slice(XSD.length) : null;
  }
  function isNumber(term) { return NUMERIC.indexOf(dtype(term)) >= 0 && isFinite(+term.value); }
  function isDate(term) { return DATES.indexOf(dtype(term)) >= 0; }
  function isIri(term) { return !!term && term.type === "uri"; }
  function show(term) {
    if (!term) { return ""; }
    if (term.type === "uri") { return shorten(term.value); }
    if (term.type === "bnode") { return "_:" + term.value; }
    return term.value;
  }

  /* A table cell's content: entity link, outbound http(s) link, or text. */
  function termNode(term) {
    if (term.type !== "uri") {
      var span = document.createElement("span");
      span.textContent = show(term);
      if (term["xml:lang"]) { span.title = "@" + term["xml:lang"]; }
      else if (term.datatype) { span.title = shorten(term.datatype); }
      return span;
    }
    var href = entityHref(term.value);
    var a = document.createElement("a");
    a.textContent = shorten(term.value);
    a.title = term.value;
    if (href) {
      a.href = href;
      a.className = "entity";
      return a;
    }
    if (/^https?:\/\//i.test(term.value)) {
      a.href = term.value;
      a.rel = "noopener noreferrer";
      a.target = "_blank";
      return a;
    }
    var code = document.createElement("span");  // e.g. urn:, mailto:, javascript: — no link
    code.textContent = term.value;
    return code;
  }

  function table(box, res) {
    if (res.kind === "ASK") {
      var p = document.createElement("p");
      p.textContent = "ASK: " + res.boolean;
      box.appendChild(p);
      return;
    }
    var t = document.createElement("table");
    var head = t.createTHead().insertRow();
    res.vars.forEach(function (v) {
      var th = document.createElement("th");
      th.textContent = v;
      head.appendChild(th);
    });
    var body = t.createTBody();
    res.rows.forEach(function (row) {
      var tr = body.insertRow();
      res.vars.forEach(function (v) {
        var td = tr.insertCell();
        if (row[v]) {
          td.appendChild(termNode(row[v]));
          if (row[v].type === "uri") { td.className = "uri"; }
        }
      });
    });
    box.appendChild(t);
  }

  function note(box, text) {
    var p = document.createElement("p");
    p.className = "note";
    p.textContent = text;
    box.appendChild(p);
  }

  /* Nodes and edges of a result: triples for CONSTRUCT (or ?s ?p ?o); otherwise each row
   * links its first IRI to every other short value, labelled by the variable's name. */
  function graphData(res) {
    var nodes = {}, edges = [], order = [], seen = {};
    function node(term, row, v) {
      var key = term.type + " " + term.value;
      if (!nodes[key]) {
        var lbl = row && v && row[v + "Label"] ? row[v + "Label"].value
          : (names[term.value] || show(term));
        var name = show(term);
        nodes[key] = { id: order.length, label: String(lbl).slice(0, 60), key: name,
                       title: String(lbl) === name ? name : lbl + "\n" + name,
                       group: v || term.type, href: isIri(term) ? entityHref(term.value) : null };
        order.push(key);
      }
      return nodes[key].id;
    }
    var spo = res.kind === "GRAPH" || (res.vars.length === 3 &&
      /^(s|subject)$/.test(res.vars[0]) && /^(p|predicate)$/.test(res.vars[1]));
    var names = {};  // in triples, a label names its subject instead of drawing an edge
    if (spo) {
      res.rows.forEach(function (row) {
        var s = row[res.vars[0]], p = row[res.vars[1]], o = row[res.vars[2]];
        if (s && p && o && o.type === "literal" && LABELS.indexOf(p.value) >= 0 &&
            (!names[s.value] || /^en\b/.test(o["xml:lang"] || ""))) {
          names[s.value] = o.value;
        }
      });
    }
    res.rows.forEach(function (row) {
      if (spo) {
        var s = row[res.vars[0]], p = row[res.vars[1]], o = row[res.vars[2]];
        if (!s || !p || !o || (o.type === "literal" && o.value.length > 60)) { return; }
        if (o.type === "literal" && LABELS.indexOf(p.value) >= 0 && names[s.value]) {
          node(s, null, "subject");
          return;
        }
        edges.push({ from: node(s, null, "subject"), to: node(o, null, o.type === "literal" ?
          "literal" : "object"), label: show(p) });
        return;
      }
      // Each value describes the IRI before it in the row (a route, then its model label;
      // a partnership, then its kind); IRIs after the first hang off the first.
      var hub = null, owner = null;
      res.vars.forEach(function (v) {
        var t = row[v];
        if (!t || /Label$/.test(v) && row[v.slice(0, -5)]) { return; }
        if (t.type === "literal" && (dtype(t) && dtype(t) !== "string" || t.value.length > 60)) {
          return;  // numbers, dates, flags and long texts describe the row, not a neighbour
        }
        var id = node(t, row, v);
        if (isIri(t) && hub === null) { hub = owner = id; return; }
        if (owner === null) { return; }
        var from = isIri(t) ? hub : owner, key = from + " " + id + " " + v;
        if (!seen[key]) { seen[key] = true; edges.push({ from: from, to: id, label: v }); }
        if (isIri(t)) { owner = id; }
      });
    });
    return { nodes: order.map(function (k) { return nodes[k]; }), edges: edges };
  }

  function graph(box, res, state) {
    var data = graphData(res);
    if (!data.nodes.length) { note(box, "No IRIs to draw as a graph."); return; }
    if (!window.vis) { note(box, "The graph library did not load."); return; }
    if (data.nodes.length > MAX_NODES) {
      note(box, data.nodes.length + " nodes are too many to draw (at most " + MAX_NODES +
        "): narrow the query, e.g. with LIMIT.");
      return;
    }
    var big = data.nodes.length > 400;
    var div = document.createElement("div");
    div.id = "graph";
    box.appendChild(div);
    note(box, data.nodes.length + " nodes, " + data.edges.length +
      " edges; double-click a node to open its entity page.");
    var nodes = new window.vis.DataSet(data.nodes), edges = new window.vis.DataSet(data.edges);
    var network = new window.vis.Network(div, { nodes: nodes, edges: edges }, {
      edges: { arrows: "to", font: { size: 10, strokeWidth: 3 }, color: { inherit: "from" } },
      nodes: { shape: "dot", size: 12, font: { size: 13 },
               scaling: { label: { drawThreshold: 3 } } },
      physics: { solver: "forceAtlas2Based", stabilization: { iterations: big ? 60 : 150 } },
      layout: { improvedLayout: !big, randomSeed: 1 },
      interaction: { hover: true }
    });
    network.on("doubleClick", function (ev) {
      var n = ev.nodes.length ? nodes.get(ev.nodes[0]) : null;
      if (n && n.href) { window.location.href = n.href; }
    });
    state.graph = { network: network, nodes: nodes, edges: edges };
  }

  function timeline(box, res) {
    function dated(v) { return res.rows.some(function (r) { return isDate(r[v]); }); }
    var dates = res.vars.filter(dated);
    var ends = dates.filter(function (v) { return /^(validTo|end|to|until)$/i.test(v); });
    var prefs = ["date", "start", "validFrom", "from", "statedOn"];
    var starts = dates.filter(function (v) { return ends.indexOf(v) < 0; }).sort(function (a, b) {
      var i = prefs.indexOf(a), j = prefs.indexOf(b);
      return (i < 0 ? 99 : i) - (j < 0 ? 99 : j);
    });
    if (!starts.length) { note(box, "No date column to draw on a timeline."); return; }
    var text = ["statement", "label", "title", "comment"].filter(function (v) {
      return res.vars.indexOf(v) >= 0;
    })[0];
    var items = [];
    res.rows.forEach(function (row) {
      var start = starts.filter(function (v) { return isDate(row[v]); })[0];
      if (!start) { return; }
      var end = ends.filter(function (v) { return isDate(row[v]); })[0];
      var iri = res.vars.map(function (v) { return row[v]; }).filter(isIri)[0];
      var label = text && row[text] ? row[text].value : res.vars.filter(function (v) {
        return row[v] && !isDate(row[v]) && !isIri(row[v]) && v !== "status";
      }).map(function (v) { return show(row[v]); }).slice(0, 3).join(" · ");
      items.push({
        start: row[start].value,
        end: end ? row[end].value : null,
        label: label || (iri ? shorten(iri.value) : ""),
        href: iri ? entityHref(iri.value) : null,
        status: row.status ? row.status.value : ""
      });
    });
    if (items.length > MAX_ITEMS) {
      note(box, "The first " + MAX_ITEMS + " of " + items.length + " dated rows.");
      items = items.slice(0, MAX_ITEMS);
    }
    var drawn = document.createElement("div");
    box.appendChild(drawn);
    window.ckgCharts.timeline(drawn, items);
  }

  function chart(box, res) {
    var numeric = res.vars.filter(function (v) {
      return res.rows.some(function (r) { return isNumber(r[v]); });
    });
    if (!numeric.length) { note(box, "No number column to draw as bars."); return; }
    var others = res.vars.filter(function (v) { return numeric.indexOf(v) < 0; });
    var items = res.rows.map(function (row) {
      var iri = others.map(function (v) { return row[v]; }).filter(isIri)[0];
      return {
        label: others.map(function (v) { return show(row[v]); }).filter(Boolean).join(" · "),
        values: numeric.map(function (v) { return isNumber(row[v]) ? +row[v].value : 0; }),
        href: iri ? entityHref(iri.value) : null
      };
    });
    if (items.length > MAX_ITEMS) {
      note(box, "The first " + MAX_ITEMS + " of " + items.length + " rows.");
      items = items.slice(0, MAX_ITEMS);
    }
    var drawn = document.createElement("div");
    box.appendChild(drawn);
    window.ckgCharts.bars(drawn, items, numeric);
  }

  /* Parse N-Triples (a CONSTRUCT answer) into a result of ?subject ?predicate ?object. */
  function fromNTriples(text) {
    var TERM = /^(?:<([^>]*)>|_:(\S+)|"((?:[^"\\]|\\.)*)"(?:@([A-Za-z0-9-]+)|\^\^<([^>]*)>)?)\s*/;
    function unescape(s) {
      return s.replace(/\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))/g, function (_, u, U, c) {
        if (u || U) { return String.fromCodePoint(parseInt(u || U, 16)); }
        return { t: "\t", n: "\n", r: "\r", b: "\b", f: "\f" }[c] || c;
      });
    }
    var rows = [];
    text.split(/\r?\n/).forEach(function (line) {
      line = line.trim();
      if (!line || line.charAt(0) === "#") { return; }
      var terms = [];
      for (var i = 0; i < 3; i++) {
        var m = TERM.exec(line);
        if (!m) { return; }
        line = line.slice(m[0].length);
        if (m[1] !== undefined) { terms.push({ type: "uri", value: unescape(m[1]) }); }
        else if (m[2] !== undefined) { terms.push({ type: "bnode", value: m[2] }); }
        else {
          var t = { type: "literal", value: unescape(m[3]) };
          if (m[4]) { t["xml:lang"] = m[4]; } else if (m[5]) { t.datatype = m[5]; }
          terms.push(t);
        }
      }
      rows.push({ subject: terms[0], predicate: terms[1], object: terms[2] });
    });
    return { kind: "GRAPH", vars: ["subject", "predicate", "object"], rows: rows };
  }

  function fromJSON(doc) {
    if (typeof doc.boolean === "boolean") {
      return { kind: "ASK", vars: [], rows: [], boolean: doc.boolean };
    }
    return { kind: "SELECT", vars: doc.head.vars, rows: doc.results.bindings };
  }

  /* Draw `res` in `view` into `box` (emptied first); `state` receives the drawn graph. */
  function draw(view, box, res, state) {
    box.textContent = "";
    state.graph = null;
    if (res.kind === "ASK" && view !== "table") { table(box, res); return; }
    ({ table: table, graph: graph, timeline: timeline, chart: chart }[view] || table)(box, res, state);
  }

  window.ckgViews = { VIEWS: VIEWS, draw: draw, headerView: headerView, fromJSON: fromJSON,
                      fromNTriples: fromNTriples, graphData: graphData, shorten: shorten,
                      entityHref: entityHref };
}());
