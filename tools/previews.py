"""Previews of content pull requests: the territory's site, built and served before merging.

    python -m tools.previews territory --base origin/main      # the territory a PR changes
    python -m tools.previews build --pr 12 --territory loiret --site-url https://…
    python -m tools.previews publish --pr 12 --stack territoires   # → its address
    python -m tools.previews remove --pr 12 --stack territoires    # when the PR closes

A preview is the territory built alone (as for its own domain) under `/_previews/pr-<n>/` of
the site bucket, behind the same CloudFront (never indexed: template.yaml, /_previews/*). Its
forms post nowhere: a preview must not send anyone an e-mail. The site's own deploy leaves
`_previews/` alone (tools/deploy.py). .github/workflows/preview.yml runs these commands.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from tools import deploy

ROOT = Path(__file__).resolve().parents[1]
# Forms of a preview point here: a path of the preview itself, which takes no POST.
NO_FORMS = "/_previews/sans-envoi"
CONTENT_ROOT = "territories/"


class PreviewError(Exception):
    """A preview that cannot be made; the message is for the workflow's log, in French."""


def prefix_of(pr: int) -> str:
    return f"{deploy.PREVIEWS_PREFIX}pr-{pr}/"


def changed_paths(base: str, cwd: Path = ROOT) -> list[str]:
    """The paths the checked-out branch changes since it left `base` (three dots)."""
    result = subprocess.run(
        ["git", "diff", "--name-only", f"{base}...HEAD"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise PreviewError(f"git diff impossible depuis {base} : {result.stderr.strip()}")
    return result.stdout.split()


def territory_of(paths: list[str]) -> str:
    """The one territory a content pull request changes; PreviewError otherwise.

    A pull request that changes anything else is not content: no preview (it would build
    code nobody reviewed yet with the preview's AWS role).
    """
    others = [p for p in paths if not p.startswith(CONTENT_ROOT)]
    if others:
        raise PreviewError("pas d'aperçu : la demande modifie d'autres fichiers que territories/")
    slugs = sorted({p.split("/")[1] for p in paths if p.count("/") >= 2})
    if len(slugs) != 1:
        raise PreviewError(f"pas d'aperçu : un territoire attendu, trouvé {len(slugs)}")
    return slugs[0]


def build(pr: int, territory: str, site_url: str, output: Path, territories: Path) -> Path:
    """The territory's site as its preview address serves it; returns `output`."""
    from pelican import Pelican
    from pelican.settings import read_settings

    # Absolute: Pelican reads relative paths from the settings file's folder, not from here.
    output, territories = output.resolve(), territories.resolve()
    overrides = {
        "OUTPUT_PATH": str(output),
        "TERRITORIES_PATH": str(territories),
        "TERRITORY": territory,
        "SITEURL": f"{site_url.rstrip('/')}/{prefix_of(pr).rstrip('/')}",
        "FORMS_API_URL": NO_FORMS,
        "FORMS_CATALOGUE_PATH": str(output.parent / f"{output.name}-catalogue.json"),
    }
    settings = read_settings(str(ROOT / "publishconf.py"), override=overrides)
    Pelican(settings).run()
    return output


def publish(pr: int, output: Path, target: deploy.Target, clients: deploy.Clients) -> list[str]:
    """Upload `output` under the PR's prefix (what changed only), drop what is gone there."""
    prefix = prefix_of(pr)
    local = {f"{prefix}{key}": f for key, f in deploy.scan_output(output).items()}
    local = {key: _moved(f, key) for key, f in local.items()}
    remote = deploy.remote_objects(clients.get("s3"), target.bucket, prefix)
    plan = deploy.make_plan(local, remote)
    return deploy.apply_plan(plan, target, clients)


def _moved(file: deploy.LocalFile, key: str) -> deploy.LocalFile:
    return deploy.LocalFile(key, file.path, file.md5, file.content_type, file.cache_control)


def remove(pr: int, target: deploy.Target, clients: deploy.Clients) -> int:
    """Delete the PR's preview; the number of files deleted."""
    s3 = clients.get("s3")
    keys = tuple(sorted(deploy.remote_objects(s3, target.bucket, prefix_of(pr))))
    deploy.delete(s3, target.bucket, keys)
    if keys and target.distribution_id:
        deploy.invalidate(clients.get("cloudfront"), target.distribution_id, [f"/{prefix_of(pr)}*"])
    return len(keys)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.previews", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    find = commands.add_parser("territory", help="le territoire que modifie la demande")
    find.add_argument("--base", required=True, help="la branche visée, ex. origin/main")
    made = commands.add_parser("build", help="construit l'aperçu du territoire")
    made.add_argument("--pr", type=int, required=True)
    made.add_argument("--territory", required=True)
    made.add_argument("--site-url", required=True, help="adresse publique du site")
    made.add_argument("--output", type=Path, default=Path("preview"))
    made.add_argument("--territories", type=Path, default=Path("territories"))
    for name in ("publish", "remove"):
        command = commands.add_parser(name)
        command.add_argument("--pr", type=int, required=True)
        where = command.add_mutually_exclusive_group(required=True)
        where.add_argument("--stack", help="pile dont les sorties nomment le bucket")
        where.add_argument("--bucket")
        command.add_argument("--distribution-id")
        command.add_argument("--region", default=deploy.DEFAULT_REGION)
        command.add_argument("--bucket-output", default=deploy.BUCKET_OUTPUT_KEY)
        command.add_argument("--distribution-output", default=deploy.DISTRIBUTION_OUTPUT_KEY)
        if name == "publish":
            command.add_argument("--output", type=Path, default=Path("preview"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, clients: deploy.Clients | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.command == "territory":
            print(f"territory={territory_of(changed_paths(args.base, Path.cwd()))}")
        elif args.command == "build":
            build(args.pr, args.territory, args.site_url, args.output, args.territories)
        else:
            clients = clients or deploy.Clients(args.region)
            target = deploy.resolve_target(args, clients)
            if args.command == "publish":
                publish(args.pr, args.output, target, clients)
                print(f"Aperçu publié : {prefix_of(args.pr)} (s3://{target.bucket})")
            else:
                print(f"Aperçu supprimé : {remove(args.pr, target, clients)} fichiers")
    except (PreviewError, deploy.DeployError) as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 1
    except (ClientError, BotoCoreError) as error:
        print(f"Erreur AWS : {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
