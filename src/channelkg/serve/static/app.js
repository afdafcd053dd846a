// Query page of `channelkg serve`: no external code, works offline.
"use strict";
(function () {
  var PREFIXES = {
    "https://w3id.org/channelkg/ontology#": "ckg:",
    "https://w3id.org/channelkg/id/": "kgid:",
    "http://www.w3.org/2000/01/rdf-schema#": "rdfs:",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf:",
    "http://www.w3.org/2001/XMLSchema#": "xsd:",
    "http://purl.org/dc/terms/": "dcterms:",
    "http://www.w3.org/ns/prov#": "prov:",
    "https://schema.org/": "schema:"
  };
  var editor = document.getElementById("editor");
  var select = document.getElementById("examples");
  var paramsBox = document.getElementById("params");
  var description = document.getElementById("description");
  var statusEl = document.getElementById("status");
  var results = document.getElementById("results");
  var catalogue = [];

  function shorten(iri) {
    for (var ns in PREFIXES) {
      if (iri.indexOf(ns) === 0) { return PREFIXES[ns] + iri.slice(ns.length); }
    }
    return iri;
  }

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

  /* The parameter boxes fill in the shipped example; once its text is edited they
   * cannot apply, so they are disabled and a note says so. */
  function syncParams() {
    var nq = current();
    var edited = !!nq && editor.value !== nq.text;
    Array.prototype.forEach.call(paramsBox.querySelectorAll("input"), function (input) {
      input.disabled = edited;
    });
    var note = document.getElementById("params-note");
    if (note) { note.hidden = !edited; }
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

  function cell(term) {
    var td = document.createElement("td");
    if (!term) { return td; }
    if (term.type === "uri") {
      td.className = "uri";
      td.title = term.value;
      td.textContent = shorten(term.value);
    } else if (term.type === "bnode") {
      td.textContent = "_:" + term.value;
    } else {
      td.textContent = term.value;
      if (term["xml:lang"]) { td.title = "@" + term["xml:lang"]; }
      else if (term.datatype) { td.title = shorten(term.datatype); }
    }
    return td;
  }

  function showTable(doc, truncated) {
    results.textContent = "";
    if (typeof doc.boolean === "boolean") {
      var p = document.createElement("p");
      p.textContent = "ASK: " + doc.boolean;
      results.appendChild(p);
      setStatus("done");
      return;
    }
    var vars = doc.head.vars;
    var table = document.createElement("table");
    var head = table.createTHead().insertRow();
    vars.forEach(function (v) {
      var th = document.createElement("th");
      th.textContent = v;
      head.appendChild(th);
    });
    var body = table.createTBody();
    doc.results.bindings.forEach(function (b) {
      var tr = body.insertRow();
      vars.forEach(function (v) { tr.appendChild(cell(b[v])); });
    });
    results.appendChild(table);
    var n = doc.results.bindings.length;
    setStatus(n + " row" + (n === 1 ? "" : "s") + (truncated ? " (cut at the row limit)" : ""));
  }

  function showText(text) {
    results.textContent = "";
    var pre = document.createElement("pre");
    pre.textContent = text;
    results.appendChild(pre);
    setStatus("done");
  }

  function run() {
    var nq = current();
    var url, options;
    var accept = "application/sparql-results+json, text/turtle;q=0.9";
    if (nq && editor.value === nq.text) {
      var qs = [];
      Array.prototype.forEach.call(paramsBox.querySelectorAll("input"), function (input) {
        if (input.value !== "") {
          qs.push(encodeURIComponent(input.name) + "=" + encodeURIComponent(input.value));
        }
      });
      url = "named/" + encodeURIComponent(nq.name) + (qs.length ? "?" + qs.join("&") : "");
      options = { headers: { "Accept": accept } };
    } else {
      url = "sparql";
      options = {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": accept },
        body: "query=" + encodeURIComponent(editor.value)
      };
    }
    setStatus("running…");
    results.textContent = "";
    fetch(url, options).then(function (resp) {
      var type = resp.headers.get("Content-Type") || "";
      var truncated = resp.headers.get("X-Channelkg-Truncated") === "true";
      return resp.text().then(function (text) {
        if (!resp.ok) { setStatus("HTTP " + resp.status + ": " + text, true); return; }
        if (type.indexOf("json") >= 0) { showTable(JSON.parse(text), truncated); }
        else { showText(text); }
      });
    }).catch(function (err) { setStatus(String(err), true); });
  }

  select.addEventListener("change", function () {
    var nq = current();
    showParams(nq);
    if (nq) { editor.value = nq.text; }
    syncParams();
  });
  editor.addEventListener("input", syncParams);
  document.getElementById("run").addEventListener("click", run);
  editor.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); run(); }
  });
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
  }).catch(function (err) { setStatus("cannot list the named queries: " + err, true); });
}());
