"""Regenerate the document cases of the bad-input corpus: ``python tests/corpus/make_documents.py``.

Writes files named ``documents-*`` into tests/corpus/files/ and the cases into
cases/documents.json: documents that give a key twice, which xentlab refuses by name wherever it
reads JSON or TOML: sweep files (a setting twice at the top, in a grid's table, a table declared
twice), a network file and a checkpoint with a key inserted twice ahead of the sealed one (their
checksums still match what a lenient parser keeps), and a safetensors network whose metadata
'xentlab_meta' gives a key twice (sealed again); and `serve --trusted-proxy` given something
that is not an IP address or network.
"""

from __future__ import annotations

import json
from pathlib import Path

from make_corpus import Cases, remove_group_files  # beside this script

from xentlab.formats import (
    network_document,
    read_safetensors,
    save_safetensors,
    seal,
    write_safetensors,
)
from xentlab.formats.safetensors_network import CHECKSUM, _digest
from xentlab.model import Network

HERE = Path(__file__).parent
FILES = HERE / "files"
SWEEP = ["sweep", "--yes", "--out", "{tmp}/sweep-out"]


def sealed_network() -> str:
    return json.dumps(seal(network_document(Network.create([64, 5, 10], seed=0))))


def safetensors_meta_twice() -> bytes:
    path = FILES / "documents-scratch.safetensors"
    save_safetensors(Network.create([64, 5, 10], seed=0), path, {"dataset": "digits"})
    tensors = read_safetensors(path)
    metadata = dict(tensors.metadata)
    metadata["xentlab_meta"] = '{"dataset": "digits", "dataset": "mnist"}'
    del metadata[CHECKSUM]
    metadata[CHECKSUM] = _digest(metadata, tensors.arrays)
    write_safetensors(path, tensors.arrays, metadata, force=True)
    content = path.read_bytes()
    path.unlink()
    return content


def main() -> None:
    remove_group_files("documents-")
    cases = Cases()
    sweeps = [
        ("eta-twice.json", b'{"eta": 0.1, "eta": 5}', "is not JSON: the key 'eta' appears twice"),
        ("eta-twice.toml", b"eta = 0.1\neta = 5\n", "is not TOML: the key 'eta' appears twice"),
        (
            "grid-cost-twice.json",
            b'{"seed": [1], "grid": [{"cost": "quadratic", "cost": "cross-entropy"}]}',
            "is not JSON: the key 'cost' appears twice",
        ),
        (
            "grid-hidden-twice.toml",
            b"seed = [1, 2]\n[[grid]]\nhidden = [30]\nhidden = [100]\n",
            "is not TOML: the key 'hidden' appears twice (line 4)",
        ),
        (
            "table-twice.toml",
            b'cost = ["quadratic"]\n[extra]\nx = 1\n[extra]\ny = 2\n',
            "is not TOML: the table 'extra' appears twice (line 4)",
        ),
        (
            "inline-twice.toml",
            b"grid = [{eta = 1, eta = 2}]\n",
            "is not TOML: the key 'eta' appears twice (line 1)",
        ),
    ]
    for name, content, needle in sweeps:
        name = f"documents-sweep-{name}"
        cases.add(name, [*SWEEP, f"{{files}}/{name}"], needle, content)

    network = sealed_network().replace('"cost": ', '"cost": "quadratic", "cost": ', 1)
    cases.add(
        "documents-net-cost-twice.json",
        ["evaluate", "{files}/documents-net-cost-twice.json"],
        "not JSON (the key 'cost' appears twice)",
        network.encode(),
    )
    checkpoint = (
        (FILES / "good.ckpt").read_text().replace('"version":', '"version":1,"version":', 1)
    )
    cases.add(
        "documents-ckpt-version-twice.ckpt",
        ["train", "--resume", "{files}/documents-ckpt-version-twice.ckpt"],
        "not JSON (the key 'version' appears twice)",
        checkpoint.encode(),
    )
    cases.add(
        "documents-safetensors-meta-twice.safetensors",
        ["evaluate", "{files}/documents-safetensors-meta-twice.safetensors"],
        "'xentlab_meta' must be a JSON object; it is not JSON (the key 'dataset' appears twice)",
        safetensors_meta_twice(),
    )
    for name, proxy in [("hostname", "proxy.example"), ("everyone", "*"), ("port", "10.0.0.1:80")]:
        cases.add(
            f"documents-serve-trusted-proxy-{name}",
            ["serve", "--port", "0", "--trusted-proxy", proxy],
            "--trusted-proxy must be an IP address or network",
        )
    (HERE / "cases" / "documents.json").write_text(json.dumps(cases, indent=1) + "\n")
    print(f"{len(cases)} cases")


if __name__ == "__main__":
    main()
