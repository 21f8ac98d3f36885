"""The pieces every xentlab file is made of: a JSON object with a format name and version,
a checksum of its content, arrays as base64 of little-endian bytes, and fields read with their
type checked.

Reading parses JSON and checks each field before building anything from it; nothing is executed.

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
        carried = json.loads(json.dumps(document, allow_nan=False))
    except (TypeError, ValueError) as exc:
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
        document = json.loads(text, parse_constant=not_json)
    except (ValueError, RecursionError) as exc:  # bad UTF-8 and JSON; integers of 4300+ digits
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FormatError(f"{path} is not a {kind} file: not JSON ({reason})") from None
    except MemoryError:  # parsed JSON takes several times its text: a file near the cap
        raise FormatError(
            f"{path}: {len(text)} bytes of JSON do not fit in the memory left to parse them"
        ) from None
    if not isinstance(document, dict):
        raise FormatError(f"{path} is not a {kind} file: expected a JSON object")
    return document


def not_json(name: str) -> Any:
    """json's ``parse_constant``: NaN and Infinity are refused, as strict JSON has neither (the
    one copy: xentlab's files, safetensors headers and sweep files are parsed with it)."""
    raise ValueError(f"{name} is not a JSON value")


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
