"""The 101 départements and the article of their names: a fact table, embedded as data.

From the Code officiel géographique (Insee), whose « type de nom en clair » (TNCC) gives each
name's article: 0 none (de …), 1 none before a vowel (d'…), 2 le (du …), 3 la (de la …),
4 les (des …), 5 l' (de l'…). The « in » form follows usage where it is not « dans » + the
article (« en Gironde », « en Loir-et-Cher », « à Paris »).
"""

from __future__ import annotations

# TNCC → the article as editors write it in `article:`.
ARTICLE_OF_TNCC = {0: "aucun", 1: "aucun", 2: "le", 3: "la", 4: "les", 5: "l'"}

# code → (name, TNCC), as the Code officiel géographique writes them.
DEPARTEMENTS: dict[str, tuple[str, int]] = {
    "01": ("Ain", 5),
    "02": ("Aisne", 5),
    "03": ("Allier", 5),
    "04": ("Alpes-de-Haute-Provence", 4),
    "05": ("Hautes-Alpes", 4),
    "06": ("Alpes-Maritimes", 4),
    "07": ("Ardèche", 5),
    "08": ("Ardennes", 4),
    "09": ("Ariège", 5),
    "10": ("Aube", 5),
    "11": ("Aude", 5),
    "12": ("Aveyron", 5),
    "13": ("Bouches-du-Rhône", 4),
    "14": ("Calvados", 2),
    "15": ("Cantal", 2),
    "16": ("Charente", 3),
    "17": ("Charente-Maritime", 3),
    "18": ("Cher", 2),
    "19": ("Corrèze", 3),
    "2A": ("Corse-du-Sud", 3),
    "2B": ("Haute-Corse", 3),
    "21": ("Côte-d'Or", 3),
    "22": ("Côtes-d'Armor", 4),
    "23": ("Creuse", 3),
    "24": ("Dordogne", 3),
    "25": ("Doubs", 2),
    "26": ("Drôme", 3),
    "27": ("Eure", 5),
    "28": ("Eure-et-Loir", 1),
    "29": ("Finistère", 2),
    "30": ("Gard", 2),
    "31": ("Haute-Garonne", 3),
    "32": ("Gers", 2),
    "33": ("Gironde", 3),
    "34": ("Hérault", 5),
    "35": ("Ille-et-Vilaine", 1),
    "36": ("Indre", 5),
    "37": ("Indre-et-Loire", 1),
    "38": ("Isère", 5),
    "39": ("Jura", 2),
    "40": ("Landes", 4),
    "41": ("Loir-et-Cher", 0),
    "42": ("Loire", 3),
    "43": ("Haute-Loire", 3),
    "44": ("Loire-Atlantique", 3),
    "45": ("Loiret", 2),
    "46": ("Lot", 2),
    "47": ("Lot-et-Garonne", 2),
    "48": ("Lozère", 3),
    "49": ("Maine-et-Loire", 0),
    "50": ("Manche", 3),
    "51": ("Marne", 3),
    "52": ("Haute-Marne", 3),
    "53": ("Mayenne", 3),
    "54": ("Meurthe-et-Moselle", 0),
    "55": ("Meuse", 3),
    "56": ("Morbihan", 2),
    "57": ("Moselle", 3),
    "58": ("Nièvre", 3),
    "59": ("Nord", 2),
    "60": ("Oise", 5),
    "61": ("Orne", 5),
    "62": ("Pas-de-Calais", 2),
    "63": ("Puy-de-Dôme", 2),
    "64": ("Pyrénées-Atlantiques", 4),
    "65": ("Hautes-Pyrénées", 4),
    "66": ("Pyrénées-Orientales", 4),
    "67": ("Bas-Rhin", 2),
    "68": ("Haut-Rhin", 2),
    "69": ("Rhône", 2),
    "70": ("Haute-Saône", 3),
    "71": ("Saône-et-Loire", 0),
    "72": ("Sarthe", 3),
    "73": ("Savoie", 3),
    "74": ("Haute-Savoie", 3),
    "75": ("Paris", 0),
    "76": ("Seine-Maritime", 3),
    "77": ("Seine-et-Marne", 0),
    "78": ("Yvelines", 4),
    "79": ("Deux-Sèvres", 4),
    "80": ("Somme", 3),
    "81": ("Tarn", 2),
    "82": ("Tarn-et-Garonne", 2),
    "83": ("Var", 2),
    "84": ("Vaucluse", 2),
    "85": ("Vendée", 3),
    "86": ("Vienne", 3),
    "87": ("Haute-Vienne", 3),
    "88": ("Vosges", 4),
    "89": ("Yonne", 5),
    "90": ("Territoire de Belfort", 2),
    "91": ("Essonne", 5),
    "92": ("Hauts-de-Seine", 4),
    "93": ("Seine-Saint-Denis", 3),
    "94": ("Val-de-Marne", 2),
    "95": ("Val-d'Oise", 2),
    "971": ("Guadeloupe", 3),
    "972": ("Martinique", 3),
    "973": ("Guyane", 3),
    # The Code writes « La Réunion » with its article as part of the name (TNCC 0).
    "974": ("La Réunion", 0),
    "976": ("Mayotte", 0),
}

# The preposition of the « in » form where usage is not « dans » + the article: most
# feminine names of lands
# (not rivers) take « en », names without article « en », islands and Paris « à ».
IN_PREPOSITIONS = {
    "07": "en",
    "09": "en",
    "12": "en",
    "16": "en",
    "17": "en",
    "19": "en",
    "2A": "en",
    "2B": "en",
    "21": "en",
    "23": "en",
    "24": "en",
    "26": "en",
    "31": "en",
    "33": "en",
    "38": "en",
    "43": "en",
    "44": "en",
    "48": "en",
    "52": "en",
    "53": "en",
    "57": "en",
    "70": "en",
    "72": "en",
    "73": "en",
    "74": "en",
    "75": "à",
    "76": "en",
    "85": "en",
    "87": "en",
    "91": "en",
    "93": "en",
    "971": "en",
    "972": "en",
    "973": "en",
    "974": "à",
    "976": "à",
}


def _key(name: str) -> str:
    """A name compared without case, accents' absence or the spelling of its apostrophe."""
    return name.casefold().replace("’", "'").replace(" ", "-")


BY_NAME = {_key(name): code for code, (name, _) in DEPARTEMENTS.items()}
# « Réunion » alone is how many write it: the same département.
BY_NAME[_key("Réunion")] = "974"


def find(name: str, code: str | None = None) -> str | None:
    """The code of the département of this name (or of this code), or None."""
    if code and code.upper() in DEPARTEMENTS:
        return code.upper()
    return BY_NAME.get(_key(name))
