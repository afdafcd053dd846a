"""Channel analyses on any backend: routes, single points of failure, what-if, time, provenance."""
