"""Files, both ways. ``writing``: output targets checked before any work (a user's file of
another kind is never replaced unasked), atomic writes, temporary files that are each writer's
own (their names and clean-up: ``temporaries``). ``reading``: only regular files, bounded
reads, gzip read through its content."""

from .reading import (
    GZIP_MAGIC,
    PIECE,
    Stream,
    open_content,
    open_input,
    read_bytes_capped,
    read_capped,
    read_content_capped,
)
from .temporaries import (
    HOST_TAG,
    IN_FLIGHT,
    TEMP_EXTRA,
    TEMP_TAG,
    temporary_name,
    temporary_owner,
)
from .writing import (
    SAMPLE_BYTES,
    Recogniser,
    atomic_write,
    beside,
    check_distinct_targets,
    check_output_target,
    register_output_kind,
    written_by_xentlab,
)

__all__ = [
    "GZIP_MAGIC",
    "HOST_TAG",
    "IN_FLIGHT",
    "PIECE",
    "SAMPLE_BYTES",
    "TEMP_EXTRA",
    "TEMP_TAG",
    "Recogniser",
    "Stream",
    "atomic_write",
    "beside",
    "check_distinct_targets",
    "check_output_target",
    "open_content",
    "open_input",
    "read_bytes_capped",
    "read_capped",
    "read_content_capped",
    "register_output_kind",
    "temporary_name",
    "temporary_owner",
    "written_by_xentlab",
]
