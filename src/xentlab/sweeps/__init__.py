"""Sweeps: many runs over a grid of settings, on a Dask cluster, each result kept as it comes.

``grid``: what a sweep trains (SweepSpec: grids of settings checked by the constraints each
setting declares; SweepPoint: one run, with a stable id).
``sweep_file``: a sweep written down in TOML or JSON, read.
``worker``: one run, trained through ``xentlab.runs`` (nothing there knows of Dask).
``records``: a run's result file and the sweep's folder (what is done, read back and checked).
``engine``: run_sweep, on a local cluster or an existing one (the only module that uses Dask,
imported when a sweep starts).
``summary``: the table, mean ± sd of the test accuracy over seeds, as CSV and JSON.
``book``: the book's chapter-3 results as one sweep, and its figures to compare with.
"""

from ..settings import MAX_RUNS
from .book import (
    BOOK_RESULTS,
    BOOK_SETTINGS,
    BookResult,
    BookRow,
    book_rows,
    book_spec,
    rows_settings,
)
from .engine import (
    ALLOWED_FAILURES,
    CONNECT_TIMEOUT,
    SweepObserver,
    SweepResult,
    local_cluster,
    run_sweep,
    usable_cores,
)
from .grid import (
    AXES,
    CONFIRM_ABOVE,
    LABELS,
    SweepPoint,
    SweepSpec,
    SweepTooLarge,
    check_size,
    show_value,
    varying,
)
from .records import RunRecord, SweepFolder, read_record, write_record
from .summary import (
    SettingRow,
    SweepTable,
    data_disagreements,
    describe_fixed,
    summarise,
    summary_paths,
    write_summary,
)
from .sweep_file import read_sweep_file
from .worker import train_point

__all__ = [
    "ALLOWED_FAILURES",
    "AXES",
    "BOOK_RESULTS",
    "BOOK_SETTINGS",
    "CONFIRM_ABOVE",
    "CONNECT_TIMEOUT",
    "LABELS",
    "MAX_RUNS",
    "BookResult",
    "BookRow",
    "RunRecord",
    "SettingRow",
    "SweepFolder",
    "SweepObserver",
    "SweepPoint",
    "SweepResult",
    "SweepSpec",
    "SweepTable",
    "SweepTooLarge",
    "book_rows",
    "book_spec",
    "check_size",
    "data_disagreements",
    "describe_fixed",
    "local_cluster",
    "read_record",
    "read_sweep_file",
    "rows_settings",
    "run_sweep",
    "show_value",
    "summarise",
    "train_point",
    "usable_cores",
    "varying",
    "write_record",
    "summary_paths",
    "write_summary",
]
