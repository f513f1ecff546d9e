"""Write N synthetic territories shaped like territories/loiret/, for the benchmarks.

    python bench/corpus.py N DEST

Each territory goes to DEST/<slug>/ with every section of `territory.yaml` filled, about
20 placements and 5 free pages, in French built from word lists. The output depends only on
N and the seed: two runs write byte-identical files, so timings compare like with like.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import struct
import sys
import unicodedata
import zlib
from pathlib import Path
from zoneinfo import ZoneInfo

from stdnum import luhn

SEED = 20270101
# The build date the benchmarks pass to our build: every date of the corpus is in 2027, so all
# placements and events stay on offer, whatever day the benchmarks are run.
CORPUS_TODAY = "2026-12-01"
PLACEMENTS_PER_TERRITORY = 20
PAGES_PER_TERRITORY = 5
PARIS = ZoneInfo("Europe/Paris")

# The enums below mirror plugins/territories/model.py: the corpus must pass strict validation.
TERRITORY_KINDS = ("département", "agglomération", "communauté de communes", "commune")
SCHOOL_LEVELS = ("maternelle", "primaire", "collège", "lycée", "supérieur")
SCHOOL_SECTORS = ("public", "privé")
PLACEMENT_KINDS = ("remplacement", "stage", "collaboration", "assistanat", "salariat")

# fmt: off
PLACE_ROOTS = (
    "Brenne", "Sologne", "Perche", "Berry", "Gâtinais", "Morvan", "Bocage", "Vexin", "Quercy",
    "Limousin", "Auxois", "Bazois", "Puisaye", "Forez", "Velay", "Livradois", "Ségala", "Lomagne",
    "Armagnac", "Bresse", "Dombes", "Chalosse", "Tursan", "Thiérache", "Santerre", "Vimeu",
    "Boischaut", "Champagne berrichonne", "Pays fort", "Val d'Allier",
)
NAME_PATTERNS = {
    "département": "{root}", "agglomération": "Agglomération du {root}",
    "communauté de communes": "Communauté de communes du {root}",
    "commune": "Saint-{saint}-en-{root}",
}
SAINTS = ("Martin", "Germain", "Aignan", "Benoît", "Laurent", "Denis", "Julien", "Hilaire")
COMMUNE_PARTS = (
    ("Saint-", "Sainte-", "Villeneuve-", "Montigny-", "Beaulieu-", "Châteauneuf-", "La Ferté-"),
    ("sur-Loire", "sur-Cher", "en-Val", "le-Château", "les-Bois", "sur-Indre", "la-Forêt"),
)
SIMPLE_COMMUNES = (
    "Aubigny", "Vierzon", "Romorantin", "Issoudun", "Argenton", "Nogent", "Mortagne", "Clamecy",
    "Cosne", "Briare", "Gien", "Pithiviers", "Montargis", "Lamotte", "Salbris", "Mehun",
    "Sancerre", "Lignières", "Aigurande", "Valençay", "Mézières", "Bellême", "Longny", "Donzy",
)
FIRST_NAMES = (
    "Claire", "Marc", "Sophie", "Julien", "Élodie", "Thomas", "Camille", "Nicolas", "Inès", "Hugo",
    "Léa", "Mathieu", "Chloé", "Antoine", "Manon", "Karim", "Anaïs", "Olivier", "Zoé", "Bruno",
    "Nadia", "François", "Agnès", "Yann",
)
PROFESSIONS = (
    ("médecin généraliste", "mg"), ("infirmier", "ide"),
    ("masseur-kinésithérapeute", "kine"), ("sage-femme", "sf"), ("chirurgien-dentiste", "dent"),
    ("orthophoniste", "ortho"), ("pédiatre", "ped"), ("psychiatre", "psy"),
    ("pharmacien", "pharma"), ("gynécologue", "gyneco"), ("ophtalmologue", "ophtalmo"),
)
STRUCTURES = (
    "Maison de santé pluriprofessionnelle", "Cabinet libéral", "Centre de santé municipal",
    "Centre hospitalier", "Clinique privée", "Pôle de santé", "EHPAD public",
)
COMPENSATIONS = (
    "70 % des honoraires", "80 % des honoraires", "Rémunération selon la grille hospitalière",
    "Forfait de 4 500 € par mois", "Gratification de stage et indemnité de transport",
)
SCHOOL_PATRONS = ("Moulin", "Curie", "Ferry", "Hugo", "Colette", "Pasteur")
ASSET_CATEGORIES = ("cadre de vie", "nature", "transports", "culture", "sport", "gastronomie")
TOPICS = (
    "écoles", "logement", "quartiers", "emploi du conjoint", "formation", "sport", "culture",
    "nature", "vie associative", "randonnée", "musique", "petite enfance",
)
LANGUAGES = ("fr", "en", "de", "es", "it", "pt", "ar")
ORGANISATIONS = (
    "Pôle emploi du bassin", "Chambre de commerce et d'industrie", "Entreprises partenaires",
    "Réseau des PME locales", "Conseil départemental", "Agence d'attractivité",
)
BUYERS = ("commune", "EPCI", "département", "établissement de santé")
GIFTS = (
    "Friandises locales", "Entrées dans les châteaux du territoire", "Un livre sur le territoire",
    "Un panier de produits fermiers", "Une carte des randonnées", "Une nuit en chambre d'hôtes",
    "Un abonnement à la médiathèque", "Des places pour la saison culturelle",
    "Un bon pour un dîner au restaurant", "Un guide des associations", "Un pot de miel local",
    "Une bouteille de vin de pays",
)
PAGE_TOPICS = (
    ("vivre-a-{c}", "Vivre à {C}"), ("se-loger", "Se loger"),
    ("ecoles-et-creches", "Écoles et crèches"), ("sante-et-reseau", "Santé et réseau"),
    ("loisirs-et-culture", "Loisirs et culture"), ("venir-et-circuler", "Venir et circuler"),
)

# Sentence fragments: subject, verb phrase, complement, joined at random into plain French.
SUBJECTS = (
    "La maison de santé", "L'équipe soignante", "Le territoire", "La commune", "Le cabinet",
    "Le centre hospitalier", "Le réseau des welcomers", "La communauté de communes",
    "L'association des nouveaux arrivants", "Le service d'accueil",
)
VERBS = (
    "accompagne les nouveaux professionnels", "met un logement meublé à disposition",
    "organise chaque mois une rencontre", "propose un secrétariat partagé",
    "travaille en lien étroit avec l'hôpital", "facilite l'installation des familles",
    "offre une patientèle variée", "soutient les projets de prévention",
    "relie les communes par un réseau de transport à la demande",
    "accueille des internes toute l'année",
)
COMPLEMENTS = (
    "à vingt minutes de la gare", "au bord de la rivière", "au cœur du bourg",
    "près des écoles et des commerces", "dans un cadre verdoyant", "avec des horaires souples",
    "en lien avec les pharmacies voisines", "depuis plus de dix ans",
    "grâce au soutien du département", "avec l'aide de bénévoles engagés",
)
EXTRAS = (
    "Les familles apprécient le calme et la proximité des services.",
    "Un welcomer vous fait découvrir le territoire dès votre arrivée.",
    "Les enfants rejoignent l'école à pied ou en car scolaire.",
    "Le marché du samedi rassemble les producteurs de la région.",
    "La fibre optique dessert désormais toutes les communes.",
    "Les sentiers de randonnée partent du centre du village.",
)
# fmt: on


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens: « Val d'Allier » → « val-d-allier »."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def of(noun: str) -> str:
    """« de » with the French elision: « d'infirmier », « de médecin »."""
    return f"d'{noun}" if noun[0] in "aeiouéèêhAEIOUÉ" else f"de {noun}"


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON escapes are valid YAML)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sentence(rng: random.Random) -> str:
    """One plausible French sentence."""
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(COMPLEMENTS)}."


def paragraph(rng: random.Random, sentences: int) -> str:
    """A paragraph wrapped at 95 columns, like an editor would type it."""
    words = " ".join(
        sentence(rng) if rng.random() < 0.8 else rng.choice(EXTRAS) for _ in range(sentences)
    ).split()
    lines, line = [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > 95:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join([*lines, line])


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of "#rrggbb"."""
    channels = []
    for i in (1, 3, 5):
        c = int(colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_with_white(colour: str) -> float:
    """WCAG contrast ratio of white text on `colour`."""
    return 1.05 / (relative_luminance(colour) + 0.05)


def dark_colour(rng: random.Random) -> str:
    """A saturated colour dark enough for white text (contrast ≥ 5:1, margin over 4.5)."""
    while True:
        colour = "#" + "".join(f"{rng.randrange(0, 200):02x}" for _ in range(3))
        if contrast_with_white(colour) >= 5.0:
            return colour


def commune(rng: random.Random) -> str:
    """A French-looking commune name."""
    if rng.random() < 0.5:
        return rng.choice(SIMPLE_COMMUNES)
    return (
        rng.choice(COMMUNE_PARTS[0])
        + rng.choice(SIMPLE_COMMUNES)
        + "-"
        + (rng.choice(COMMUNE_PARTS[1]))
    )


def phone(rng: random.Random) -> str:
    """A French landline number, spaced as usual."""
    return "0" + str(rng.randrange(1, 6)) + "".join(f" {rng.randrange(100):02d}" for _ in range(4))


def date_2027(rng: random.Random, month_lo: int = 1, month_hi: int = 11) -> dt.date:
    """A day of 2027 (always after the build date, so nothing is dropped as past)."""
    return dt.date(2027, rng.randrange(month_lo, month_hi + 1), rng.randrange(1, 29))


def paris_datetime(day: dt.date, hour: int) -> str:
    """ISO 8601 with the Paris offset of that day (+01:00 in winter, +02:00 in summer)."""
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=PARIS).isoformat()


def territory_identity(index: int, rng: random.Random) -> tuple[str, str]:
    """The kind and name of territory number `index` (names unique through the index)."""
    kind = TERRITORY_KINDS[index % len(TERRITORY_KINDS)]
    root = PLACE_ROOTS[index % len(PLACE_ROOTS)]
    name = NAME_PATTERNS[kind].format(root=root, saint=rng.choice(SAINTS))
    cycle = index // len(PLACE_ROOTS)
    return kind, name if cycle == 0 else f"{name} {cycle + 1}"


def yaml_list(key: str, items: list[dict], indent: str = "  ") -> list[str]:
    """A YAML block sequence of mappings, values already formatted."""
    lines = [f"{key}:"]
    for item in items:
        for n, (k, v) in enumerate(item.items()):
            lines.append(f"{indent}{'- ' if n == 0 else '  '}{k}: {v}")
    return lines


def official_code(kind: str, number: int) -> str:
    """A code of the territory's kind (the loader checks it): a département's number, a
    commune's INSEE code, or an EPCI's SIREN with its Luhn key."""
    departement = "2A" if number == 20 else f"{number:02d}"
    if kind == "département":
        return departement
    if kind == "commune":
        return f"{departement}{number * 7 % 998 + 1:03d}"
    body = f"2000{number:02d}00"
    return body + luhn.calc_check_digit(body)


def territory_yaml(slug: str, kind: str, name: str, rng: random.Random) -> str:
    """The whole territory.yaml, every section filled."""
    place = name.split(" du ")[-1]
    lines = [
        f"# Synthetic territory for the benchmarks (bench/corpus.py, seed {SEED}).",
        f"name: {q(name)}",
        f"kind: {kind}",
        f'code: "{official_code(kind, rng.randrange(1, 96))}"',
        f"tagline: {q(f'Soigner et vivre en {place}, {rng.choice(COMPLEMENTS)}')}",
        "intro: |",
        *("  " + line for line in paragraph(rng, 4).splitlines()),
        "owners:",
        f"  - '@{slug}/communication'",
        "brand:",
        f'  primary: "{dark_colour(rng)}"',
        f'  accent: "{dark_colour(rng)}"',
        "  logo: images/logo.svg",
        "contact:",
        "  name: Service d'accueil des professionnels de santé",
        f"  email: {slug}@example.org",
        f'  phone: "{phone(rng)}"',
        "notify:",
        "  - accueil@example.org",
        f"  - {slug}@example.org",
        "",
    ]
    lines += sections_yaml(rng)
    return "\n".join(lines) + "\n"


def sections_yaml(rng: random.Random) -> list[str]:
    """Every list section and the pack."""
    lines = yaml_list(
        "key_figures",
        [
            {"label": q("Welcomers à votre écoute"), "value": f'"{rng.randrange(8, 40)}"'},
            {
                "label": q("Professionnels installés depuis 2021"),
                "value": f'"{rng.randrange(10, 90)}"',
            },
            {"label": q("De Paris en train"), "value": f"{rng.randrange(1, 3)} h"},
            {"label": q("Communes"), "value": f'"{rng.randrange(12, 300)}"'},
        ],
    )
    lines += yaml_list(
        "assets",
        [
            {
                "category": q(cat),
                "title": q(f"{rng.choice(SUBJECTS)} et {cat}"),
                "text": q(sentence(rng)),
            }
            for cat in ASSET_CATEGORIES
        ],
    )
    lines += yaml_list("castles", [castle(rng) for _ in range(4)])
    lines += yaml_list("schools", [school(rng, level) for level in SCHOOL_LEVELS])
    lines += yaml_list("spouse_jobs", [spouse_job(rng, n) for n in range(4)])
    lines += yaml_list(
        "housing",
        [
            {"title": q(title), "commune": q(commune(rng)), "text": q(sentence(rng))}
            for title in ("Logements pour internes", "Location meublée", "Accession aidée")
        ],
    )
    lines += yaml_list("aids", [aid(rng, n) for n in range(4)])
    lines += welcomers_yaml(rng)
    lines += yaml_list("events", [event(rng, n) for n in range(3)])
    lines += pack_yaml(rng)
    lines += yaml_list(
        "testimonials",
        [
            {"quote": q(rng.choice(EXTRAS) + " " + sentence(rng)), "who": q(who)}
            for who in (
                "Une sage-femme et son mari",
                "Un médecin généraliste",
                "Une kinésithérapeute",
            )
        ],
    )
    return lines


def castle(rng: random.Random) -> dict:
    """A castle with coordinates in metropolitan France."""
    site = commune(rng)
    lat, lon = rng.uniform(43.5, 49.5), rng.uniform(-1.0, 6.0)
    return {
        "name": q(f"Château de {site}"),
        "commune": q(site),
        "text": q(sentence(rng)),
        "coordinates": f"[{lat:.4f}, {lon:.4f}]",
        "url": f"https://example.org/chateaux/{slugify(site)}",
    }


def school(rng: random.Random, level: str) -> dict:
    """A school of the given level."""
    kinds = {
        "maternelle": "École maternelle",
        "primaire": "École élémentaire",
        "collège": "Collège",
        "lycée": "Lycée",
        "supérieur": "Institut de formation",
    }
    return {
        "name": q(f"{kinds[level]} {rng.choice(FIRST_NAMES)} {rng.choice(SCHOOL_PATRONS)}"),
        "commune": q(commune(rng)),
        "level": level,
        "sector": rng.choice(SCHOOL_SECTORS),
        "notes": q(rng.choice(("Cantine et garderie.", "Section sportive.", "Internat."))),
    }


def spouse_job(rng: random.Random, n: int) -> dict:
    """A job or training lead for the spouse."""
    titles = (
        "Recrutements dans la logistique",
        "Reconversion vers le numérique",
        "Postes dans l'enseignement",
        "Création d'entreprise accompagnée",
    )
    return {
        "title": q(titles[n % len(titles)]),
        "organisation": q(rng.choice(ORGANISATIONS)),
        "commune": q(commune(rng)),
        "text": q(sentence(rng)),
        "url": f"https://example.org/emplois/{n + 1}",
    }


def aid(rng: random.Random, n: int) -> dict:
    """An installation aid."""
    titles = (
        "Bourse pour les étudiants en médecine",
        "Aide financière à l'installation",
        "Prise en charge du loyer la première année",
        "Appel à projets santé",
    )
    return {
        "title": q(titles[n % len(titles)]),
        "who": q(
            rng.choice(
                (
                    "Professionnels de santé",
                    "Étudiants dès la troisième année",
                    "Porteurs de projets",
                )
            )
        ),
        "text": q(sentence(rng)),
        "amount": q(f"{rng.randrange(1, 30) * 500} €"),
        "url": f"https://example.org/aides/{n + 1}",
        # Structured fields chosen by position, not drawn: the random stream (hence every
        # other value of the corpus) stays what it was before aids had them.
        **(
            {"professions": f"[{PROFESSIONS[n % len(PROFESSIONS)][0]}]", "stages": "[interne]"}
            if n % 2 == 0
            else {}
        ),
        "funder": q(ORGANISATIONS[n % len(ORGANISATIONS)]),
    }


def welcomers_yaml(rng: random.Random) -> list[str]:
    """Five welcomers with slug ids unique within the territory."""
    names = rng.sample(FIRST_NAMES, 5)
    lines = ["welcomers:"]
    for name in names:
        topics = ", ".join(rng.sample(TOPICS, 3))
        languages = ", ".join(["fr", *rng.sample(LANGUAGES[1:], rng.randrange(0, 3))])
        lines += [
            f"  - id: {slugify(name)}",
            f"    first_name: {q(name)}",
            f"    commune: {q(commune(rng))}",
            f"    bio: {q(rng.choice(EXTRAS) + ' ' + sentence(rng))}",
            f"    topics: [{topics}]",
            f"    languages: [{languages}]",
            f"    photo: images/{slugify(name)}.png",
        ]
    return lines


def event(rng: random.Random, n: int) -> dict:
    """An afterwork or visit, with Paris offsets."""
    day = date_2027(rng, 2, 11)
    titles = (
        "Afterwork des nouveaux arrivants",
        "Visite des maisons de santé",
        "Pique-nique des familles",
    )
    return {
        "title": q(titles[n % len(titles)]),
        "start": paris_datetime(day, 18),
        "end": paris_datetime(day, 21),
        "place": q(f"Salle des fêtes, {commune(rng)}"),
        "text": q(sentence(rng)),
        "url": f"https://example.org/evenements/{n + 1}",
    }


def pack_yaml(rng: random.Random) -> list[str]:
    """The welcome pack."""
    price = rng.randrange(30, 70) * 10
    return [
        "pack:",
        f"  name: {q('Coffret d’accueil')}",
        "  contents:",
        *(f"    - {q(gift)}" for gift in rng.sample(GIFTS, 6)),
        f"  price_eur: {price}",
        f"  subsidy_eur: {price // 2 - price // 2 % 10}",
        f"  subsidy_by: {q('Conseil départemental')}",
        f"  buyers: [{', '.join(BUYERS[:2])}]",
        f"  max_quantity: {rng.randrange(10, 60)}",
    ]


def placement_md(rng: random.Random, kind: str, profession: str, site: str) -> str:
    """One placement: front matter, then a markdown body with a list and emphasis."""
    start = date_2027(rng, 1, 9)
    end = start + dt.timedelta(weeks=rng.randrange(2, 12))
    front = [
        "---",
        f"title: {q(f'{kind.capitalize()} {of(profession)} à {site}')}",
        f"kind: {kind}",
        f"profession: {profession}",
        f"structure: {rng.choice(STRUCTURES)}",
        f"commune: {q(site)}",
        f"start: {start.isoformat()}",
        f"end: {end.isoformat()}",
        f"housing: {'true' if rng.random() < 0.6 else 'false'}",
        f"compensation: {rng.choice(COMPENSATIONS)}",
        "contact: accueil@example.org",
        "---",
    ]
    body = [
        paragraph(rng, 3),
        "",
        "Ce que nous proposons :",
        "",
        *(f"- {verb.capitalize()} ;" for verb in rng.sample(VERBS, 3)),
        f"- **{rng.choice(EXTRAS)}**",
        "",
        paragraph(rng, 2),
    ]
    return "\n".join(front + body) + "\n"


def page_md(rng: random.Random, title: str, order: int) -> str:
    """A free page with sub-headings, paragraphs and a link."""
    body = [paragraph(rng, 4)]
    for heading in rng.sample(
        ("Au quotidien", "Pour les enfants", "Se déplacer", "Bon à savoir"), 2
    ):
        body += ["", f"## {heading}", "", paragraph(rng, 3)]
    body += ["", "Pour en savoir plus, [écrivez-nous](mailto:accueil@example.org)."]
    return "\n".join(["---", f"title: {q(title)}", f"order: {order}", "---", *body]) + "\n"


def logo_svg(name: str, colour: str) -> str:
    """A tiny SVG logo: the territory's initials on its colour."""
    initials = "".join(w[0] for w in re.findall(r"[A-ZÀ-Ý][\w'-]*", name)[:2]) or "T"
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" role="img">'
        f"<title>{initials}</title>"
        f'<rect width="64" height="64" rx="8" fill="{colour}"/>'
        '<text x="32" y="42" font-size="28" text-anchor="middle" fill="#fff" '
        f'font-family="sans-serif">{initials}</text></svg>\n'
    )


def portrait_png(rng: random.Random, size: int = 120) -> bytes:
    """A small grey PNG standing in for a welcomer's photo: a gradient with grain (~6 KB)."""
    base = rng.randrange(60, 160)
    rows = []
    for y in range(size):
        # One translation table per row: C speed, where a per-pixel loop took seconds at N=100.
        shade = bytes(base + y * 60 // size + b % 6 for b in range(256))
        rows.append(b"\0" + rng.randbytes(size).translate(shade))  # filter type None

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        (
            chunk(b"IHDR", header),
            chunk(b"IDAT", zlib.compress(b"".join(rows), 9)),
            chunk(b"IEND", b""),
        )
    )


def write_territory(dest: Path, index: int) -> str:
    """Write territory number `index` under dest/<slug>/ and return its slug."""
    rng = random.Random(SEED * 1000 + index)
    kind, name = territory_identity(index, rng)
    slug = slugify(name)
    folder = dest / slug
    for sub in ("placements", "pages", "images"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    yaml_text = territory_yaml(slug, kind, name, rng)
    (folder / "territory.yaml").write_text(yaml_text, encoding="utf-8")
    primary = re.search(r'primary: "(#[0-9a-f]{6})"', yaml_text).group(1)
    (folder / "images" / "logo.svg").write_text(logo_svg(name, primary), encoding="utf-8")
    for welcomer_id in re.findall(r"^  - id: (\S+)$", yaml_text, re.M):
        (folder / "images" / f"{welcomer_id}.png").write_bytes(portrait_png(rng))
    write_placements(folder / "placements", rng)
    write_pages(folder / "pages", rng)
    return slug


def write_placements(folder: Path, rng: random.Random) -> None:
    """About twenty placements with unique file names (their ids)."""
    count = PLACEMENTS_PER_TERRITORY + rng.randrange(-2, 3)
    for n in range(count):
        kind = PLACEMENT_KINDS[n % len(PLACEMENT_KINDS)]
        profession, short = rng.choice(PROFESSIONS)
        site = commune(rng)
        name = f"{kind}-{short}-{slugify(site)}-{n + 1}"
        (folder / f"{name}.md").write_text(
            placement_md(rng, kind, profession, site), encoding="utf-8"
        )


def write_pages(folder: Path, rng: random.Random) -> None:
    """Five free pages, ordered."""
    site = commune(rng)
    for order, (slug, title) in enumerate(PAGE_TOPICS[:PAGES_PER_TERRITORY], start=1):
        name = slug.format(c=slugify(site))
        (folder / f"{name}.md").write_text(
            page_md(rng, title.format(C=site), order), encoding="utf-8"
        )


def write_corpus(count: int, dest: Path) -> list[str]:
    """Write `count` territories under `dest` and return their slugs."""
    dest.mkdir(parents=True, exist_ok=True)
    return [write_territory(dest, index) for index in range(count)]


def main(argv: list[str] | None = None) -> int:
    """Command line: python bench/corpus.py N DEST."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="nombre de territoires")
    parser.add_argument("dest", type=Path, help="dossier de destination")
    args = parser.parse_args(argv)
    slugs = write_corpus(args.count, args.dest)
    print(f"{len(slugs)} territoires écrits dans {args.dest}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
