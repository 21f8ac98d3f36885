"""Where MNIST and Fashion-MNIST can be downloaded from, and the checksums that prove a copy.

Every checksum is the SHA-256 of a file's uncompressed content: the gzip wrapper differs between
copies (Debian re-compressed Fashion-MNIST, mirrors may too), the bytes inside must not. The
same sums tell which data set a folder of IDX files holds (:func:`identify`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .. import checks
from ..files import open_content, open_input, read_capped

CHECKSUMS: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte": (
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
        ),
        "train-labels-idx1-ubyte": (
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
        ),
        "t10k-images-idx3-ubyte": (
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
        ),
        "t10k-labels-idx1-ubyte": (
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
        ),
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": (
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"
        ),
        "train-labels-idx1-ubyte": (
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"
        ),
        "t10k-images-idx3-ubyte": (
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"
        ),
        "t10k-labels-idx1-ubyte": (
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"
        ),
    },
}
FETCHABLE = checks.OneOf(tuple(CHECKSUMS))
MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion-mnist": (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
}
# The file whose content names the data set: the test labels, 10,008 bytes in both.
IDENTIFYING_FILE = "t10k-labels-idx1-ubyte"
_IDENTIFYING_BYTES = 10_008


def sha256_of_content(path: str | os.PathLike[str]) -> str:
    """SHA-256 of the file's uncompressed bytes (gunzipped first if it is gzip)."""
    path = Path(path)
    digest = hashlib.sha256()
    with open_content(path, "data") as stream:
        while chunk := read_capped(path, stream, 1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_of_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 of the file's bytes as they are on disk."""
    digest = hashlib.sha256()
    with open_input(path, "data") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def identify(path: str | os.PathLike[str]) -> str | None:
    """The data set whose test labels ``path`` holds (gzipped or not), by the SHA-256 of its
    content, or None for any other content. Only as many bytes as the test labels have are
    read (and one more): a large file is no known data set's."""
    path = Path(path)
    with open_content(path, "data") as stream:
        content = read_capped(path, stream, _IDENTIFYING_BYTES + 1)
    digest = hashlib.sha256(content).hexdigest()
    return next(
        (name for name, sums in CHECKSUMS.items() if sums[IDENTIFYING_FILE] == digest), None
    )
