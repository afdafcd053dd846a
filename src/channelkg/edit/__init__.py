"""Adding facts: ``add`` and ``import``.

- :mod:`~channelkg.edit.records`: facts as given (options, YAML, CSV; ``-`` is stdin).
- :mod:`~channelkg.edit.fields`: the fields of each kind, read from the SHACL shapes.
- :mod:`~channelkg.edit.build`: records to triples (references, values, minted IRIs).
- :mod:`~channelkg.edit.duplicates`: the same fact twice.
- :mod:`~channelkg.edit.target`: the target file (lock, canonical write) or SPARQL server.
- :mod:`~channelkg.edit.core`: :func:`add_records`, :func:`import_file`, the checks.
"""
