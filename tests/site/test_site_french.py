"""French that reads right on every kind of page and in every e-mail: names with their
article, institutions with theirs, non-breaking spaces in text only, French formats."""

from __future__ import annotations

import datetime as dt

import pytest
from forms.catalogue import load_catalogue
from forms.emails import compose
from forms.ports import PACK_ORDER, WELCOMER_REQUEST, Submission
from forms.pricing import price_order
from sitekit import TODAY, build

# The held-out shapes of names: slug → (name, kind, article line, the forms the pages must use).
SHAPES = {
    "le": ("Loiret", "département", "", "du Loiret", "dans le Loiret"),
    "la": (
        "Communauté de communes du Pithiverais",
        "communauté de communes",
        "article: la\n",
        "de la Communauté de communes du Pithiverais",
        "dans la Communauté de communes du Pithiverais",
    ),
    "l": ("Ain", "département", "", "de l'Ain", "dans l'Ain"),
    "les": ("Landes", "département", "", "des Landes", "dans les Landes"),
    "aucun": (
        "Loir-et-Cher",
        "département",
        "name_in: en Loir-et-Cher\n",
        "de Loir-et-Cher",
        "en Loir-et-Cher",
    ),
    "voyelle": ("Orléans", "commune", "", "d'Orléans", "à Orléans"),
}
TERRITORY = """\
name: {name}
kind: {kind}
{article}tagline: Soigner ici
brand:
  primary: "#1f4e79"
contact:
  email: contact@example.org
  phone: "02 38 25 41 35"
notify: [accueil@example.org]
welcomers:
  - id: claire
    first_name: Claire
    commune: Quelque part
    bio: J'aime mon territoire !
castles:
  - name: Château d'ici
    coordinates: [47.7, 2.3]
pack:
  name: Coffret d'accueil
  contents: [Des produits locaux]
  price_eur: 3588
  subsidy_eur: 200
  subsidy_by: Département du Loiret
  buyers: [commune]
  max_quantity: 5
"""
PLACEMENT = """\
---
title: Remplacement ici
kind: remplacement
profession: médecin généraliste
commune: Quelque part
start: 2027-09-01
---
Venez : c'est « formidable » ! Écrivez-nous ; https://exemple.fr/?q=1 reste intact.

    code : garder tel quel
"""
PAGE = "---\ntitle: Vivre ici\n---\nUne page : avec « guillemets ».\n"
WRONG = ("de Loiret", "en Loiret", "que Loiret", "par Département", "de Ain", "de Landes")


@pytest.fixture(scope="module")
def shapes_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes")
    for slug, (name, kind, article, _, _) in SHAPES.items():
        folder = root / "territories" / f"t-{slug}"
        (folder / "placements").mkdir(parents=True)
        (folder / "pages").mkdir()
        (folder / "territory.yaml").write_text(
            TERRITORY.format(name=name, kind=kind, article=article), "utf-8"
        )
        (folder / "placements" / "remplacement-ici.md").write_text(PLACEMENT, "utf-8")
        (folder / "pages" / "vivre-ici.md").write_text(PAGE, "utf-8")
    output = root / "output"
    build(output, root / "territories")
    return output


def pages_of(output, slug):
    """Every HTML page of a territory, with its text (tags kept)."""
    return {
        p.relative_to(output).as_posix(): p.read_text("utf-8")
        for p in sorted((output / f"t-{slug}").rglob("*.html"))
    }


def spaced(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ").replace("&#39;", "'")


@pytest.mark.parametrize("slug", SHAPES)
def test_every_page_kind_writes_the_name_with_its_article(shapes_site, slug):
    _, _, _, of, in_ = SHAPES[slug]
    pages = {url: spaced(html) for url, html in pages_of(shapes_site, slug).items()}
    base = f"t-{slug}/"
    assert f"Carte {of}" in pages[base + "index.html"]
    assert f"Des habitants {of}" in pages[base + "index.html"]
    assert f"Remplacements, stages et collaborations {in_}" in pages[base + "offres/index.html"]
    assert f"l'équipe d'accueil {of}" in pages[base + "offres/remplacement-ici/index.html"]
    assert f"Les welcomers sont des habitants {of}" in pages[base + "welcomers/index.html"]
    assert (
        f"L'équipe d'accueil {of} lit votre demande" in pages[base + "welcomers/merci/index.html"]
    )
    assert f"et l'équipe {of} utilisent" in pages[base + "pack/index.html"]
    assert "pris en charge par le Département du Loiret" in pages[base + "index.html"]
    assert "Pris en charge par le Département du Loiret" in pages[base + "pack/index.html"]
    for url, html in pages.items():
        for wrong in WRONG:
            assert wrong not in html.replace(f"{wrong}-", ""), (url, wrong)


@pytest.mark.parametrize("slug", SHAPES)
def test_every_email_writes_the_name_with_its_article(shapes_site, slug):
    _, _, _, of, _ = SHAPES[slug]
    catalogue = load_catalogue(shapes_site.parent / "output-catalogue.json")
    territory = catalogue.get(f"t-{slug}")
    assert territory.names.of == of
    now = dt.datetime(2026, 11, 24, 14, 5, tzinfo=dt.UTC)
    request = Submission(
        "id-1",
        WELCOMER_REQUEST,
        territory.slug,
        now,
        now,
        {
            "first_name": "Léa",
            "last_name": "Roux",
            "email": "lea@example.org",
            "profession": "infirmière",
            "phone": "+33612345678",
            "arrival": "2027-09",
            "consent": True,
        },
    )
    order = Submission(
        "id-2",
        PACK_ORDER,
        territory.slug,
        now,
        now,
        {
            "first_name": "Jean",
            "last_name": "Dupont",
            "email": "jean@example.org",
            "organisation": "Mairie",
            "quantity": 2,
            "consent": True,
        },
        pricing=price_order(territory.pack, 2),
    )
    ack = compose(request, territory, "Site <site@example.org>")["acknowledgement"]
    assert f"l'équipe d'accueil {of}" in spaced(ack.get_body(("plain",)).get_content())
    notify = spaced(compose(request, territory, "Site <site@example.org>")["notify"].as_string())
    text = compose(request, territory, "Site <s@example.org>")["notify"]
    body = spaced(text.get_body(("plain",)).get_content())
    assert "24 novembre 2026 à 15 h 05 (heure de Paris)" in body
    assert "06 12 34 56 78" in body and "septembre 2027" in body
    assert "+33612345678" not in body and "2027-09" not in body and "UTC" not in notify
    receipt = compose(order, territory, "Site <s@example.org>")["acknowledgement"]
    receipt_text = spaced(receipt.get_body(("plain",)).get_content())
    assert "3 588 €" in receipt_text and "6 776 €" in receipt_text
    assert "prise en charge par le Département du Loiret" in receipt_text


def test_pages_get_french_spaces_in_their_text_only(shapes_site):
    html = (shapes_site / "t-le" / "offres" / "remplacement-ici" / "index.html").read_text("utf-8")
    prose = html.split('<div class="prose">')[1]
    assert "Venez\u00a0: c'est «\u202fformidable\u202f»\u202f! Écrivez-nous\u202f;" in prose
    assert 'content="Remplacement (médecin généraliste) à Quelque part : Venez :' in html
    assert "https://exemple.fr/?q=1" in html  # a URL typed in the text keeps its characters
    assert "code : garder tel quel" in html  # code is left as written
    assert '<script type="application/ld+json">' in html
    jsonld = html.split('<script type="application/ld+json">')[1].split("</script>")[0]
    assert "\u202f" not in jsonld and "\u00a0:" not in jsonld
    for attribute in ('content="', 'aria-label="', 'alt="', 'title="'):
        for value in html.split(attribute)[1:]:
            assert "\u202f" not in value.split('"')[0], attribute
    landing = (shapes_site / "t-le" / "index.html").read_text("utf-8")
    assert "J&#39;aime mon territoire\u202f!" in landing
    assert "3\u202f588\u00a0€" in (shapes_site / "t-le" / "pack" / "index.html").read_text("utf-8")


def test_operator_pages_get_french_spaces_too(shapes_site):
    html = (shapes_site / "accessibilite" / "index.html").read_text("utf-8")
    assert "Accessibilité\u00a0: non conforme" in html
    assert " : " not in html.split("<main")[1].split("</main>")[0]


def test_months_and_dates_read_in_french(shapes_site):
    card = (shapes_site / "t-le" / "offres" / "index.html").read_text("utf-8")
    assert "à partir du 1er septembre 2027" in card
    assert TODAY.year == 2026


SAMPLES = [
    "Note : oui ; non ! « x » «y» Qui ? Fin.",
    '<p title="a : b">Texte : ici</p><script>a ? b : c;</script><code>x : y</code>',
    "<!-- a : b --><pre>p : q</pre><textarea>t : u</textarea> ok !",
    "https://exemple.fr/?q=1 et 19:00 restent ; «\u202fdéjà\u202f» aussi.",
]


@pytest.mark.parametrize("sample", SAMPLES)
def test_the_site_and_the_emails_apply_the_same_typography(sample):
    from forms import typography as emails

    from territories import french as site

    assert site.typography_html(sample) == emails.typography_html(sample)
    assert site.typography_text(sample) == emails.typography_text(sample)
    assert site.typography_html(site.typography_html(sample)) == site.typography_html(sample)
