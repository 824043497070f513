"""The YAML files a maintainer edits: every mistake is named by file (and line or key), none is
silently taken (a key given twice, an unquoted code YAML reads as a number, a cap of 170 %)."""

from __future__ import annotations

import shutil

import pytest

from pipelines.catalog import PUBLISHED_CONFIG, CatalogError, published_marts
from pipelines.config_file import ConfigFileError, read_yaml
from pipelines.constants import GENERATIONS_DIR, PROGRAMME_CONFIG, ConstantsError, read_generations
from pipelines.dst.config import DstConfigError, load_table_specs
from pipelines.programme.contract import CONTRACT_DIR, ContractError, load_contract
from pipelines.settings import DST_TABLES_CONFIG


def test_a_key_given_twice_is_named_with_its_line(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("a: 1\nb:\n  c: 2\n  c: 3\n", encoding="utf-8")
    with pytest.raises(
        ConfigFileError, match=r"x.yaml, line 4: not valid YAML: key .c. is given twice"
    ):
        read_yaml(path)


def test_a_syntax_error_and_a_non_utf8_file_name_the_file(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("a: [1, 2\nb: 3\n", encoding="utf-8")
    with pytest.raises(ConfigFileError, match=r"x.yaml, line \d+: "):
        read_yaml(path)
    path.write_bytes("a: Ærø\n".encode("cp1252"))
    with pytest.raises(ConfigFileError, match="x.yaml: not UTF-8 text"):
        read_yaml(path)


def _edited(tmp_path, source, old, new):
    path = tmp_path / source.name
    text = source.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            '["TOT", "0000", "010", "101", "102", "103"]',
            "[TOT, 0000, 010, 101, 102, 103]",
            "quote every value code",
        ),
        ("tables:\n", "tables:\n  - just a string\n", "give the table as a mapping"),
    ],
    ids=["unquoted codes", "a table that is a string"],
)
def test_dst_tables_mistakes(tmp_path, old, new, expected):
    with pytest.raises(DstConfigError, match=expected):
        load_table_specs(_edited(tmp_path, DST_TABLES_CONFIG, old, new))


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("smv_funding_cap_pct", "170", "of at most 100"),
        ("overhead_norm_pct", ".nan", "non-negative number"),
        ("allocation_dkk", ".inf", "non-negative number"),
        ("first_year", "25", "a four-digit year"),
    ],
)
def test_programme_constants_out_of_range_are_named(tmp_path, key, value, expected):
    for declared in GENERATIONS_DIR.glob("*.yaml"):
        shutil.copy(declared, tmp_path / declared.name)
    path = tmp_path / "2025-2028.yaml"
    text = path.read_text(encoding="utf-8")
    line = next(li for li in text.splitlines() if li.strip().startswith(f"{key}:"))
    indent = line[: len(line) - len(line.lstrip())]
    path.write_text(text.replace(line, f"{indent}{key}: {value}", 1), encoding="utf-8")
    with pytest.raises(ConstantsError, match=f"2025-2028.yaml: '{key}' must be") as err:
        read_generations(tmp_path, PROGRAMME_CONFIG)
    assert expected in str(err.value)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('pattern: "^K[0-9]{2}$"', 'pattern: "^K[0-9{2}$"', "'pattern' is not a regular"),
        (
            "    type: string\n    required: true\n    description: The cluster organisation's",
            "    type: string\n    min: abc\n    required: true\n    description: The cluster "
            "organisation's",
            "'min' must be a number",
        ),
        ("version: 1", "version: two", "'version' must be a whole number"),
        ("  - name: name\n", "  - just a name\n  - name: name\n", "a field must be a mapping"),
    ],
    ids=["a bad pattern", "min abc", "version two", "a field as text"],
)
def test_contract_mistakes_are_named(tmp_path, old, new, expected):
    folder = tmp_path / "contract"
    shutil.copytree(CONTRACT_DIR, folder)
    path = folder / "clusters.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ContractError, match=expected) as err:
        load_contract(folder)
    assert "clusters.yaml" in str(err.value)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("rows: [", "rows: [2000, 1, ", r"'rows' must be \[fewest, most\]"),
        ("    source: dst", "    source: foo", "'source' must be one of"),
        ("keys: [", "keys: [no_such_column, ", "are not columns of the mart"),
    ],
)
def test_published_marts_mistakes_are_named(tmp_path, old, new, expected):
    with pytest.raises(CatalogError, match=expected):
        published_marts(_edited(tmp_path, PUBLISHED_CONFIG, old, new))
