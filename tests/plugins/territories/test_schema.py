"""The JSON Schemas given to editors are generated from the validator's own field specs."""

import datetime as dt
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from territories.fields import Field, ListOf, Record
from territories.markup import split_front_matter

from territories import schema

PROJECT = Path(__file__).resolve().parents[3]
TERRITORIES = PROJECT / "territories"
SLUGS = ("loiret", "loir-et-cher")


def as_editors_see_it(value):
    """YAML as an editor's YAML 1.2 tooling reads it: dates stay text."""
    if isinstance(value, dict):
        return {key: as_editors_see_it(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_editors_see_it(item) for item in value]
    if isinstance(value, dt.date):  # datetime is a date too
        return value.isoformat()
    return value


def validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        schema.json_schema(name), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def schema_errors(name: str, data: dict) -> list[str]:
    return [error.message for error in validator(name).iter_errors(as_editors_see_it(data))]


def front_matter(path: Path) -> dict:
    front, *_ = split_front_matter(path.read_text(encoding="utf-8"))
    return yaml.safe_load(front)


@pytest.mark.parametrize("name", list(schema.SCHEMAS))
def test_committed_schema_is_what_the_specs_generate(name):
    committed = (schema.SCHEMA_DIR / name).read_text(encoding="utf-8")
    assert committed == schema.schema_text(name), (
        "schema/ is out of date: run PYTHONPATH=plugins python -m territories.schema --write"
    )


@pytest.mark.parametrize("name", list(schema.SCHEMAS))
def test_generated_schema_is_a_valid_draft_2020_12_schema(name):
    generated = schema.json_schema(name)
    assert generated["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(generated)


@pytest.mark.parametrize("slug", SLUGS)
def test_project_territories_validate_against_the_schema(slug):
    data = yaml.safe_load((TERRITORIES / slug / "territory.yaml").read_text(encoding="utf-8"))
    assert schema_errors("territory.schema.json", data) == []


@pytest.mark.parametrize("slug", SLUGS)
def test_project_placements_and_pages_validate_against_their_schemas(slug):
    placements = sorted((TERRITORIES / slug / "placements").glob("*.md"))
    pages = sorted((TERRITORIES / slug / "pages").glob("*.md"))
    assert placements and pages
    for path in placements:
        assert schema_errors("placement.schema.json", front_matter(path)) == [], path
    for path in pages:
        assert schema_errors("page.schema.json", front_matter(path)) == [], path


def test_schema_flags_what_the_loader_flags():
    data = yaml.safe_load((TERRITORIES / "loiret" / "territory.yaml").read_text(encoding="utf-8"))
    data["tagine"] = data.pop("tagline")
    data["brand"]["primary"] = "bleu"
    data["kind"] = "départment"
    data["pack"]["max_quantity"] = 0
    data["events"][0]["start"] = "14/10/2027 19 h"
    paths = {
        tuple(error.path)
        for error in validator("territory.schema.json").iter_errors(as_editors_see_it(data))
    }
    assert paths == {
        (),
        ("brand", "primary"),
        ("kind",),
        ("pack", "max_quantity"),
        ("events", 0, "start"),
    }


def all_fields(record: Record, prefix: str = ""):
    """(dotted key, Field) of a record and of its nested sections."""
    for spec in record.fields:
        yield prefix + spec.key, spec
        kind = spec.kind.item if isinstance(spec.kind, ListOf) else spec.kind
        if isinstance(kind, Record):
            yield from all_fields(kind, f"{prefix}{spec.key}.")


@pytest.mark.parametrize("name", list(schema.SCHEMAS))
def test_every_field_has_a_french_description_for_hover_help(name):
    spec, _title = schema.SCHEMAS[name]
    for key, field in all_fields(spec):
        assert isinstance(field, Field)
        assert field.description.strip(), key
        assert field.description[0].isupper() and field.description.rstrip().endswith("."), key


def test_write_command_regenerates_every_schema(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(schema, "SCHEMA_DIR", tmp_path)
    assert schema.main(["--write"]) == 0
    for name in schema.SCHEMAS:
        assert json.loads((tmp_path / name).read_text(encoding="utf-8")) == schema.json_schema(name)
    assert "territory.schema.json" in capsys.readouterr().out


def test_print_command_writes_one_schema_to_stdout(capsys):
    assert schema.main(["placement.schema.json"]) == 0
    assert json.loads(capsys.readouterr().out) == schema.json_schema("placement.schema.json")


def test_loir_et_cher_points_its_editor_to_the_schema():
    first_line = (TERRITORIES / "loir-et-cher" / "territory.yaml").read_text().splitlines()[0]
    relative = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first_line).group(1)
    assert (TERRITORIES / "loir-et-cher" / relative).resolve() == schema.SCHEMA_DIR / (
        "territory.schema.json"
    )


def test_content_reference_tables_are_what_the_specs_generate():
    text = schema.REFERENCE_PATH.read_text(encoding="utf-8")
    assert schema.reference_text(text) == text, (
        "docs/content-reference.md is out of date: run "
        "PYTHONPATH=plugins python -m territories.schema --write"
    )


@pytest.mark.parametrize("name", list(schema.SCHEMAS))
def test_content_reference_lists_every_field(name):
    text = schema.REFERENCE_PATH.read_text(encoding="utf-8")
    spec, _title = schema.SCHEMAS[name]
    for key, _field in all_fields(spec):
        assert f"| `{key.rsplit('.', 1)[-1]}` |" in text, key


def test_examples_are_quoted_only_where_yaml_needs_it():
    assert schema.yaml_example("#1f4e79") == '"#1f4e79"'
    assert schema.yaml_example("41") == '"41"'
    assert schema.yaml_example(("@be-lc/communication",)) == '["@be-lc/communication"]'
    assert schema.yaml_example("Halle aux grains, Blois") == "Halle aux grains, Blois"
    assert schema.yaml_example("2027-07-05") == "2027-07-05"
