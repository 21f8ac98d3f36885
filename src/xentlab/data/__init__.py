"""Data sets: MNIST and Fashion-MNIST (IDX files), the book's mnist.pkl.gz, the embedded digits.

This package's face: every name other code uses is here, so ``from xentlab import data`` then
``data.load_dataset(...)`` is all a caller needs. Each job has its own module:

- ``labelled``: LabelledData (inputs as rows, integer labels), TargetData (inputs as rows,
  targets Y in [0, 1]), TrainingData (either) and Dataset (three labelled parts)
- ``idx``: reading IDX files
- ``mnist_pkl``: the book's pickle, read without running code
- ``sets``: the data sets xentlab knows, and loading one (or one split of one) by name
- ``cache``: DatasetCache, each data set loaded once per process (a sweep's worker)
- ``decoded_cache``: what each data set's files decode to, kept on disk in xentlab's cache
  folder and read back by later processes, checked (its sources unchanged, its bytes intact)
- ``location``: where data lives (argument, $XENTLAB_DATA, the per-user cache)
- ``sources``: the mirrors and content checksums of MNIST and Fashion-MNIST, and telling a
  folder's data set by them
- ``download``: downloading with checksums (``fetch``)

Monkeypatching a name here changes what callers of ``data.NAME`` get, not what the module that
defines it uses internally; patch that module's attribute for that. The dictionaries (CHECKSUMS,
MIRRORS, IDX_FILES) are the very objects the modules use, so changing their items reaches them.
"""

from __future__ import annotations

from .cache import DatasetCache
from .download import fetch
from .idx import IDX_FILES, MAX_IDX_BYTES, idx_shape, read_idx
from .labelled import Dataset, LabelledData, TargetData, TrainingData
from .location import cache_dir, find_file, resolve_data_dir
from .mnist_pkl import MAX_PKL_BYTES, PKL_BYTE_ORDERS, PKL_DTYPES, PKL_NAME, read_mnist_pkl
from .sets import (
    CLASSES,
    DATASETS,
    INPUTS,
    MAX_LOAD_BYTES,
    SEEDED_SPLITS,
    SPLITS,
    VALIDATION_SIZE,
    check_available,
    load_dataset,
    load_digits,
    load_idx_dataset,
    load_split,
)
from .sources import CHECKSUMS, FETCHABLE, MIRRORS, identify, sha256_of_content, sha256_of_file

__all__ = [
    "CHECKSUMS",
    "CLASSES",
    "DATASETS",
    "INPUTS",
    "FETCHABLE",
    "IDX_FILES",
    "MAX_IDX_BYTES",
    "MAX_LOAD_BYTES",
    "MAX_PKL_BYTES",
    "MIRRORS",
    "PKL_BYTE_ORDERS",
    "PKL_DTYPES",
    "PKL_NAME",
    "SEEDED_SPLITS",
    "SPLITS",
    "VALIDATION_SIZE",
    "Dataset",
    "DatasetCache",
    "LabelledData",
    "TargetData",
    "TrainingData",
    "cache_dir",
    "check_available",
    "fetch",
    "find_file",
    "identify",
    "idx_shape",
    "load_dataset",
    "load_digits",
    "load_idx_dataset",
    "load_split",
    "read_idx",
    "read_mnist_pkl",
    "resolve_data_dir",
    "sha256_of_content",
    "sha256_of_file",
]
