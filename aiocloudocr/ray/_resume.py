"""Resume: a rerun over the same inputs skips the keys a previous output already holds with a
final outcome (an anti-join on ``key``), so a killed job restarts where it stopped."""

from __future__ import annotations

from typing import Any

from aiocloudocr.ray._import import import_pyarrow, import_ray
from aiocloudocr.ray._mapper import KEY_COLUMNS, _pick


def done_keys(previous: Any, *, retry_failed: bool = False) -> set[str]:
    """The keys a previous output dataset (``key``, ``status``, ``final`` columns) holds as
    done: successes, and final failures (the input's own fault) unless ``retry_failed``.

    A key with any such row is done, whatever its other rows say (outputs of several runs
    may be read together).
    """
    pc = import_pyarrow().compute
    keys: set[str] = set()
    for table in previous.select_columns(["key", "status", "final"]).iter_batches(
        batch_format="pyarrow"
    ):
        done = pc.equal(table["status"], "ok")
        if not retry_failed:
            done = pc.or_kleene(done, pc.fill_null(table["final"], False))
        keys.update(str(k) for k in table["key"].filter(pc.fill_null(done, False)).to_pylist())
    return keys


def _drop_done(batch: Any, *, done: Any, column: str) -> Any:
    pa = import_pyarrow()
    ray = import_ray()
    # Ray Data may hand over the object itself rather than its reference.
    keys = ray.get(done) if isinstance(done, ray.ObjectRef) else done
    values = batch[column]
    if values.type != keys.type:
        values = values.cast(pa.string())
    return batch.filter(pa.compute.invert(pa.compute.is_in(values, value_set=keys)))


def skip_done(
    inputs: Any, previous: Any, *, key_column: str | None = None, retry_failed: bool = False
) -> Any:
    """``inputs`` without the rows whose key ``previous`` (an earlier run's output dataset,
    e.g. ``ray.data.read_parquet(dir)``) holds as done; see :func:`done_keys`.

    The done keys are collected here and broadcast to the filter tasks through the object
    store, which suits up to some millions of keys; beyond that, use Ray's own
    ``inputs.join(previous, join_type="left_anti", ...)`` (Ray 2.46 and later).
    """
    ray = import_ray()
    pa = import_pyarrow()
    column = key_column or _pick(inputs.schema().names, None, KEY_COLUMNS, "key")
    keys = done_keys(previous, retry_failed=retry_failed)
    if not keys:
        return inputs
    done = ray.put(pa.array(sorted(keys), pa.string()))
    return inputs.map_batches(
        _drop_done,
        batch_format="pyarrow",
        fn_kwargs={"done": done, "column": column},
        num_cpus=0.25,
    )
