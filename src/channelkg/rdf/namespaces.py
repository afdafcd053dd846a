"""Namespaces of the ontology and the data, and the prefixes used for display.

:data:`PREFIXES` and the ``*_NS`` strings need no RDF library; :data:`CKG`, :data:`KGID`
and :data:`SCHEMA` are rdflib ``Namespace`` objects, made (and rdflib imported) when a
module first asks for one.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any

    from rdflib import Namespace
    from rdflib.namespace import DefinedNamespace

# Made on first use (see __getattr__): declared here, never bound at import.
CKG: Namespace
KGID: Namespace
SCHEMA: type[DefinedNamespace]

#: The ontology's namespace (``ckg:``) and the data's (``kgid:``).
CKG_NS = "https://w3id.org/channelkg/ontology#"
KGID_NS = "https://w3id.org/channelkg/id/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS_NS = "http://www.w3.org/2000/01/rdf-schema#"
OWL_NS = "http://www.w3.org/2002/07/owl#"
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
SKOS_NS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS_NS = "http://purl.org/dc/terms/"
SCHEMA_NS = "https://schema.org/"

#: Prefixes known to the CLI: used to shorten IRIs in tables and to expand
#: ``prefix:local`` parameter values.
PREFIXES: dict[str, str] = {
    "ckg": CKG_NS,
    "kgid": KGID_NS,
    "rdf": RDF_NS,
    "rdfs": RDFS_NS,
    "owl": OWL_NS,
    "xsd": XSD_NS,
    "skos": SKOS_NS,
    "dcterms": DCTERMS_NS,
    "prov": "http://www.w3.org/ns/prov#",
    "schema": SCHEMA_NS,
    "sh": "http://www.w3.org/ns/shacl#",
}


def __getattr__(name: str) -> Any:
    value: Any
    if name in ("CKG", "KGID"):
        from rdflib import Namespace

        value = Namespace(CKG_NS if name == "CKG" else KGID_NS)
    elif name == "SCHEMA":
        from rdflib.namespace import SDO

        value = SDO
    else:
        raise AttributeError(f"module 'channelkg.rdf.namespaces' has no attribute {name!r}")
    globals()[name] = value  # made once
    return value


__all__ = ["CKG", "CKG_NS", "DCTERMS_NS", "KGID", "KGID_NS", "OWL_NS", "PREFIXES", "RDFS_NS",
           "RDF_NS", "SCHEMA", "SCHEMA_NS", "SKOS_NS", "XSD_NS"]
