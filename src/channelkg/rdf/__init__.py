"""RDF without domain knowledge: terms, namespaces, the canonical Turtle writer, file writes."""
