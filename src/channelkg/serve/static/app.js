// Query page of `channelkg serve`: no external code, works offline.
// The whole state (named query and its parameters, or the query text, and the view) lives in
// the URL fragment, so a copied link reproduces it: #named=routes-into&p.market=HK&view=graph
// or #query=SELECT…&view=table.
"use strict";
(function () {
  var views = window.ckgViews;
  var editor = document.getElementById("editor");
  var select = document.getElementById("examples");
  var paramsBox = document.getElementById("params");
  var description = document.getElementById("description");
  var statusEl = document.getElementById("status");
  var results = document.getElementById("results");
  var tabs = document.getElementById("views");
  var downloads = document.getElementById("downloads");
  var catalogue = [];
  var applied = null;  // the fragment the page shows
  var state = { view: "table", result: null, ran: null, graph: null, header: null, runs: 0 };
  window.ckgExplorer = state;  // read by tests and from the console

  function setStatus(text, isError) {
    statusEl.textContent = text;
    statusEl.className = isError ? "error" : "";
  }

  function current() {
    for (var i = 0; i < catalogue.length; i++) {
      if (catalogue[i].name === select.value) { return catalogue[i]; }
    }
    return null;
  }

  function edited() {
    var nq = current();
    return !!nq && editor.value !== nq.text;
  }

  /* The parameter boxes fill in the shipped example; once its text is edited they
   * cannot apply, so they are disabled and a note says so. */
  function syncParams() {
    var off = edited();
    Array.prototype.forEach.call(paramsBox.querySelectorAll("input"), function (input) {
      input.disabled = off;
    });
    var note = document.getElementById("params-note");
    if (note) { note.hidden = !off; }
  }

  function showParams(nq) {
    paramsBox.textContent = "";
    description.textContent = nq ? nq.title + ". " + nq.description : "";
    if (!nq) { return; }
    nq.params.forEach(function (p) {
      var label = document.createElement("label");
      label.textContent = p.name + " (" + p.type + ")";
      var input = document.createElement("input");
      input.name = p.name;
      input.placeholder = p.default !== null ? p.default : (p.required ? "required" : "optional");
      input.title = p.description;
      label.htmlFor = input.id = "param-" + p.name;
      paramsBox.appendChild(label);
      paramsBox.appendChild(input);
    });
    if (nq.params.length) {
      var note = document.createElement("p");
      note.id = "params-note";
      note.className = "note";
      note.hidden = true;
      note.textContent = "The query text was edited, so these parameters no longer apply: " +
        "write the values into the query, or pick the example again to restore it.";
      paramsBox.appendChild(note);
    }
  }

  function paramValues() {
    var out = [];
    Array.prototype.forEach.call(paramsBox.querySelectorAll("input"), function (input) {
      if (input.value !== "") { out.push([input.name, input.value]); }
    });
    return out;
  }

  function setView(view) {
    state.view = views.VIEWS.indexOf(view) >= 0 ? view : "table";
    Array.prototype.forEach.call(tabs.querySelectorAll("button"), function (b) {
      b.setAttribute("aria-selected", b.dataset.view === state.view ? "true" : "false");
    });
    if (state.result) { views.draw(state.view, results, state.result, state); }
  }

  // ------------------------------------------------------------------ the URL fragment

  function stateHash() {
    var q = new URLSearchParams();
    var nq = current();
    if (nq && !edited()) {
      q.set("named", nq.name);
      paramValues().forEach(function (kv) { q.set("p." + kv[0], kv[1]); });
    } else {
      q.set("query", editor.value);
    }
    q.set("view", state.view);
    return "#" + q.toString();
  }

  function saveState(push) {
    var hash = stateHash();
    applied = hash;
    if (hash === window.location.hash) { return; }
    var url = window.location.pathname + window.location.search + hash;
    if (push) { window.history.pushState(null, "", url); }
    else { window.history.replaceState(null, "", url); }
  }

  /* Restore the state of the URL fragment; true if it names a query to run. */
  function loadState() {
    var q = new URLSearchParams(window.location.hash.slice(1));
    var name = q.get("named"), text = q.get("query");
    if (name !== null) {
      select.value = name;
      var nq = current();
      if (!nq) { setStatus("unknown named query " + name, true); return false; }
      showParams(nq);
      editor.value = nq.text;
      nq.params.forEach(function (p) {
        var v = q.get("p." + p.name);
        if (v !== null) { document.getElementById("param-" + p.name).value = v; }
      });
    } else if (text !== null) {
      select.value = "";
      showParams(null);
      editor.value = text;
    }
    syncParams();
    state.header = views.headerView(editor.value);
    var view = q.get("view");
    state.view = view && views.VIEWS.indexOf(view) >= 0 ? view : (state.header || "table");
    setView(state.view);
    return name !== null || text !== null;
  }

  // ------------------------------------------------------------------ running

  /* What is run: the named query (unedited) with its parameters, or the text. */
  function snapshot() {
    var nq = current();
    return { nq: nq && !edited() ? nq : null, text: editor.value, params: paramValues() };
  }

  /* The request of a snapshot, answered in `format` (none: JSON or N-Triples for the views). */
  function request(snap, format) {
    var accept = "application/sparql-results+json, application/n-triples;q=0.9";
    var fmt = format ? "format=" + encodeURIComponent(format) : "";
    if (snap.nq) {
      var qs = snap.params.map(function (kv) {
        return encodeURIComponent(kv[0]) + "=" + encodeURIComponent(kv[1]);
      });
      if (fmt) { qs.push(fmt); }
      return { url: "named/" + encodeURIComponent(snap.nq.name) + (qs.length ? "?" + qs.join("&") : ""),
               options: { headers: { "Accept": accept } } };
    }
    return { url: "sparql", options: {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": accept },
      body: "query=" + encodeURIComponent(snap.text) + (fmt ? "&" + fmt : "")
    } };
  }

  function showDownloads(kind) {
    downloads.textContent = "";
    var formats = kind === "GRAPH" ? [["turtle", "Turtle", "ttl"], ["nt", "N-Triples", "nt"]]
      : [["csv", "CSV", "csv"], ["json", "JSON", "json"]];
    formats.forEach(function (f) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "download";
      b.dataset.format = f[0];
      b.textContent = "Download " + f[1];
      b.addEventListener("click", function () { download(f[0], f[2]); });
      downloads.appendChild(b);
    });
  }

  /* Ask the endpoint for the query last run in `format` and save the answer as a file. */
  function download(format, ext) {
    var snap = state.ran;
    if (!snap) { return; }
    var req = request(snap, format);
    fetch(req.url, req.options).then(function (resp) {
      if (!resp.ok) {
        return resp.text().then(function (t) { setStatus("HTTP " + resp.status + ": " + t, true); });
      }
      return resp.blob().then(function (blob) {
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = (snap.nq ? snap.nq.name : "query") + "." + ext;
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
      });
    }).catch(function (err) { setStatus(String(err), true); });
  }

  function run() {
    var header = views.headerView(editor.value);
    if (header && header !== state.header) { setView(header); }
    state.header = header;
    saveState(true);
    state.runs += 1;
    var snap = snapshot();
    var req = request(snap, null);
    setStatus("running…");
    results.textContent = "";
    downloads.textContent = "";
    state.result = null;
    fetch(req.url, req.options).then(function (resp) {
      var type = resp.headers.get("Content-Type") || "";
      var truncated = resp.headers.get("X-Channelkg-Truncated") === "true";
      return resp.text().then(function (text) {
        if (!resp.ok) { setStatus("HTTP " + resp.status + ": " + text, true); return; }
        var res = type.indexOf("json") >= 0 ? views.fromJSON(JSON.parse(text))
          : views.fromNTriples(text);
        state.result = res;
        state.ran = snap;
        views.draw(state.view, results, res, state);
        showDownloads(res.kind);
        var n = res.rows.length;
        setStatus(res.kind === "ASK" ? "done" : n + (res.kind === "GRAPH" ? " triple" : " row") +
          (n === 1 ? "" : "s") + (truncated ? " (cut at the row limit)" : ""));
      });
    }).catch(function (err) { setStatus(String(err), true); });
  }

  // ------------------------------------------------------------------ wiring

  select.addEventListener("change", function () {
    var nq = current();
    showParams(nq);
    if (nq) {
      editor.value = nq.text;
      state.header = views.headerView(nq.text);
      setView(state.header || "table");
    }
    syncParams();
  });
  editor.addEventListener("input", syncParams);
  document.getElementById("run").addEventListener("click", run);
  editor.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); run(); }
  });
  Array.prototype.forEach.call(tabs.querySelectorAll("button"), function (b) {
    b.addEventListener("click", function () {
      setView(b.dataset.view);
      if (state.result) { saveState(false); }
    });
  });
  // Back/forward and an address edited by hand: both events may fire for one change.
  function followAddress() {
    if (window.location.hash === applied) { return; }
    applied = window.location.hash;
    if (loadState()) { run(); }
  }
  window.addEventListener("popstate", followAddress);
  window.addEventListener("hashchange", followAddress);
  document.getElementById("endpoint").textContent =
    window.location.origin + window.location.pathname.replace(/\/$/, "") + "/sparql";

  fetch("queries.json").then(function (r) { return r.json(); }).then(function (list) {
    catalogue = list;
    list.forEach(function (nq) {
      var opt = document.createElement("option");
      opt.value = nq.name;
      opt.textContent = nq.name + ": " + nq.title;
      select.appendChild(opt);
    });
    applied = window.location.hash;
    if (loadState()) { run(); }
    document.body.dataset.ready = "true";
  }).catch(function (err) { setStatus("cannot list the named queries: " + err, true); });
}());
