"""Content is untrusted input: what a hostile territory folder can no longer put on the site."""

from pathlib import Path

import pytest
from contentkit import MINIMAL, PLACEMENT, content_errors, write_territory
from territories.loader import load_territories
from territories.markup import convert_markdown, sanitise_html

T = "territories/x/territory.yaml"
P = "territories/x/placements/offre.md"


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    """territories/ in an empty current directory, so that messages show short paths."""
    monkeypatch.chdir(tmp_path)
    return Path("territories")


def placement_with(body: str) -> dict:
    """A territory whose one placement has `body` as its text (first body line: 9)."""
    return {
        "territory.yaml": MINIMAL,
        "placements/offre.md": PLACEMENT.replace("Texte de l'offre.\n", body),
    }


def body_html(root: Path, body: str) -> str:
    write_territory(root, placement_with(body))
    (territory,) = load_territories(root)
    return territory.placements[0].body_html


# -------------------------------------------------------------- links and resources ----------

REFUSED_BODIES = {
    "entity_encoded_javascript_link": (
        "Bonjour.\n\n[clic](jav&#x61;script:alert(1))\n",
        f"{P}:11: le lien « jav&#x61;script:alert(1) » n'est pas autorisé",
    ),
    "tab_encoded_javascript_link": (
        "[clic](java&#9;script:alert(1))\n",
        f"{P}:9: le lien « java&#9;script:alert(1) » n'est pas autorisé",
    ),
    "decimal_entities_in_raw_html": (
        'Texte.\n<a href="&#106;&#97;vascript:alert(1)">clic</a>\n',
        f"{P}:10: le lien « &#106;&#97;vascript:alert(1) » n'est pas autorisé",
    ),
    "upper_case_scheme_after_a_space": (
        "[clic]( JAVASCRIPT:alert(1))\n",
        f"{P}:9: le lien « JAVASCRIPT:alert(1) » n'est pas autorisé",
    ),
    "data_link": (
        "[clic](data:text/html;base64,PHNjcmlwdD4=)\n",
        f"{P}:9: le lien « data:text/html;base64,PHNjcmlwdD4= » n'est pas autorisé",
    ),
    "remote_markdown_image": (
        "Vue :\n\n![Vue](https://evil.example/pixel.png)\n",
        f"{P}:11: l'image « https://evil.example/pixel.png » n'est pas autorisée",
    ),
    "plain_http_image": (
        "![Vue](http://evil.example/pixel.png)\n",
        f"{P}:9: l'image « http://evil.example/pixel.png » n'est pas autorisée",
    ),
    "protocol_relative_image": (
        "![Vue](//evil.example/pixel.png)\n",
        f"{P}:9: l'image « //evil.example/pixel.png » n'est pas autorisée",
    ),
    "backslash_host_image": (
        '<img src="/\\evil.example/pixel.png" alt="">\n',
        f"{P}:9: l'image « /\\evil.example/pixel.png » n'est pas autorisée",
    ),
    "data_image": (
        "![x](data:image/png;base64,iVBORw0KGgo=)\n",
        f"{P}:9: l'image « data:image/png;base64,iVBORw0KGgo= » n'est pas autorisée",
    ),
    "script": (
        "Un.\n\nDeux.\n\n<script>fetch('/x')</script>\n",
        f"{P}:13: « <script> » n'est pas autorisé : le site ne charge ni script",
    ),
    "video_from_elsewhere": (
        '<video src="https://evil.example/v.mp4"></video>\n',
        f"{P}:9: « <video> » n'est pas autorisé",
    ),
    "style_sheet": (
        "<style>body{background:url(https://evil.example/t.png)}</style>\n",
        f"{P}:9: « <style> » n'est pas autorisé",
    ),
    "event_handler": (
        'Texte.\n\n<p onmouseover="alert(1)">survol</p>\n',
        f"{P}:11: « onmouseover= » n'est pas autorisé : le site n'exécute aucun script",
    ),
    "event_handler_through_an_attribute_list": (
        "## Titre {onclick=alert(1)}\n",
        f"{P}:9: « onclick= » n'est pas autorisé",
    ),
}


@pytest.mark.parametrize(
    ("body", "expected"), list(REFUSED_BODIES.values()), ids=list(REFUSED_BODIES)
)
def test_what_an_editor_writes_to_run_code_or_load_elsewhere_is_refused_where_written(
    root, body, expected
):
    write_territory(root, placement_with(body))
    [error] = content_errors(root)
    assert error.startswith(expected)


def test_every_refusal_of_a_text_is_reported_not_only_the_first(root):
    body = "[a](javascript:a())\n\n![b](https://evil.example/b.png)\n\n<iframe></iframe>\n"
    write_territory(root, placement_with(body))
    errors = content_errors(root)
    assert [error.split(":")[1] for error in errors] == ["9", "11", "13"]


def test_an_encoded_link_in_a_yaml_markdown_field_is_refused_at_the_field(root):
    text = MINIMAL + "intro: |\n  Bienvenue.\n\n  [clic](java&#9;script:alert(1))\n"
    write_territory(root, {"territory.yaml": text})
    [error] = content_errors(root)
    assert error.startswith(f"{T}:9: intro: le lien « java&#9;script:alert(1) » n'est pas")


def test_a_remote_image_in_a_yaml_markdown_field_is_refused(root):
    text = MINIMAL + "intro: '![Logo](https://evil.example/logo.png)'\n"
    write_territory(root, {"territory.yaml": text})
    [error] = content_errors(root)
    assert error.startswith(f"{T}:9: intro: l'image « https://evil.example/logo.png »")


# -------------------------------------------------------------- what stays ------------------


def test_relative_images_of_the_territory_stay(root):
    html = body_html(root, "![La Loire à Blois](images/loire.jpg)\n")
    assert html == '<p><img alt="La Loire à Blois" src="images/loire.jpg"></p>'


@pytest.mark.parametrize(
    "link",
    [
        "https://www.ars.sante.fr/",
        "http://example.org/",
        "mailto:accueil@example.org",
        "tel:+33254000000",
        "/loiret/offres/",
        "../pack/",
        "#contact",
    ],
)
def test_web_mail_phone_and_relative_links_stay(root, link):
    assert body_html(root, f"[lien]({link})\n") == f'<p><a href="{link}">lien</a></p>'


def test_html_in_code_is_shown_not_refused(root):
    html = body_html(root, "Écrivez `<script>` pour rien.\n")
    assert html == "<p>Écrivez <code>&lt;script&gt;</code> pour rien.</p>"


def test_footnotes_tables_and_attribute_lists_keep_working(root):
    body = (
        "Texte[^1].\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "## Titre {: #acces .note }\n\n[^1]: Note.\n"
    )
    html = body_html(root, body)
    assert '<a class="footnote-ref" href="#fn:1">1</a>' in html
    assert '<li id="fn:1">' in html
    assert "<table>" in html and "<td>2</td>" in html
    assert '<h2 class="note" id="acces">Titre</h2>' in html


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ('<span style="color:red">rouge</span>', "<p><span>rouge</span></p>"),
        ('<a href="/pack/" target="_blank">coffret</a>', '<p><a href="/pack/">coffret</a></p>'),
        ("<font face=x>ancien</font> <!-- note -->", "<p>ancien </p>"),
        ("<center>centré</center>", "centré"),
    ],
)
def test_harmless_unknown_html_is_dropped_silently_its_text_kept(root, written, kept):
    assert body_html(root, written + "\n") == kept


# -------------------------------------------------------------- the allow-list itself -------


@pytest.mark.parametrize(
    "html",
    [
        '<a href="jav&#x61;script:alert(1)">x</a>',
        '<a href="java&#9;script:alert(1)">x</a>',
        '<a href="&#x6A;avascript&colon;alert(1)">x</a>',
        '<a href="vbscript:msgbox(1)">x</a>',
        '<img src="https://evil.example/p.png">',
        '<img src="//evil.example/p.png">',
        '<img src="/\\evil.example/p.png">',
        '<img src="x.png" onerror="alert(1)">',
        "<svg><script>alert(1)</script></svg>",
        '<math><mtext><img src="https://evil.example/p.png"></mtext></math>',
        "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
        '<object data="https://evil.example/f.swf"></object>',
        '<link rel="stylesheet" href="https://evil.example/s.css">',
        '<div style="background:url(https://evil.example/p.png)">x</div>',
        '<form action="https://evil.example/"><input name="q"></form>',
    ],
)
def test_the_allow_list_leaves_no_script_and_no_remote_resource(html):
    """Whatever the located checks miss, nh3 removes: the page never gets it."""
    cleaned = sanitise_html(html).lower()
    for forbidden in ("script", "onerror", "evil.example", "style=", "<iframe", "<form", "<input"):
        assert forbidden not in cleaned, cleaned


def test_the_located_checks_see_what_a_browser_sees():
    """Entities and tabs are decoded before the scheme is read, as a browser does."""
    links = ("jav&#x61;script:x", "java&#9;script:x", "&#x6A;avascript&colon;x", " javascript:x")
    for link in links:
        _, problems = convert_markdown(f'<a href="{link}">x</a>')
        assert len(problems) == 1, link
