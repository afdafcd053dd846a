"""The ontology is OWL 2 DL: the OWL API's OWL 2 DL profile checker finds no violation.

``tests/owl/Owl2DlProfile.java`` loads an ontology file with the OWL API (Debian
``libowlapi-java``, installed by ``scripts/test.sh``; imports are not followed) and prints
every violation of ``OWL2DLProfile``. It is compiled once per run into a temporary folder.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS, XSD

from channelkg.model.schema import value_range
from channelkg.rdf.namespaces import CKG

ROOT = Path(__file__).parent.parent
ONTOLOGY = ROOT / "ontology" / "channelkg.ttl"
SHAPES = ROOT / "ontology" / "shapes.ttl"
JARS = "/usr/share/java/*"
OWLAPI = Path("/usr/share/java/owlapi-distribution.jar")
SH = "http://www.w3.org/ns/shacl#"
# Short-lived JVMs: the client compiler only and the serial collector start faster.
JVM = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert shutil.which("javac") and shutil.which("java"), "no JDK: run scripts/test.sh"
    assert OWLAPI.is_file(), "no OWL API (Debian libowlapi-java): run scripts/test.sh"
    out = tmp_path_factory.mktemp("owl")
    subprocess.run(["javac", *(f"-J{flag}" for flag in JVM), "-cp", JARS, "-d", str(out),
                    str(Path(__file__).parent / "owl" / "Owl2DlProfile.java")],
                   check=True, capture_output=True, timeout=120)
    return out


def violations(checker: Path, ontology: Path) -> list[str]:
    run = subprocess.run(["java", *JVM, "-cp", f"{JARS}:{checker}", "Owl2DlProfile",
                          str(ontology)],
                         capture_output=True, text=True, timeout=120, check=True)
    lines = run.stdout.splitlines()
    assert lines and lines[-1].startswith("violations: "), run.stdout + run.stderr
    found = lines[:-2]
    assert int(lines[-1].split()[1]) == len(found)
    assert int(lines[-2].split()[1]) > 0  # axioms: the file was read
    return found


def test_the_ontology_is_owl2_dl(checker: Path) -> None:
    assert violations(checker, ONTOLOGY) == []


def test_the_checker_finds_what_owl2_dl_forbids(checker: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        "<http://x/o> a owl:Ontology .\n"
        "<http://x/C> a owl:Class ; rdfs:subClassOf rdf:Statement ;\n"
        '    skos:definition "undeclared annotation property" .\n'
        "<http://x/d> a owl:DatatypeProperty ; rdfs:range xsd:date .\n"
        "<http://x/i> a skos:Concept .\n", encoding="utf-8")
    found = "\n".join(violations(checker, bad))
    assert "undeclared annotation property" in found and "skos/core#definition" in found
    assert "undeclared datatype: xsd:date" in found
    assert "reserved vocabulary for class IRI: rdf:Statement" in found
    assert "undeclared class" in found and "skos/core#Concept" in found


def test_date_properties_keep_xsd_date_outside_rdfs_range() -> None:
    """xsd:date is outside the OWL 2 datatype map: rdfs:range says rdfs:Literal, the
    dates stay xsd:date through ckg:valueDatatype (add/import) and the SHACL shapes."""
    onto = Graph().parse(ONTOLOGY)
    dated = set(onto.subjects(CKG.valueDatatype, XSD.date))
    assert {CKG.statedOn, CKG.validFrom, CKG.validTo, CKG.periodStart, CKG.periodEnd,
            CKG.releaseDate} <= dated
    for prop in dated:
        assert onto.value(prop, RDFS.range) == RDFS.Literal
        assert value_range(onto, prop) == XSD.date
    assert not set(onto.subjects(RDFS.range, XSD.date))
    shapes = Graph().parse(SHAPES)
    checked = {shapes.value(s, URIRef(SH + "path"))
               for s in shapes.subjects(URIRef(SH + "datatype"), XSD.date)}
    assert {CKG.statedOn, CKG.validFrom, CKG.validTo} <= checked
