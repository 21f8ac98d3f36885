"""Files, both ways. ``writing``: output targets checked before any work, atomic writes,
temporary files that are each writer's own. ``reading``: only regular files, bounded reads,
gzip read through its content."""

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
from .writing import (
    HOST_TAG,
    IN_FLIGHT,
    TEMP_EXTRA,
    TEMP_TAG,
    atomic_write,
    beside,
    check_distinct_targets,
    check_output_target,
    temporary_name,
    temporary_owner,
)

__all__ = [
    "GZIP_MAGIC",
    "HOST_TAG",
    "IN_FLIGHT",
    "PIECE",
    "TEMP_EXTRA",
    "TEMP_TAG",
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
    "temporary_name",
    "temporary_owner",
]
