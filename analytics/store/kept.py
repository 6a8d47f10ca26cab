"""Results kept per data version, across process restarts (the warm-up's store).

Expensive analytics of a selection (alerts, chain estimate, relationships, ...) are
written once per version of the data, right after a load (:mod:`analytics.read.warmup`), so
the first page run after a load, even in a fresh process, reads them instead of
recomputing. They live beside the database file, in ``<file>.kept/<stamp>/``:

- a DataFrame as an Arrow IPC file (``.arrow``; pandas dtypes and index kept in the
  schema's pandas metadata), optionally with a small JSON dict in the schema metadata
  (a pair of points and statistics);
- anything else small (dicts, numbers, text) as JSON (``.json``); a dict holding frames
  as JSON naming its fields, each frame in its own Arrow file.

Never pickle: these files are read back into the app. The ``stamp`` is the data
version plus a digest of the batch list and the settings, so a rebuilt or restored
database that reaches the same version number with other data never reads the old
files; results of other stamps are deleted when a new stamp is written. Files are
written to a temporary name and renamed, so a reader sees a whole file or none. An
in-memory database keeps nothing.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from analytics.store.connection import kept_folder

_META = b"stool.json"
_NESTED = b"stool.json_columns"
#: the key under which a kept dict of frames lists its fields, in order
_BUNDLE = "__fields__"


def stamp(con: duckdb.DuckDBPyConnection) -> str:
    """The data version and a digest of the batch list and the settings, in one query."""
    return content_key(con)


def content_key(con: duckdb.DuckDBPyConnection) -> str:
    """What :func:`stamp` returns (two databases with the same batches and settings at
    the same data version hold the same data): for readers that key results by content."""
    row = con.cursor().execute(
        """SELECT (SELECT value FROM meta WHERE key = 'data_version'),
                  md5(concat(
                    (SELECT string_agg(concat_ws('|', batch_id, dataset, sha256, uploaded_at,
                                                 status, replaced_by), ',' ORDER BY batch_id)
                     FROM batches),
                    '#',
                    (SELECT string_agg(concat_ws('=', key, value), ',' ORDER BY key)
                     FROM meta WHERE key <> 'data_version')))"""
    ).fetchall()[0]
    return f"{int(row[0])}-{row[1][:16]}"


def folder(con: duckdb.DuckDBPyConnection) -> Path | None:
    """Where the database's results are kept: ``<file>.kept/`` beside a database file,
    ``<data path>/kept/`` in a DuckLake's folder (None for an in-memory database)."""
    return kept_folder(con)


def key_of(*parts: Any) -> str:
    """A stable key of the arguments (filters, settings, ...): a digest of their JSON."""
    text = json.dumps(parts, sort_keys=True, default=_plain, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "__dataclass_fields__"):
        return {k: getattr(value, k) for k in value.__dataclass_fields__}
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"cannot keep a {type(value).__name__}")


def _file(con: duckdb.DuckDBPyConnection, at: str, name: str, key: str,
          suffix: str) -> Path | None:
    base = folder(con)
    return None if base is None else base / at / f"{name}-{key}{suffix}"


def read(con: duckdb.DuckDBPyConnection, at: str, name: str, key: str) -> Any:
    """The result kept under ``(at, name, key)``, or None when there is none."""
    arrow = _file(con, at, name, key, ".arrow")
    if arrow is None:
        return None
    if arrow.is_file():
        return _read_arrow(arrow)
    path = arrow.with_suffix(".json")
    if not path.is_file():
        return None
    value = _read_json(path)
    if isinstance(value, dict) and _BUNDLE in value:  # a dict holding frames
        order = value.pop(_BUNDLE)
        frames = {f: _read_arrow(path.with_suffix(f".{f}.arrow")) for f in order
                  if f not in value}
        value = {f: frames[f] if f in frames else value[f] for f in order}
    return value


def write(con: duckdb.DuckDBPyConnection, at: str, name: str, key: str, value: Any) -> bool:
    """Keep ``value`` under ``(at, name, key)``; False for an in-memory database.

    ``value``: a DataFrame, a (DataFrame, dict) pair, a dict whose values are frames or
    JSON-able data, or JSON-able data (text keys; no tuples or sets, which JSON would
    give back as lists).
    """
    path = _file(con, at, name, key, ".arrow")
    if path is None:
        return False
    # as readable as the database itself (a CLI load may run as another user than the app)
    store = Path(str(path.parents[1])[: -len(".kept")]) if path.parents[1].name != "kept" \
        else path.parents[2]
    mode = store.stat().st_mode & 0o666

    def put(target: Path, payload: bytes) -> None:
        _put(target, payload, mode)

    if isinstance(value, pd.DataFrame):
        put(path, _arrow_bytes(value, None))
    elif (isinstance(value, tuple) and len(value) == 2
          and isinstance(value[0], pd.DataFrame) and isinstance(value[1], dict)):
        put(path, _arrow_bytes(*value))
    elif isinstance(value, dict) and any(isinstance(v, pd.DataFrame) for v in value.values()):
        frames = {k: v for k, v in value.items() if isinstance(v, pd.DataFrame)}
        if not all(isinstance(k, str) and k.isidentifier() for k in frames):
            raise TypeError("frames of a kept dict need plain names")
        rest = {k: v for k, v in value.items() if k not in frames}
        payload = _json_bytes({**rest, _BUNDLE: list(value)})
        for field_name, frame in frames.items():  # the frames first, the JSON names them
            put(path.with_suffix(f".{field_name}.arrow"), _arrow_bytes(frame, None))
        put(path.with_suffix(".json"), payload)
    else:
        put(path.with_suffix(".json"), _json_bytes(value))
    return True


def _put(path: Path, payload: bytes, mode: int) -> None:
    """Write a whole file or none: a temporary name, then an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def drop_others(con: duckdb.DuckDBPyConnection, at: str) -> list[str]:
    """Delete the results of every stamp but ``at``; the stamps removed."""
    base = folder(con)
    if base is None or not base.is_dir():
        return []
    gone = []
    for entry in base.iterdir():
        if entry.is_dir() and entry.name != at:
            shutil.rmtree(entry, ignore_errors=True)
            gone.append(entry.name)
    return gone


def _arrow_bytes(frame: pd.DataFrame, extra: dict | None) -> bytes:
    # columns of dicts or lists (an alert's numbers) as JSON text per cell: Arrow would
    # make one struct of all their keys and give every dict the keys of the others
    nested = [c for c in frame.columns if frame[c].dtype == object
              and frame[c].map(lambda v: isinstance(v, dict | list)).any()]
    if nested:
        frame = frame.assign(**{c: frame[c].map(lambda v: _json_bytes(v).decode())
                                for c in nested})
    table = pa.Table.from_pandas(frame, preserve_index=True)
    meta = {**(table.schema.metadata or {}), _NESTED: json.dumps(nested).encode()}
    if extra is not None:
        meta[_META] = _json_bytes(extra)
    table = table.replace_schema_metadata(meta)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _read_arrow(path: Path) -> pd.DataFrame | tuple[pd.DataFrame, dict]:
    with pa.memory_map(str(path)) as source:
        table = pa.ipc.open_file(source).read_all()
    meta = table.schema.metadata or {}
    frame = _object_columns(table.to_pandas(), table.schema.pandas_metadata or {})
    for col in json.loads(meta.get(_NESTED, b"[]")):
        frame[col] = [json.loads(v, object_hook=_floats) for v in frame[col]]
    extra = meta.get(_META)
    return frame if extra is None else (frame, json.loads(extra, object_hook=_floats))


def _object_columns(frame: pd.DataFrame, meta: dict) -> pd.DataFrame:
    """Text columns that were plain Python objects come back as such (pandas 3 reads
    Arrow strings as its ``str`` dtype), with None where a value was missing."""
    for col in meta.get("columns", []):
        name = col.get("name")
        if (col.get("numpy_type") == "object" and name in frame.columns
                and frame[name].dtype != object):
            values = frame[name]
            frame[name] = values.astype(object).where(values.notna(), None)
    return frame


#: JSON has no NaN or infinity: they are written as tagged objects and read back
_FLOAT_TAG = "__float__"


def _json_bytes(value: Any) -> bytes:
    return json.dumps(_tag(value), allow_nan=False).encode()


def _tag(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return {_FLOAT_TAG: repr(value)}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("only dicts with text keys can be kept as JSON")
        return {k: _tag(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tag(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot keep a {type(value).__name__} as JSON")


def _floats(obj: dict) -> Any:
    return float(obj[_FLOAT_TAG]) if set(obj) == {_FLOAT_TAG} else obj


def _read_json(path: Path) -> Any:
    return json.loads(path.read_bytes(), object_hook=_floats)
