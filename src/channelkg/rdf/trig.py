"""Where a TriG document's first labelled graph block starts (for the error that
refuses quads in a named graph)."""

from __future__ import annotations


def named_graph_block_line(text: str) -> int | None:
    """The line of the first labelled graph block (``label {`` or ``GRAPH label {``) in
    TriG ``text``, skipping strings, IRIs and comments; ``None`` if there is none."""
    i, n, line = 0, len(text), 1
    last: list[tuple[str, int]] = []  # the last three tokens: (kind or word, line)
    while i < n:
        c = text[i]
        start_line = line
        if c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if c.isspace():
            line += c == "\n"
            i += 1
            continue
        if c in "\"'":
            quote = text[i : i + 3] if text.startswith(c * 3, i) else c
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            line += text.count("\n", i, j)
            i = j + len(quote)
            kind = "literal"
        elif c == "<":
            j = text.find(">", i)
            i = n if j < 0 else j + 1
            kind = "label"
        elif c == "{":
            directive = any(k.lower() in ("prefix", "base", "@prefix", "@base")
                            for k, _ in last[-3:-1])
            if last and last[-1][0] == "label" and not directive:
                return last[-1][1]
            i, kind = i + 1, "{"
        else:
            j = i + 1
            while j < n and not text[j].isspace() and text[j] not in "{}<\"'#;,()[":
                j += 1
            word = text[i:j]
            i = j
            kind = "label" if word == "]" or (":" in word and not word.endswith(".")) else word
        last = [*last[-2:], (kind, start_line)]
    return None


__all__ = ["named_graph_block_line"]
