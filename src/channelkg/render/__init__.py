"""Output: result tables, RDF, the network projection, HTML views, briefs and the ontology page."""
