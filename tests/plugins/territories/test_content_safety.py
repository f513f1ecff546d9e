"""Content is untrusted input: what a hostile territory folder can no longer put on the site."""

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from contentkit import MINIMAL, PLACEMENT, content_errors, jpeg, write_territory
from forms.validation import Invalid
from forms.validation import placement as forms_placement
from territories.incremental import fingerprint
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
    write_territory(root, {"images/loire.jpg": jpeg()})  # a Markdown image must exist (issue 10)
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


# -------------------------------------------------------------- YAML ------------------------

HOSTILE = Path(__file__).parent / "data" / "hostile"

LOAD_IN_A_SUBPROCESS = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # a bomb must not eat the machine
from territories.loader import ContentErrors, load_territories
start = time.perf_counter()
try:
    load_territories(sys.argv[1])
except ContentErrors as errors:
    print(errors)
    print("%.0f ms" % ((time.perf_counter() - start) * 1000))
"""


def test_a_billion_laughs_bomb_is_refused_at_its_alias_without_being_expanded(root):
    """5 KB standing for 9^10 strings of 490 characters: refused, not built (1 GB at most)."""
    bomb = (HOSTILE / "billion-laughs.yaml").read_text(encoding="utf-8")
    assert len(bomb.encode()) < 6 * 1024
    write_territory(root, {"territory.yaml": bomb})
    plugins = Path(__file__).resolve().parents[3] / "plugins"
    done = subprocess.run(
        [sys.executable, "-c", LOAD_IN_A_SUBPROCESS, str(root)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(plugins)},
    )
    lol4 = next(n for n, line in enumerate(bomb.splitlines(), 1) if line.startswith("lol4:"))
    assert done.stdout.splitlines()[1] == (
        f"{T}:{lol4}: YAML refusé : les alias (*nom) de ce fichier répètent plus de "
        "10\u202f000 valeurs ; recopiez plutôt les valeurs voulues"
    ), done.stderr[-2000:]


def test_an_alias_that_contains_itself_is_refused(root):
    write_territory(root, {"territory.yaml": MINIMAL + "assets: &a\n  - *a\n"})
    assert content_errors(root) == [f"{T}:10: YAML refusé : cet alias (*nom) se contient lui-même"]


def test_ordinary_aliases_and_merge_keys_still_work(root):
    text = MINIMAL + (
        "key_figures:\n"
        "  - &pop {value: 330000, label: habitants}\n"
        "  - <<: *pop\n"
        "    label: habitants en 2030\n"
    )
    write_territory(root, {"territory.yaml": text})
    (territory,) = load_territories(root)
    assert [f.label for f in territory.key_figures] == ["habitants", "habitants en 2030"]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('!!python/object/apply:os.system ["id"]', "!!python/object/apply:os.system"),
        ("!!python/name:os.system", "!!python/name:os.system"),
        ("!foo Bienvenue", "!foo"),
        ("!<tag:example.org,2027:x> Bienvenue", "tag:example.org,2027:x"),
        ("!!binary QmllbnZlbnVl", "!!binary"),
        ("!!set {a, b}", "!!set"),
    ],
)
def test_every_tag_but_the_standard_ones_is_refused_where_written(root, value, shown):
    write_territory(root, {"territory.yaml": MINIMAL + f"intro: Texte\ncode: {value}\n"})
    assert content_errors(root) == [
        f"{T}:10: étiquette YAML « {shown} » refusée : seules les valeurs simples (texte, "
        "nombre, date, true/false, liste, section) sont permises ; un texte qui commence par "
        "« ! » doit être entre guillemets"
    ]


def test_a_tag_in_a_front_matter_is_refused_at_its_line(root):
    front = PLACEMENT.replace("commune: Blois", "commune: !!python/object:os.system Blois")
    write_territory(root, {"territory.yaml": MINIMAL, "placements/offre.md": front})
    [error] = content_errors(root)
    assert error.startswith(f"{P}:5: étiquette YAML « !!python/object:os.system » refusée")


def test_standard_tags_are_accepted(root):
    write_territory(root, {"territory.yaml": MINIMAL + "code: !!str 41\n"})
    (territory,) = load_territories(root)
    assert territory.code == "41"


def test_deep_nesting_is_refused_in_french(root):
    write_territory(root, {"territory.yaml": MINIMAL + "assets: " + "[" * 60 + "]" * 60 + "\n"})
    assert content_errors(root) == [
        f"{T}:9: YAML refusé : plus de 40 niveaux de sections imbriquées"
    ]


def test_nesting_beyond_libyaml_s_limit_is_explained_in_french(root):
    write_territory(root, {"territory.yaml": MINIMAL + "assets: " + "[" * 5000 + "]" * 5000})
    [error] = content_errors(root)
    assert error.startswith(f"{T}:9: YAML invalide : trop de listes ou de sections imbriquées")


def test_a_50_mb_territory_file_is_refused_without_being_parsed(root):
    line = "  " + "x" * 97 + "\n"  # 100 bytes
    write_territory(root, {"territory.yaml": MINIMAL + "intro: |\n" + line * 524_288})
    assert content_errors(root) == [
        f"{T}:1: fichier trop volumineux (50,0 Mo) : 1 Mo au plus ; les photos vont dans "
        "images/, un texte très long se découpe en pages"
    ]


def test_a_territory_file_up_to_1_mb_is_read(root):
    comment = "# " + "x" * 97 + "\n"
    text = MINIMAL + comment * ((1024 * 1024 - len(MINIMAL)) // len(comment))
    assert len(text) <= 1024 * 1024
    write_territory(root, {"territory.yaml": text})
    assert load_territories(root)[0].name == "Testville"


def test_a_placement_over_256_kb_is_refused(root):
    body = ("Un paragraphe. " * 20 + "\n\n") * 900
    write_territory(root, placement_with(body))
    [error] = content_errors(root)
    assert error.startswith(f"{P}:1: fichier trop volumineux (266 Ko) : 256 Ko au plus")


# -------------------------------------------------------------- symbolic links --------------

LINK_REFUSED = (
    "lien symbolique refusé : un dossier de territoire ne contient que des fichiers et des "
    "dossiers ordinaires ; remplacez le lien par une copie de ce qu'il désigne"
)


@pytest.fixture
def secret_environment(monkeypatch) -> str:
    """A value in the environment that a followed link to /proc/self/environ would show."""
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t-probe-value")
    return "s3cr3t-probe-value"


@pytest.mark.parametrize(
    "link",
    ["images/env.png", "images/photos/env.jpg", "placements/offre.md", "pages/vivre.md"],
)
def test_a_link_to_the_environment_anywhere_in_a_territory_is_refused(
    root, secret_environment, link
):
    write_territory(root, {"territory.yaml": MINIMAL, "images/logo.png": b"\x89PNG"})
    (root / "x" / link).parent.mkdir(parents=True, exist_ok=True)
    (root / "x" / link).symlink_to("/proc/self/environ")
    assert content_errors(root) == [f"territories/x/{link}:1: {LINK_REFUSED}"]


def test_a_linked_territory_yaml_is_refused_unread(root, secret_environment):
    write_territory(root, {"images/logo.png": b"\x89PNG"})
    (root / "x" / "territory.yaml").symlink_to("/proc/self/environ")
    errors = content_errors(root)
    assert errors == [f"territories/x/territory.yaml:1: {LINK_REFUSED}"]
    assert secret_environment not in "".join(errors)


def test_linked_folders_are_refused_and_not_entered(root, tmp_path):
    elsewhere = write_territory(tmp_path / "elsewhere", {"offre.md": PLACEMENT}, slug="placements")
    write_territory(root, {"territory.yaml": MINIMAL})
    (root / "x" / "placements").symlink_to(elsewhere / "placements", target_is_directory=True)
    (root / "x" / "images").symlink_to("/etc", target_is_directory=True)
    assert content_errors(root) == [
        f"territories/x/images:1: {LINK_REFUSED}",
        f"territories/x/placements:1: {LINK_REFUSED}",
    ]


def test_a_territory_folder_that_is_a_link_is_refused(root, tmp_path):
    real = write_territory(tmp_path / "real", {"territory.yaml": MINIMAL})
    root.mkdir()
    (root / "x").symlink_to(real / "x", target_is_directory=True)
    assert content_errors(root) == [f"territories/x:1: {LINK_REFUSED}"]


def test_a_dangling_link_is_refused(root):
    write_territory(root, {"territory.yaml": MINIMAL})
    (root / "x" / ".cache").symlink_to("/nonexistent/anywhere")
    assert content_errors(root) == [f"territories/x/.cache:1: {LINK_REFUSED}"]


def test_a_named_pipe_is_refused_without_blocking_the_build(root):
    write_territory(root, {"territory.yaml": MINIMAL, "images/.keep": ""})
    os.mkfifo(root / "x" / "images" / "photo.jpg")  # reading it would wait forever
    assert content_errors(root) == [
        "territories/x/images/photo.jpg:1: fichier spécial refusé (ni fichier ordinaire ni "
        "dossier) : supprimez-le"
    ]


def test_the_fingerprint_hashes_a_link_s_target_name_never_its_content(tmp_path):
    folder = write_territory(tmp_path, {"territory.yaml": MINIMAL, "target.txt": "un"})
    (folder / "x" / "link").symlink_to(folder / "x" / "target.txt")
    before, files = fingerprint(folder / "x", {}, 0)
    (folder / "x" / "target.txt").write_text("deux", encoding="utf-8")
    (folder / "x" / "linked-folder").symlink_to("/etc", target_is_directory=True)
    after, later = fingerprint(folder / "x", {}, 0)
    assert files["link"] == later["link"]  # the target's new bytes were not read through it
    assert "linked-folder" in later and before != after  # a new link is a change to look at
    assert not any(name.startswith("linked-folder/") for name in later)


# -------------------------------------------------------------- placement ids ---------------


def test_a_placement_id_longer_than_the_forms_accept_is_refused_at_build(root):
    name = "remplacement-" + "m" * 108  # 121 characters
    write_territory(root, {"territory.yaml": MINIMAL, f"placements/{name}.md": PLACEMENT})
    assert content_errors(root) == [
        f"territories/x/placements/{name}.md:1: le nom de fichier est trop long (121 caractères "
        "sans « .md ») : 120 au plus, sinon le formulaire de demande refuserait cette offre ; "
        "raccourcissez-le"
    ]


def test_the_longest_placement_id_the_build_accepts_is_accepted_by_the_forms(root):
    name = "remplacement-" + "m" * 107  # 120 characters
    write_territory(root, {"territory.yaml": MINIMAL, f"placements/{name}.md": PLACEMENT})
    (territory,) = load_territories(root)
    context = SimpleNamespace(territory=None)
    assert forms_placement(territory.placements[0].id, context) == name
    with pytest.raises(Invalid):
        forms_placement(name + "s", context)
