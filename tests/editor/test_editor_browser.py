"""The online editor end to end in Chromium: sign in by the e-mail link read from the outbox,
edit the tagline, save; a branch and a pull request exist on the (fake) GitHub, touching only
the territory's territory.yaml. The local server serves the built site and the editor's API,
the App's key is read from Secrets Manager (moto), and every /admin/ response carries the CSP
that CloudFront adds in production (read from template.yaml)."""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import io
import re
import shutil
import tarfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from forms.local import LocalServer
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from territories.loader import load_territories

from tests.admin.conftest import decap_packages  # noqa: F401 (a fixture: npm ci when missing)
from tests.functions.aws.aws_testkit import load_template
from tests.site.sitekit import build
from tools import decap_config

from .conftest import EDITOR, REPO, git
from .editorkit import link_in

pytestmark = pytest.mark.browser

TERRITORY = "territories/loiret/territory.yaml"
NEW_TAGLINE = "Soigner au bord de la Loire, modifié en ligne"


def csp_of(policy: str) -> str:
    config = load_template()["Resources"][policy]["Properties"]["ResponseHeadersPolicyConfig"]
    return " ".join(
        config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"].split()
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory, template_repo, decap_packages) -> Path:  # noqa: F811
    """The site of the repository's territories, built once, as `make html` builds it."""
    output = tmp_path_factory.mktemp("site") / "output"
    build(output, template_repo / "territories", TERRITORIES_TODAY=dt.date.today())
    return output


@pytest.fixture
def site(tmp_path, built, github, app_secret_arn, monkeypatch):
    """The local server over a copy of the built site, its editor pointed at the fake GitHub."""
    output = Path(shutil.copytree(built, tmp_path / "output"))
    for name, value in {
        "EDITOR_REPO": REPO,
        "EDITOR_GITHUB_API": github.url,
        "EDITOR_GITHUB_APP_SECRET_ARN": app_secret_arn,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("SITE_URL", "SMTP_HOST", "EDITOR_SESSION_KEY"):
        monkeypatch.delenv(name, raising=False)
    catalogue = built.parent / "output-catalogue.json"
    server = LocalServer(output, "127.0.0.1", 0, tmp_path / "var", catalogue)
    territories = decap_config.find_territories(github.fake.repo_dir)
    decap_config.install(
        output, territories, False, production=True, repo=REPO, site_url=server.url
    )
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.url.rstrip("/"), tmp_path / "var" / "outbox"
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()  # the delivery worker was never started


@pytest.fixture
def browser_context(chromium, site):
    """A browser with production's headers: the editor's CSP on /admin/, the site's elsewhere."""
    url, _ = site
    editor_csp, site_csp = csp_of("EditorHeadersPolicy"), csp_of("SecurityHeadersPolicy")
    context = chromium.new_context()

    def with_headers(route):
        try:
            response = route.fetch()
        except PlaywrightError:
            return  # the page went away while its request was on the way
        path = urlsplit(route.request.url).path
        admin = re.match(r"^(/[a-z0-9-]+)?/admin/", path) is not None
        headers = {**response.headers, "content-security-policy": editor_csp if admin else site_csp}
        with contextlib.suppress(PlaywrightError):
            route.fulfill(response=response, headers=headers)

    context.route(f"{url}/**", with_headers)
    yield context
    context.close()


def wait_for(page, predicate, timeout_s: float) -> bool:
    """Poll `predicate` while Playwright keeps serving the page (its routes run meanwhile)."""
    for _ in range(int(timeout_s * 5)):
        if predicate():
            return True
        page.wait_for_timeout(200)
    return predicate()


def labelled(github) -> bool:
    with github.fake.lock:
        return any(p["labels"] for p in github.fake.pulls.values())


def link_from_outbox(outbox: Path) -> str:
    (path,) = sorted(outbox.glob("*.eml"))
    return link_in(email.message_from_bytes(path.read_bytes(), policy=email.policy.default))


def files_of(repo: Path, ref: str, folder: Path) -> Path:
    """The territories of `ref`, written out to `folder`."""
    archive = git_bytes(repo, "archive", ref, "territories")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "territories"


def git_bytes(repo: Path, *args: str) -> bytes:
    import subprocess

    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True).stdout


def test_an_officer_signs_in_by_e_mail_edits_the_tagline_and_opens_a_pull_request(
    browser_context, site, github, tmp_path
):
    url, outbox = site
    repo = github.fake.repo_dir
    main_before = git(repo, "rev-parse", "main").strip()
    before = yaml.safe_load((repo / TERRITORY).read_text(encoding="utf-8"))
    page = browser_context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # Sign in: Decap opens our sign-in page in a window; the link arrives by e-mail.
    page.goto(f"{url}/loiret/admin/")
    button = page.get_by_role("button", name="Se connecter avec son adresse e-mail")
    with page.expect_popup() as opened:
        button.click()
    popup = opened.value
    popup.get_by_label("Adresse e-mail professionnelle").fill(EDITOR)
    popup.get_by_role("button", name="Recevoir le lien de connexion").click()
    expect(popup.get_by_role("heading", name="Vérifiez vos e-mails")).to_be_visible()
    link = link_from_outbox(outbox)
    assert link.startswith(f"{url}/api/editor/loiret/connexion/lien?t=")
    mail_tab = browser_context.new_page()
    mail_tab.goto(link)
    mail_tab.get_by_role("button", name="Me connecter").click()
    expect(mail_tab.get_by_role("heading", name="Vous êtes connecté·e")).to_be_visible()
    # The sign-in window hands the session to the editor, which closes it.
    expect(page.get_by_text("Loiret : territoire").first).to_be_visible(timeout=20_000)
    page.wait_for_function("() => true")  # let Decap's close of the window land
    assert popup.is_closed()

    # Edit the tagline; the preview pane shows it with the site's styles.
    page.goto(f"{url}/loiret/admin/#/collections/loiret/entries/territory")
    tagline = page.get_by_label("Accroche affichée sous le nom (tagline)")
    expect(tagline).to_have_value(re.compile("Val de Loire"), timeout=20_000)
    tagline.fill(NEW_TAGLINE)
    preview = page.frame_locator("iframe").first
    expect(preview.locator(".hero .tagline")).to_have_text(NEW_TAGLINE, timeout=10_000)
    assert preview.locator("link[href='/theme/css/site.css']").count() == 1

    page.get_by_role("button", name="Enregistrer").first.click()
    # Saved once the pull request carries Decap's "draft" label (its last call).
    assert wait_for(page, lambda: labelled(github), timeout_s=30)

    # On GitHub: a branch and a pull request changing territory.yaml alone; main untouched.
    (pull,) = github.fake.open_pulls()
    branch = pull["head"]["ref"]
    assert branch == "cms/loiret/territory"
    assert git(repo, "rev-parse", "main").strip() == main_before
    assert github.fake.changed_files("main", branch) == [TERRITORY]
    assert [label["name"] for label in pull["labels"]] == ["decap-cms/draft"]
    assert pull["title"] == "Loiret : territoire — modification : territory"
    after = yaml.safe_load(git(repo, "show", f"{branch}:{TERRITORY}"))
    assert after == {**before, "tagline": NEW_TAGLINE}
    (territory, _) = sorted(
        load_territories(files_of(repo, branch, tmp_path / "branch")),
        key=lambda t: t.slug != "loiret",
    )
    assert territory.tagline == NEW_TAGLINE  # what the editor wrote, the build accepts
    author = git(repo, "log", "-1", "--format=%ae", branch).strip()
    assert author == EDITOR

    # Everything came from the site itself: no CDN, no GitHub, no status page.
    hosts = {urlsplit(u).netloc for u in requested if not u.startswith(("data:", "blob:"))}
    assert hosts == {urlsplit(url).netloc}
    assert not errors
