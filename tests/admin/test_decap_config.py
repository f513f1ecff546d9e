"""The Decap configuration is generated from the content specs: every field, the right widget."""

from __future__ import annotations

import re

import pytest
import yaml
from territories.schema import PAGE, PLACEMENT, TERRITORY

from territories import fields as f
from territories import model
from tools import decap_config

TERRITORIES = {"loiret": "Loiret", "loir-et-cher": "Loir-et-Cher"}

# The Decap widget each kind of value must get (subclasses first: a Colour is also a Text).
EXPECTED_WIDGETS = (
    (f.Record, "object"),
    (f.ListOf, "list"),
    (f.Coordinates, "list"),
    (f.Markdown, "markdown"),
    (f.Colour, "color"),
    (f.Image, "image"),
    (f.Choice, "select"),
    (f.Integer, "number"),
    (f.Amount, "number"),
    (f.Boolean, "boolean"),
    (f.DateTime, "datetime"),
    (f.Date, "datetime"),
    (f.Text, {"string", "text"}),
    (f.TextOrNumber, "string"),
    (f.Code, "string"),
)


def expected_widget(kind: f.Kind) -> set[str]:
    """The widgets a kind may be edited with."""
    for cls, widgets in EXPECTED_WIDGETS:
        if isinstance(kind, cls):
            return {widgets} if isinstance(widgets, str) else widgets
    raise AssertionError(f"pas de widget prévu pour {type(kind).__name__}")


def spec_and_field_pairs(record: f.Record, decap_fields: list[dict], path: str = ""):
    """(dotted path, spec, Decap field) for every key of a spec, sections included."""
    assert [d["name"] for d in decap_fields] == [s.key for s in record.fields], path
    for spec, decap in zip(record.fields, decap_fields, strict=True):
        where = f"{path}{spec.key}"
        yield where, spec, decap
        kind = spec.kind.item if isinstance(spec.kind, f.ListOf) else spec.kind
        if isinstance(kind, f.Record):
            yield from spec_and_field_pairs(kind, decap["fields"], where + ".")


def in_optional_section(record: f.Record, keys: list[str]) -> bool:
    """Whether a section enclosing the dotted path (not a list: an added item is whole) is
    optional."""
    for key in keys:
        spec = next(s for s in record.fields if s.key == key)
        if isinstance(spec.kind, f.ListOf):
            record = spec.kind.item
            continue
        if not spec.required:
            return True
        record = spec.kind
    return False


def collections_by_name(cfg: dict) -> dict[str, dict]:
    return {c["name"]: c for c in cfg["collections"]}


@pytest.fixture(scope="module")
def cfg() -> dict:
    return decap_config.config(TERRITORIES)


def test_each_territory_gets_its_own_collections_limited_to_its_folder(cfg):
    collections = collections_by_name(cfg)
    assert set(collections) == {
        f"{slug}{suffix}" for slug in TERRITORIES for suffix in ("", "-offres", "-pages")
    }
    for slug, name in TERRITORIES.items():
        (territory_file,) = collections[slug]["files"]
        assert territory_file["file"] == f"territories/{slug}/territory.yaml"
        assert collections[f"{slug}-offres"]["folder"] == f"territories/{slug}/placements"
        assert collections[f"{slug}-pages"]["folder"] == f"territories/{slug}/pages"
        assert all(name in collections[slug + s]["label"] for s in ("", "-offres", "-pages"))


@pytest.mark.parametrize(
    ("collection", "spec"),
    [("", TERRITORY), ("-offres", PLACEMENT), ("-pages", PAGE)],
    ids=["territory.yaml", "placements", "pages"],
)
def test_every_field_of_the_spec_is_edited_with_the_widget_of_its_kind(cfg, collection, spec):
    target = collections_by_name(cfg)["loiret" + collection]
    decap_fields = target["files"][0]["fields"] if "files" in target else target["fields"]
    if "folder" in target:  # the Markdown text after the front matter
        *decap_fields, body = decap_fields
        assert (body["name"], body["widget"]) == ("body", "markdown")
    for path, field_spec, decap in spec_and_field_pairs(spec, decap_fields):
        assert decap["widget"] in expected_widget(field_spec.kind), path
        # Inside an optional section (a photo) Decap requires nothing: it would require the
        # photo's fields even when no photo was added; the build checks them.
        in_optional = in_optional_section(spec, path.split(".")[:-1])
        assert decap.get("required", True) is (field_spec.required and not in_optional), path
        # The help under the field is the spec's description, unless the label says it all.
        if "hint" in decap:
            assert decap["hint"] == field_spec.description, path
        else:
            assert decap["label"] == f"{field_spec.description.rstrip('.')} ({field_spec.key})"
        assert f"({field_spec.key})" in decap["label"], path


def test_choices_dates_and_amounts_are_constrained_as_the_build_expects(cfg):
    fields = {
        path: decap
        for path, _, decap in spec_and_field_pairs(
            TERRITORY, collections_by_name(cfg)["loiret"]["files"][0]["fields"]
        )
    }
    placement = {p: d for p, _, d in spec_and_field_pairs(PLACEMENT, placement_fields(cfg))}
    assert fields["kind"]["options"] == list(model.TERRITORY_KINDS)
    assert placement["kind"]["options"] == list(model.PLACEMENT_KINDS)
    # Events keep their UTC offset; placements are plain dates.
    assert fields["events.start"]["format"] == "YYYY-MM-DDTHH:mm:ssZ"
    assert (placement["start"]["format"], placement["start"]["time_format"]) == (
        "YYYY-MM-DD",
        False,
    )
    assert fields["pack.max_quantity"]["value_type"] == "int"
    assert fields["pack.max_quantity"]["min"] == 1
    assert fields["pack.price_eur"]["min"] == 0
    assert fields["pack.contents"]["min"] == 1
    assert fields["castles.coordinates"]["field"]["widget"] == "number"


def placement_fields(cfg: dict) -> list[dict]:
    return collections_by_name(cfg)["loiret-offres"]["fields"][:-1]


def test_text_patterns_are_those_of_the_json_schema(cfg):
    fields = {
        p: d
        for p, _, d in spec_and_field_pairs(
            TERRITORY, collections_by_name(cfg)["loiret"]["files"][0]["fields"]
        )
    }
    welcomer_id = fields["welcomers.id"]["pattern"][0]
    assert re.fullmatch(welcomer_id, "claire")
    assert not re.fullmatch(welcomer_id, "Claire B")
    assert "minuscules" in fields["welcomers.id"]["pattern"][1]


def test_offers_and_pages_are_markdown_files_named_after_their_title(cfg):
    collections = collections_by_name(cfg)
    for name in ("loiret-offres", "loiret-pages"):
        target = collections[name]
        assert (target["extension"], target["format"]) == ("md", "frontmatter")
        assert (target["slug"], target["identifier_field"]) == ("{{slug}}", "title")
        assert target["create"] is True
    # File names the build accepts: lower-case ASCII and dashes.
    assert cfg["slug"] == {"encoding": "ascii", "clean_accents": True, "sanitize_replacement": "-"}


def test_images_go_to_the_territory_images_folder_as_relative_paths(cfg):
    territory_file = collections_by_name(cfg)["loiret"]["files"][0]
    assert (territory_file["media_folder"], territory_file["public_folder"]) == (
        "images",
        "images",
    )


def test_emptied_optional_fields_are_omitted_rather_than_written_empty(cfg):
    assert cfg["omit_empty_optional_fields"] is True


def test_backend_is_github_with_a_placeholder_repo_and_the_local_backend_on(cfg):
    assert cfg["backend"] == {"name": "github", "branch": "main", "repo": "OWNER/REPO"}
    assert cfg["local_backend"] is True
    gateway = decap_config.config(TERRITORIES, backend="git-gateway")
    assert gateway["backend"] == {"name": "git-gateway", "branch": "main"}
    local = decap_config.config(TERRITORIES, local_backend="http://127.0.0.1:9000/api/v1")
    assert local["local_backend"] == {"url": "http://127.0.0.1:9000/api/v1"}


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="backend inconnu"):
        decap_config.config(TERRITORIES, backend="gitlab-ce")


def test_editorial_workflow_turns_each_change_into_a_pull_request():
    assert decap_config.config(TERRITORIES)["publish_mode"] == "simple"
    cfg = decap_config.config(TERRITORIES, editorial_workflow=True)
    assert cfg["publish_mode"] == "editorial_workflow"


def test_config_text_reads_back_as_the_same_configuration(cfg):
    text = decap_config.config_text(cfg)
    assert text.startswith("# Generated by `python -m tools.decap_config`")
    assert "&id" not in text  # no YAML anchors
    assert yaml.safe_load(text) == cfg


def test_the_shipped_territories_are_found_with_their_names():
    found = decap_config.find_territories(decap_config.ROOT)
    assert found["loiret"] == "Loiret"
    assert not any(slug.startswith("_") for slug in found)


def test_drafts_are_left_out_and_an_unreadable_file_keeps_its_slug(tmp_path):
    for slug, text in (("_modele", "name: M"), ("x", "name: [")):
        (tmp_path / "territories" / slug).mkdir(parents=True)
        (tmp_path / "territories" / slug / "territory.yaml").write_text(text)
    assert decap_config.find_territories(tmp_path) == {"x": "x"}


@pytest.fixture
def fake_bundle(tmp_path):
    """A stand-in for decap-cms/dist: the bundle, one chunk, a wasm file and a source map."""
    dist = tmp_path / "dist"
    dist.mkdir()
    for name in ("decap-cms.js", "103.decap-cms.js", "a1.wasm", "decap-cms.js.map", "cms.js"):
        (dist / name).write_text(name)
    (dist / "decap-cms.js.LICENSE.txt").write_text("MIT")
    return dist


def test_install_writes_the_editor_of_all_territories_and_one_per_territory(tmp_path, fake_bundle):
    output = tmp_path / "output"
    written = decap_config.install(output, TERRITORIES, standalone=False, bundle_dir=fake_bundle)
    assert written == [
        output / "admin",
        output / "loiret" / "admin",
        output / "loir-et-cher" / "admin",
    ]
    assert sorted(p.name for p in (output / "admin").iterdir()) == [
        "103.decap-cms.js",
        "a1.wasm",
        "config.yml",
        "decap-cms.js",
        "decap-cms.js.LICENSE.txt",
        "index.html",
    ]
    own = yaml.safe_load((output / "loiret" / "admin" / "config.yml").read_text())
    assert {c["name"] for c in own["collections"]} == {"loiret", "loiret-offres", "loiret-pages"}
    assert own["media_folder"] == "territories/loiret/images"
    page = (output / "loiret" / "admin" / "index.html").read_text()
    assert '<script src="../../admin/decap-cms.js"></script>' in page


def test_the_editor_page_loads_nothing_from_another_site(tmp_path, fake_bundle):
    decap_config.install(tmp_path, {"loiret": "Loiret"}, standalone=True, bundle_dir=fake_bundle)
    page = (tmp_path / "admin" / "index.html").read_text()
    assert '<script src="decap-cms.js"></script>' in page
    assert '<link href="config.yml" type="text/yaml" rel="cms-config-url">' in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)


def test_a_standalone_build_gets_only_its_territory_at_admin(tmp_path, fake_bundle):
    written = decap_config.install(
        tmp_path, {"loiret": "Loiret"}, standalone=True, bundle_dir=fake_bundle
    )
    assert written == [tmp_path / "admin"]
    assert not (tmp_path / "loiret").exists()


def test_a_missing_bundle_says_to_install_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="npm ci --prefix admin"):
        decap_config.copy_bundle(tmp_path / "admin", tmp_path / "nowhere")


def test_the_command_prints_the_configuration(capsys):
    assert decap_config.main([]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert "loiret" in {c["name"] for c in printed["collections"]}


def test_the_command_refuses_an_unknown_territory(capsys):
    assert decap_config.main(["--territory", "atlantide"]) == 1
    assert "aucun territoire" in capsys.readouterr().err
