"""Ontology documentation: generated from the files, complete, offline and escaped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.namespace import OWL, RDF, SH, SKOS

from channelkg import resources
from channelkg.cli import cli
from channelkg.render.docs import _anchor, render_docs
from conftest import DATA

CHANNELS = DATA / "channels.ttl"
XSS = "<img src=x onerror=\"document.title='pwned'\">"


def _ontology() -> tuple[Graph, Graph]:
    onto = Graph().parse(resources.ontology_file(), format="turtle")
    shapes = Graph().parse(resources.shapes_file(), format="turtle")
    return onto, shapes


@pytest.fixture(scope="module")
def page() -> str:
    return render_docs(data=[CHANNELS])


def test_every_term_and_shape_has_a_section(page: str) -> None:
    onto, shapes = _ontology()
    ids = set(re.findall(r'id="([^"]+)"', page))
    terms = set(onto.subjects(RDF.type, OWL.Class))
    for t in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
              SKOS.ConceptScheme, SKOS.Concept):
        terms |= set(onto.subjects(RDF.type, t))
    terms |= set(shapes.subjects(RDF.type, SH.NodeShape))
    assert terms and {_anchor(t) for t in terms} <= ids
    # Every in-page link lands on a section; shapes are linked where they constrain a term.
    links = set(re.findall(r'href="#([^"]+)"', page))
    assert links <= ids
    assert "t-ckgsh-ClaimShape" in links and "https://w3id.org/channelkg/shapes#" not in \
        page.split('<h3>Prefixes</h3>', 1)[1].split("</table>", 1)[1]
    prefixes = page.split('<h3>Prefixes</h3>', 1)[1].split("</table>", 1)[0]
    for name in ("rdf:", "rdfs:", "sh:", "ckgsh:"):
        assert f"<code>{name}</code>" in prefixes


def test_definitions_domains_messages_and_hierarchy(page: str) -> None:
    onto, shapes = _ontology()
    for msg in shapes.objects(None, SH.message):
        assert _esc(str(msg)) in page
    for d in onto.objects(None, SKOS.definition):
        assert _esc(str(d)) in page
    tree = page.split('<ul class=tree>')[1].split("</ul></li></ul>")[0]
    # ckg:ModelDeveloper is nested below ckg:Organization in the hierarchy
    org = tree.index('href="#t-ckg-Organization"')
    dev = tree.index('href="#t-ckg-ModelDeveloper"')
    assert org < dev and "<ul>" in tree[org:dev]
    section = page.split('id="t-ckg-dependsOn"')[1].split("</section>")[0]
    assert "domain" in section and 'href="#t-ckg-AccessRoute"' in section
    assert 'range</th><td><a href="#t-ckg-Partnership"' in section


def test_example_instances_come_from_the_data(page: str) -> None:
    section = page.split('id="t-ckg-AccessRoute"')[1].split("</section>")[0]
    assert "6 instance(s) in the data" in section
    assert "kgid:route-" in section
    none = render_docs(examples=False)
    assert "instance(s) in the data" not in none


def _esc(s: str) -> str:
    import html

    return html.escape(s)


def _xss_ontology(tmp_path: Path) -> Path:
    text = resources.ontology_file().read_text(encoding="utf-8")
    text += (
        f'\nckg:Evil a owl:Class ; rdfs:label "{XSS.replace(chr(34), chr(92) + chr(34))}"@en ;'
        f' skos:definition "</section><script>document.title=1</script>"@en .\n'
    )
    out = tmp_path / "onto.ttl"
    out.write_text(text, encoding="utf-8")
    return out


def test_new_class_appears_without_code_change(tmp_path: Path) -> None:
    page = render_docs(ontology=_xss_ontology(tmp_path), examples=False)
    assert 'id="t-ckg-Evil"' in page
    assert "<script" not in page and "<img" not in page
    assert "&lt;img src=x onerror=" in page


def test_docs_cli(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "docs" / "ontology.html"
    res = runner.invoke(cli, ["docs", "-o", str(out), "-d", str(CHANNELS)])
    assert res.exit_code == 0, res.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    res = runner.invoke(cli, ["docs", "-o", str(tmp_path / "x.html"), "--ontology",
                              str(DATA / "bad" / "broken-syntax.ttl")])
    assert res.exit_code == 2 and "broken-syntax.ttl:" in res.output
    assert not (tmp_path / "x.html").exists()


@pytest.mark.browser
def test_docs_in_browser_offline_and_escaped(runner: CliRunner, tmp_path: Path) -> None:
    from test_report import open_page

    out = tmp_path / "ontology.html"
    res = runner.invoke(cli, ["docs", "-o", str(out), "-d", str(CHANNELS), "--ontology",
                              str(_xss_ontology(tmp_path))])
    assert res.exit_code == 0, res.output
    with open_page(out) as page:
        assert page.title() == "channelkg: channels of access to AI models"
        assert page.locator("img").count() == 0 and page.locator("script").count() == 0
        assert page.locator("#t-ckg-Evil h3").inner_text().startswith(XSS)
        # internal links resolve to sections
        for href in page.locator("a[href^='#']").evaluate_all("els => els.map(e => e.hash)"):
            assert page.locator(f"[id='{href[1:]}']").count() == 1, href
