"""HTML documentation of the ontology, generated from the ontology itself.

:func:`render_docs` reads ``ontology/channelkg.ttl`` and ``ontology/shapes.ttl``
(or the files given) and writes one self-contained page: the class hierarchy, every
class with its definition, styling, properties and an example instance taken from
the data, every property with domain and range, the SKOS vocabularies, and every
SHACL shape with its constraints and messages. Nothing is hard-coded: a class,
property, concept or shape added to the files appears in the page.

The page has no script and loads nothing (a Content-Security-Policy forbids it);
every text from the files is escaped.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SH, SKOS, XSD
from rdflib.term import Node

from channelkg import resources
from channelkg.graph.memory import expand_paths, new_rdflib_graph, parse_file
from channelkg.rdf.namespaces import CKG, PREFIXES
from channelkg.rdf.terms import add_triples, shorten, subclass_closure

PROPERTY_TYPES = (
    (OWL.ObjectProperty, "Object properties"),
    (OWL.DatatypeProperty, "Datatype properties"),
    (OWL.AnnotationProperty, "Annotation properties"),
)
EXAMPLE_ROWS = 14
_PLAIN = {XSD.integer, XSD.boolean, XSD.decimal, XSD.double, XSD.nonNegativeInteger}


def _read(paths: Iterable[Path]) -> Graph:
    g = new_rdflib_graph()
    for p in paths:
        add_triples(g, parse_file(p))
    return g


SHAPES_NS = "https://w3id.org/channelkg/shapes#"


def _short(node: Node) -> str:
    """``shorten`` that also knows the shapes' ``ckgsh:`` namespace."""
    text = str(node)
    if text.startswith(SHAPES_NS):
        return "ckgsh:" + text[len(SHAPES_NS):]
    return shorten(text)


def _anchor(node: Node) -> str:
    return "t-" + re.sub(r"[^A-Za-z0-9_-]+", "-", _short(node))


class _Doc:
    def __init__(self, onto: Graph, shapes: Graph, data: Graph | None) -> None:
        self.onto, self.shapes, self.data = onto, shapes, data
        self.classes = sorted(
            {c for c in onto.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}, key=str
        )
        self.props = {
            t: sorted({p for p in onto.subjects(RDF.type, t) if isinstance(p, URIRef)}, key=str)
            for t, _ in PROPERTY_TYPES
        }
        self.documented: set[Node] = set(self.classes)
        self.documented |= {p for ps in self.props.values() for p in ps}
        self.documented |= {c for c in onto.subjects(RDF.type, SKOS.Concept)}
        self.documented |= {c for c in onto.subjects(RDF.type, SKOS.ConceptScheme)}
        self.documented |= {c for c in shapes.subjects(RDF.type, SH.NodeShape)
                            if isinstance(c, URIRef)}

    # -- small helpers ----------------------------------------------------
    def label(self, node: Node, lang: str = "en") -> str:
        """The node's label by the one label policy (ontology first), else its CURIE."""
        from channelkg.model.labels import explicit_label

        for g in (self.onto, self.data) if self.data is not None else (self.onto,):
            text = explicit_label(g.objects, node, lang)
            if text is not None:
                return text
        return shorten(str(node))

    def term(self, node: Node | None, graph: Graph | None = None) -> str:
        """A node as HTML: a link for documented terms, a list, a quoted literal."""
        if node is None:
            return ""
        if isinstance(node, Literal):
            if node.datatype in _PLAIN:
                return f"<span class=lit>{html.escape(str(node))}</span>"
            text = f"\u201c{node}\u201d"
            if node.language:
                text += f"@{node.language}"
            elif node.datatype is not None:
                text += f" ({shorten(str(node.datatype))})"
            return f"<span class=lit>{html.escape(text)}</span>"
        if isinstance(node, BNode):
            g = graph if graph is not None else self.shapes
            if (node, RDF.first, None) in g:
                items = [self.term(x, g) for x in Collection(g, node)]
                return "( " + " ".join(items) + " )"
            return self.inline_shape(node, g)
        name = html.escape(_short(node))
        if node in self.documented:
            return f'<a href="#{_anchor(node)}"><code>{name}</code></a>'
        return f"<code>{name}</code>"

    def inline_shape(self, node: Node, g: Graph) -> str:
        rows = [f"{self.term(p, g)} {self.term(o, g)}" for p, o in sorted(g.predicate_objects(node))
                if p != RDF.type]
        return "[ " + " ; ".join(rows) + " ]"

    def text(self, node: Node, p: URIRef) -> str:
        vals = sorted(self.onto.objects(node, p), key=lambda v: (getattr(v, "language", "") or "",
                                                                  str(v)))
        return " / ".join(html.escape(str(v)) for v in vals)

    def labels(self, node: Node) -> str:
        vals = sorted(self.onto.objects(node, RDFS.label),
                      key=lambda v: (getattr(v, "language", "") or "", str(v)))
        return ", ".join(
            f"{html.escape(str(v))}" + (f" <small>@{html.escape(v.language)}</small>"
                                         if isinstance(v, Literal) and v.language else "")
            for v in vals
        )

    # -- sections ---------------------------------------------------------
    def header(self) -> tuple[str, str]:
        onto_iri = next(iter(self.onto.subjects(RDF.type, OWL.Ontology)), None)
        title = "Ontology"
        parts = []
        if onto_iri is not None:
            title = str(self.onto.value(onto_iri, DCTERMS.title)
                        or self.onto.value(onto_iri, RDFS.label) or shorten(str(onto_iri)))
            desc = self.onto.value(onto_iri, DCTERMS.description)
            if desc:
                parts.append(f"<p>{html.escape(str(desc))}</p>")
            meta = [("IRI", str(onto_iri))]
            for p, name in ((OWL.versionIRI, "version IRI"), (OWL.versionInfo, "version")):
                v = self.onto.value(onto_iri, p)
                if v is not None:
                    meta.append((name, str(v)))
            parts.append("<table class=meta>" + "".join(
                f"<tr><th>{html.escape(k)}</th><td><code>{html.escape(v)}</code></td></tr>"
                for k, v in meta) + "</table>")
        used = {shorten(str(t)).split(":", 1)[0] for g in (self.onto, self.shapes)
                for triple in g for t in triple if isinstance(t, URIRef)}
        known = {**PREFIXES, "ckgsh": SHAPES_NS}
        rows = "".join(
            f"<tr><td><code>{html.escape(p)}:</code></td><td><code>{html.escape(ns)}</code></td></tr>"
            for p, ns in known.items() if p in used or p in ("kgid", "ckgsh")
        )
        parts.append(f"<h3>Prefixes</h3><table class=meta>{rows}</table>")
        counts = [
            (len(self.classes), "classes", "classes"),
            (sum(len(v) for v in self.props.values()), "properties", "properties"),
            (len(set(self.onto.subjects(RDF.type, SKOS.ConceptScheme))), "vocabularies",
             "vocabularies"),
            (len(set(self.shapes.subjects(RDF.type, SH.NodeShape))), "SHACL shapes", "shapes"),
        ]
        toc = " · ".join(f'<a href="#{a}">{n} {html.escape(w)}</a>' for n, w, a in counts)
        return f"<h1>{html.escape(title)}</h1><nav class=toc>{toc}</nav>" + "".join(parts), title

    def hierarchy(self) -> str:
        parents: dict[Node, list[Node]] = defaultdict(list)
        children: dict[Node, list[Node]] = defaultdict(list)
        for c in self.classes:
            for sup in self.onto.objects(c, RDFS.subClassOf):
                if isinstance(sup, URIRef):
                    parents[c].append(sup)
                    children[sup].append(c)
        roots = sorted({c for c in self.classes if not any(p in self.classes
                                                             for p in parents[c])}, key=str)
        # group roots under their external superclass (e.g. prov:Agent), if any
        external: dict[Node, list[Node]] = defaultdict(list)
        plain = []
        for r in roots:
            ext = [p for p in parents[r] if p not in self.classes]
            if ext:
                external[sorted(ext, key=str)[0]].append(r)
            else:
                plain.append(r)

        def tree(node: Node, seen: frozenset[Node]) -> str:
            kids = sorted((k for k in children[node] if k in self.classes and k not in seen),
                          key=str)
            inner = "".join(tree(k, seen | {k}) for k in kids)
            return (f"<li>{self.term(node)} <span class=lbl>{html.escape(self.label(node))}"
                    f"</span>{'<ul>' + inner + '</ul>' if inner else ''}</li>")

        items = [tree(r, frozenset({r})) for r in plain]
        for outer, rs in sorted(external.items(), key=lambda t: str(t[0])):
            inner = "".join(tree(r, frozenset({r})) for r in sorted(rs, key=str))
            items.append(f"<li>{self.term(outer)} <small>(external)</small><ul>{inner}</ul></li>")
        return "<ul class=tree>" + "".join(items) + "</ul>"

    def class_section(self, c: URIRef) -> str:
        o = self.onto
        rows: list[tuple[str, str]] = [("IRI", f"<code>{html.escape(str(c))}</code>")]
        rows.append(("labels", self.labels(c)))
        if (d := self.text(c, SKOS.definition)):
            rows.append(("definition", d))
        if (d := self.text(c, RDFS.comment)):
            rows.append(("comment", d))
        sups = sorted(o.objects(c, RDFS.subClassOf), key=str)
        if sups:
            rows.append(("subclass of", ", ".join(self.term(s, o) for s in sups)))
        subs = sorted((s for s in o.subjects(RDFS.subClassOf, c) if s in self.classes), key=str)
        if subs:
            rows.append(("subclasses", ", ".join(self.term(s) for s in subs)))
        color, shape = o.value(c, CKG.viewColor), o.value(c, CKG.viewShape)
        if color is not None or shape is not None:
            swatch = ""
            if color is not None and re.fullmatch(r"#[0-9A-Fa-f]{3,8}", str(color)):
                swatch = f'<span class=swatch style="background:{color}"></span> '
            rows.append(("view style", swatch + html.escape(
                " ".join(str(x) for x in (color, shape) if x is not None))))
        supers = self.superclasses(c)
        dom = [p for ps in self.props.values() for p in ps
               if set(o.objects(p, RDFS.domain)) & supers]
        if dom:
            rows.append(("properties (domain)", ", ".join(self.term(p) for p in dom)))
        rng = [p for ps in self.props.values() for p in ps if (p, RDFS.range, c) in o]
        if rng:
            rows.append(("used as range of", ", ".join(self.term(p) for p in rng)))
        targeting = sorted({s for s in self.shapes.subjects(SH.targetClass, c)}, key=str)
        if targeting:
            rows.append(("SHACL shapes", ", ".join(self.term(s) for s in targeting)))
        ex = self.example(c)
        if ex:
            rows.append(("example", ex))
        body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
        return (f'<section id="{_anchor(c)}" class=card><h3>{html.escape(self.label(c))} '
                f"<small><code>{html.escape(shorten(str(c)))}</code></small></h3>"
                f"<table>{body}</table></section>")

    def superclasses(self, c: Node) -> set[Node]:
        return subclass_closure(self.onto, c, up=True)

    def subclasses(self, c: Node) -> set[Node]:
        return subclass_closure(self.onto, c)

    def example(self, c: URIRef) -> str:
        """The richest direct instance of ``c`` in the data, as a small table."""
        if self.data is None:
            return ""
        insts = {s for s in self.data.subjects(RDF.type, c) if isinstance(s, URIRef)}
        if not insts:
            return ""
        best = sorted(insts, key=lambda s: (-len(list(self.data.predicate_objects(s))),  # type: ignore[union-attr]
                                             str(s)))[0]
        pos = sorted(self.data.predicate_objects(best), key=lambda t: (str(t[0]), str(t[1])))
        rows = "".join(
            f"<tr><td>{self.term(p)}</td><td>{self.term(v, self.data)}</td></tr>"
            for p, v in pos[:EXAMPLE_ROWS]
        )
        more = (f"<tr><td colspan=2><small>… {len(pos) - EXAMPLE_ROWS} more</small></td></tr>"
                if len(pos) > EXAMPLE_ROWS else "")
        return (f"<code>{html.escape(shorten(str(best)))}</code> "
                f"<small>({len(insts)} instance(s) in the data)</small>"
                f"<table class=example>{rows}{more}</table>")

    def property_section(self, p: URIRef, ptype: URIRef) -> str:
        o = self.onto
        rows: list[tuple[str, str]] = [("IRI", f"<code>{html.escape(str(p))}</code>")]
        rows.append(("labels", self.labels(p)))
        if (d := self.text(p, SKOS.definition)):
            rows.append(("definition", d))
        for pred, name in ((RDFS.domain, "domain"), (RDFS.range, "range"),
                           (RDFS.subPropertyOf, "subproperty of"), (OWL.inverseOf, "inverse of")):
            vals = sorted(o.objects(p, pred), key=str)
            if vals:
                rows.append((name, ", ".join(self.term(v, o) for v in vals)))
        chars = sorted((t for t in o.objects(p, RDF.type) if t != ptype), key=str)
        if chars:
            rows.append(("characteristics", ", ".join(self.term(t) for t in chars)))
        if (edge_label := o.value(p, CKG.viewEdgeLabel)) is not None:
            rows.append(("view edge label", html.escape(str(edge_label))))
        used = sorted({s for s in self.shapes.subjects(SH.path, p)}, key=str)
        owners = sorted({sh for b in used for sh in self.shapes.subjects(SH.property, b)}, key=str)
        if owners:
            rows.append(("constrained by", ", ".join(self.term(s) for s in owners)))
        if self.data is not None:
            n = sum(1 for _ in self.data.triples((None, p, None)))
            rows.append(("uses in the data", str(n)))
        body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
        return (f'<section id="{_anchor(p)}" class=card><h3>{html.escape(self.label(p))} '
                f"<small><code>{html.escape(shorten(str(p)))}</code></small></h3>"
                f"<table>{body}</table></section>")

    def vocabularies(self) -> str:
        o = self.onto
        out = []
        for scheme in sorted(set(o.subjects(RDF.type, SKOS.ConceptScheme)), key=str):
            concepts = sorted(set(o.subjects(SKOS.inScheme, scheme)), key=str)
            rows = "".join(
                f'<tr id="{_anchor(c)}"><td>{self.term(c)}</td>'
                f"<td>{html.escape(self.label(c))}</td>"
                f"<td>{self.text(c, SKOS.notation)}</td>"
                f"<td>{self.types(c)}</td>"
                f"<td>{self.text(c, SKOS.definition)}</td></tr>"
                for c in concepts
            )
            out.append(
                f'<section id="{_anchor(scheme)}" class=card><h3>'
                f"{html.escape(self.label(scheme))} <small><code>"
                f"{html.escape(shorten(str(scheme)))}</code></small></h3>"
                f"<p>{self.text(scheme, SKOS.definition)}</p>"
                "<table><tr><th>concept</th><th>label</th><th>notation</th><th>type</th>"
                f"<th>definition</th></tr>{rows}</table></section>"
            )
        return "".join(out) or "<p>No SKOS concept scheme.</p>"

    def types(self, c: Node) -> str:
        kinds = sorted((t for t in self.onto.objects(c, RDF.type) if t != SKOS.Concept), key=str)
        return ", ".join(self.term(t) for t in kinds)

    def shape_section(self, s: Node) -> str:
        g = self.shapes
        title = self.shape_label(s)
        rows: list[tuple[str, str]] = []
        if (c := g.value(s, RDFS.comment)) is not None:
            rows.append(("comment", html.escape(str(c))))
        for pred in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf):
            vals = sorted(g.objects(s, pred), key=str)
            if vals:
                rows.append((shorten(str(pred)), ", ".join(self.term(v, g) for v in vals)))
        for cpred, cvals in self.constraints(s, skip={SH.property, SH.targetClass, SH.targetNode,
                                                       SH.targetSubjectsOf, SH.targetObjectsOf,
                                                       RDFS.label, RDFS.comment, SH.message}):
            rows.append((shorten(str(cpred)), cvals))
        if (m := g.value(s, SH.message)) is not None:
            rows.append(("message", f"<em>{html.escape(str(m))}</em>"))
        props = sorted(g.objects(s, SH.property), key=lambda b: str(g.value(b, SH.path)))
        prow = []
        for b in props:
            cons = "; ".join(f"{html.escape(shorten(str(p)))} {v}"
                             for p, v in self.constraints(b, skip={SH.path, SH.message}))
            msg = g.value(b, SH.message)
            prow.append(f"<tr><td>{self.term(g.value(b, SH.path), g)}</td><td>{cons}</td>"
                        f"<td>{'<em>' + html.escape(str(msg)) + '</em>' if msg else ''}</td></tr>")
        body = "".join(f"<tr><th>{html.escape(k)}</th><td>{v}</td></tr>" for k, v in rows)
        ptable = ("<table><tr><th>path</th><th>constraints</th><th>message</th></tr>"
                  + "".join(prow) + "</table>") if prow else ""
        return (f'<section id="{_anchor(s)}" class=card><h3>{html.escape(title)} '
                f"<small><code>{html.escape(_short(s))}</code></small></h3>"
                f"<table>{body}</table>{ptable}</section>")

    def shape_label(self, s: Node) -> str:
        for v in self.shapes.objects(s, RDFS.label):
            return str(v)
        return shorten(str(s))

    def constraints(self, node: Node, skip: set[Node]) -> list[tuple[Node, str]]:
        g = self.shapes
        out = []
        for p in sorted(set(g.predicates(node)), key=str):
            if p in skip or p == RDF.type:
                continue
            vals = sorted(g.objects(node, p), key=str)
            out.append((p, ", ".join(self.term(v, g) for v in vals)))
        return out

    def render(self) -> str:
        head, title = self.header()
        shapes = sorted(set(self.shapes.subjects(RDF.type, SH.NodeShape)), key=str)
        parts = [head, '<h2 id="classes">Classes</h2>', "<h3>Hierarchy</h3>", self.hierarchy()]
        parts += [self.class_section(c) for c in self.classes]
        parts.append('<h2 id="properties">Properties</h2>')
        for t, name in PROPERTY_TYPES:
            if self.props[t]:
                parts.append(f"<h3>{html.escape(name)}</h3>")
                parts += [self.property_section(p, t) for p in self.props[t]]
        parts.append('<h2 id="vocabularies">Controlled vocabularies (SKOS)</h2>')
        parts.append(self.vocabularies())
        parts.append('<h2 id="shapes">SHACL shapes</h2>')
        parts.append("<p>The contract that <code>channelkg validate</code> enforces.</p>")
        parts += [self.shape_section(s) for s in shapes] or ["<p>No shapes.</p>"]
        return _page(title, "\n".join(parts))


_CSS = (
    "body{font:15px/1.5 system-ui,sans-serif;margin:0;background:#f6f6f6;color:#222}"
    "main{max-width:1100px;margin:0 auto;padding:1.5em 2em;background:#fff}"
    "h2{margin-top:2em;border-bottom:2px solid #ddd}h3 small{color:#666;font-weight:normal}"
    ".card{border:1px solid #e2e2e2;border-radius:6px;padding:.2em 1em;margin:1em 0}"
    "table{border-collapse:collapse;margin:.4em 0;width:100%}"
    "th,td{text-align:left;vertical-align:top;padding:.25em .5em;border-bottom:1px solid #eee}"
    "th{width:12em;color:#444;font-weight:600}.example td{font-size:.9em}"
    ".lit{color:#0a6a3a}.swatch{display:inline-block;width:1em;height:1em;"
    "border:1px solid #888;vertical-align:middle}"
    ".tree,.tree ul{list-style:none;padding-left:1.2em}.tree li{margin:.15em 0}"
    ".lbl{color:#555}.toc a{margin-right:.5em}a{color:#1a5fb4}code{font-size:.92em}"
)


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style></head>\n"
        f"<body><main>\n{body}\n</main></body></html>\n"
    )


def render_docs(
    ontology: Path | None = None,
    shapes: Path | None = None,
    data: Sequence[Path] | None = None,
    *,
    examples: bool = True,
) -> str:
    """Return the HTML documentation of the ontology (one self-contained page).

    Args:
        ontology: the OWL file (default ``ontology/channelkg.ttl``).
        shapes: the SHACL file (default ``ontology/shapes.ttl``).
        data: files or folders to take example instances from (default: the curated
            graph); ignored when ``examples`` is false.
        examples: include an example instance per class.

    Raises:
        InputError: a file is missing or has a syntax error.
    """
    onto = _read([ontology or resources.ontology_file()])
    shp = _read([shapes or resources.shapes_file()])
    dg = None
    if examples:
        files = expand_paths(list(data) if data else None)
        dg = _read(files) if files else None
    return _Doc(onto, shp, dg).render()


def write_docs(path: Path, **kwargs: object) -> Path:
    """Render with :func:`render_docs` and write atomically to ``path``."""
    from channelkg.rdf.fileio import atomic_write_text

    atomic_write_text(path, render_docs(**kwargs))  # type: ignore[arg-type]
    return path


__all__ = ["render_docs", "write_docs"]
