"""Reloading an on-disk store after edits: it then holds what a fresh load of the files gives.

Every edit below is loaded into one store by a reload (which applies the difference to
the store where it can), and the result is compared with a store built from nothing out
of the same files: every quad with its graph (so the keyed graphs of dated facts too),
blank nodes up to renaming, and the manifest.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import threading
import zlib
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from channelkg.errors import InputError
from channelkg.graph.delta import COPIES, copy_path
from channelkg.graph.disk import MANIFEST, load_into, open_disk, read_manifest

CKG = "https://w3id.org/channelkg/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"
HEAD = f"@prefix ckg: <{CKG}> .\n@prefix xsd: <{XSD}> .\n@prefix e: <urn:e:> .\n"


def _rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> URIRef | BNode | Literal:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    return Literal(term.value, lang=term.language,
                   datatype=None if term.language else URIRef(term.datatype.value))


def store_state(folder: Path) -> tuple[set[tuple[str, str, str, str]], Graph, dict[str, object]]:
    """A store's quads without blank nodes and its named graphs (empty ones too), those
    with them (the graph folded into the predicate, so that one renaming must fit every
    graph), and its manifest (without the records of the copies, whose size follows the
    labels of anonymous blank nodes, nor the racy marks)."""
    store = ox.Store.read_only(str(folder))
    plain: set[tuple[str, str, str, str]] = {
        ("graph", "", "", g.value) for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
    blank = Graph()
    for q in store.quads_for_pattern(None, None, None, None):
        assert isinstance(q.graph_name, ox.NamedNode), q  # nothing in the default graph
        g = q.graph_name.value
        if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode):
            blank.add((_rdflib(q.subject), URIRef("urn:in:" + quote(f"{q.predicate.value} {g}")),
                       _rdflib(q.object)))
        else:
            plain.add((str(q.subject), str(q.predicate), str(q.object), g))
    del store
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    for rec in manifest["files"].values():
        assert not rec.get("pending")
        rec.pop("copy")
        rec.pop("racy", None)  # whether a file was written just before: the test's pace
    return plain, blank, manifest


State = tuple[set[tuple[str, str, str, str]], Graph, dict[str, object]]


def assert_as_fresh(folder: Path, files: list[Path], scratch: Path,
                    want: State | None = None) -> None:
    """The store at ``folder`` holds what a fresh load of ``files`` gives (``want``: the
    :func:`store_state` of that fresh load, made before: see :class:`Start`)."""
    if want is None:
        fresh = scratch / f"fresh-{len(list(scratch.glob('fresh-*')))}"
        load_into(fresh, files=files)
        want = store_state(fresh)
    got = store_state(folder)
    assert got[0] == want[0]
    assert len(got[1]) == len(want[1]) and isomorphic(got[1], want[1])
    assert got[2] == want[2]
    for key, rec in read_manifest(folder).items():  # each copy: the file, as its record says
        copy, text = rec["copy"], copy_path(folder, str(rec["graph"])).read_bytes()
        assert isinstance(copy, dict) and copy == {"size": len(text), "crc32": zlib.crc32(text)}
        if b"<<(" in text:  # triple terms, which rdflib does not read (no blank nodes here)
            assert {str(t.triple) for t in ox.parse(text, format=ox.RdfFormat.N_TRIPLES)} == {
                str(t.triple) for t in ox.parse(path=key)}
        else:  # both read by the store's parser (rdflib lacks some of Turtle's escapes)
            got_plain, got_blank = _parsed(ox.parse(text, format=ox.RdfFormat.N_TRIPLES))
            want_plain, want_blank = _parsed(ox.parse(path=key))
            assert got_plain == want_plain
            assert len(got_blank) == len(want_blank) and isomorphic(got_blank, want_blank)


#: The time every file of a :class:`Start` is given whenever it holds its starting text.
PINNED_NS = 1_500_000_000 * 10**9


class Start:
    """Files at fixed paths, with a store loaded from their starting texts and that
    store's :func:`store_state`, made once for the tests of a module.

    A store records each file's path (its graph's name) and time: with the same paths,
    and the starting texts always written back with the time :data:`PINNED_NS`
    (:meth:`reset`, :meth:`write_back`), a copy of the store (:meth:`store`) is what a
    load of the starting texts gives, and :attr:`state` what a fresh load of them gives,
    in every test. An edit is written with the clock's time, so a load sees it (a file of
    the size and time recorded would count as unchanged)."""

    def __init__(self, folder: Path, texts: dict[str, bytes]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.texts = texts
        self.files = [folder / name for name in texts]
        self.reset()
        self.base = folder / "start-store"
        load_into(self.base, files=self.files)
        self.state = store_state(self.base)

    def reset(self) -> None:
        """Every file back to its starting text and time."""
        for f in self.files:
            self.write_back(f)

    def write_back(self, f: Path) -> None:
        f.write_bytes(self.texts[f.name])
        os.utime(f, ns=(PINNED_NS, PINNED_NS))

    def store(self, folder: Path) -> Path:
        """A copy of the store of the starting texts at ``folder`` (files reset first)."""
        self.reset()
        shutil.copytree(self.base, folder)
        return folder


def _parsed(quads: Iterable[ox.Quad]) -> tuple[set[str], Graph]:
    """The triples without blank nodes (as N-Triples, compared as they are) and those with
    them (to be compared up to a renaming of the blank nodes)."""
    plain: set[str] = set()
    blank = Graph()
    for q in quads:
        assert not isinstance(q.object, ox.Triple)
        if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode):
            blank.add((_rdflib(q.subject), _rdflib(q.predicate), _rdflib(q.object)))
        else:
            plain.add(str(q.triple))
    return plain, blank


def _load(folder: Path, files: list[Path]) -> list[str]:
    said: list[str] = []
    load_into(folder, files=files, progress=said.append)
    return said


A = HEAD + """
e:f1 a ckg:Claim ; ckg:validFrom "2020-01-01"^^xsd:date ; ckg:validTo "2024-01-01"^^xsd:date ;
    e:count "1"^^xsd:integer, "01"^^xsd:integer ; e:flag true .
e:f2 a ckg:Claim ; ckg:statedOn "2021-06-01"^^xsd:date ; ckg:datePrecision "month" ;
    e:note "two" .
e:f3 a ckg:Claim ; ckg:validFrom "2019-03-01"^^xsd:date ; e:about e:f1 .
_:x e:p e:f1 ; e:q "labelled" .
e:f1 e:has [ e:r "anonymous" ; e:s ( 1 2 ) ] .
e:plain e:label "undated" .
"""
B = HEAD + """
e:f1 e:label "f1 from b" .
e:f2 e:label "f2 from b" .
e:f4 ckg:validFrom "2018-01-01"^^xsd:date ; e:label "f4" .
"""
C = HEAD + 'e:f4 ckg:datePrecision "year" ; e:about e:f2 .\n'

EDITS: list[tuple[str, str, str]] = [
    ("add a triple", "a", A + 'e:f1 e:extra "new" .\n'),
    ("remove a triple", "a", A.replace(' e:note "two" ', ' ')),
    ("change a literal", "a", A.replace('"undated"', '"still undated"')),
    ("move a fact's start", "a", A.replace('"2020-01-01"', '"2021-02-01"')),
    ("end an open fact", "a", A.replace('e:f3 a ckg:Claim ;',
                                        'e:f3 a ckg:Claim ; ckg:validTo "2023-01-01"^^xsd:date ;')),
    ("date a plain node", "a", A + 'e:plain ckg:validFrom "2022-01-01"^^xsd:date .\n'),
    ("undate a fact", "a", A.replace('ckg:statedOn "2021-06-01"^^xsd:date ; ', '')),
    ("change a precision", "c", C.replace('"year"', '"month"')),
    ("precision elsewhere goes", "c", HEAD + "e:f4 e:about e:f2 .\n"),
    ("drop one of two forms of a number", "a", A.replace(', "01"^^xsd:integer', '')),
    ("drop the other form", "a", A.replace('"1"^^xsd:integer, ', '')),
    ("change a labelled blank node", "a", A.replace('"labelled"', '"relabelled"')),
    ("change an anonymous blank node", "a", A.replace('"anonymous"', '"still anonymous"')),
    ("reorder the lines", "b", HEAD + "\n".join(reversed(B[len(HEAD):].splitlines()))
     + "\n"),
    ("state a triple twice", "b", B + 'e:f1 e:label "f1 from b" .\n'),
    ("empty a file", "b", HEAD),
    ("dates into a file about them", "b", B + 'e:f1 ckg:validFrom "2010-01-01"^^xsd:date .\n'),
]


@pytest.fixture(scope="module")
def start(tmp_path_factory: pytest.TempPathFactory) -> Start:
    """a, b and c loaded into a store; a second fresh load of them is the same store."""
    folder = tmp_path_factory.mktemp("start")
    out = Start(folder, {f"{n}.ttl": body.encode("utf-8") for n, body in zip(
        "abc", (A, B, C), strict=True)})
    assert_as_fresh(out.base, out.files, folder)
    return out


@pytest.mark.parametrize("what,name,text", EDITS, ids=[e[0] for e in EDITS])
def test_a_reload_after_an_edit_holds_what_a_fresh_load_gives(
        start: Start, tmp_path: Path, what: str, name: str, text: str) -> None:
    """Each edit, reloaded into the store of a, b and c, then undone and reloaded: each
    time the store is what a fresh load gives (that of the starting texts is
    :attr:`Start.state`)."""
    files = start.files
    folder = start.store(tmp_path / "store")
    edited = files["abc".index(name)]
    edited.write_text(text, encoding="utf-8")
    said = _load(folder, files)
    assert any("triples removed" in s for s in said), said  # the difference, not the file
    assert_as_fresh(folder, files, tmp_path)
    start.write_back(edited)  # and back
    _load(folder, files)
    assert_as_fresh(folder, files, tmp_path, start.state)


def test_a_file_left_out_and_taken_back(tmp_path: Path) -> None:
    files = [tmp_path / f"{n}.ttl" for n in "abc"]
    for f, body in zip(files, (A, B, C), strict=True):
        f.write_text(body, encoding="utf-8")
    folder = tmp_path / "store"
    load_into(folder, files=files)
    load_into(folder, files=[files[0], files[2]])  # b's labels of a's facts go
    assert_as_fresh(folder, [files[0], files[2]], tmp_path)
    assert len(list((folder / COPIES).glob("*.nt"))) == len(list(
        (folder / COPIES).glob("*.src"))) == 2
    load_into(folder, files=files)
    assert_as_fresh(folder, files, tmp_path)
    files[2].unlink()  # a deleted file leaves the store when it opens
    open_disk(folder).close()
    assert_as_fresh(folder, files[:2], tmp_path)


def _synthetic(rnd: random.Random, n: int) -> list[str]:
    lines = []
    for i in range(n):
        s = f"<urn:f:{i}>"
        lines.append(f"{s} <{CKG}validFrom> \"20{rnd.randint(10, 29)}-0{rnd.randint(1, 9)}-01\""
                     f"^^<{XSD}date> .")
        if rnd.random() < 0.3:
            lines.append(f"{s} <{CKG}validTo> \"2030-01-01\"^^<{XSD}date> .")
        lines.append(f'{s} <urn:p:label> "fact {i}" .')
        lines.append(f"{s} <urn:p:next> <urn:f:{rnd.randrange(n)}> .")
    return lines


def test_random_edits_keep_the_store_as_fresh(tmp_path: Path) -> None:
    """Random line edits (add, drop, change a date, move) to two files about each other.
    The 8 rounds of this seed make every kind of edit to a (a date changed once) and add,
    drop and move lines of b; 12 rounds made no other kind."""
    rnd = random.Random(7)
    a, b = tmp_path / "a.nt", tmp_path / "b.nt"
    la, lb = _synthetic(rnd, 60), [f'<urn:f:{i}> <urn:p:seen> "b {i}" .' for i in range(0, 60, 3)]
    folder = tmp_path / "store"
    for rnd_round in range(8):
        for lines in (la, lb)[: 1 + rnd_round % 2]:
            for _ in range(rnd.randint(1, 4)):
                op, i = rnd.random(), rnd.randrange(len(lines))
                if op < 0.3:
                    lines.pop(i)
                elif op < 0.6:
                    lines.insert(i, rnd.choice(_synthetic(rnd, 60)))
                elif op < 0.8:
                    lines[i] = lines[i].replace("-0", "-1", 1).replace("fact", "Fact")
                else:
                    lines.insert(rnd.randrange(len(lines)), lines.pop(i))
        a.write_text("\n".join(la) + "\n", encoding="utf-8")
        b.write_text("\n".join(lb) + "\n", encoding="utf-8")
        load_into(folder, files=[a, b])
        assert_as_fresh(folder, [a, b], tmp_path)


@pytest.mark.parametrize("damage", ["missing", "changed", "truncated"])
def test_a_damaged_copy_means_a_whole_replacement(tmp_path: Path, damage: str) -> None:
    files = [tmp_path / f"{n}.ttl" for n in "abc"]
    for f, body in zip(files, (A, B, C), strict=True):
        f.write_text(body, encoding="utf-8")
    folder = tmp_path / "store"
    load_into(folder, files=files)
    copy = copy_path(folder, str(read_manifest(folder)[str(files[0].resolve())]["graph"]))
    if damage == "missing":
        copy.unlink()
    elif damage == "changed":  # same size, another triple: only the CRC tells
        copy.write_bytes(copy.read_bytes().replace(b"undated", b"UNDATED"))
    else:
        copy.write_bytes(copy.read_bytes()[:-20])
    files[0].write_text(A.replace('"undated"', '"still undated"'), encoding="utf-8")
    said = _load(folder, files)
    assert any(s.startswith("loading ") for s in said) and not any(
        "triples removed" in s for s in said), said
    assert_as_fresh(folder, files, tmp_path)


def test_a_syntax_error_leaves_store_manifest_and_copies_as_they_were(tmp_path: Path) -> None:
    files = [tmp_path / f"{n}.ttl" for n in "abc"]
    for f, body in zip(files, (A, B, C), strict=True):
        f.write_text(body, encoding="utf-8")
    folder = tmp_path / "store"
    load_into(folder, files=files)
    before = store_state(folder), (folder / MANIFEST).read_bytes(), {
        p.name: p.read_bytes() for p in (folder / COPIES).iterdir()}
    files[1].write_text(B + "e:f1 e:label 'unterminated .\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_into(folder, files=files)
    assert err.value.location.startswith(f"{files[1]}:") and err.value.location.count(":") >= 2
    after = store_state(folder), (folder / MANIFEST).read_bytes(), {
        p.name: p.read_bytes() for p in (folder / COPIES).iterdir()}
    assert after[1:] == before[1:] and after[0][0] == before[0][0]
    assert isomorphic(after[0][1], before[0][1])


T = HEAD + """
e:s e:p <<( e:a e:b "01"^^xsd:integer )>> , <<( e:a e:b "1"^^xsd:integer )>> .
e:r e:q "two" ; e:reifies <<( e:c e:d "02"^^xsd:integer )>> .
e:plain e:label "undated" .
"""
TRIPLE_TERM_EDITS: list[tuple[str, str]] = [
    ("drop one of two forms in a triple term", T.replace(
        '<<( e:a e:b "01"^^xsd:integer )>> , ', '')),
    ("drop the other form in a triple term", T.replace(
        ' , <<( e:a e:b "1"^^xsd:integer )>>', '')),
    ("add a form of a stated triple term",
     T + 'e:r e:reifies <<( e:c e:d "2"^^xsd:integer )>> .\n'),
    ("change the form in a triple term", T.replace('"02"', '"2"')),
]


@pytest.mark.parametrize("what,text", TRIPLE_TERM_EDITS, ids=[e[0] for e in TRIPLE_TERM_EDITS])
def test_an_edit_of_triple_terms_holds_what_a_fresh_load_gives(
        tmp_path: Path, what: str, text: str) -> None:
    """The store canonicalises literals inside triple terms as well, so one stored triple
    may stand for several forms the file states: such a file is replaced whole."""
    a, b = tmp_path / "a.ttl", tmp_path / "b.ttl"
    a.write_text(T, encoding="utf-8")
    b.write_text(B, encoding="utf-8")
    folder = tmp_path / "store"
    load_into(folder, files=[a, b])
    a.write_text(text, encoding="utf-8")
    said = _load(folder, [a, b])
    assert any(s.startswith("loading ") and s.endswith(str(a)) for s in said), said
    assert_as_fresh(folder, [a, b], tmp_path)
    a.write_text(T, encoding="utf-8")  # and back
    _load(folder, [a, b])
    assert_as_fresh(folder, [a, b], tmp_path)


def test_an_edit_beside_triple_terms_is_still_a_difference(tmp_path: Path) -> None:
    a = tmp_path / "a.ttl"
    a.write_text(T, encoding="utf-8")
    folder = tmp_path / "store"
    load_into(folder, files=[a])
    a.write_text(T.replace('"undated"', '"still undated"'), encoding="utf-8")
    said = _load(folder, [a])
    assert any("1 triples removed, 1 added" in s for s in said), said
    assert_as_fresh(folder, [a], tmp_path)


def test_many_files_are_written_by_a_few_threads(tmp_path: Path) -> None:
    """A first load of 10 files, then an edit of each: the store is as fresh, every copy is
    its file, and the copies were written by a bounded number of threads (fewer than
    the files: a thread a file would be 12)."""
    rnd = random.Random(11)
    files = [tmp_path / f"f{i:02}.nt" for i in range(10)]
    for f in files:
        f.write_text("\n".join(_synthetic(rnd, 100)) + "\n", encoding="utf-8")
    folder = tmp_path / "store"
    started: set[threading.Thread] = set()

    def first_call(*_args: object) -> None:  # run once in every thread started meanwhile
        started.add(threading.current_thread())
        sys.setprofile(None)

    threading.setprofile(first_call)
    try:
        load_into(folder, files=files)
    finally:
        threading.setprofile(None)
    assert 0 < len(started) <= 5, started  # the prefetch, the manifest, 3 for the copies
    assert_as_fresh(folder, files, tmp_path)
    for f in files:
        f.write_text(f.read_text(encoding="utf-8").replace("fact 1", "Fact 1"), encoding="utf-8")
    said = _load(folder, files)
    assert sum("triples removed" in s for s in said) == len(files), said
    assert_as_fresh(folder, files, tmp_path)


@pytest.mark.parametrize("edit", [True, False], ids=["a file changed", "nothing changed"])
def test_a_load_removes_the_temporary_copies_a_killed_load_left(
        tmp_path: Path, edit: bool) -> None:
    files = [tmp_path / f"{n}.ttl" for n in "abc"]
    for f, body in zip(files, (A, B, C), strict=True):
        f.write_text(body, encoding="utf-8")
    folder = tmp_path / "store"
    load_into(folder, files=files)
    copies = sorted((folder / COPIES).iterdir())
    stale = [c.with_name(f".{c.name}.{tag}.tmp") for c, tag in zip(copies, ("k1", "k2x"),
                                                                    strict=False)]
    for s in stale:  # named as a copy being written is, the text cut short by the kill
        s.write_bytes(copies[0].read_bytes()[:10])
    if edit:
        files[0].write_text(A.replace('"undated"', '"still undated"'), encoding="utf-8")
    load_into(folder, files=files)
    assert not any(s.exists() for s in stale)
    assert sorted((folder / COPIES).iterdir()) == copies
    assert_as_fresh(folder, files, tmp_path)


def test_reloading_and_opening_a_store_import_no_rdflib(tmp_path: Path) -> None:
    """Loading, reloading after an edit and opening a store need pyoxigraph only: rdflib
    (a tenth of a second to import) is left to the commands that take rdflib terms."""
    import subprocess

    data = tmp_path / "a.ttl"
    data.write_text("\n".join(_synthetic(random.Random(3), 200)) + "\n", encoding="utf-8")
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from channelkg.graph.disk import load_into, open_disk\n"
        "folder, data = Path(sys.argv[1]), Path(sys.argv[2])\n"
        "load_into(folder, files=[data])\n"
        "data.write_text(data.read_text() + '<urn:x> <urn:p> \"dated\" .\\n')\n"
        "report = load_into(folder, files=[data])\n"
        "open_disk(folder).close()\n"
        "print(report.applied[data], 'rdflib' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "store"), str(data)],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["statements", "False"]



def _labels(folder: Path) -> set[str]:
    store = ox.Store.read_only(str(folder))
    return {q.object.value for q in store.quads_for_pattern(
        None, ox.NamedNode("urn:e:label"), None, None)}


def _opens_read_only(folder: Path) -> bool:
    kg = open_disk(folder)
    try:
        return bool(kg.read_only)
    finally:
        kg.close()


@pytest.fixture
def wide_racy_margin(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file this test writes counts as changed just before a load looks at it,
    however slowly the test runs (margins of a minute)."""
    from channelkg.graph import changes

    monkeypatch.setattr(changes, "RACY_NS", 60 * 10**9)
    monkeypatch.setattr(changes, "RACY_FINE_NS", 60 * 10**9)


@pytest.mark.usefixtures("wide_racy_margin")
def test_a_same_size_edit_that_keeps_the_file_time_is_loaded(tmp_path: Path) -> None:
    """An edit of the same size made just after a load, within the same tick of the file
    system's clock (its time kept, here by os.utime), is loaded: the file was changed
    just before the load looked at it, so the manifest marks it racy, and the next open
    and load hash it. Unchanged, such a file is hashed by an open that stays read-only."""
    f, folder = tmp_path / "a.ttl", tmp_path / "store"
    f.write_text(HEAD + 'e:x e:label "one" .\n', encoding="utf-8")
    load_into(folder, [f], ontology=False)
    assert read_manifest(folder)[str(f.resolve())].get("racy") is True
    assert _opens_read_only(folder)
    st = f.stat()
    f.write_text(HEAD + 'e:x e:label "two" .\n', encoding="utf-8")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert not _opens_read_only(folder)  # it refreshes the store
    assert _labels(folder) == {"two"}
    f.write_text(HEAD + 'e:x e:label "1-3" .\n', encoding="utf-8")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    report = load_into(folder, [f], ontology=False)
    assert report.reloaded == [f] and _labels(folder) == {"1-3"}


def test_a_file_recorded_long_after_its_change_is_trusted_by_its_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A racy record is hashed once more, and once its file is older than the racy margin
    recorded by its size and time again: then a load and an open read nothing of it."""
    from channelkg.graph import changes

    f, folder = tmp_path / "a.ttl", tmp_path / "store"
    f.write_text(HEAD + 'e:x e:label "one" .\n', encoding="utf-8")
    with monkeypatch.context() as wide:
        wide.setattr(changes, "RACY_FINE_NS", 60 * 10**9)
        wide.setattr(changes, "RACY_NS", 60 * 10**9)
        load_into(folder, [f], ontology=False)
    assert read_manifest(folder)[str(f.resolve())].get("racy") is True
    old = f.stat().st_mtime_ns - 2 * changes.RACY_NS
    os.utime(f, ns=(old, old))
    report = load_into(folder, [f], ontology=False)
    assert report.unchanged == [f]
    assert "racy" not in read_manifest(folder)[str(f.resolve())]

    def no_hash(path: Path) -> str:
        raise AssertionError(f"{path} hashed")

    monkeypatch.setattr(changes, "sha256_of", no_hash)
    monkeypatch.setattr("channelkg.graph.disk.sha256_of", no_hash)
    assert load_into(folder, [f], ontology=False).unchanged == [f]
    assert _opens_read_only(folder)
    assert _labels(folder) == {"one"}


@pytest.mark.parametrize(("mtime_ns", "seen_after_ns", "is_racy"), [
    (5 * 10**18 + 1, 49_000_000, True), (5 * 10**18 + 1, 51_000_000, False),
    (5 * 10**18, 1_900_000_000, True), (5 * 10**18, 2_100_000_000, False),
    (5 * 10**18 + 1, -10**9, True)])
def test_the_racy_margin_follows_the_file_system_precision(
        mtime_ns: int, seen_after_ns: int, is_racy: bool) -> None:
    """Times with a fraction of a second: 50 ms; whole seconds (a coarse file system): 2 s;
    a time ahead of the clock: racy."""
    from channelkg.graph.changes import racy

    assert racy(mtime_ns, mtime_ns + seen_after_ns) is is_racy


def test_a_store_keeps_only_the_newest_old_info_logs(tmp_path: Path) -> None:
    """Each read-write open leaves one more old info log; a store keeps the newest three,
    and no other file of the folder is touched."""
    from channelkg.graph.housekeeping import INFO_LOGS_KEPT

    data, store = tmp_path / "a.nt", tmp_path / "store"
    data.write_text('<urn:a> <urn:b> "0" .\n', encoding="utf-8")
    seen: set[str] = set()
    for i in range(INFO_LOGS_KEPT + 3):
        with data.open("a", encoding="utf-8") as fh:
            fh.write(f'<urn:a> <urn:b> "{i + 1}" .\n')
        load_into(store, [data])
        if i == 0:
            (store / "LOG.old.notes").write_text("mine", encoding="utf-8")
        seen |= {n.name for n in store.glob("LOG.old.[0-9]*")}
    kept = {n.name for n in store.glob("LOG.old.[0-9]*")}
    assert len(seen) == INFO_LOGS_KEPT + 2  # the first open has no old log
    assert kept == set(sorted(seen, key=lambda n: int(n[len("LOG.old."):]))[-INFO_LOGS_KEPT:])
    assert (store / "LOG.old.notes").read_text(encoding="utf-8") == "mine"
    open_disk(store).close()
    held = ox.Store.read_only(str(store))
    assert len(list(held.quads_for_pattern(ox.NamedNode("urn:a"), None, None))) == (
        INFO_LOGS_KEPT + 4)
