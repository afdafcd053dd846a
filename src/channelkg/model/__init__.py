"""The domain model: one date parser, one label policy, one schema reader, one name resolver.

Every command reads dates, labels nodes, asks the ontology about classes and turns
what a user typed into a node through these modules, so the same input means the
same thing everywhere.
"""
