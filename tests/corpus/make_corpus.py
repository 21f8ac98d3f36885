"""Regenerate the bad-input corpus: ``python tests/corpus/make_corpus.py``.

Writes malformed files into tests/corpus/files/ and the list of cases into cases/base.json,
replacing the files of its previous cases (other scripts' files there are left alone). Network
and checkpoint documents are sealed (given their checksum) after they are changed, so that each
case reaches the check it is about rather than the checksum. Each case is a command line
(``{files}`` stands for the files directory, ``{mnist}`` for a valid small MNIST directory the
test builds, with one file replaced by the case's ``replace``) and the words its one-line error
must contain.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import pickle
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np

from xentlab.data import LabelledData, load_dataset
from xentlab.formats import CHECKPOINT_VERSION, checkpoint_document, network_document, seal
from xentlab.model import Network
from xentlab.training import TrainConfig, TrainState, check_labelled, fit

HERE = Path(__file__).parent
FILES = HERE / "files"


def idx(array, magic=None, dims=None) -> bytes:
    shape = array.shape if dims is None else dims
    head = magic if magic is not None else b"\x00\x00\x08" + bytes([len(shape)])
    return head + struct.pack(f">{len(shape)}I", *shape) + np.asarray(array, np.uint8).tobytes()


def gz(raw: bytes) -> bytes:
    return gzip.compress(raw, mtime=0)


class System:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


class Eval:
    def __reduce__(self):
        return (eval, ("open('pwned', 'w').close()",))


class Popen:
    def __reduce__(self):
        return (subprocess.Popen, (["touch", "pwned"],))


def mid_epoch_run() -> tuple[TrainState, LabelledData, dict]:
    """A [64, 5, 10] digits run stopped at mini-batch 20 of its first epoch: its state, its
    training data and the data description a checkpoint of it records."""
    digits = load_dataset("digits", seed=0)
    state = TrainState.start(Network.create([64, 5, 10], seed=0), TrainConfig(epochs=3, seed=0))
    training = check_labelled(state.network, digits.train.X, digits.train.labels, "t")

    class Stop:
        def on_batches(self, st, done, total):
            if st.batch >= 20:
                raise KeyboardInterrupt

        def on_epoch(self, st, record):
            pass

    try:
        fit(state, training, observers=[Stop()], chunk=10)
    except KeyboardInterrupt:
        pass
    info = {
        "dataset": "digits",
        "split_seed": 0,
        "n": len(training.X),
        "fingerprint": training.fingerprint(),
    }
    return state, training, info


class Cases(list):
    """The cases of one group of the corpus, as its script makes them: ``add`` writes a case's
    file into files/ (when it has content) and records the command line and the part of the
    message expected, with any extra keys (those given as None are left out)."""

    def add(self, name, args, needle, content=None, **extra) -> None:
        if content is not None:
            (FILES / name).write_bytes(content)
        extra = {key: value for key, value in extra.items() if value is not None}
        self.append({"name": name, "args": args, "needle": needle, **extra})


def remove_group_files(prefix: str) -> None:
    """Remove what a group's script wrote last time: every file, link and folder in files/
    whose name starts with ``prefix``."""
    FILES.mkdir(exist_ok=True)
    for old in FILES.glob(f"{prefix}*"):
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old)
        else:
            old.unlink()


def remove_previous_files() -> None:
    """Remove the files this script wrote last time: those its cases name, and good.ckpt."""
    previous = HERE / "cases" / "base.json"
    names = [c["name"] for c in json.loads(previous.read_text())] if previous.exists() else []
    for name in [*names, "good.ckpt"]:
        (FILES / name).unlink(missing_ok=True)


def main() -> None:
    FILES.mkdir(exist_ok=True)
    remove_previous_files()
    cases = Cases()
    case = cases.add

    inspect = ["data", "inspect", "--kind", "idx"]
    images = np.arange(2 * 28 * 28).reshape(2, 28, 28) % 256
    good = idx(images)
    # --- IDX files, one by one --------------------------------------------------------------
    case("idx-empty", [*inspect, "{files}/idx-empty"], "too short", b"")
    case(
        "idx-wrong-magic",
        [*inspect, "{files}/idx-wrong-magic"],
        "not an IDX file",
        idx(images, magic=b"\x01\x02\x08\x03"),
    )
    case(
        "idx-float-type",
        [*inspect, "{files}/idx-float-type"],
        "type 0x0d is not supported",
        idx(images, magic=b"\x00\x00\x0d\x03"),
    )
    case(
        "idx-zero-dimensions",
        [*inspect, "{files}/idx-zero-dimensions"],
        "dimension count 0",
        b"\x00\x00\x08\x00",
    )
    case(
        "idx-five-dimensions",
        [*inspect, "{files}/idx-five-dimensions"],
        "dimension count 5",
        b"\x00\x00\x08\x05" + b"\x00\x00\x00\x01" * 5 + b"\x00",
    )
    case(
        "idx-truncated-header",
        [*inspect, "{files}/idx-truncated-header"],
        "truncated IDX header",
        good[:9],
    )
    case(
        "idx-fewer-bytes-than-declared",
        [*inspect, "{files}/idx-fewer-bytes-than-declared"],
        "truncated",
        good[:-100],
    )
    case(
        "idx-more-bytes-than-declared",
        [*inspect, "{files}/idx-more-bytes-than-declared"],
        "longer than declared",
        good + b"\x00" * 7,
    )
    case(
        "idx-declares-more-images",
        [*inspect, "{files}/idx-declares-more-images"],
        "truncated",
        idx(images, dims=(3, 28, 28)),
    )
    case(
        "idx-4e9-images-declared.gz",
        [*inspect, "{files}/idx-4e9-images-declared.gz"],
        "more than xentlab reads",
        gz(idx(images[:1], dims=(4_000_000_000, 28, 28))),
    )
    case(
        "idx-10e12-bytes-declared",
        [*inspect, "{files}/idx-10e12-bytes-declared"],
        "more than xentlab reads",
        idx(images[:1], dims=(1_000_000, 1_000, 1_000)),
    )
    case(
        "idx-truncated.gz",
        [*inspect, "{files}/idx-truncated.gz"],
        "damaged gzip",
        gz(good)[: len(gz(good)) // 2],
    )
    corrupt = bytearray(gz(good))
    corrupt[20:40] = b"\xff" * 20
    case("idx-corrupt.gz", [*inspect, "{files}/idx-corrupt.gz"], "damaged gzip", bytes(corrupt))
    bad_crc = bytearray(gz(good))
    bad_crc[-8] ^= 0xFF
    case("idx-bad-crc.gz", [*inspect, "{files}/idx-bad-crc.gz"], "damaged gzip", bytes(bad_crc))
    case(
        "idx-gzip-header-only.gz",
        [*inspect, "{files}/idx-gzip-header-only.gz"],
        "damaged gzip",
        gz(good)[:10],
    )
    case("idx-missing", [*inspect, "{files}/no-such-file"], "data file not found")

    # --- an MNIST directory with one bad file -----------------------------------------------
    train_mnist = ["train", "--dataset", "mnist", "--data-dir", "{mnist}", "--epochs", "1"]
    case(
        "mnist-label-10.gz",
        train_mnist,
        "labels must be digits 0..9; found 10",
        gz(idx(np.full(7, 10))),
        replace="t10k-labels-idx1-ubyte.gz",
    )
    case(
        "mnist-label-255.gz",
        train_mnist,
        "labels must be digits 0..9; found 255",
        gz(idx(np.full(10_012, 255))),
        replace="train-labels-idx1-ubyte.gz",
    )
    case(
        "mnist-fewer-labels.gz",
        train_mnist,
        "7 images but",
        gz(idx(np.zeros(6))),
        replace="t10k-labels-idx1-ubyte.gz",
    )
    case(
        "mnist-labels-2d.gz",
        train_mnist,
        "labels must be 1-D",
        gz(idx(np.zeros((7, 1)))),
        replace="t10k-labels-idx1-ubyte.gz",
    )
    case(
        "mnist-images-2d.gz",
        train_mnist,
        "images must be 3-D",
        gz(idx(np.zeros((7, 784)))),
        replace="t10k-images-idx3-ubyte.gz",
    )
    case(
        "mnist-test-images-27-columns.gz",
        train_mnist,
        "test images",
        gz(idx(np.zeros((7, 28, 27)))),
        replace="t10k-images-idx3-ubyte.gz",
    )
    case(
        "mnist-fewer-training-images.gz",
        train_mnist,
        "holds 9000 images but",
        gz(idx(np.zeros((9_000, 28, 28)))),
        replace="train-images-idx3-ubyte.gz",
    )
    case(
        "mnist-truncated-test-labels.gz",
        train_mnist,
        "damaged gzip",
        gz(idx(np.zeros(7)))[:-6],
        replace="t10k-labels-idx1-ubyte.gz",
    )

    # --- network files ----------------------------------------------------------------------
    net = Network.create([64, 5, 10], seed=0)
    doc = network_document(net, {"dataset": "digits"})
    evaluate = ["evaluate", "--dataset", "digits"]

    def net_case(name, needle, mutate=None, raw=None):
        if raw is None:
            d = json.loads(json.dumps(doc))
            mutate(d)
            raw = json.dumps(seal(d)).encode()
        case(name, [*evaluate, f"{{files}}/{name}"], needle, raw)

    net_case("net-empty.json", "not JSON", raw=b"")
    net_case("net-not-json.json", "not JSON", raw=b"weights: [1, 2, 3]\n")
    net_case("net-binary.json", "not JSON", raw=bytes(range(256)))
    net_case("net-array.json", "expected a JSON object", raw=b"[1, 2, 3]")
    net_case("net-deep-nesting.json", "not JSON", raw=b"[" * 200_000)
    net_case("net-missing-weights.json", "missing key 'weights'", lambda d: d.pop("weights"))
    net_case("net-missing-format.json", "not a network file", lambda d: d.pop("format"))
    net_case("net-newer-version.json", "upgrade xentlab", lambda d: d.update(version=99))
    net_case(
        "net-wrong-shape.json", "expected [64, 5]", lambda d: d["weights"][0].update(shape=[5, 64])
    )
    net_case("net-float16.json", "dtype must be one of", lambda d: d.update(dtype="float16"))
    net_case("net-dtype-lies.json", "does not hold", lambda d: d.update(dtype="float64"))
    nan_w = np.full((64, 5), np.nan, np.float32)
    net_case(
        "net-nan-weights.json",
        "NaN or infinite",
        lambda d: d["weights"].__setitem__(
            0, {"shape": [64, 5], "data": base64.b64encode(nan_w.tobytes()).decode()}
        ),
    )
    net_case(
        "net-gigantic-sizes.json", "at most", lambda d: d.update(sizes=[64, 1_000_000_000_000, 10])
    )
    net_case(
        "net-bad-base64.json",
        "not valid base64",
        lambda d: d["biases"][0].update(data="!" * len(d["biases"][0]["data"])),
    )
    net_case("net-unknown-cost.json", "cost must be one of", lambda d: d.update(cost="hinge"))
    net_case(
        "net-sizes-strings.json",
        "'sizes' must be a list of integers",
        lambda d: d.update(sizes=["64", "5", "10"]),
    )
    net_case(
        "net-784-inputs-on-digits.json",
        "whose 784 inputs do not fit digits (64 inputs)",
        lambda d: d.update(network_document(Network.create([784, 5, 10]))),
    )

    # --- checkpoints ------------------------------------------------------------------------
    state, training, info = mid_epoch_run()
    ckpt = checkpoint_document(state, info)
    (FILES / "good.ckpt").write_text(json.dumps(seal(ckpt)))

    def ckpt_case(name, needle, mutate=None, raw=None):
        if raw is None:
            d = json.loads(json.dumps(ckpt))
            mutate(d)
            raw = json.dumps(seal(d)).encode()
        case(name, ["train", "--resume", f"{{files}}/{name}"], needle, raw)

    ckpt_case("ckpt-empty.ckpt", "not JSON", raw=b"")
    ckpt_case("ckpt-truncated.ckpt", "not JSON", raw=json.dumps(seal(ckpt)).encode()[:500])
    ckpt_case("ckpt-missing-rng.ckpt", "missing key 'rng'", lambda d: d.pop("rng"))
    ckpt_case(
        "ckpt-newer-version.ckpt",
        "upgrade xentlab",
        lambda d: d.update(version=CHECKPOINT_VERSION + 1),
    )
    ckpt_case(
        "ckpt-a-network-file.ckpt",
        "not a checkpoint file",
        lambda d: d.update(format="xentlab.network"),
    )
    ckpt_case(
        "ckpt-wrong-weight-shape.ckpt",
        "expected [64, 5]",
        lambda d: d["network"]["weights"][0].update(shape=[5, 64]),
    )
    ckpt_case(
        "ckpt-nan-weights.ckpt",
        "NaN or infinite",
        lambda d: d["network"]["weights"].__setitem__(
            0, {"shape": [64, 5], "data": base64.b64encode(nan_w.tobytes()).decode()}
        ),
    )
    ckpt_case(
        "ckpt-impossible-progress.ckpt", "impossible", lambda d: d["progress"].update(batch=10**9)
    )
    ckpt_case(
        "ckpt-order-not-permutation.ckpt",
        "not a permutation",
        lambda d: d.update(
            order={
                "shape": [len(training.X)],
                "data": base64.b64encode(np.zeros(len(training.X), "<i8").tobytes()).decode(),
            }
        ),
    )
    ckpt_case("ckpt-negative-eta.ckpt", "eta must be", lambda d: d["config"].update(eta=-0.5))
    ckpt_case("ckpt-other-rng.ckpt", "PCG64", lambda d: d["rng"].update(bit_generator="MT19937"))
    ckpt_case(
        "ckpt-other-data.ckpt",
        "other digits data",
        lambda d: d["data"].update(fingerprint="0" * 64),
    )
    ckpt_case("ckpt-other-shape.ckpt", "holds a network with sizes 64,5,10", lambda d: None)
    cases[-1]["args"] += ["--sizes", "64,30,10"]
    ckpt_case(
        "ckpt-history-text-cost.ckpt",
        "history record 1 training_cost must be a finite number",
        lambda d: d["history"].update(
            records=[
                {
                    "epoch": 1,
                    "eta": 0.5,
                    "training_cost": "low",
                    "training_accuracy": 0.9,
                    "evaluation_cost": None,
                    "evaluation_accuracy": None,
                    "seconds": 1.0,
                }
            ]
        ),
    )

    # --- pickles ------------------------------------------------------------------------------
    pkl_inspect = ["data", "inspect", "--kind", "pkl"]
    for name, payload in [
        ("pkl-os-system.pkl.gz", System()),
        ("pkl-eval.pkl.gz", Eval()),
        ("pkl-popen.pkl.gz", Popen()),
        ("pkl-nested-os-system.pkl.gz", ((np.zeros(2), System()), 1, 2)),
    ]:
        case(
            name,
            [*pkl_inspect, f"{{files}}/{name}"],
            "refused to load",
            gz(pickle.dumps(payload, protocol=2)),
        )
    case(
        "pkl-not-a-pickle.pkl.gz",
        [*pkl_inspect, "{files}/pkl-not-a-pickle.pkl.gz"],
        "not a readable pickle",
        gz(b"hello, world"),
    )
    case(
        "pkl-two-splits.pkl.gz",
        [*pkl_inspect, "{files}/pkl-two-splits.pkl.gz"],
        "expected a tuple",
        gz(pickle.dumps((1, 2), protocol=2)),
    )
    case(
        "pkl-wrong-columns.pkl.gz",
        [*pkl_inspect, "{files}/pkl-wrong-columns.pkl.gz"],
        "(n, 784)",
        gz(
            pickle.dumps(
                tuple((np.zeros((2, 10), np.float32), np.zeros(2, np.int64)) for _ in range(3)),
                protocol=2,
            )
        ),
    )

    # --- command-line arguments ---------------------------------------------------------------
    for name, args, needle in [
        ("arg-eta-not-a-number", ["train", "--eta", "abc"], "invalid float value"),
        ("arg-eta-negative", ["train", "--eta", "-1"], "eta must be"),
        ("arg-eta-nan", ["train", "--eta", "nan"], "eta must be"),
        ("arg-epochs-zero", ["train", "--epochs", "0"], "epochs must be"),
        ("arg-epochs-float", ["train", "--epochs", "2.5"], "invalid int value"),
        ("arg-batch-size-zero", ["train", "--batch-size", "0"], "--batch-size must be"),
        ("arg-batch-size-huge", ["train", "--batch-size", "99999999"], "at most"),
        ("arg-lmbda-negative", ["train", "--lmbda", "-0.1"], "lmbda must be"),
        ("arg-lmbda-inf", ["train", "--lmbda", "inf"], "lmbda must be"),
        ("arg-sizes-negative", ["train", "--sizes", "64,-5,10"], "layer size must be"),
        ("arg-sizes-one-layer", ["train", "--sizes", "64"], "sizes must"),
        ("arg-sizes-huge", ["train", "--sizes", "64,999999999999,10"], "at most"),
        ("arg-seed-negative", ["train", "--seed", "-3"], "seed must be"),
        ("arg-unknown-cost", ["train", "--cost", "hinge"], "invalid choice"),
        ("arg-unknown-dataset", ["train", "--dataset", "cifar"], "invalid choice"),
        ("arg-early-stop-zero", ["train", "--early-stop", "0"], "--early-stop must be"),
        ("arg-neuron-y-2", ["neuron", "--y", "2"], "y must lie in [0, 1]"),
        ("arg-neuron-w-inf", ["neuron", "--w", "inf"], "w must be finite"),
        ("arg-neuron-eta-zero", ["neuron", "--eta", "0"], "eta must be"),
        ("arg-slowdown-epochs-negative", ["slowdown", "--epochs", "-5"], "epochs must be"),
        ("arg-unknown-command", ["frobnicate"], "invalid choice"),
    ]:
        case(name, args, needle)
    (HERE / "cases" / "base.json").write_text(json.dumps(cases, indent=1) + "\n")
    print(f"{len(cases)} cases, {len(list(FILES.iterdir()))} files in {FILES}")


if __name__ == "__main__":
    main()
