"""`python -m tools.deploy`: the site's upload to S3 and CloudFront, against moto."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from tools import deploy
from tools.deploy import IMMUTABLE, SHORT, Clients, Target

REPO = Path(__file__).resolve().parents[2]
REGION = "eu-west-3"
BUCKET = "territoires-site"
CSS = b"body{color:#1f4e79}"
JS = b"'use strict';"
BRAND = b".brand{color:#c8102e}"


def version(content: bytes) -> str:
    """A content hash, as the theme puts in the query of the links to its assets."""
    return hashlib.sha256(content).hexdigest()[:10]


def home_page(css: bytes) -> bytes:
    """The home page, linking the stylesheet by its absolute URL and version, as the theme does."""
    link = f"https://territoires-sante.fr/theme/css/site.css?v={version(css)}"
    return f'<link rel="stylesheet" href="{link}"><h1>Territoires</h1>'.encode()


# A file whose name carries its content hash.
BRAND_KEY = f"theme/css/brand.{version(BRAND)[:8]}.css"
PLACEMENT = f'<script src="../../../theme/js/forms.js?v={version(JS)}"></script>'.encode()
HTML = "text/html; charset=utf-8"

# A small built site: key → (content, expected Content-Type, expected Cache-Control).
SITE = {
    "index.html": (home_page(CSS), HTML, SHORT),
    "loiret/index.html": (b"<h1>Loiret</h1>", HTML, SHORT),
    "loiret/offres/stage-kine-gien/index.html": (PLACEMENT, HTML, SHORT),
    "theme/css/site.css": (CSS, "text/css; charset=utf-8", IMMUTABLE),
    "theme/js/forms.js": (JS, "text/javascript; charset=utf-8", IMMUTABLE),
    BRAND_KEY: (BRAND, "text/css; charset=utf-8", IMMUTABLE),
    "theme/js/unversioned.js": (b"", "text/javascript; charset=utf-8", SHORT),
    "loiret/agenda.ics": (b"BEGIN:VCALENDAR\r\n", "text/calendar; charset=utf-8", SHORT),
    "feeds/all.atom.xml": (b"<feed/>", "application/atom+xml; charset=utf-8", SHORT),
    "sitemap.xml": (b"<urlset/>", "application/xml; charset=utf-8", SHORT),
    "loiret/images/logo.svg": (b"<svg/>", "image/svg+xml; charset=utf-8", SHORT),
    "site.webmanifest": (b"{}", "application/manifest+json; charset=utf-8", SHORT),
    "theme/img/photo.png": (b"\x89PNG", "image/png", SHORT),
}


@pytest.fixture
def aws(monkeypatch):
    """moto's AWS, with dummy credentials so nothing can reach a real account."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield Clients(REGION)


@pytest.fixture
def bucket(aws):
    aws.get("s3").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return BUCKET


@pytest.fixture
def distribution_id(aws):
    """A CloudFront distribution in front of the bucket, as the stack creates it."""
    response = aws.get("cloudfront").create_distribution(
        DistributionConfig={
            "CallerReference": "test",
            "Comment": "site",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "site",
                        "DomainName": f"{BUCKET}.s3.{REGION}.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "site",
                "ViewerProtocolPolicy": "redirect-to-https",
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                "MinTTL": 0,
                "TrustedSigners": {"Enabled": False, "Quantity": 0},
            },
        }
    )
    return response["Distribution"]["Id"]


@pytest.fixture
def target(bucket, distribution_id):
    return Target(bucket, distribution_id)


@pytest.fixture
def output(tmp_path):
    """The built site, as `make publish` leaves it in output/."""
    root = tmp_path / "output"
    for key, (content, _type, _cache) in SITE.items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def count_calls(clients: Clients, operation: str) -> list:
    """Record each S3 `operation` call made through the clients from now on."""
    calls = []
    clients.get("s3").meta.events.register(
        f"before-parameter-build.s3.{operation}", lambda **kw: calls.append(kw)
    )
    return calls


def record_steps(clients: Clients) -> list[str]:
    """Record, in order, each upload, invalidation and invalidation status check."""
    steps = []

    def on_put(params, **_):
        steps.append(f"envoi {params['Key']}")

    def on_invalidation(params, **_):
        steps.append(f"invalidation {params['InvalidationBatch']['Paths']['Items']}")

    clients.get("s3").meta.events.register("before-parameter-build.s3.PutObject", on_put)
    events = clients.get("cloudfront").meta.events
    events.register("before-parameter-build.cloudfront.CreateInvalidation", on_invalidation)
    events.register(
        "before-parameter-build.cloudfront.GetInvalidation", lambda **_: steps.append("attente")
    )
    return steps


def stored_body(clients: Clients, key: str) -> bytes:
    """The content of one object of the site bucket."""
    return clients.get("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()


def invalidated_paths(clients: Clients, distribution_id: str) -> list[list[str]]:
    """The paths of each invalidation requested on the distribution."""
    cloudfront = clients.get("cloudfront")
    listing = cloudfront.list_invalidations(DistributionId=distribution_id)["InvalidationList"]
    batches = []
    for item in listing.get("Items", []):
        found = cloudfront.get_invalidation(DistributionId=distribution_id, Id=item["Id"])
        batches.append(found["Invalidation"]["InvalidationBatch"]["Paths"]["Items"])
    return batches


def test_first_deploy_uploads_every_file_with_its_headers(aws, target, output):
    deploy.deploy(output, target, aws)

    s3 = aws.get("s3")
    stored = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert stored == set(SITE)
    for key, (content, content_type, cache_control) in SITE.items():
        obj = s3.get_object(Bucket=BUCKET, Key=key)
        assert obj["Body"].read() == content
        assert (key, obj["ContentType"]) == (key, content_type)
        assert (key, obj["CacheControl"]) == (key, cache_control)


def test_first_deploy_needs_no_invalidation(aws, target, output):
    deploy.deploy(output, target, aws)

    assert invalidated_paths(aws, target.distribution_id) == []


def test_second_deploy_of_the_same_output_uploads_nothing(aws, target, output, capsys):
    deploy.deploy(output, target, aws)
    puts = count_calls(aws, "PutObject")

    plan = deploy.deploy(output, target, aws)

    assert puts == []
    assert plan.is_empty and plan.unchanged == len(SITE)
    assert "le site en ligne est à jour" in capsys.readouterr().out
    assert invalidated_paths(aws, target.distribution_id) == []


def test_changed_file_is_reuploaded_and_removed_file_deleted(aws, target, output):
    deploy.deploy(output, target, aws)
    (output / "loiret/index.html").write_bytes(b"<h1>Loiret, nouvelle version</h1>")
    (output / "loiret/offres/stage-kine-gien/index.html").unlink()
    puts = count_calls(aws, "PutObject")

    plan = deploy.deploy(output, target, aws)

    assert [call["params"]["Key"] for call in puts] == ["loiret/index.html"]
    assert plan.deleted == ("loiret/offres/stage-kine-gien/index.html",)
    s3 = aws.get("s3")
    assert stored_body(aws, "loiret/index.html") == b"<h1>Loiret, nouvelle version</h1>"
    stored = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert "loiret/offres/stage-kine-gien/index.html" not in stored


def test_changed_and_deleted_pages_are_invalidated_in_one_batch(aws, target, output):
    deploy.deploy(output, target, aws)
    (output / "loiret/index.html").write_bytes(b"<h1>Loiret, nouvelle version</h1>")
    (output / "loiret/offres/stage-kine-gien/index.html").unlink()

    deploy.deploy(output, target, aws)

    assert invalidated_paths(aws, target.distribution_id) == [
        [
            "/loiret/",
            "/loiret/index.html",
            "/loiret/offres/stage-kine-gien/",
            "/loiret/offres/stage-kine-gien/index.html",
        ]
    ]


def test_many_changes_invalidate_everything_with_one_wildcard(aws, target, output):
    deploy.deploy(output, target, aws)
    for n in range(deploy.INVALIDATE_ALL_ABOVE + 1):
        page = output / f"page-{n}.html"
        aws.get("s3").put_object(Bucket=BUCKET, Key=page.name, Body=b"old")
        page.write_bytes(b"new")

    deploy.deploy(output, target, aws)

    assert invalidated_paths(aws, target.distribution_id) == [["/*"]]


def test_dry_run_prints_the_plan_and_changes_nothing(aws, target, output, capsys):
    deploy.deploy(output, target, aws)
    (output / "loiret/index.html").write_bytes(b"<h1>Loiret, nouvelle version</h1>")
    (output / "sitemap.xml").unlink()
    capsys.readouterr()
    args = ["--bucket", BUCKET, "--distribution-id", target.distribution_id]

    status = deploy.main([*args, "--output", str(output), "--dry-run"], clients=aws)

    printed = capsys.readouterr().out
    unchanged = len(SITE) - 2
    assert status == 0
    assert f"1 à envoyer (0 nouveaux, 1 modifiés), 1 à supprimer, {unchanged} inchangés" in printed
    assert f"~ loiret/index.html  text/html; charset=utf-8  {SHORT}" in printed
    assert "- sitemap.xml" in printed
    assert "Invalidation CloudFront : /loiret/ /loiret/index.html /sitemap.xml" in printed
    assert "rien n'a été modifié" in printed
    assert stored_body(aws, "loiret/index.html") == SITE["loiret/index.html"][0]
    assert stored_body(aws, "sitemap.xml") == SITE["sitemap.xml"][0]
    assert invalidated_paths(aws, target.distribution_id) == []


def test_dry_run_lists_each_new_file_with_its_type_and_cache(aws, target, output, capsys):
    deploy.deploy(output, target, aws, dry_run=True)

    lines = capsys.readouterr().out.splitlines()
    for key, (_content, content_type, cache_control) in SITE.items():
        line = next(line for line in lines if line.startswith(f"  + {key} "))
        assert f"  {content_type}  {cache_control}" in line
    assert aws.get("s3").list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0


def test_assets_are_uploaded_before_the_pages_that_use_them(aws, target, output):
    puts = count_calls(aws, "PutObject")

    deploy.deploy(output, target, aws)

    keys = [call["params"]["Key"] for call in puts]
    first_page = min(i for i, key in enumerate(keys) if key.endswith(".html"))
    assert all(key.endswith(".html") for key in keys[first_page:])


def test_a_changed_versioned_asset_is_forgotten_by_the_cdn_before_pages_link_it(
    aws, target, output
):
    deploy.deploy(output, target, aws)
    new_css = b"body{color:#c8102e}"
    (output / "theme/css/site.css").write_bytes(new_css)
    (output / "index.html").write_bytes(home_page(new_css))
    steps = record_steps(aws)

    deploy.deploy(output, target, aws)

    assert steps == [
        "envoi theme/css/site.css",
        "invalidation ['/theme/css/site.css']",
        "attente",
        "envoi index.html",
        "invalidation ['/', '/index.html']",
    ]


def test_pages_are_not_sent_while_the_cdn_still_holds_the_old_asset(
    aws, target, output, monkeypatch, capsys
):
    deploy.deploy(output, target, aws)
    new_css = b"body{color:#c8102e}"
    (output / "theme/css/site.css").write_bytes(new_css)
    (output / "index.html").write_bytes(home_page(new_css))
    monkeypatch.setattr(deploy, "INVALIDATION_POLL_SECONDS", 0)

    def still_in_progress(parsed, **_):
        parsed["Invalidation"]["Status"] = "InProgress"

    aws.get("cloudfront").meta.events.register(
        "after-call.cloudfront.GetInvalidation", still_in_progress
    )
    args = ["--bucket", BUCKET, "--distribution-id", target.distribution_id]

    status = deploy.main([*args, "--output", str(output)], clients=aws)

    assert status == 1
    assert "pages non envoyées, relancez le déploiement" in capsys.readouterr().err
    assert stored_body(aws, "theme/css/site.css") == new_css
    assert stored_body(aws, "index.html") == home_page(CSS)


def test_force_reuploads_unchanged_files(aws, target, output):
    deploy.deploy(output, target, aws)
    puts = count_calls(aws, "PutObject")

    deploy.deploy(output, target, aws, force=True)

    assert sorted(call["params"]["Key"] for call in puts) == sorted(SITE)


def test_hidden_files_are_not_published(aws, target, output):
    (output / ".webassets-cache").mkdir()
    (output / ".webassets-cache" / "x").write_bytes(b"cache")
    (output / ".well-known").mkdir()
    (output / ".well-known" / "security.txt").write_bytes(b"Contact: mailto:x@example.org")

    deploy.deploy(output, target, aws)

    stored = {o["Key"] for o in aws.get("s3").list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert ".well-known/security.txt" in stored
    assert not any(key.startswith(".webassets-cache") for key in stored)


def test_an_empty_output_is_refused_rather_than_emptying_the_bucket(aws, target, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()

    status = deploy.main(["--bucket", BUCKET, "--output", str(empty)], clients=aws)

    assert status == 1
    assert "lancez d'abord `make publish`" in capsys.readouterr().err


def test_bucket_and_distribution_are_read_from_the_stack_outputs(aws, distribution_id, output):
    template = {
        "Parameters": {"DistributionId": {"Type": "String"}},
        "Resources": {"SiteBucket": {"Type": "AWS::S3::Bucket"}},
        "Outputs": {
            "SiteBucketName": {"Value": {"Ref": "SiteBucket"}},
            "DistributionId": {"Value": {"Ref": "DistributionId"}},
        },
    }
    aws.get("cloudformation").create_stack(
        StackName="territoires",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "DistributionId", "ParameterValue": distribution_id}],
    )

    status = deploy.main(["--stack", "territoires", "--output", str(output)], clients=aws)

    assert status == 0
    s3 = aws.get("s3")
    (stack_bucket,) = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    stored = {o["Key"] for o in s3.list_objects_v2(Bucket=stack_bucket)["Contents"]}
    assert stored == set(SITE)


def test_a_missing_stack_output_is_reported_with_the_outputs_found():
    with pytest.raises(deploy.DeployError, match="« SiteBucketName » \\(sorties : Autre\\)"):
        deploy.target_from_outputs({"Autre": "x"})


def test_output_keys_can_be_renamed_and_the_distribution_is_optional():
    outputs = {"WebsiteBucket": "b", "Cdn": "E1"}

    assert deploy.target_from_outputs(outputs, "WebsiteBucket", "Cdn") == Target("b", "E1")
    assert deploy.target_from_outputs(outputs, "WebsiteBucket") == Target("b", None)


def test_an_unknown_stack_is_an_aws_error_not_a_traceback(aws, output, capsys):
    status = deploy.main(["--stack", "inconnue", "--output", str(output)], clients=aws)

    assert status == 1
    assert "Erreur AWS" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("a/page.html", "text/html; charset=utf-8"),
        ("agenda.ics", "text/calendar; charset=utf-8"),
        ("feeds/loiret.rss.xml", "application/rss+xml; charset=utf-8"),
        ("loiret/offres/atom.xml", "application/atom+xml; charset=utf-8"),
        ("admin/config.yml", "text/yaml; charset=utf-8"),
        ("catalogue.json", "application/json; charset=utf-8"),
        ("fonts/marianne.woff2", "font/woff2"),
        ("photo.JPG", "image/jpeg"),
        ("brochure.pdf", "application/pdf"),
        ("archive.tar", "application/x-tar"),
        ("LICENSE", "application/octet-stream"),
    ],
)
def test_content_type_follows_the_extension(key, expected):
    assert deploy.content_type_for(key) == expected


@pytest.mark.parametrize(
    ("key", "linked_with_version", "expected"),
    [
        ("theme/css/site.3f9a2c1d.css", False, IMMUTABLE),
        ("theme/js/forms-0123456789abcdef.js", False, IMMUTABLE),
        ("theme/css/site.css", True, IMMUTABLE),
        ("theme/css/site.css", False, SHORT),
        ("loiret/images/logo.svg", False, SHORT),
        # A page is never immutable, whatever its name: its URL must show each new version.
        ("offres/3f9a2c1d.html", False, SHORT),
        ("index.html", True, SHORT),
    ],
)
def test_only_assets_whose_url_changes_with_their_content_are_cached_for_a_year(
    key, linked_with_version, expected
):
    assert deploy.cache_control_for(key, linked_with_version) == expected


@pytest.fixture
def aws_endpoint():
    """moto served over HTTP, as a real AWS endpoint for a separate process."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def run_cli(args: list[str], endpoint: str) -> subprocess.CompletedProcess:
    """`python -m tools.deploy ARGS` in its own process, with dummy credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}
    command = [sys.executable, "-m", "tools.deploy", *args]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


def test_the_command_line_deploys_through_an_aws_endpoint(output, aws_endpoint):
    credentials = {"aws_access_key_id": "t", "aws_secret_access_key": "t"}
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=aws_endpoint, **credentials)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    args = ["--bucket", BUCKET, "--output", str(output)]

    dry = run_cli([*args, "--dry-run"], aws_endpoint)
    real = run_cli(args, aws_endpoint)

    assert dry.returncode == 0, dry.stderr
    assert f"{len(SITE)} à envoyer ({len(SITE)} nouveaux" in dry.stdout
    assert real.returncode == 0, real.stderr
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == len(SITE)


class FakeLambda:
    """The Lambda API as the deploy uses it (moto would need Docker to run a function)."""

    def __init__(self, report: dict):
        self.report, self.invoked = report, []

    def invoke(self, FunctionName, InvocationType):
        self.invoked.append((FunctionName, InvocationType))
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(self.report).encode())}


@pytest.mark.parametrize(
    ("extra", "announced"), [([], True), (["--no-announce"], False), (["--dry-run"], False)]
)
def test_the_deploy_announces_new_placements_after_the_upload(
    aws, distribution_id, output, capsys, extra, announced
):
    template = {
        "Parameters": {"DistributionId": {"Type": "String"}},
        "Resources": {"SiteBucket": {"Type": "AWS::S3::Bucket"}},
        "Outputs": {
            "SiteBucketName": {"Value": {"Ref": "SiteBucket"}},
            "DistributionId": {"Value": {"Ref": "DistributionId"}},
            "AnnounceFunctionName": {"Value": "territoires-AnnounceFunction-1"},
        },
    }
    aws.get("cloudformation").create_stack(
        StackName="territoires",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "DistributionId", "ParameterValue": distribution_id}],
    )
    fake = FakeLambda({"subscribers": 4, "digests": 2, "placements_announced": 3})
    aws._clients["lambda"] = fake

    status = deploy.main(["--stack", "territoires", "--output", str(output), *extra], clients=aws)

    assert status == 0
    expected = [("territoires-AnnounceFunction-1", "RequestResponse")] if announced else []
    assert fake.invoked == expected
    if announced:
        out = capsys.readouterr().out
        assert "Alertes : 2 e-mail(s) pour 4 abonné(s) confirmé(s), 3 offre(s) annoncée(s)." in out
