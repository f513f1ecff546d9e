"""The pure helpers behind the pages: French formats, URL names, calendar lines, build date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from territories.calendar import ics
from territories.filters import date_fr, datetime_fr, euros
from territories.generator import build_date
from territories.jsonld import plain_text
from territories.model import Brand, Contact, Event, Placement, Territory
from territories.pages import TerritorySite, Urls, save_as, slugify, summary

PARIS_SUMMER = dt.timezone(dt.timedelta(hours=2))


def territory(**fields) -> Territory:
    return Territory(
        slug="essai", name="Essai", kind="commune", tagline="Un essai",
        brand=Brand("#1f4e79"), contact=Contact("a@example.org"), notify=("a@example.org",),
        source_dir=Path("."), **fields,
    )  # fmt: skip


def test_dates_and_amounts_read_the_french_way():
    assert date_fr(dt.date(2027, 10, 1)) == "1er octobre 2027"
    assert date_fr(dt.date(2027, 9, 6)) == "6 septembre 2027"
    assert datetime_fr(dt.datetime(2027, 10, 14, 17, 0, tzinfo=dt.UTC)) == (
        "jeudi 14 octobre 2027 à 19\u00a0h\u00a000"  # the hour never leaves its minutes
    )
    morning = dt.datetime(2027, 5, 20, 7, 5, tzinfo=dt.UTC)
    assert datetime_fr(morning) == "jeudi 20 mai 2027 à 9\u00a0h\u00a005"  # « 9 h », not « 09 h »
    assert euros(Decimal(499)) == "499\u00a0€"
    assert euros(Decimal("1234.5")) == "1\u202f234,50\u00a0€"


def test_professions_become_ascii_url_names():
    assert slugify("Médecin généraliste") == "medecin-generaliste"
    assert slugify("masseur-kinésithérapeute") == "masseur-kinesitherapeute"


def test_a_standalone_site_puts_every_page_at_the_root():
    assert Urls("/").placement("stage") == "/offres/stage/"
    assert Urls("/loiret/").profession("Sage-femme") == "/loiret/offres/metier/sage-femme/"
    assert save_as("/") == "index.html"
    assert save_as("/loiret/offres/") == "loiret/offres/index.html"
    assert save_as("/loiret/offres/atom.xml") == "loiret/offres/atom.xml"


def test_the_build_date_may_be_given_as_text_on_the_command_line():
    assert build_date("2026-11-24") == dt.date(2026, 11, 24)
    assert build_date(dt.date(2027, 1, 1)) == dt.date(2027, 1, 1)
    assert build_date(None) == dt.date.today()


def test_calendar_lines_are_escaped_folded_and_end_with_crlf():
    long_text = "Rencontre, apéritif; échanges " * 6
    event = Event(
        "Afterwork", dt.datetime(2027, 10, 14, 19, tzinfo=PARIS_SUMMER), "Orléans", text=long_text
    )
    text = ics(territory(), [event], dt.date(2026, 11, 24), "https://example.org/essai/")
    lines = text.split("\r\n")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in lines)
    assert "DTSTART:20271014T170000Z" in lines and "DTSTAMP:20261124T000000Z" in lines
    unfolded = text.replace("\r\n ", "")
    assert "DESCRIPTION:Rencontre\\, apéritif\\; échanges" in unfolded


def test_an_event_keeps_its_calendar_uid_from_one_build_to_the_next():
    event = Event("Afterwork", dt.datetime(2027, 10, 14, 19, tzinfo=PARIS_SUMMER), "Orléans")
    first = ics(territory(), [event], dt.date(2026, 11, 24), "/")
    later = ics(territory(), [event], dt.date(2026, 12, 1), "/")
    uid = [line for line in first.split("\r\n") if line.startswith("UID:")]
    assert uid and uid[0] in later.split("\r\n")


def test_meta_descriptions_are_cut_between_words():
    text = "Un remplacement de quatre semaines dans une maison de santé " * 5
    cut = summary(text)
    assert len(cut) <= 155 and cut.endswith("…") and text.startswith(cut[:-1])
    assert summary("Court.") == "Court."


def test_plain_text_of_markdown_html_has_no_tags_nor_entities():
    assert plain_text("<p>Soins &amp; <strong>famille</strong>\n à l&#39;hôpital</p>") == (
        "Soins & famille à l'hôpital"
    )


def test_professions_spelt_two_ways_share_one_filter_page():
    placements = tuple(
        Placement(
            f"p{i}", "Offre", "stage", profession, "Blois", dt.date(2027, 1, 1), "", Path(".")
        )
        for i, profession in enumerate(["Sage-femme", "sage femme", "infirmier"])
    )
    site = TerritorySite(territory(), Urls("/essai/"), placements, (), dt.date(2026, 11, 24))
    professions = site.filters()["profession"]
    assert [(label, url) for label, url, _ in professions] == [
        ("Sage-femme", "/essai/offres/metier/sage-femme/"),
        ("infirmier", "/essai/offres/metier/infirmier/"),
    ]
    assert [p.id for p in professions[0][2]] == ["p0", "p1"]
