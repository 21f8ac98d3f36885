"""Bounded reads: missing files and directories named, files too large refused unread, gzip
content read through and its damage named."""

from __future__ import annotations

import gzip
import re

import pytest

from xentlab.errors import FormatError, XentlabError
from xentlab.files import open_content, open_input, read_bytes_capped, read_capped


def test_open_input_names_a_missing_file(tmp_path):
    path = tmp_path / "absent.json"
    with pytest.raises(XentlabError, match=f"^network file not found: {re.escape(str(path))}$"):
        open_input(path, "network")


def test_open_input_names_a_directory(tmp_path):
    with pytest.raises(
        XentlabError, match=f"^data file is a directory: {re.escape(str(tmp_path))}$"
    ):
        open_input(tmp_path, "data")


def test_read_bytes_capped_refuses_a_file_over_the_limit(tmp_path):
    path = tmp_path / "big.ckpt"
    path.write_bytes(b"x" * 11)
    message = f"^{re.escape(str(path))}: 11 bytes is too large for a checkpoint file$"
    with pytest.raises(FormatError, match=message):
        read_bytes_capped(path, "checkpoint", 10)
    assert read_bytes_capped(path, "checkpoint", 11) == b"x" * 11
    with pytest.raises(XentlabError, match="checkpoint file not found"):
        read_bytes_capped(tmp_path / "absent.ckpt", "checkpoint", 10)


def test_open_content_reads_through_gzip(tmp_path):
    plain, zipped = tmp_path / "plain", tmp_path / "zipped.gz"
    plain.write_bytes(b"\x1f not gzip")
    zipped.write_bytes(gzip.compress(b"inside"))
    for path, content in ((plain, b"\x1f not gzip"), (zipped, b"inside")):
        with open_content(path, "data") as stream:
            assert read_capped(path, stream, 100) == content
    with open_content(zipped, "data") as stream:
        assert read_capped(zipped, stream, 3) == b"ins"
    zipped.write_bytes(gzip.compress(b"inside")[:-6])
    with open_content(zipped, "data") as stream, pytest.raises(FormatError, match="damaged gzip"):
        read_capped(zipped, stream, 100)
