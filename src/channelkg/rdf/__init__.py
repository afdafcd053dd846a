"""RDF without domain knowledge: terms, namespaces, the canonical Turtle writer, safe file writes."""
