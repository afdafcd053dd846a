"""SPARQL: named queries with typed parameters, binding, the SERVICE guard, rules and reasoning."""
