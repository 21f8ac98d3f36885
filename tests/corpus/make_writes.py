"""Regenerate the corpus cases about writing and integrity: ``python tests/corpus/make_writes.py``.

Writes cases/writes.json and the files they need (tests/corpus/files/writes-*, replacing the
previous ones):

- output targets that must be refused before any work: devices, a FIFO (the runner's stdout),
  directories, missing or non-directory parents, names and paths too long for the file system,
  symbolic links to a device, a directory or a missing directory, two outputs naming one file,
  a folder where no file can be made (/proc), figure names whose extension is not png, svg or
  pdf (empty paths: see make_args.py), and files that are not xentlab's of the output's kind
  (a user's notes, an image, a checkpoint where a network would go) as every command's outputs;
- network and checkpoint files with one byte changed (refused as corrupt: the checksum), with
  the checksum missing, malformed or where version 1 has none;
- checkpoints whose generator state has a field of the wrong type or out of range, and numbers
  beyond any float; these are sealed again after the change, so the field check refuses them.

Each case is a command line run in an empty working directory (``{files}`` stands for the files
directory) and the words its one-line error must contain.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from make_corpus import (  # beside this script: run as a script, it is on the path
    Cases,
    mid_epoch_run,
    remove_group_files,
)

from xentlab.formats import checkpoint_document, network_document, seal
from xentlab.model import Network

HERE = Path(__file__).parent
FILES = HERE / "files"
TRAIN = ["train", "--epochs", "1"]
NOT_REGULAR = "not a regular file; xentlab replaces only regular files"
FORMATS = "the extension must be one of png, svg, pdf"


def network_and_checkpoint() -> tuple[dict, dict]:
    """A digits network and a checkpoint of a run stopped in mid-epoch, as JSON documents."""
    state, _, info = mid_epoch_run()  # the same run as the base corpus's checkpoints
    network = network_document(Network.create([64, 5, 10], seed=0), {"dataset": "digits"})
    return json.loads(json.dumps(network)), json.loads(json.dumps(checkpoint_document(state, info)))


def compact(document: dict) -> str:
    """JSON as xentlab writes it: no spaces."""
    return json.dumps(document, separators=(",", ":"))


def flip(text: str, needle: str, offset: int = 0) -> str:
    """``text`` with one character changed, to another of its kind (a digit to a digit, a
    letter to a letter): the one ``offset`` after the first ``needle``."""
    at = text.index(needle) + offset
    old = text[at]
    if old.isdigit():
        new = str((int(old) + 1) % 10)
    elif old.isalpha():
        new = chr(ord(old) - 1) if old in "fzFZ" else chr(ord(old) + 1)
    else:
        new = "A"
    return text[:at] + new + text[at + 1 :]


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def main() -> None:
    remove_group_files("writes-")
    cases = Cases()
    case = cases.add

    # --- output targets: refused before any work ---------------------------------------------
    long_name = "x" * 300
    deep = "d/" * 2500 + "n.json"
    for name, option, target, needle in [
        ("save-dev-null", "--save", "/dev/null", "/dev/null: it is a character device"),
        ("save-dev-zero", "--save", "/dev/zero", "/dev/zero: it is a character device"),
        ("save-dev-stdout", "--save", "/dev/stdout", NOT_REGULAR),  # the runner's pipe
        ("save-directory", "--save", "{files}", "it is a directory"),
        ("save-dot", "--save", ".", "that names a directory"),
        ("save-trailing-slash", "--save", "out/", "out/: that names a directory"),
        ("save-missing-directory", "--save", "{files}/missing/n.json", "missing does not exist"),
        ("save-under-a-file", "--save", "{files}/good.ckpt/n.json", "good.ckpt is not a directory"),
        ("save-name-too-long", "--save", long_name + ".json", "its name is 305 bytes long"),
        ("save-path-too-long", "--save", deep, "the path is 5006 bytes long; at most 4095 fit"),
        ("save-link-to-dev-null", "--save", "{files}/writes-link-to-dev-null.json", NOT_REGULAR),
        ("save-link-to-directory", "--save", "{files}/writes-link-to-directory", "a directory"),
        ("save-dangling-link", "--save", "{files}/writes-dangling-link.json", "does not exist"),
        ("checkpoint-dev-null", "--checkpoint", "/dev/null", "checkpoint file /dev/null: it is"),
        ("checkpoint-dev-full", "--checkpoint", "/dev/full", NOT_REGULAR),
        ("checkpoint-directory", "--checkpoint", "{files}", "it is a directory"),
        ("checkpoint-missing-directory", "--checkpoint", "no/run.ckpt", "no does not exist"),
        ("checkpoint-name-too-long", "--checkpoint", long_name, "its name is 300 bytes long"),
        ("resume-dev-null", "--resume", "/dev/null", "checkpoint file is not a regular file"),
        ("plot-bmp", "--plot", "curves.bmp", f"{FORMATS}; got 'bmp'"),
        ("plot-no-extension", "--plot", "curves", f"{FORMATS}; got ''"),
        ("plot-dev-null", "--plot", "/dev/null", "figure file /dev/null: it is a character"),
        ("plot-directory", "--plot", "{files}", "it is a directory"),
    ]:
        case(f"writes-{name}", [*TRAIN, option, target], needle)
    case(
        "writes-save-over-the-checkpoint",
        [*TRAIN, "--save", "run.ckpt", "--checkpoint", "./run.ckpt"],
        "the network file and the checkpoint file are both",
    )
    os.symlink("/dev/null", FILES / "writes-link-to-dev-null.json")
    os.symlink(".", FILES / "writes-link-to-directory")
    os.symlink("missing/n.json", FILES / "writes-dangling-link.json")
    for name, args, needle in [
        ("neuron-plot-jpg", ["neuron", "--plot", "n.jpg"], f"{FORMATS}; got 'jpg'"),
        ("neuron-plot-missing-directory", ["neuron", "--plot", "no/n.png"], "no does not exist"),
        ("neuron-plot-name-too-long", ["neuron", "--plot", long_name + ".png"], "304 bytes"),
        ("neuron-plot-dev-zero", ["neuron", "--plot", "/dev/zero"], NOT_REGULAR),
        ("slowdown-out-gif", ["slowdown", "--out", "s.gif"], f"{FORMATS}; got 'gif'"),
        ("slowdown-out-svgz", ["slowdown", "--out", "s.svgz"], f"{FORMATS}; got 'svgz'"),
        ("slowdown-out-dev-null", ["slowdown", "--out", "/dev/null"], NOT_REGULAR),
        ("slowdown-out-dot", ["slowdown", "--out", "."], "that names a directory"),
    ]:
        case(f"writes-{name}", args, needle)

    # --- files of the user's where an output would go: never replaced without --force ------
    foreign = "file xentlab wrote; give another name, or add --force to replace it"
    notes, photo = "writes-foreign-notes", "writes-foreign-photo.png"
    (FILES / f"{notes}.json").write_bytes(b'{"my": "notes"}\n')
    (FILES / f"{notes}.csv").write_bytes(b"a,b\n1,2\n")
    (FILES / f"{notes}.html").write_bytes(b"<!DOCTYPE html><title>mine</title>\n")
    (FILES / photo).write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))  # an image, not xentlab's
    for name, args, kind in [
        ("train-save", [*TRAIN, "--save", f"{{files}}/{notes}.json"], "network"),
        ("train-checkpoint", [*TRAIN, "--checkpoint", f"{{files}}/{notes}.json"], "checkpoint"),
        ("train-plot", [*TRAIN, "--plot", f"{{files}}/{photo}"], "figure"),
        (
            "export-to",
            ["export", "{files}/good.ckpt", "--to", f"{{files}}/{notes}.json"],
            "network",
        ),
        ("neuron-plot", ["neuron", "--plot", f"{{files}}/{photo}"], "figure"),
        ("slowdown-out", ["slowdown", "--out", f"{{files}}/{photo}"], "figure"),
        ("saturation-out", ["saturation", "--out", f"{{files}}/{photo}"], "figure"),
        ("compare-out", ["compare", "--out", f"{{files}}/{photo}"], "figure"),
        ("compare-json", ["compare", "--json", f"{{files}}/{notes}.json"], "data"),
        ("compare-csv", ["compare", "--csv", f"{{files}}/{notes}.csv"], "data"),
        ("report-out", ["report", "--out", f"{{files}}/{notes}.html"], "report"),
        ("sweep-figure", ["sweep", "--figure", f"{{files}}/{photo}"], "figure"),
    ]:
        case(f"writes-foreign-{name}", args, f"it exists and is not a {kind} {foreign}")
    case(
        "writes-foreign-checkpoint-as-network",
        [*TRAIN, "--save", "{files}/good.ckpt"],
        f"good.ckpt: it exists and is not a network {foreign}",
    )
    case("writes-save-in-proc", [*TRAIN, "--save", "/proc/net.json"], "file /proc/net.json: ")

    # --- integrity: a byte changed, the checksum missing or malformed ----------------------
    network, checkpoint = network_and_checkpoint()
    sealed_net = compact(seal(network))
    sealed_ckpt = compact(seal(checkpoint))
    evaluate = ["evaluate", "--dataset", "digits"]
    corrupt = "is corrupt: its content does not match its checksum"

    def net_case(name, needle, text, command=evaluate):
        name = f"writes-net-{name}.json"
        case(name, [*command, f"{{files}}/{name}"], needle, text.encode())

    def ckpt_case(name, needle, text, command=("train", "--resume")):
        name = f"writes-ckpt-{name}.ckpt"
        case(name, [*command, f"{{files}}/{name}"], needle, text.encode())

    weight = network["weights"][0]["data"]
    net_case("flipped-weight", corrupt, flip(sealed_net, weight, 100))
    net_case("flipped-bias", corrupt, flip(sealed_net, network["biases"][1]["data"], 3))
    net_case("flipped-meta", corrupt, replace_once(sealed_net, '"digits"', '"digitz"'))
    net_case("flipped-cost", corrupt, replace_once(sealed_net, "cross-entropy", "cross-entropx"))
    net_case("flipped-size", corrupt, replace_once(sealed_net, "[64,5,10]", "[64,5,11]"))
    net_case("flipped-checksum", corrupt, flip(sealed_net, '"sha256":"', 20))
    net_case("flipped-inspect", corrupt, flip(sealed_net, weight, 7), ["data", "inspect"])
    net_case("no-checksum", "must carry its checksum 'sha256'", compact(network))
    net_case(
        "version-1-with-checksum",
        "a version-1 network file has no checksum",
        compact(seal({**network, "version": 1})),
    )
    upper = seal(network)
    upper["sha256"] = upper["sha256"].upper()
    net_case("checksum-uppercase", "64 lowercase hexadecimal digits", compact(upper))
    net_case("checksum-number", "64 lowercase hexadecimal digits", compact({**upper, "sha256": 7}))
    meta = '"meta":{'
    net_case("nan-literal", "not JSON", replace_once(sealed_net, meta, meta + '"x":NaN,'))
    net_case("huge-integer", "not JSON", replace_once(sealed_net, meta, f'{meta}"x":{"9" * 5000},'))

    ckpt_case(
        "flipped-weight",
        corrupt,
        flip(sealed_ckpt, checkpoint["network"]["weights"][1]["data"], 10),
    )
    ckpt_case("flipped-progress", corrupt, replace_once(sealed_ckpt, '"batch":20', '"batch":21'))
    ckpt_case(
        "flipped-rng", corrupt, flip(sealed_ckpt, str(checkpoint["rng"]["state"]["state"]), 5)
    )
    ckpt_case("flipped-order", corrupt, flip(sealed_ckpt, checkpoint["order"]["data"], 40))
    ckpt_case(
        "flipped-fingerprint", corrupt, flip(sealed_ckpt, checkpoint["data"]["fingerprint"], 9)
    )
    ckpt_case("flipped-inspect", corrupt, flip(sealed_ckpt, '"eta":', 6), ("data", "inspect"))
    ckpt_case("no-checksum", "a version-2 checkpoint file must carry", compact(checkpoint))
    ckpt_case(
        "version-1-with-checksum",
        "a version-1 checkpoint file has no checksum",
        compact(seal({**checkpoint, "version": 1})),
    )

    # --- the generator's state, field by field (sealed again after the change) -------------
    def rng_case(name, needle, **changes):
        document = json.loads(json.dumps(checkpoint))
        for key, value in changes.items():
            if key in ("state", "inc"):
                document["rng"]["state"][key] = value
            elif value is KeyError:
                del document["rng"][key]
            else:
                document["rng"][key] = value
        ckpt_case(f"rng-{name}", f"bad training state: rng {needle}", compact(seal(document)))

    in_128 = "must be an integer in [0, 2^128)"
    rng_case("state-negative", f"state.state {in_128}; got -1", state=-1)
    rng_case("state-2-to-128", f"state.state {in_128}", state=2**128)
    rng_case("state-float", f"state.state {in_128}; got 1.5", state=1.5)
    rng_case("state-true", f"state.state {in_128}; got True", state=True)
    rng_case("state-text", f"state.state {in_128}; got '12'", state="12")
    rng_case("inc-even", "state.inc must be odd", inc=2)
    rng_case("inc-2-to-128-plus-1", f"state.inc {in_128}", inc=2**128 + 1)
    rng_case("has-uint32-2", "has_uint32 must be 0 or 1; got 2", has_uint32=2)
    rng_case("has-uint32-true", "has_uint32 must be 0 or 1; got True", has_uint32=True)
    rng_case("uinteger-2-to-32", "uinteger must be an integer in [0, 2^32)", uinteger=2**32)
    rng_case("uinteger-negative", "uinteger must be an integer in [0, 2^32); got -1", uinteger=-1)
    rng_case("missing-uinteger", "lacks key(s) 'uinteger'", uinteger=KeyError)
    rng_case("unknown-key", "has unknown key(s) 'seed'", seed=1)
    huge = json.loads(json.dumps(checkpoint))
    huge["config"]["eta"] = 10**400
    ckpt_case("eta-beyond-float", "eta must be a finite number", compact(seal(huge)))

    (HERE / "cases" / "writes.json").write_text(json.dumps(cases, indent=1) + "\n")
    print(f"{len(cases)} cases in cases/writes.json")


if __name__ == "__main__":
    main()
