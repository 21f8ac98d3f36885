"""What the compiled loops share: compiling once per machine, asking the CPU to load memory
ahead and to find a set bit, and inputs as compressed rows (their non-zero entries: most
pixels are 0)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

from ..compiling import compiled

CACHE_LINE = 64  # bytes
# The modules whose functions the compiled loops (training, measuring) inline into one another.
COMPILED_MODULES = (
    "compiled_support",
    "compiled_math",
    "compiled_layers",
    "compiled_input",
    "compiled_loop",
    "compiled_outputs",
    "compiled_forward",
    "compiled_probe",
)
SOURCES_STAMP = "compiled-sources.sha256"


def forget_stale_machine_code(folder: Path = Path(__file__).parent) -> bool:
    """Remove the compiled modules' machine code cached beside them if any of their sources
    changed since it was written; whether it did. numba checks only the file of the function
    it loads, but the loop inlines functions from all of them: without this, a change to
    ``compiled_layers`` would leave the cached loop running the old layers. (An installed
    package changes all its files at once; a cache elsewhere, NUMBA_CACHE_DIR or numba's
    per-user one, is left to numba.)"""
    digest = hashlib.sha256()
    try:
        for name in COMPILED_MODULES:
            digest.update((folder / f"{name}.py").read_bytes())
    except OSError:  # no sources to compare (a frozen package): as numba does
        return False
    cache, stamp = folder / "__pycache__", digest.hexdigest()
    try:
        if (cache / SOURCES_STAMP).read_text(encoding="ascii") == stamp:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    written = ""
    try:
        cache.mkdir(exist_ok=True)
        for name in COMPILED_MODULES:
            for path in cache.glob(f"{name}.*.nb[ic]"):
                path.unlink(missing_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=cache, delete=False, encoding="ascii") as new:
            written = new.name
            new.write(stamp)
        os.replace(written, cache / SOURCES_STAMP)
        written = ""
    except OSError:  # not writable: numba caches elsewhere (or not at all)
        pass
    finally:
        if written:
            with contextlib.suppress(OSError):
                os.unlink(written)
    return True


forget_stale_machine_code()


@intrinsic
def prefetch(typingctx, array, index):  # type: ignore[no-untyped-def]
    """Ask the CPU to start loading the cache line of array[index] (a hint: it changes no
    result). The examples of a mini-batch lie anywhere in the training set, so their rows
    are fetched one mini-batch ahead rather than waited for."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        array_type = signature.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(
            context, builder, array_type, view, [args[1]], wraparound=False
        )
        byte_pointer, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]),
            "llvm.prefetch.p0",
        )
        # read (0), keep in all cache levels (3), data (1)
        builder.call(function, [builder.bitcast(pointer, byte_pointer), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(array, index), codegen


@intrinsic
def lowest_set_bit(typingctx, bits):  # type: ignore[no-untyped-def]
    """The index of the lowest set bit of a non-zero integer (LLVM's count of trailing zeros: one
    instruction on x86-64 and ARM)."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        (value,) = args
        function = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(value.type, [value.type, ir.IntType(1)]),
            f"llvm.cttz.i{value.type.width}",
        )
        return builder.call(function, [value, ir.IntType(1)(1)])  # 1: bits == 0 is undefined

    return bits(bits), codegen


@compiled
def prefetch_batch(indptr, indices, values, targets, outputs, order, lo, hi, ahead):  # type: ignore[no-untyped-def]
    """Start loading the compressed rows and targets (``targets``: Y flattened, ``outputs``
    wide) of examples order[lo:hi], and the row pointers of the ``ahead`` examples after them
    (needed to find those rows next time)."""
    n = order.shape[0]
    for q in range(hi, min(hi + ahead, n)):
        prefetch(indptr, order[q])
    index_step = CACHE_LINE // indices.itemsize
    value_step = CACHE_LINE // values.itemsize
    for q in range(lo, min(hi, n)):
        row = order[q]
        start, end = indptr[row], indptr[row + 1]
        for p in range(start, end, index_step):
            prefetch(indices, p)
        for p in range(start, end, value_step):
            prefetch(values, p)
        prefetch(targets, row * outputs)


@compiled
def count_nonzero_rows(X, counts):  # type: ignore[no-untyped-def]
    """counts[r] = the non-zero entries of row r; returns their total."""
    total = 0
    for r in range(X.shape[0]):
        found = 0
        for i in range(X.shape[1]):
            if X[r, i] != 0:
                found += 1
        counts[r] = found
        total += found
    return total


@compiled
def fill_rows(X, indptr, indices, values):  # type: ignore[no-untyped-def]
    """Compressed rows of X: row r's non-zero entries are values[indptr[r]:indptr[r + 1]], in
    columns indices[...], in column order (indptr already holds the running counts)."""
    for r in range(X.shape[0]):
        p = indptr[r]
        for i in range(X.shape[1]):
            if X[r, i] != 0:
                indices[p] = i
                values[p] = X[r, i]
                p += 1
