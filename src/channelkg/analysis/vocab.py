"""The terms the channel analyses look nodes up by, each built once.

A namespace attribute (``CKG.market``) builds a new ``URIRef`` on every access, and
two equal ``URIRef`` objects compare by a Python method; the analyses read a route
through some forty lookups, so they name their terms by these constants instead. An
:class:`~channelkg.analysis.index.Index` hands out these very objects for the graph's
own IRIs (:data:`KNOWN`), so that its lookups compare terms by identity.
"""

from __future__ import annotations

from rdflib import URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS

from channelkg.rdf.namespaces import CKG, SCHEMA

# Classes
ACCESS_ROUTE, ASSESSMENT, MODEL, RESTRICTION = (
    CKG.AccessRoute, CKG.Assessment, CKG.Model, CKG.Restriction)
# Values
DEPENDENCY_RISK, DISPUTED, SUPERSEDED = CKG.DependencyRisk, CKG.disputed, CKG.superseded
# What a route says
MARKET, MODEL_OF, SERVICE, SELLER, DEPENDS_ON, KIND, STATUS = (
    CKG.market, CKG.model, CKG.service, CKG.seller, CKG.dependsOn, CKG.kind, CKG.status)
OPEN, SANCTIONED, FACT_ID, CONFLICTS_WITH, SAME_CHANNEL = (
    CKG.open, CKG.sanctioned, CKG.factId, CKG.conflictsWith, CKG.sameChannelAs)
VALID_FROM, VALID_TO, STATED_ON, DATE_PRECISION = (
    CKG.validFrom, CKG.validTo, CKG.statedOn, CKG.datePrecision)
# Services, models, organizations, markets
PROVIDER, OPERATOR, FAMILY, DEVELOPER, PARTY, PART_OF, ISO_CODE = (
    CKG.provider, CKG.operator, CKG.family, CKG.developer, CKG.party, CKG.partOf,
    CKG.isoCode)
# Restrictions and assessments
APPLIES_TO, BLOCKS, IMPOSED_BY, ASSESSED_ENTITY, LEVEL = (
    CKG.appliesTo, CKG.blocks, CKG.imposedBy, CKG.assessedEntity, CKG.level)
# Other vocabularies
TYPE, COMMENT, LABEL, SUBCLASS_OF = RDF.type, RDFS.comment, RDFS.label, RDFS.subClassOf
DERIVED_FROM, TITLE, PUBLISHER, DATE, URL = (
    PROV.wasDerivedFrom, DCTERMS.title, DCTERMS.publisher, DCTERMS.date, SCHEMA.url)

#: Every term above, by its IRI: what an index hands out for these IRIs.
KNOWN: dict[str, URIRef] = {str(t): t for t in (
    ACCESS_ROUTE, ASSESSMENT, MODEL, RESTRICTION, DEPENDENCY_RISK, DISPUTED, SUPERSEDED,
    MARKET, MODEL_OF, SERVICE, SELLER, DEPENDS_ON, KIND, STATUS, OPEN, SANCTIONED, FACT_ID,
    CONFLICTS_WITH, SAME_CHANNEL, VALID_FROM, VALID_TO, STATED_ON, DATE_PRECISION, PROVIDER,
    OPERATOR, FAMILY, DEVELOPER, PARTY, PART_OF, ISO_CODE, APPLIES_TO, BLOCKS, IMPOSED_BY,
    ASSESSED_ENTITY, LEVEL, TYPE, COMMENT, LABEL, SUBCLASS_OF, DERIVED_FROM, TITLE, PUBLISHER,
    DATE, URL)}

__all__ = [
    "ACCESS_ROUTE", "APPLIES_TO", "ASSESSED_ENTITY", "ASSESSMENT", "BLOCKS", "COMMENT",
    "CONFLICTS_WITH", "DATE", "DATE_PRECISION", "DEPENDENCY_RISK", "DEPENDS_ON", "DERIVED_FROM",
    "DEVELOPER", "DISPUTED", "FACT_ID", "FAMILY", "IMPOSED_BY", "ISO_CODE", "KIND", "KNOWN",
    "LABEL", "LEVEL", "MARKET", "MODEL", "MODEL_OF", "OPEN", "OPERATOR", "PARTY", "PART_OF",
    "PROVIDER", "PUBLISHER", "RESTRICTION", "SAME_CHANNEL", "SANCTIONED", "SELLER", "SERVICE",
    "STATED_ON", "STATUS", "SUBCLASS_OF", "SUPERSEDED", "TITLE", "TYPE", "URL", "VALID_FROM",
    "VALID_TO",
]
