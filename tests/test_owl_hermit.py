"""HermiT runs on the ontology as shipped: it reads every triple, warns of nothing, finds
the ontology consistent, every class satisfiable and the class hierarchy the axioms entail;
on the ontology plus the curated graph's assertions it finds the data consistent and types
every individual as the domains, ranges and subclasses imply.

HermiT is not packaged in Debian; the ``owlready2`` package (the ``test`` extra) ships it as
``owlready2/hermit/HermiT.jar`` (HermiT 1.3.8, with the OWL API 3.4.3 inside the jar) and a
few patched HermiT classes in ``owlready2/hermit/``, which owlready2 puts ahead of the jar.
``tests/owl/HermitReason.java`` calls HermiT's own ``Reasoner`` class on that class path
(owlready2's own; never the Debian OWL API of ``tests/test_w3c_owl.py``, another major
version); it is compiled once per run against the jar alone (the patched classes come with
their sources, which javac would compile again). The bundled OWL API reads Turtle, so
``ontology/channelkg.ttl`` is given to HermiT unchanged. Missing Java or owlready2 fails the
tests; nothing is skipped.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from channelkg import resources
from channelkg.rdf.namespaces import CKG

PROV = "http://www.w3.org/ns/prov#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
KGID = "https://w3id.org/channelkg/id/"
ONTOLOGY = resources.ontology_file()
# Short-lived JVMs: the client compiler only and the serial collector start faster.
JVM = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


def hermit_folder() -> Path:
    """``owlready2/hermit``: its patched HermiT classes and ``HermiT.jar``."""
    spec = importlib.util.find_spec("owlready2")
    assert spec is not None and spec.origin, "no owlready2: pip install -e '.[test]'"
    folder = Path(spec.origin).parent / "hermit"
    assert (folder / "HermiT.jar").is_file(), f"owlready2 ships no {folder}/HermiT.jar"
    return folder


@dataclass
class Reasoning:
    """What HermitReason printed, by kind of line."""

    lines: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def one(self, kind: str) -> str:
        [value] = self.lines[kind]
        return value

    def pairs(self, kind: str) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for line in self.lines[kind]:
            left, right = line.split(" ")
            out[left].add(right)
        return out


def superclasses(onto: Graph) -> dict[str, set[str]]:
    """Every named superclass of every declared class: the transitive rdfs:subClassOf."""
    out = {}
    for cls in onto.subjects(RDF.type, OWL.Class):
        ups = {str(c) for c in onto.transitive_objects(cls, RDFS.subClassOf)} - {str(cls)}
        if ups:
            out[str(cls)] = ups
    return out


def assertions(onto: Graph, data: Graph) -> Graph:
    """The data's class assertions (ontology classes) and property assertions (ontology
    properties), without the xsd:date values: xsd:date is outside the OWL 2 datatype map."""
    classes = set(onto.subjects(RDF.type, OWL.Class))
    props = (set(onto.subjects(RDF.type, OWL.ObjectProperty))
             | set(onto.subjects(RDF.type, OWL.DatatypeProperty)))
    out = Graph()
    for s, p, o in data:
        dated = isinstance(o, Literal) and o.datatype == XSD.date
        if (p == RDF.type and o in classes) or (p in props and not dated):
            out.add((s, p, o))
    return out


def implied_types(onto: Graph, abox: Graph) -> dict[str, set[str]]:
    """Each individual's classes by rdfs2, rdfs3 and rdfs9: asserted, from the domain of
    each property it has, from the range of each object property it is a value of, and
    every superclass of those."""
    direct: dict[str, set[str]] = defaultdict(set)
    for s, p, o in abox:
        if p == RDF.type:
            direct[str(s)].add(str(o))
            continue
        direct[str(s)].update(str(c) for c in onto.objects(p, RDFS.domain))
        if not isinstance(o, Literal):
            direct[str(o)].update(str(c) for c in onto.objects(p, RDFS.range))
    ups = superclasses(onto)
    return {ind: classes | {u for c in classes for u in ups.get(c, ())}
            for ind, classes in direct.items() if ind.startswith(KGID) and classes}


BAD_PREFIX = ("@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
              "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
              "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
              "<http://x/o> a owl:Ontology .\n"
              "<http://x/A> a owl:Class ; owl:disjointWith <http://x/B> .\n"
              "<http://x/B> a owl:Class .\n")
BAD = {  # what HermiT must flag: an unsupported datatype, an unsatisfiable class, and
       # two inconsistencies
    "bad.ttl": "<http://x/C> a owl:Class ; rdfs:subClassOf <http://x/A> , <http://x/B> .\n"
               "<http://x/d> a owl:DatatypeProperty ; rdfs:range xsd:date .\n",
    "inconsistent.ttl": "<http://x/i> a <http://x/A> , <http://x/B> .\n",
    "wrong-value.ttl": "<http://x/open> a owl:DatatypeProperty ; rdfs:range xsd:boolean .\n"
                       '<http://x/i> <http://x/open> "yes" .\n',
}


@pytest.fixture(scope="module")
def graphs() -> tuple[Graph, Graph]:
    """The ontology, and the curated graph's assertions that HermiT is given."""
    onto = Graph().parse(ONTOLOGY)
    data = Graph()
    for path in resources.default_data_files():
        data.parse(path)
    return onto, assertions(onto, data)


@pytest.fixture(scope="module")
def hermit(tmp_path_factory: pytest.TempPathFactory,
           graphs: tuple[Graph, Graph]) -> dict[str, Reasoning]:
    """HermitReason compiled and run once (one JVM) on the ontology, the ontology with the
    curated graph's assertions, and the files of :data:`BAD`; results by file name."""
    assert shutil.which("javac") and shutil.which("java"), "no JDK: run scripts/test.sh"
    folder = hermit_folder()
    out = tmp_path_factory.mktemp("hermit")
    subprocess.run(["javac", *(f"-J{flag}" for flag in JVM), "-nowarn",
                    "-cp", str(folder / "HermiT.jar"), "-d", str(out),
                    str(Path(__file__).parent / "owl" / "HermitReason.java")],
                   check=True, capture_output=True, timeout=120)
    both = out / "ontology-and-data.ttl"
    # The ontology's text as shipped, then the assertions (N-Triples lines are Turtle).
    both.write_text(ONTOLOGY.read_text(encoding="utf-8") + "\n"
                    + graphs[1].serialize(format="nt", encoding="utf-8").decode("utf-8"),
                    encoding="utf-8")
    files = [ONTOLOGY, both]
    for name, text in BAD.items():
        files.append(out / name)
        files[-1].write_text(BAD_PREFIX + text, encoding="utf-8")
    classpath = f"{folder}:{folder / 'HermiT.jar'}:{out}"
    run = subprocess.run(["java", *JVM, "-cp", classpath, "HermitReason", *map(str, files)],
                         capture_output=True, text=True, encoding="utf-8", timeout=120,
                         check=True)
    results: dict[str, Reasoning] = {}
    current = Reasoning()
    for line in run.stdout.splitlines():
        kind, _, value = line.partition(": ")
        if kind == "file":
            current = results[Path(value).name] = Reasoning()
        else:
            current.lines[kind].append(value)
    assert all(r.lines["consistent"] for r in results.values()), run.stdout + run.stderr
    assert len(results) == len(files), run.stdout + run.stderr
    return results


def test_hermit_reads_the_ontology_as_shipped(hermit: dict[str, Reasoning]) -> None:
    found = hermit[ONTOLOGY.name]
    assert found.one("format") == "TurtleOntologyFormat"
    assert int(found.one("triples")) == len(Graph().parse(ONTOLOGY))
    assert found.lines["unparsed"] == []
    assert found.lines["warning"] == []
    assert found.one("consistent") == "true"
    assert found.lines["unsatisfiable"] == []


def test_hermit_entails_the_class_hierarchy(hermit: dict[str, Reasoning],
                                            graphs: tuple[Graph, Graph]) -> None:
    found = hermit[ONTOLOGY.name].pairs("subclass")
    onto = graphs[0]
    assert found == superclasses(onto)
    # entailed, not asserted: two steps up
    assert PROV + "Agent" in found[str(CKG.ModelDeveloper)]
    assert PROV + "Entity" in found[str(CKG.AccessRoute)]
    assert (CKG.AccessRoute, RDFS.subClassOf, URIRef(PROV + "Entity")) not in onto
    assert str(CKG.Model) not in found and str(CKG.Organization) not in found[str(CKG.Claim)]
    assert found[str(CKG.Status)] == {SKOS + "Concept"}


def test_hermit_finds_the_curated_graph_consistent(hermit: dict[str, Reasoning],
                                                   graphs: tuple[Graph, Graph]) -> None:
    onto, abox = graphs
    assert len(abox) > 1000
    found = hermit["ontology-and-data.ttl"]
    assert int(found.one("triples")) == len(onto | abox)
    assert found.lines["unparsed"] == [] and found.lines["warning"] == []
    assert found.one("consistent") == "true"
    assert found.lines["unsatisfiable"] == []
    types = {ind: cls for ind, cls in found.pairs("type").items() if ind.startswith(KGID)}
    assert types == implied_types(onto, abox)
    # a route is a claim; the developer of a model is an organization and an agent
    route = next(abox.subjects(RDF.type, CKG.AccessRoute))
    assert {str(CKG.Claim), PROV + "Entity"} <= types[str(route)]
    developer = next(abox.objects(None, CKG.developer))
    assert {str(CKG.Organization), PROV + "Agent"} <= types[str(developer)]


def test_hermit_reports_what_would_break_it(hermit: dict[str, Reasoning]) -> None:
    bad = hermit["bad.ttl"]
    assert bad.lines["warning"] == [f"Ignoring unsupported datatype '{XSD.date}'."]
    assert bad.one("consistent") == "true"
    assert bad.lines["unsatisfiable"] == ["http://x/C"]
    assert hermit["inconsistent.ttl"].one("consistent") == "false"
    assert hermit["wrong-value.ttl"].one("consistent") == "false"
