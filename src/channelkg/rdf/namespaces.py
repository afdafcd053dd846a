"""Namespaces of the ontology and the data, and the prefixes used for display."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SDO, SH, SKOS, XSD

CKG = Namespace("https://w3id.org/channelkg/ontology#")
KGID = Namespace("https://w3id.org/channelkg/id/")
SCHEMA = SDO

#: Prefixes known to the CLI: used to shorten IRIs in tables and to expand
#: ``prefix:local`` parameter values.
PREFIXES: dict[str, str] = {
    "ckg": str(CKG),
    "kgid": str(KGID),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "schema": str(SDO),
    "sh": str(SH),
}

__all__ = ["CKG", "KGID", "PREFIXES", "SCHEMA"]
