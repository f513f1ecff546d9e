"""Our settings, with their defaults in one place; pelicanconf.py may override any of them."""

DEFAULTS = {
    # Where the collectivities' folders live: one sub-folder per territory.
    "TERRITORIES_PATH": "territories",
    # A slug to build that territory alone as a standalone site (its pages at "/"); "" = all.
    "TERRITORY": "",
    # The data file the serverless functions read (prices, recipients, placement ids…).
    "FORMS_CATALOGUE_PATH": "functions/forms/catalogue.json",
    # Prefix of the forms API; "" posts to the same origin (/api/…), as CloudFront serves it.
    "FORMS_API_URL": "",
    # The build date used to drop past placements and events (a datetime.date); None = today.
    "TERRITORIES_TODAY": None,
    # Where incremental builds keep their manifest and models; "" = beside the output folder
    # (output/ → .output-cache/).
    "TERRITORIES_CACHE_PATH": "",
    # Where resized photos are kept, by the content hash of their source; "" = the cache
    # folder's images/. Several builds may share one (the tests do): a copy depends only on
    # its source's bytes.
    "TERRITORIES_IMAGE_CACHE_PATH": "",
    # The data controller named by the forms' consent text and the privacy page.
    "OPERATOR_NAME": "Territoires de santé",
    "OPERATOR_LEGAL_NAME": "",
}


def with_defaults(settings) -> dict:
    """Pelican's settings completed with ours, without overriding what was set."""
    return {key: settings.get(key, default) for key, default in DEFAULTS.items()}
