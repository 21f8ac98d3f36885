"""xentlab's own files: versioned JSON documents whose arrays are base64 of little-endian bytes.

Loading executes nothing (no pickle): it parses JSON, then checks every field — format name,
version, checksum, shapes, dtypes, byte counts, finiteness — before building an array, and a
bad file raises :class:`FormatError` naming the file and what is wrong. Every file carries the
SHA-256 of its content (from version 2 of each format on), so a damaged file is refused as
corrupt rather than read as different numbers.

``documents``: the shared pieces; ``network``: the network file; ``checkpoint``: the training
state; ``safetensors_file``: the safetensors format (header, tensors, bounds), for PyTorch,
JAX and others, read with the same care; ``safetensors_network``: a network as a safetensors
file (torch's state_dict layout, the cost and sizes in its metadata, a checksum).
"""

from .checkpoint import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
    checkpoint_document,
    history_document,
    history_from_document,
    load_checkpoint,
    save_checkpoint,
)
from .documents import (
    MAX_FILE_BYTES,
    content_digest,
    decode_array,
    encode_array,
    read_document,
    read_json,
    recognise_document,
    seal,
    write_json,
)
from .network import (
    NETWORK_FORMAT,
    NETWORK_VERSION,
    load_network,
    network_document,
    network_from_document,
    save_network,
)
from .safetensors_file import (
    SafetensorsReader,
    TensorInfo,
    Tensors,
    open_safetensors,
    read_safetensors,
    write_safetensors,
)
from .safetensors_network import (
    SafetensorsNetwork,
    load_safetensors,
    network_from_tensors,
    network_meta,
    network_tensors,
    read_safetensors_network,
    recorded_cost,
    save_safetensors,
)

__all__ = [
    "CHECKPOINT_FORMAT",
    "CHECKPOINT_VERSION",
    "MAX_FILE_BYTES",
    "NETWORK_FORMAT",
    "NETWORK_VERSION",
    "SafetensorsNetwork",
    "SafetensorsReader",
    "TensorInfo",
    "Tensors",
    "checkpoint_document",
    "content_digest",
    "decode_array",
    "encode_array",
    "history_document",
    "history_from_document",
    "load_checkpoint",
    "load_network",
    "load_safetensors",
    "network_document",
    "network_from_document",
    "network_from_tensors",
    "network_meta",
    "network_tensors",
    "read_document",
    "read_json",
    "open_safetensors",
    "read_safetensors",
    "read_safetensors_network",
    "recognise_document",
    "recorded_cost",
    "save_checkpoint",
    "save_network",
    "save_safetensors",
    "seal",
    "write_json",
    "write_safetensors",
]
