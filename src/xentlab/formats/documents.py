"""The pieces every xentlab file is made of: a JSON object with a format name and version,
a checksum of its content, arrays as base64 of little-endian bytes, and fields read with their
type checked.

Reading parses JSON and checks each field before building anything from it; nothing is executed.

Every JSON and TOML document xentlab reads (these files, safetensors headers and their metadata,
sweep files, the page's request bodies) is parsed here, by :func:`parse_json` or
:func:`parse_toml`, and nowhere else (a test scans the source for any other call): a key given
twice is refused by name, never settled silently by keeping the last value, and NaN and Infinity,
which JSON does not have, are refused.

The checksum ("sealed" documents, from version 2 of each format on): the key "sha256" holds the
SHA-256, in 64 lowercase hexadecimal digits, of the document without that key, written as
canonical JSON — keys sorted, no whitespace, non-ASCII characters escaped, numbers as Python's
``json`` writes them (``json.dumps(doc, sort_keys=True, separators=(",", ":"))``). A file whose
content does not match is refused as corrupt, so a changed byte anywhere — in a weight's
base64, a setting, the generator's state — can't go unnoticed. The rule by version: a
version-1 file has no checksum (it is read as before, and one that carries "sha256" is refused:
its version must have been damaged); a file of version 2 or later must carry one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib
import itertools
import json
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import FormatError, XentlabError
from ..files import Recogniser, atomic_write, read_bytes_capped

MAX_FILE_BYTES = 2**31  # a [784, 100000, ...] network in float64 is far below this
CHECKSUM_KEY = "sha256"
SEALED_SINCE = 2  # the first version of each format whose files carry a checksum
HEX_DIGEST = re.compile(r"[0-9a-f]{64}\Z")


def encode_array(array: NDArray[Any]) -> dict[str, Any]:
    """{"shape": [...], "data": base64 of the little-endian bytes}."""
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return {"shape": list(array.shape), "data": base64.b64encode(little.tobytes()).decode()}


def decode_array(
    doc: Any, dtype: np.dtype, shape: tuple[int, ...], where: str, finite: bool = True
) -> NDArray[Any]:
    """The array that ``doc`` encodes, which must have exactly ``shape`` and ``dtype``."""
    if not isinstance(doc, dict) or set(doc) != {"shape", "data"}:
        raise FormatError(f"{where} must be an object with keys 'shape' and 'data'")
    if doc["shape"] != list(shape):
        raise FormatError(f"{where} has shape {doc['shape']!r}; expected {list(shape)}")
    if not isinstance(doc["data"], str):
        raise FormatError(f"{where}: 'data' must be a base64 string")
    expected = math.prod(shape) * dtype.itemsize
    if len(doc["data"]) != 4 * -(-expected // 3):  # checked before decoding anything
        raise FormatError(f"{where}: 'data' does not hold {expected} bytes of {dtype.name}")
    try:
        raw = base64.b64decode(doc["data"], validate=True)
    except (binascii.Error, ValueError):
        raise FormatError(f"{where}: 'data' is not valid base64") from None
    if len(raw) != expected:
        raise FormatError(f"{where}: 'data' holds {len(raw)} bytes; expected {expected}")
    array = np.frombuffer(raw, dtype=dtype.newbyteorder("<")).astype(dtype).reshape(shape)
    if finite and not np.isfinite(array).all():
        raise FormatError(f"{where} holds NaN or infinite values")
    return array


def write_json(
    path: str | os.PathLike[str],
    document: dict[str, Any],
    kind: str = "output",
    *,
    force: bool = False,
) -> None:
    """Write a JSON document atomically (a crash leaves the old file or the new, never half) to
    ``path``, a ``kind`` file (see files.check_output_target; ``force`` replaces a file that is
    not one)."""
    with atomic_write(path, "w", kind=kind, force=force, encoding="utf-8") as handle:
        json.dump(document, handle, allow_nan=False, separators=(",", ":"))


def recognise_document(fmt: str) -> Recogniser:
    """A recogniser (see files.register_output_kind) of the JSON documents of format ``fmt`` as
    xentlab writes them: an object whose first key is "format", with the value ``fmt``."""
    start = re.compile(rb'\s*\{\s*"format"\s*:\s*"' + re.escape(fmt.encode("ascii")) + rb'"')
    return lambda head, tail: start.match(head) is not None


def content_digest(document: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``document`` without its checksum key."""
    content = {key: value for key, value in document.items() if key != CHECKSUM_KEY}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def seal(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` as JSON will carry it, with its checksum under "sha256" (replacing any)."""
    try:  # what a reader will see: keys as strings, tuples as lists; NaN refused now
        carried = parse_json(json.dumps(document, allow_nan=False))
    except (TypeError, ValueError) as exc:  # also keys 1 and "1", which JSON would give twice
        raise XentlabError(f"the document cannot be written as JSON: {exc}") from None
    return {**carried, CHECKSUM_KEY: content_digest(carried)}


def check_seal(document: dict[str, Any], path: Any, kind: str) -> None:
    """The checksum rule by version (header already checked): version 1 carries none, later
    versions must carry one that matches the content; else FormatError naming the file."""
    version, claimed = document["version"], document.get(CHECKSUM_KEY)
    if version < SEALED_SINCE:
        if CHECKSUM_KEY in document:
            raise FormatError(
                f"{path} is corrupt: a version-{version} {kind} file has no checksum, yet this "
                f"one has {CHECKSUM_KEY!r} (was its version changed?)"
            )
        return
    if CHECKSUM_KEY not in document:
        raise FormatError(
            f"{path} is corrupt: a version-{version} {kind} file must carry its checksum "
            f"{CHECKSUM_KEY!r}, and this one has none"
        )
    if not isinstance(claimed, str) or not HEX_DIGEST.match(claimed):
        raise FormatError(
            f"{path} is corrupt: its checksum {CHECKSUM_KEY!r} must be 64 lowercase hexadecimal "
            f"digits; got {str(claimed)[:70]!r}"
        )
    try:
        actual = content_digest(document)
    except (ValueError, RecursionError):  # content no JSON writer produces
        actual = ""
    if actual != claimed:
        raise FormatError(
            f"{path} is corrupt: its content does not match its checksum (sha256 {claimed[:16]}..."
            " recorded); the file was damaged or edited after xentlab wrote it"
        )


def read_document(
    path: str | os.PathLike[str], kind: str, fmt: str, version: int
) -> dict[str, Any]:
    """The JSON document of a ``kind`` file: parsed (:func:`read_json`), its header checked
    (:func:`check_header`) and its checksum verified (:func:`check_seal`)."""
    document = read_json(path, kind)
    check_header(document, path, kind, fmt, version)
    check_seal(document, path, kind)
    return document


def read_json(path: str | os.PathLike[str], kind: str) -> dict[str, Any]:
    """Parse a JSON object from ``path``, refusing files too large to be ours and anything that
    is not strict JSON (NaN and Infinity are not JSON)."""
    path = Path(path)
    text = read_bytes_capped(path, kind, MAX_FILE_BYTES)
    try:
        document = parse_json(text)
    except ValueError as exc:  # bad UTF-8 and JSON, a key twice, integers of 4300+ digits
        raise FormatError(f"{path} is not a {kind} file: not JSON ({exc})") from None
    except MemoryError:  # parsed JSON takes several times its text: a file near the cap
        raise FormatError(
            f"{path}: {len(text)} bytes of JSON do not fit in the memory left to parse them"
        ) from None
    if not isinstance(document, dict):
        raise FormatError(f"{path} is not a {kind} file: expected a JSON object")
    return document


class TooManyObjects(ValueError):
    """A document holds more JSON objects than its reader allows (parse_json's ``max_objects``)."""


def parse_json(text: str | bytes, max_objects: int | None = None) -> Any:
    """The value of the JSON document ``text`` (str, or bytes in UTF-8, -16 or -32), strictly:
    an object that gives a key twice, NaN and Infinity (not JSON) are refused, as is anything
    json refuses. The one JSON parser of every document xentlab reads. With ``max_objects``,
    the parse stops with TooManyObjects as soon as the document has shown more objects than
    that (a header of millions of tensors is refused before it has taken seconds).

    Raises ValueError whose message is one line saying why ("the key 'eta' appears twice",
    "Expecting value: line 1 column 7 (char 6)"), for the caller to put after the name of what
    it read; a document nested too deeply to parse is one of these, not a RecursionError."""
    hook = _unique_keys
    if max_objects is not None:
        objects = itertools.count(1)

        def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            if next(objects) > max_objects:
                raise TooManyObjects(f"more than {max_objects} objects")
            return _unique_keys(pairs)

    try:
        return json.loads(text, object_pairs_hook=hook, parse_constant=_not_json)
    except TooManyObjects:
        raise
    except RecursionError:
        raise ValueError("nested too deeply to be read") from None
    except ValueError as exc:  # json's errors, bad UTF-8, the hooks' refusals
        raise ValueError(_one_line(exc)) from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json's ``object_pairs_hook``: the object's keys, each of which must appear once."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"the key {key[:60]!r} appears twice")
        found[key] = value
    return found


def _not_json(name: str) -> Any:
    """json's ``parse_constant``: NaN and Infinity are refused, as strict JSON has neither."""
    raise ValueError(f"{name} is not a JSON value")


def parse_toml(text: str) -> dict[str, Any]:
    """The table of the TOML document ``text``. TOML itself forbids a key given twice (the
    reader refuses it); the message then names the key, which the reader's own does not.

    Raises ValueError with a one-line reason ("the key 'eta' appears twice (line 2)"), and
    XentlabError (also a ValueError: catch it first) where no TOML reader is installed: Python
    3.11 has tomllib; before it, the tomli package is the same reader."""
    toml = _toml_reader()
    try:
        document: dict[str, Any] = toml.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply to be read") from None
    except ValueError as exc:  # tomllib.TOMLDecodeError is a ValueError
        raise ValueError(_toml_reason(text, _one_line(exc))) from None
    return document


def _toml_reader() -> Any:
    for name in ("tomllib", "tomli"):
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError:
            continue
    raise XentlabError(
        "reading TOML needs Python 3.11 or later, or the tomli package (pip install tomli)"
    )


# A TOML key as a line begins it: bare, "quoted" or 'literal' parts joined by dots.
_TOML_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_TOML_KEY = rf"{_TOML_PART}(?:\s*\.\s*{_TOML_PART})*"
_TOML_ASSIGNMENT = re.compile(rf"\s*({_TOML_KEY})\s*=")
_TOML_TABLE = re.compile(rf"\s*\[\[?\s*({_TOML_KEY})\s*\]")
_TOML_WHERE = re.compile(r"\(at line (\d+), column \d+\)|\(at end of document\)")


def _toml_reason(text: str, reason: str) -> str:
    """The reader's reason, with the key named where it refused a key given twice: its message
    ("Cannot overwrite a value (at line 8, column 2)") gives only where the second value ends,
    so the key is the nearest one assigned or declared as a table at or above that line."""
    declared = re.match(r"Cannot declare \((.*)\) twice", reason)
    if declared:  # a table header given twice: ('a', 'b') names it
        parts = re.findall(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"", declared.group(1))
        key = ".".join(single or double for single, double in parts)
        return f"the table {key[:60]!r} appears twice{_toml_line(reason)}"
    inline = re.match(r"Duplicate inline table key '(.*)'", reason)
    if inline:
        return f"the key {inline.group(1)[:60]!r} appears twice{_toml_line(reason)}"
    if not reason.startswith("Cannot overwrite a value"):
        return reason
    where = _TOML_WHERE.search(reason)
    lines = text.splitlines()
    last = int(where.group(1)) if where and where.group(1) else len(lines)
    for line in reversed(lines[:last]):
        found = _TOML_ASSIGNMENT.match(line) or _TOML_TABLE.match(line)
        if found:
            parts = re.findall(_TOML_PART, found.group(1))
            key = ".".join(part.strip("\"'") for part in parts)
            return f"the key {key[:60]!r} appears twice{_toml_line(reason)}"
    return f"a key appears twice{_toml_line(reason)}"


def _toml_line(reason: str) -> str:
    where = _TOML_WHERE.search(reason)
    return f" (line {where.group(1)})" if where and where.group(1) else ""


def _one_line(exc: BaseException) -> str:
    """An exception's message as one line, never empty."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def check_header(document: dict[str, Any], path: Any, kind: str, fmt: str, version: int) -> None:
    """The "format" and "version" fields: ours, and not newer than this xentlab reads."""
    if document.get("format") != fmt:
        raise FormatError(f"{path} is not a {kind} file (format {document.get('format')!r})")
    found = document.get("version")
    if not isinstance(found, int) or isinstance(found, bool) or found < 1:
        raise FormatError(f"{path}: 'version' must be a positive integer; got {found!r}")
    if found > version:
        raise FormatError(
            f"{path} is {kind} format version {found}; this xentlab reads up to version "
            f"{version}: upgrade xentlab"
        )


def require(document: dict[str, Any], key: str, kind: type | tuple[type, ...], path: Any) -> Any:
    """document[key], which must exist and be of the given JSON type."""
    if key not in document:
        raise FormatError(f"{path}: missing key {key!r}")
    value = document[key]
    if isinstance(value, bool) or not isinstance(value, kind):  # JSON true is not a number
        raise FormatError(f"{path}: {key!r} has the wrong type ({type(value).__name__})")
    return value
