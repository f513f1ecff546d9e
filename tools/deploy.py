"""Upload the built site to its S3 bucket, delete what is gone, invalidate CloudFront.

    python -m tools.deploy --stack territoires            # bucket and distribution from the stack
    python -m tools.deploy --bucket B --distribution-id D # or given directly
    python -m tools.deploy --stack territoires --dry-run  # print the plan, change nothing

Only new and changed files are sent: a local file is unchanged when its MD5 equals the object's
ETag, which S3 guarantees for single-part uploads without SSE-KMS (the site bucket uses SSE-S3).
Uploading the same `output/` twice therefore sends nothing the second time.

Assets are cached for a year when their URL changes with their content: a hash in the file
name (`site.3f9a2c1d.css`), or a hash in the query the pages link them with
(`/theme/css/site.css?v=3f9a2c1d7b`, what our theme does). The CDN ignores query strings, so a
changed asset of the second kind is invalidated, and the invalidation awaited, before the pages
that link its new URL are sent: no visitor can then cache the old file under the new URL.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import mimetypes
import posixpath
import re
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlparse

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

DEFAULT_REGION = "eu-west-3"  # Paris; CloudFront itself is global
DEFAULT_OUTPUT = "output"
# Where the previews of content pull requests live in the site bucket (tools/previews.py).
PREVIEWS_PREFIX = "_previews/"
# The keys of template.yaml's Outputs that name the site bucket and its distribution.
BUCKET_OUTPUT_KEY = "SiteBucketName"
DISTRIBUTION_OUTPUT_KEY = "DistributionId"
ANNOUNCE_OUTPUT_KEY = "AnnounceFunctionName"  # the alerts' announce (forms.aws.handlers)

# A file whose URL carries its content hash never changes under that URL: cache it a year.
IMMUTABLE = "public, max-age=31536000, immutable"
# Everything else, HTML above all, must show a new deploy within minutes.
SHORT = "public, max-age=300, must-revalidate"
# `site.3f9a2c1d.css`, `app-3f9a2c1d7b.js`: a hex hash of 8+ characters just before the extension.
FINGERPRINT = re.compile(r"[.-][0-9a-f]{8,64}\.[A-Za-z0-9]+$")
# `href="…/theme/css/site.css?v=3f9a2c1d7b"`: a page links the asset with its content hash.
VERSIONED_LINK = re.compile(r"""(?:href|src)=["']([^"'?#]+)\?v=[0-9a-f]{8,64}["']""")

# CloudFront bills invalidations per path, a wildcard counting as one: past this, send "/*".
INVALIDATE_ALL_ABOVE = 25
DELETE_BATCH = 1000  # the most keys one DeleteObjects call accepts
# An invalidation usually completes within a minute or two: poll every 10 s, for 10 minutes.
INVALIDATION_POLL_SECONDS = 10
INVALIDATION_POLLS = 60

# Explicit types first: the system's mime.types differs between machines, and a deploy must not.
CONTENT_TYPES = {
    ".html": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".xml": "application/xml",
    ".atom.xml": "application/atom+xml",
    ".rss.xml": "application/rss+xml",
    ".ics": "text/calendar",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".md": "text/markdown",
    ".yml": "text/yaml",
    ".yaml": "text/yaml",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".pdf": "application/pdf",
}
# Types that are text: served with an explicit charset, since the build writes UTF-8.
TEXT_TYPES = {
    "application/json",
    "application/manifest+json",
    "application/xml",
    "application/atom+xml",
    "application/rss+xml",
    "image/svg+xml",
}
# Python's built-in table only (no system files), for the extensions not listed above.
_FALLBACK_TYPES = mimetypes.MimeTypes(filenames=())


class DeployError(Exception):
    """A deploy that cannot go on; the message is for the operator, in French."""


@dataclass(frozen=True)
class LocalFile:
    """One file of the built site, as it should be stored."""

    key: str
    path: Path
    md5: str
    content_type: str
    cache_control: str


@dataclass(frozen=True)
class Target:
    """Where the site goes: a bucket, and the distribution to invalidate (if any)."""

    bucket: str
    distribution_id: str | None


@dataclass(frozen=True)
class Plan:
    """What a deploy does: new and changed files to send, keys to delete."""

    new: tuple[LocalFile, ...]
    changed: tuple[LocalFile, ...]
    deleted: tuple[str, ...]
    unchanged: int

    @property
    def uploads(self) -> tuple[LocalFile, ...]:
        """Files to send, assets before HTML so that no new page points at a missing asset."""
        files = self.new + self.changed
        return tuple(sorted(files, key=lambda f: (f.key.endswith(".html"), f.key)))

    @property
    def is_empty(self) -> bool:
        """Whether the bucket already holds exactly the built site."""
        return not (self.new or self.changed or self.deleted)

    def asset_invalidation_paths(self) -> list[str]:
        """Changed long-cached assets: forgotten by CloudFront before any page links them."""
        return _at_most_a_few(
            {p for f in self.changed if f.cache_control == IMMUTABLE for p in url_paths(f.key)}
        )

    def invalidation_paths(self) -> list[str]:
        """The other paths CloudFront may hold stale (changed and deleted files), or "/*"."""
        # New files were never served, so CloudFront has nothing of theirs to forget.
        changed = {
            p for f in self.changed if f.cache_control != IMMUTABLE for p in url_paths(f.key)
        }
        deleted = {p for key in self.deleted for p in url_paths(key)}
        return _at_most_a_few(changed | deleted)


def _at_most_a_few(paths: set[str]) -> list[str]:
    """The paths in order, or the one wildcard when there are too many to pay for each."""
    return ["/*"] if len(paths) > INVALIDATE_ALL_ABOVE else sorted(paths)


class Clients:
    """AWS clients, each created on first use (after moto has started), or passed in."""

    def __init__(self, region: str = DEFAULT_REGION, **given):
        self.region = region
        self._clients = dict(given)

    def get(self, service: str):
        """The client for `service` ("s3", "cloudfront", "cloudformation")."""
        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name=self.region)
        return self._clients[service]


def content_type_for(key: str) -> str:
    """The Content-Type of a site file, with charset=utf-8 for text."""
    # The leading dot makes a feed named "atom.xml" match ".atom.xml", like "loiret.atom.xml".
    name = "." + key.rsplit("/", 1)[-1].lower()
    # Longest suffix first, so that a feed is a feed and not plain XML.
    for suffix in sorted(CONTENT_TYPES, key=len, reverse=True):
        if name.endswith(suffix):
            return _with_charset(CONTENT_TYPES[suffix])
    guessed, _encoding = _FALLBACK_TYPES.guess_type(key.lower(), strict=False)
    return _with_charset(guessed or "application/octet-stream")


def _with_charset(content_type: str) -> str:
    if content_type.startswith("text/") or content_type in TEXT_TYPES:
        return f"{content_type}; charset=utf-8"
    return content_type


def cache_control_for(key: str, versioned: bool = False) -> str:
    """Long and immutable for fingerprinted assets, short for HTML and everything else."""
    if key.endswith(".html") or not (versioned or FINGERPRINT.search(key)):
        return SHORT
    return IMMUTABLE


def versioned_keys(root: Path, page_keys: list[str]) -> set[str]:
    """The files that pages link with a content hash in the query (`site.css?v=3f9a2c1d7b`)."""
    keys = set()
    for page in page_keys:
        html = (root / page).read_text(encoding="utf-8", errors="replace")
        keys.update(_key_of_link(page, url) for url in VERSIONED_LINK.findall(html))
    return keys


def _key_of_link(page: str, url: str) -> str:
    """The bucket key a link points at, whether absolute, root-relative or page-relative."""
    parsed = urlparse(url)
    if parsed.scheme or url.startswith("/"):
        return parsed.path.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(page), parsed.path))


def url_paths(key: str) -> list[str]:
    """The URL paths under which CloudFront may cache an object (a directory's index too)."""
    path = "/" + quote(key, safe="/~")
    if key == "index.html" or key.endswith("/index.html"):
        return [path, path.removesuffix("index.html")]
    return [path]


def md5_of(path: Path) -> str:
    """The hex MD5 of a file, as S3 reports it in the ETag of a single-part upload."""
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def scan_output(root: Path) -> dict[str, LocalFile]:
    """Every file of the built site by key; hidden files (build caches) are not published."""
    if not root.is_dir() or not any(root.iterdir()):
        raise DeployError(f"{root}/ est vide ou absent : lancez d'abord `make publish`.")
    paths = {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}
    paths = {key: path for key, path in paths.items() if not _is_hidden(key)}
    versioned = versioned_keys(root, [key for key in paths if key.endswith(".html")])
    return {
        key: LocalFile(
            key, path, md5_of(path), content_type_for(key), cache_control_for(key, key in versioned)
        )
        for key, path in paths.items()
    }


def _is_hidden(key: str) -> bool:
    # .well-known/ holds public files by convention (security.txt…): it is published.
    return any(part.startswith(".") and part != ".well-known" for part in key.split("/"))


def remote_objects(s3, bucket: str, prefix: str = "") -> dict[str, str]:
    """The bucket's objects (under `prefix`): key → ETag without its quotes.

    The site's own deploy leaves the previews of pull requests alone (tools/previews.py).
    """
    objects = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            if prefix or not obj["Key"].startswith(PREVIEWS_PREFIX):
                objects[obj["Key"]] = obj["ETag"].strip('"')
    return objects


def make_plan(local: dict[str, LocalFile], remote: dict[str, str], force: bool = False) -> Plan:
    """Compare the built site with the bucket: what to send, what to delete."""
    new = tuple(f for key, f in local.items() if key not in remote)
    changed = tuple(
        f for key, f in local.items() if key in remote and (force or remote[key] != f.md5)
    )
    deleted = tuple(sorted(key for key in remote if key not in local))
    return Plan(new, changed, deleted, len(local) - len(new) - len(changed))


def upload(s3, bucket: str, file: LocalFile) -> None:
    """Send one file with its headers; S3 checks the body against its MD5."""
    body = file.path.read_bytes()
    s3.put_object(
        Bucket=bucket,
        Key=file.key,
        Body=body,
        ContentType=file.content_type,
        CacheControl=file.cache_control,
        ContentMD5=base64.b64encode(bytes.fromhex(file.md5)).decode("ascii"),
    )


def delete(s3, bucket: str, keys: tuple[str, ...]) -> None:
    """Delete `keys` in batches; a key S3 refuses to delete stops the deploy."""
    for start in range(0, len(keys), DELETE_BATCH):
        batch = [{"Key": key} for key in keys[start : start + DELETE_BATCH]]
        response = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        if response.get("Errors"):
            failed = ", ".join(e["Key"] for e in response["Errors"])
            raise DeployError(f"Suppression refusée par S3 pour : {failed}")


def invalidate(cloudfront, distribution_id: str, paths: list[str], wait: bool = False) -> str:
    """Ask CloudFront to forget `paths`, in one batch; returns the invalidation id."""
    response = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": paths},
            # Unique per call: CloudFront would take a reused reference for a retry.
            "CallerReference": f"deploy-{time.time_ns()}-{uuid.uuid4().hex[:8]}",
        },
    )
    invalidation_id = response["Invalidation"]["Id"]
    if wait:
        wait_for_invalidation(cloudfront, distribution_id, invalidation_id)
    return invalidation_id


def wait_for_invalidation(cloudfront, distribution_id: str, invalidation_id: str) -> None:
    """Poll until CloudFront has forgotten the paths everywhere, or give up after 10 minutes."""
    for _ in range(INVALIDATION_POLLS):
        found = cloudfront.get_invalidation(DistributionId=distribution_id, Id=invalidation_id)
        # CloudFront says "Completed", moto "COMPLETED": compare without case.
        if found["Invalidation"]["Status"].lower() == "completed":
            return
        time.sleep(INVALIDATION_POLL_SECONDS)
    raise DeployError(
        f"L'invalidation {invalidation_id} n'est pas terminée : pages non envoyées, "
        "relancez le déploiement."
    )


def stack_outputs(cloudformation, stack: str) -> dict[str, str]:
    """A CloudFormation stack's outputs: key → value."""
    stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def target_from_outputs(
    outputs: dict[str, str],
    bucket_key: str = BUCKET_OUTPUT_KEY,
    distribution_key: str = DISTRIBUTION_OUTPUT_KEY,
) -> Target:
    """The bucket and distribution named by a stack's outputs; the bucket is required."""
    if bucket_key not in outputs:
        known = ", ".join(sorted(outputs)) or "aucune"
        raise DeployError(f"La pile n'a pas de sortie « {bucket_key} » (sorties : {known}).")
    return Target(outputs[bucket_key], outputs.get(distribution_key))


def format_plan(plan: Plan, target: Target, output: Path) -> list[str]:
    """The plan as the operator reads it: counts, then each file with its headers."""
    distribution = f" (CloudFront {target.distribution_id})" if target.distribution_id else ""
    lines = [
        f"Site : {output}/ → s3://{target.bucket}{distribution}",
        f"Plan : {len(plan.uploads)} à envoyer ({len(plan.new)} nouveaux, "
        f"{len(plan.changed)} modifiés), {len(plan.deleted)} à supprimer, "
        f"{plan.unchanged} inchangés",
    ]
    width = max((len(f.key) for f in plan.uploads), default=0)
    new_keys = {f.key for f in plan.new}
    for f in plan.uploads:
        mark = "+" if f.key in new_keys else "~"
        lines.append(f"  {mark} {f.key.ljust(width)}  {f.content_type}  {f.cache_control}")
    lines += [f"  - {key}" for key in plan.deleted]
    if not target.distribution_id:
        return lines
    if assets := plan.asset_invalidation_paths():
        lines.append(f"Invalidation CloudFront avant les pages : {' '.join(assets)}")
    if paths := plan.invalidation_paths():
        lines.append(f"Invalidation CloudFront : {' '.join(paths)}")
    return lines


def apply_plan(plan: Plan, target: Target, clients: Clients) -> list[str]:
    """Send assets, let CloudFront forget changed ones, send pages, delete, invalidate the rest.

    Returns the ids of the invalidations made.
    """
    s3, invalidations = clients.get("s3"), []
    pages = [f for f in plan.uploads if f.key.endswith(".html")]
    for file in plan.uploads:
        if file not in pages:
            upload(s3, target.bucket, file)
    if target.distribution_id and (assets := plan.asset_invalidation_paths()):
        cloudfront = clients.get("cloudfront")
        invalidations.append(invalidate(cloudfront, target.distribution_id, assets, wait=True))
    for file in pages:
        upload(s3, target.bucket, file)
    delete(s3, target.bucket, plan.deleted)
    if target.distribution_id and (paths := plan.invalidation_paths()):
        invalidations.append(invalidate(clients.get("cloudfront"), target.distribution_id, paths))
    return invalidations


def deploy(
    output: Path,
    target: Target,
    clients: Clients,
    dry_run: bool = False,
    force: bool = False,
    remote: dict[str, str] | None = None,
) -> Plan:
    """Plan the deploy of `output` to `target`, print it, and apply it unless `dry_run`.

    `remote` stands for the bucket's objects when they cannot be read (a dry run without AWS).
    """
    if remote is None:
        remote = remote_objects(clients.get("s3"), target.bucket)
    plan = make_plan(scan_output(output), remote, force)
    print("\n".join(format_plan(plan, target, output)))
    if dry_run:
        print("Simulation (--dry-run) : rien n'a été modifié.")
    elif plan.is_empty:
        print("Rien à faire : le site en ligne est à jour.")
    else:
        invalidations = apply_plan(plan, target, clients)
        done = f", invalidation {' '.join(invalidations)}" if invalidations else ""
        print(f"Déployé{done}.")
    return plan


def resolve_target(args: argparse.Namespace, clients: Clients) -> Target:
    """The target given on the command line, or read from the stack's outputs."""
    if args.bucket:
        return Target(args.bucket, args.distribution_id)
    outputs = stack_outputs(clients.get("cloudformation"), args.stack)
    target = target_from_outputs(outputs, args.bucket_output, args.distribution_output)
    return Target(target.bucket, args.distribution_id or target.distribution_id)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; either --stack or --bucket is required."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.deploy",
        description="Envoie le site construit (output/) vers S3 et invalide CloudFront.",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--stack", help="pile CloudFormation dont les sorties nomment le bucket")
    where.add_argument("--bucket", help="bucket S3 du site (sans passer par la pile)")
    parser.add_argument("--distribution-id", help="distribution CloudFront à invalider")
    parser.add_argument("--output", type=Path, default=Path(DEFAULT_OUTPUT), help="site construit")
    parser.add_argument("--region", default=DEFAULT_REGION, help="région AWS (eu-west-3)")
    parser.add_argument("--bucket-output", default=BUCKET_OUTPUT_KEY, help="sortie du bucket")
    parser.add_argument(
        "--distribution-output", default=DISTRIBUTION_OUTPUT_KEY, help="sortie de la distribution"
    )
    parser.add_argument("--dry-run", action="store_true", help="affiche le plan, ne change rien")
    parser.add_argument(
        "--no-announce",
        action="store_true",
        help="ne pas annoncer les nouvelles offres aux abonnés des alertes après l'envoi",
    )
    parser.add_argument(
        "--force", action="store_true", help="renvoie tout (après un changement des en-têtes)"
    )
    return parser.parse_args(argv)


def announce(stack: str, clients: Clients) -> str:
    """Invoke the stack's announce function: new placements to the alerts' subscribers.

    After the upload, so that the links of the e-mails lead to pages already online.
    """
    outputs = stack_outputs(clients.get("cloudformation"), stack)
    name = outputs.get(ANNOUNCE_OUTPUT_KEY)
    if not name:
        return "Alertes : la pile n'a pas de fonction d'annonce (sortie AnnounceFunctionName)."
    response = clients.get("lambda").invoke(FunctionName=name, InvocationType="RequestResponse")
    payload = json.loads(response["Payload"].read() or b"{}")
    if response.get("FunctionError"):
        raise DeployError(f"l'annonce des nouvelles offres a échoué : {payload}")
    return (
        f"Alertes : {payload.get('digests', 0)} e-mail(s) pour "
        f"{payload.get('subscribers', 0)} abonné(s) confirmé(s), "
        f"{payload.get('placements_announced', 0)} offre(s) annoncée(s)."
    )


def main(argv: list[str] | None = None, clients: Clients | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = parse_args(argv)
    clients = clients or Clients(args.region)
    try:
        try:
            target = resolve_target(args, clients)
            deploy(args.output, target, clients, dry_run=args.dry_run, force=args.force)
            if args.stack and not args.dry_run and not args.no_announce:
                print(announce(args.stack, clients))
        except NoCredentialsError:
            if not args.dry_run:
                raise
            # A simulation needs no AWS account: the plan is then made against an empty bucket.
            print("Pas d'accès AWS (aucun identifiant) : plan comparé à un bucket vide.")
            target = Target(args.bucket or f"<bucket de la pile {args.stack}>", None)
            deploy(args.output, target, clients, dry_run=True, remote={})
    except DeployError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 1
    except (ClientError, BotoCoreError) as error:
        print(f"Erreur AWS : {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
