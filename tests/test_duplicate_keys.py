"""A value given twice is refused, by name, in every JSON and TOML document xentlab reads.

JSON's own rule only says that keys "should" be unique, and Python's json keeps the last value
silently: a race body {"epochs": 1, "epochs": 30} would start a 30-epoch race, a sweep file with
"eta": 0.1, "eta": 5 would train η = 5 only, and a sealed file with a key inserted twice would
still match its checksum (computed over what the parser kept). Every document goes through
``formats.documents.parse_json`` or ``parse_toml``; the last test keeps it so.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from xentlab import sweeps
from xentlab.errors import FormatError, XentlabError
from xentlab.formats import (
    load_checkpoint,
    load_network,
    load_safetensors,
    network_document,
    read_safetensors,
    save_safetensors,
    seal,
    write_safetensors,
)
from xentlab.formats.documents import parse_json, parse_toml
from xentlab.formats.safetensors_network import CHECKSUM, _digest
from xentlab.model import Network

SRC = Path(__file__).parent.parent / "src" / "xentlab"
CORPUS_CKPT = Path(__file__).parent / "corpus" / "files" / "good.ckpt"


# --- the one parser of each kind ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('{"epochs": 1, "epochs": 30}', "epochs"),
        ('{"grid": [{"eta": 1, "seed": 2, "eta": 3}]}', "eta"),  # nested, in a list
        ('{"a": {"b": {"c": 1, "c": 1}}}', "c"),  # the same value twice is still twice
        ('{"x": 1, "\\u0078": 2}', "x"),  # one key, written two ways
    ],
)
def test_parse_json_refuses_a_key_given_twice_by_name(text, key):
    with pytest.raises(ValueError, match=f"the key '{key}' appears twice"):
        parse_json(text)
    with pytest.raises(ValueError, match=f"the key '{key}' appears twice"):
        parse_json(text.encode("utf-16"))  # bytes in any of JSON's encodings alike


def test_parse_json_reads_strict_json_and_says_why_it_refuses_in_one_line():
    assert parse_json(b'{"a": [1, 2.5, "x", null, true], "b": {}}') == {
        "a": [1, 2.5, "x", None, True],
        "b": {},
    }
    for text, reason in [
        ("[NaN]", "NaN is not a JSON value"),
        ('{"a": -Infinity}', "-Infinity is not a JSON value"),
        ("[" * 100_000, "nested too deeply to be read"),  # not a RecursionError
        (b"\xff{}", "can't decode byte 0xff"),
        ("", "Expecting value"),
    ]:
        with pytest.raises(ValueError) as caught:
            parse_json(text)
        assert type(caught.value) is ValueError and reason in str(caught.value)
        assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("eta = 0.1\neta = 5\n", "the key 'eta' appears twice (line 2)"),
        ('cost = "quadratic"\n"eta" = 1\n  eta = [\n 2,\n 3\n]\n', "the key 'eta' appears twice"),
        ("[[grid]]\nseed = 1\nhidden = 30\nseed = 2\n", "the key 'seed' appears twice"),
        ("grid = [{eta = 1, eta = 2}]\n", "the key 'eta' appears twice (line 1)"),
        ("[a]\nx = 1\n[a]\ny = 2\n", "the table 'a' appears twice (line 3)"),
        ("a.b = 1\na.b = 2\n", "the key 'a.b' appears twice (line 2)"),
    ],
)
def test_parse_toml_refuses_a_key_given_twice_naming_it(text, reason):
    with pytest.raises(ValueError) as caught:
        parse_toml(text)
    assert reason in str(caught.value) and "\n" not in str(caught.value)


# --- every reader -------------------------------------------------------------------------------


def test_a_race_body_that_gives_a_setting_twice_is_refused_before_a_race_starts():
    pytest.importorskip("starlette", reason="the web extra is not installed")
    pytest.importorskip("httpx", reason="httpx is not installed (the test extra has it)")
    from starlette.testclient import TestClient
    from web_helpers import BASE_URL

    from xentlab.web import create_app

    with TestClient(create_app(), base_url=BASE_URL) as client:
        for body in (b'{"epochs": 1, "epochs": 30}', b'{"pace": 0, "eta": 0.5, "pace": 2}'):
            answer = client.post(
                "/api/races", content=body, headers={"content-type": "application/json"}
            )
            assert answer.status_code == 400
            assert answer.json()["error"].startswith("the settings are not valid JSON (the key")
            assert "appears twice" in answer.json()["error"]
        assert client.get("/api/status").json()["races"] == 0


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("s.json", '{"eta": 0.1, "eta": 5}', "s.json is not JSON: the key 'eta' appears twice"),
        (
            "s.json",
            '{"grid": [{"cost": "quadratic", "cost": "cross-entropy"}]}',
            "s.json is not JSON: the key 'cost' appears twice",
        ),
        ("s.toml", "eta = 0.1\neta = 5\n", "s.toml is not TOML: the key 'eta' appears twice"),
        (
            "s.toml",
            "seed = [1, 2]\n[[grid]]\nhidden = [30]\nhidden = [100]\n",
            "s.toml is not TOML: the key 'hidden' appears twice (line 4)",
        ),
    ],
)
def test_a_sweep_file_that_gives_a_setting_twice_is_refused_naming_it(
    tmp_path, name, content, needle
):
    (tmp_path / name).write_text(content)
    with pytest.raises(XentlabError) as caught:
        sweeps.read_sweep_file(tmp_path / name)
    assert needle in str(caught.value) and "\n" not in str(caught.value)


def sealed_network_text() -> str:
    return json.dumps(seal(network_document(Network.create([4, 3, 2], seed=0))))


def test_a_sealed_file_with_a_key_inserted_twice_is_refused_though_its_checksum_matches(
    tmp_path,
):
    # The first "cost" is the inserted one; the parser of old kept the second, the sealed one,
    # so the checksum matched and the file was read as if nothing had been added.
    text = sealed_network_text().replace('"cost": ', '"cost": "quadratic", "cost": ', 1)
    (tmp_path / "n.json").write_text(text)
    with pytest.raises(FormatError, match="not JSON \\(the key 'cost' appears twice\\)"):
        load_network(tmp_path / "n.json")
    checkpoint = CORPUS_CKPT.read_text()
    assert checkpoint.count('"version":') >= 1
    edited = checkpoint.replace('"version":', '"version":1,"version":', 1)
    (tmp_path / "c.ckpt").write_text(edited)
    with pytest.raises(FormatError, match="the key 'version' appears twice"):
        load_checkpoint(tmp_path / "c.ckpt")


def test_a_safetensors_network_whose_meta_gives_a_key_twice_is_refused(tmp_path):
    path = tmp_path / "n.safetensors"
    save_safetensors(Network.create([4, 3, 2], seed=0), path, {"dataset": "digits"})
    tensors = read_safetensors(path)
    metadata = dict(tensors.metadata)
    metadata["xentlab_meta"] = '{"dataset": "digits", "dataset": "mnist"}'
    del metadata[CHECKSUM]
    metadata[CHECKSUM] = _digest(metadata, tensors.arrays)  # sealed again: only the key is off
    write_safetensors(path, tensors.arrays, metadata, force=True)
    with pytest.raises(
        FormatError,
        match="'xentlab_meta' must be a JSON object; it is not JSON \\(the key 'dataset'",
    ):
        load_safetensors(path)


def test_a_document_whose_keys_would_collide_as_json_is_not_sealed():
    with pytest.raises(XentlabError, match="the key '1' appears twice"):
        seal({1: "one", "1": "another"})


# --- the class stays closed ---------------------------------------------------------------------

PARSERS = Path("formats") / "documents.py"
ALLOWED = {("json", "parse_json"), ("toml", "_toml_reader")}  # (what, the function allowed)


def parser_uses(tree: ast.AST) -> list[tuple[str, str | None, int]]:
    """(what, enclosing function, line) of every way ``tree`` parses JSON or TOML: json.load(s),
    json's decoder, ``from json import load(s)``, json under another name, tomllib or tomli."""
    found: list[tuple[str, str | None, int]] = []

    def visit(node: ast.AST, function: str | None) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "json" and node.attr in ("load", "loads", "JSONDecoder", "decoder"):
                found.append(("json", function, node.lineno))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "json":
            if any(a.name not in ("dumps", "dump") for a in node.names):
                found.append(("json", function, node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ("tomllib", "tomli"):
                    found.append(("toml", function, node.lineno))
                elif alias.name.startswith("json") and (alias.asname or "json") != "json":
                    found.append(("json", function, node.lineno))
        elif isinstance(node, ast.ImportFrom) and (node.module or "") in ("tomllib", "tomli"):
            found.append(("toml", function, node.lineno))
        elif isinstance(node, ast.Constant) and node.value in ("tomllib", "tomli"):
            found.append(("toml", function, node.lineno))  # importlib.import_module("tomllib")
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, None)
    return found


def test_the_scan_finds_every_way_of_parsing_json_or_toml():
    sample = """
import json as j
from json import loads
import tomllib
def f(text):
    json.loads(text)
    json.load(open(text))
    json.JSONDecoder().decode(text)
    importlib.import_module("tomli")
    json.dumps(text)
"""
    found = [(what, line) for what, _, line in parser_uses(ast.parse(sample))]
    assert found == [("json", 2), ("json", 3), ("toml", 4)] + [("json", n) for n in (6, 7, 8)] + [
        ("toml", 9)
    ]


def test_every_json_and_toml_document_is_parsed_by_the_one_strict_parser():
    stray = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC)
        for what, function, line in parser_uses(ast.parse(path.read_text(encoding="utf-8"))):
            if relative != PARSERS or (what, function) not in ALLOWED:
                stray.append(f"{relative}:{line} parses {what} in {function or 'the module'}")
    assert not stray, "parse documents with formats.documents.parse_json/parse_toml: " + "; ".join(
        stray
    )
