"""Checks: validation (syntax, terms, SHACL) and the data-quality rules, one problem type."""
