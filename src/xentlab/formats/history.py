"""A run's records as files hold them: the declared fields of a dataclass (a run's settings,
its progress, each epoch's record) as a JSON object and back, each field checked against what
it declares (``checks.constrained``) and the fields together against the class's
``check_consistency``; and the meta a saved network carries (its history, test accuracy,
settings), checked for meaning, not only for syntax, by every reader of a network file.

A checksum stops damage, not nonsense: a file sealed with a valid checksum whose history holds
an accuracy of -500 % at epoch 99 of a 5-epoch run is refused here, naming the field.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from .. import checks
from ..errors import FormatError, XentlabError
from ..training import EpochRecord, History

T = TypeVar("T")


def declared_fields(cls: type) -> list[str]:
    """The fields of a dataclass that declare a constraint: the ones a file stores as they are."""
    return [f.name for f in dataclasses.fields(cls) if "constraint" in f.metadata]


def fields_document(instance: Any) -> dict[str, Any]:
    """{field: value} for the declared fields of a dataclass instance."""
    return {name: getattr(instance, name) for name in declared_fields(type(instance))}


def fields_from_document(cls: type[T], doc: Any, where: str, **others: Any) -> T:
    """An instance of ``cls`` from its declared fields in ``doc`` (plus ``others``), each
    checked against its constraint; unknown fields are refused, missing ones take defaults."""
    if not isinstance(doc, dict):
        raise XentlabError(f"{where} must be an object")
    names = declared_fields(cls)
    unknown = sorted(set(doc) - set(names))
    if unknown:
        raise XentlabError(f"{where} has unknown field(s) {', '.join(map(repr, unknown))}")
    try:
        instance = cls(**others, **{name: doc[name] for name in names if name in doc})
    except TypeError:
        missing = [n for n in names if n not in doc]
        raise XentlabError(f"{where} lacks field(s) {', '.join(map(repr, missing))}") from None
    checks.check_fields(instance, f"{where} ")
    return instance


def history_document(history: History) -> dict[str, Any]:
    """The history as JSON-ready data (also stored in a saved network's meta)."""
    return {"records": [fields_document(r) for r in history.records], **fields_document(history)}


def history_from_document(doc: Any) -> History:
    """The history saved by :func:`history_document`, each field checked."""
    if not isinstance(doc, dict) or not isinstance(doc.get("records"), list):
        raise XentlabError("history records must be a list of objects")
    records = [
        fields_from_document(EpochRecord, r, f"history record {i}")
        for i, r in enumerate(doc["records"], start=1)
    ]
    rest = {k: v for k, v in doc.items() if k != "records"}
    return fields_from_document(History, rest, "history", records=records)


def check_meta(meta: dict[str, Any], path: Any) -> None:
    """The meta of a network file, where it records a run (``train --save``, a sweep's result):
    its history as a checkpoint's is checked (see :func:`history_from_document`), its test
    accuracy a fraction, and no more records than the epochs its settings ask for. A meta
    that records none of these (a network written by another program) is left alone."""
    try:
        history = history_from_document(meta["history"]) if "history" in meta else None
        if "test_accuracy" in meta:
            checks.Optional(checks.FRACTION).check("test_accuracy", meta["test_accuracy"])
        config = meta.get("config")
        epochs = config.get("epochs") if isinstance(config, dict) else None
        if history is not None and isinstance(epochs, int) and len(history.records) > epochs:
            raise XentlabError(
                f"the history holds {checks.plural(len(history.records), 'record')} of a run "
                f"of {checks.plural(epochs, 'epoch')}"
            )
    except XentlabError as exc:
        raise FormatError(f"{path}: meta: {exc}") from None
