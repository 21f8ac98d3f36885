"""Downloading MNIST and Fashion-MNIST with checksums: each file from the first mirror that
serves it, verified by the SHA-256 of its content before it takes its final name, so that
nothing half-downloaded or corrupt is ever left where a reader would take it, and a fetch that
fails leaves no folder of its own making behind."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import FormatError, XentlabError
from .location import cache_dir
from .sources import CHECKSUMS, FETCHABLE, MIRRORS, sha256_of_content


def _checksum_matches(path: Path, digest: str) -> bool:
    """Whether the content of ``path`` has the SHA-256 ``digest``; damaged files do not."""
    try:
        return sha256_of_content(path) == digest
    except (XentlabError, OSError):
        return False


def fetch(
    name: str,
    dest: str | os.PathLike[str] | None = None,
    mirrors: Sequence[str] | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    timeout: float = 30.0,
    on_download: Callable[[str], None] | None = None,
) -> Path:
    """Download the four gzipped IDX files of ``name`` into ``dest`` (default: the cache),
    trying each mirror in turn, and verify the SHA-256 of their content. A file is written under
    a temporary name and renamed only once verified: nothing half-downloaded is ever left. If a
    file cannot be fetched, the folders this call created are removed again when empty, and the
    error says where files fetched by hand belong. ``on_download(url)`` is told as each download
    begins (a file already there and verified is not downloaded), then ``progress(bytes done,
    bytes in all or None)`` as its bytes arrive."""
    FETCHABLE.check("name", name)
    target = Path(dest) if dest is not None else cache_dir() / name
    created = [d for d in (target, *target.parents) if not d.exists()]
    target.mkdir(parents=True, exist_ok=True)
    try:
        for stem, digest in CHECKSUMS[name].items():
            _fetch_file(name, stem, digest, target, mirrors, progress, timeout, on_download)
    except BaseException:
        for directory in created:  # innermost first; a folder that is not empty stays
            try:
                directory.rmdir()
            except OSError:
                break
        raise
    return target


def _fetch_file(
    name: str,
    stem: str,
    digest: str,
    target: Path,
    mirrors: Sequence[str] | None,
    progress: Callable[[int, int | None], None] | None,
    timeout: float,
    on_download: Callable[[str], None] | None,
) -> None:
    """``target/stem.gz``, kept if it is already verified, else downloaded from a mirror."""
    import http.client  # the network's libraries, only when something is to be downloaded

    final = target / f"{stem}.gz"
    if final.exists() and _checksum_matches(final, digest):
        return
    errors = []
    for mirror in mirrors or MIRRORS[name]:
        try:
            url = mirror.rstrip("/") + f"/{stem}.gz"
            if on_download is not None:
                on_download(url)
            _download(url, final, digest, progress, timeout)
            return
        except (OSError, http.client.HTTPException, FormatError) as exc:
            errors.append(f"{mirror}: {getattr(exc, 'reason', exc)}")
    by_hand = ", ".join(f"{s}.gz" for s in CHECKSUMS[name])
    raise XentlabError(
        f"could not fetch {stem}.gz; " + "; ".join(errors) + f"; to fetch {name} by hand, put "
        f"{by_hand} (gzipped or not) in {target}"
    )


def _download(
    url: str,
    final: Path,
    digest: str,
    progress: Callable[[int, int | None], None] | None,
    timeout: float,
) -> None:
    import urllib.request

    partial = final.with_name(f".{final.name}.part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, partial.open("wb") as out:
            total = response.headers.get("Content-Length")
            total = int(total) if total and total.isdigit() else None
            done = 0
            while chunk := response.read(1 << 16):
                out.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
            if total is not None and done != total:
                raise FormatError(f"{url}: connection ended after {done} of {total} bytes")
            out.flush()
            os.fsync(out.fileno())
        if not _checksum_matches(partial, digest):
            raise FormatError(f"{url}: checksum mismatch: the file is corrupt or not {final.name}")
        os.replace(partial, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
