"""Reloading a store when only some statements of a Turtle or N-Triples file changed.

Such an edit is applied by parsing the changed statements alone (``applied`` is
``"statements"``); whatever the statement scan cannot vouch for goes the whole-parse way.
Either way the store must then hold what a fresh load of the files gives (every quad with
its graph, the manifest with the source copies' records: so the statement ends kept
after an edit are those a scan of the whole new file finds).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from rdflib.compare import isomorphic

from channelkg.graph import sourcediff
from channelkg.graph.disk import load_into, read_manifest
from channelkg.graph.sourcediff import bounds, file_bounds, src_path
from test_store_reload import Start, assert_as_fresh, store_state

CKG = "https://w3id.org/channelkg/ontology#"
HEAD = (f"@prefix ckg: <{CKG}> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        "PREFIX e: <urn:e:>\n\n")
BODY = '''# facts
e:first e:label "first" .
e:f1 a ckg:Claim ; ckg:validFrom "2020-01-01"^^xsd:date ;
    ckg:validTo "2024-01-01"^^xsd:date ; e:count "1"^^xsd:integer, "01"^^xsd:integer .
e:long e:text """a long text .
with lines that end . like statements .
""" ; e:other 'it\\'s .' .
e:esc\\. e:val 1.5 ; e:next e:a.b .
e:dup e:label "twice" .
e:mid e:label "middle" . # a comment .
e:dup e:label "twice" .
e:f2 ckg:statedOn "2021-06-01"^^xsd:date ; ckg:datePrecision "month" ; e:about e:f1 .
e:blank e:has [ e:r "anonymous" ] .
e:last e:label "last" .
'''
OTHER = HEAD + 'e:f1 e:seen "in b" .\ne:f2 e:seen "in b" .\n'
A = HEAD + BODY

# name, new text of a.ttl, how it must be applied
EDITS: list[tuple[str, str, str]] = [
    ("add at the start", A.replace("# facts\n", '# facts\ne:new e:p "x" .\n'), "statements"),
    ("add in the middle", A.replace('e:mid e:label "middle" .', 'e:mid e:label "middle" .\n'
                                    'e:mid e:label "more" .'), "statements"),
    ("add at the end", A + 'e:new e:p "x" .\n', "statements"),
    ("remove the first", A.replace('e:first e:label "first" .\n', ""), "statements"),
    ("remove in the middle", A.replace('e:mid e:label "middle" . # a comment .\n', ""),
     "statements"),
    ("remove the last", A.replace('e:last e:label "last" .\n', ""), "statements"),
    ("change a literal", A.replace('"middle"', '"centre"'), "statements"),
    ("edit inside a long string", A.replace("that end . like", "that end .\nlike"),
     "statements"),
    ("end a long string early", A.replace('with lines that end . like statements .\n"""',
                                          '"""'), "statements"),
    ("edit beside an escaped name", A.replace("e:val 1.5", "e:val 2.5"), "statements"),
    ("rename an escaped name", A.replace("e:esc\\.", "e:esc\\.x"), "statements"),
    ("move a fact's start", A.replace('"2020-01-01"', '"2022-02-01"'), "statements"),
    ("undate a fact", A.replace('ckg:statedOn "2021-06-01"^^xsd:date ; ', ""), "statements"),
    ("change a precision", A.replace('"month"', '"year"'), "statements"),
    ("drop one statement of two alike", A.replace(
        'e:dup e:label "twice" .\ne:mid', "e:mid"), "statements"),
    ("drop both statements alike", A.replace('e:dup e:label "twice" .\n', ""), "statements"),
    ("state a triple again", A + 'e:first e:label "first" .\n', "statements"),
    ("drop one of two forms of a number", A.replace(', "01"^^xsd:integer', ""), "statements"),
    ("drop the other form", A.replace('"1"^^xsd:integer, ', ""), "statements"),
    ("add a form of a number", A.replace('"01"^^xsd:integer', '"01"^^xsd:integer, '
                                         '"001"^^xsd:integer'), "statements"),
    ("comment out the first", A.replace("e:first", "# e:first"), "statements"),
    ("comment out in the middle", A.replace("e:mid e:label", "#e:mid e:label"), "lines"),
    ("comment out the last", A.replace("e:last", "# e:last"), "lines"),
    ("join a comment with the next line", A.replace("# facts\n", "# facts"), "statements"),
    ("join a statement's comment with the next line", A.replace(
        "# a comment .\n", "# a comment "), "lines"),
    ("comment out the rest of a line", A.replace('"twice" .\ne:f2', '"twice" . # c e:f2'),
     "lines"),
    ("add a directive", A + "@prefix f: <urn:f:> .\nf:x e:p f:y .\n", "lines"),
    ("change a prefix", A.replace("<urn:e:>", "<urn:E:>"), "lines"),
    ("edit a blank node", A.replace('"anonymous"', '"still anonymous"'), "lines"),
    ("add a labelled blank node", A + '_:b e:p "x" .\n', "lines"),
    ("a syntax the scan cannot vouch for", A + 'e:q e:text """x\\"""" .\n', "lines"),
    ("empty the file", "", "lines"),
    ("keep only the header", HEAD, "lines"),
]


def _files(tmp_path: Path, a: str) -> list[Path]:
    files = [tmp_path / "a.ttl", tmp_path / "b.ttl"]
    files[0].write_bytes(a.encode("utf-8"))
    files[1].write_bytes(OTHER.encode("utf-8"))
    return files


def _ends(text: str, crlf: bool) -> str:
    return text.replace("\n", "\r\n") if crlf else text


@pytest.fixture(scope="module")
def starts(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Start]:
    """a.ttl (A, with LF or CRLF line ends) and b.ttl loaded into a store, for each."""
    return {crlf: Start(tmp_path_factory.mktemp("CRLF" if crlf else "LF"), {
        "a.ttl": _ends(A, crlf).encode("utf-8"), "b.ttl": OTHER.encode("utf-8")})
        for crlf in (False, True)}


@pytest.mark.parametrize("crlf", [False, True], ids=["LF", "CRLF"])
@pytest.mark.parametrize("what,text,how", EDITS, ids=[e[0] for e in EDITS])
def test_an_edit_holds_what_a_fresh_load_gives(starts: dict[bool, Start], tmp_path: Path,
                                               what: str, text: str, how: str,
                                               crlf: bool) -> None:
    """Each edit, reloaded into the store of A, then undone and reloaded: each time the
    store is what a fresh load gives (that of A is :attr:`Start.state`)."""
    start = starts[crlf]
    files = start.files
    folder = start.store(tmp_path / "store")
    assert src_path(folder, str(read_manifest(folder)[str(files[0])]["graph"])).is_file()
    files[0].write_bytes(_ends(text, crlf).encode("utf-8"))
    report = load_into(folder, files=files)
    assert report.applied == {files[0]: how}
    assert_as_fresh(folder, files, tmp_path)
    start.write_back(files[0])  # and back
    load_into(folder, files=files)
    assert_as_fresh(folder, files, tmp_path, start.state)


def test_statement_ends_are_found_past_strings_iris_comments_and_escapes() -> None:
    text = (b'e:a e:b """x .\n y .\n""" .\n'  # 0..25: a long string with " .\n" inside
            b"e:c e:d <urn:x.\\u0020> , 'y .' .\n"  # ..58
            b"e:e e:f 1.5 ; e:g e:h.i .  # c .\n"  # ..91
            b"e:j\\. e:k e:l .\r\n")  # ..108
    assert bounds(text) == [26, 59, 92, 109]
    assert bounds(b"e:a e:b e:c .\n@prefix x: <y> .\n") is None
    assert bounds(b'e:a e:b """x"""" .\n') is None
    # the header ends after PREFIX (at 30); the line after it starts at 31
    assert file_bounds(b"@prefix x: <y> .\nPREFIX z: <w>\n\nx:a x:b x:c .\n") == (30, [31, 46])
    assert file_bounds(b"@prefix x: <y> . x:a x:b x:c .\n") == (16, [31])


def _statement(rnd: random.Random, i: int) -> str:
    kind = rnd.randrange(6)
    s = f"e:s{rnd.randrange(40)}"
    if kind == 0:
        return f'{s} e:label "v{i}" .'
    if kind == 1:
        return f'{s} ckg:validFrom "20{rnd.randint(10, 29)}-01-01"^^xsd:date .'
    if kind == 2:
        return f'{s} e:text """line {i} .\nnext . line\n""" ; e:n {rnd.randint(0, 3)}.5 .'
    if kind == 3:
        return f"{s} e:to e:s{rnd.randrange(40)} , e:x{i}\\. ."
    if kind == 4:
        return f'{s} e:n "0{rnd.randint(0, 2)}"^^xsd:integer .  # n .'
    return f'{s} e:label "v{rnd.randrange(5)}" .'  # often stated twice


def test_random_edits_by_statements_hold_what_a_fresh_load_gives(tmp_path: Path) -> None:
    rnd = random.Random(21)
    body = [_statement(rnd, i) for i in range(80)]
    a, b = tmp_path / "a.ttl", tmp_path / "b.ttl"
    b.write_text(HEAD + "".join(f"e:s{i} e:seen {i} .\n" for i in range(0, 40, 4)),
                 encoding="utf-8")
    folder = tmp_path / "store"
    ways: list[str] = []
    for step in range(20):  # every kind of statement and of edit comes up
        for _ in range(rnd.randint(1, 3)):
            op, i = rnd.random(), rnd.randrange(len(body))
            if op < 0.3:
                body.pop(i)
            elif op < 0.6:
                body.insert(i, _statement(rnd, 100 + step))
            elif op < 0.8:
                body[i] = _statement(rnd, 200 + step)
            else:
                body.insert(i, body[rnd.randrange(len(body))])
        a.write_text(HEAD + "\n".join(body) + "\n", encoding="utf-8")
        report = load_into(folder, files=[a, b])
        ways += [report.applied[f] for f in report.applied if f == a]
        assert_as_fresh(folder, [a, b], tmp_path)
    assert ways.count("statements") == len(ways) - 1  # all but the first load


@pytest.mark.parametrize("directive", ["PREFIX f: <urn:f:>", "prefix f: <urn:f:>",
                                       "BASE <urn:f:>", "@prefix f: <urn:f:> ."])
def test_a_directive_after_the_first_statement_loads_and_reloads(tmp_path: Path,
                                                                  directive: str) -> None:
    assert bounds(f"e:a e:p 1 .\n{directive}\ne:b e:p 1 .\n".encode()) is None
    assert bounds(f"e:a e:p 1 .\n{directive}\n".encode()) is None
    assert bounds(b"e:a e:prefix e:base .\ne:b e:p e:BASE .\n") == [22, 39]  # local names
    a = tmp_path / "a.ttl"
    text = HEAD + f'e:a e:p "A" .\n{directive}\ne:b e:p "B" .\ne:c e:p "C" .\n'
    a.write_text(text, encoding="utf-8")
    folder = tmp_path / "store"
    load_into(folder, files=[a])
    assert_as_fresh(folder, [a], tmp_path)
    for new in (text.replace('"C"', '"D"'), text.replace('"A"', '"Z"'), text):
        a.write_text(new, encoding="utf-8")
        load_into(folder, files=[a])
        assert_as_fresh(folder, [a], tmp_path)
        assert not any(rec.get("pending") for rec in read_manifest(folder).values())


@pytest.mark.parametrize("tag", ["base", "prefix", "BASE", "Prefix"])
def test_a_language_tag_named_like_a_directive_is_no_directive(tmp_path: Path,
                                                              tag: str) -> None:
    line = f'e:l e:label "x"@{tag} , \'y\'@{tag} , """z"""@{tag} .\n'
    assert bounds(line.encode()) == [len(line)]
    a = tmp_path / "a.ttl"
    text = HEAD + 'e:a e:p "A" .\n' + line + 'e:c e:p "C" .\n'
    a.write_text(text, encoding="utf-8")
    folder = tmp_path / "store"
    load_into(folder, files=[a])
    for new in (text.replace('"C"', '"D"'), text.replace('"x"', '"w"'), text + line):
        a.write_text(new, encoding="utf-8")
        assert load_into(folder, files=[a]).applied == {a: "statements"}
        assert_as_fresh(folder, [a], tmp_path)


def test_a_scan_that_fails_falls_back_to_a_whole_parse(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    files = _files(tmp_path, A)
    folder = tmp_path / "store"
    load_into(folder, files=files)

    def fails(text: bytes, start: int = 0, end: int | None = None) -> list[int] | None:
        raise SystemError("a scan that fails")

    monkeypatch.setattr(sourcediff, "bounds", fails)
    for i, text in enumerate((A.replace('"middle"', '"centre"'), A + 'e:new e:p "x" .\n')):
        files[0].write_text(text, encoding="utf-8")
        report = load_into(folder, files=files)
        assert report.applied == {files[0]: "lines"}
        load_into(tmp_path / f"fresh{i}", files=files)  # no pending record, the same quads
        got, want = store_state(folder), store_state(tmp_path / f"fresh{i}")
        assert got[0] == want[0] and isomorphic(got[1], want[1])
    monkeypatch.undo()  # the next load keeps a source copy again
    files[0].write_text(A, encoding="utf-8")
    load_into(folder, files=files)
    assert_as_fresh(folder, files, tmp_path)
