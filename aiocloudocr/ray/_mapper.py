"""One operation over the rows of a Ray Dataset: a callable class for ``map_batches``, the rows
it yields, and :func:`map_ocr`, which wires it with resource settings that work anywhere."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Hashable, Mapping
from typing import Any

from aiocloudocr._batch import Outcome
from aiocloudocr._client import Client
from aiocloudocr._requests import check_fields
from aiocloudocr.errors import ConfigurationError, RunAbortedError
from aiocloudocr.operations import AnyOperation, get_operation
from aiocloudocr.ray._import import import_pyarrow, import_ray
from aiocloudocr.ray._lease import QuotaLimiter
from aiocloudocr.ray._quota import AccountQuota
from aiocloudocr.ray._settings import ClientSettings

# The columns of every output row, in order, with their Arrow types (by name).
OUTPUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("key", "string"),
    ("status", "string"),
    ("final", "bool"),
    ("attempts", "int64"),
    ("latency", "float64"),
    ("request_id", "string"),
    ("error_code", "string"),
    ("error_message", "string"),
    ("error", "string"),
    ("result", "string"),
    ("text", "string"),
)
# Columns an input row's image comes from, in order of preference, and its key.
SOURCE_COLUMNS = ("bytes", "url", "path")
KEY_COLUMNS = ("path", "url", "key")


def output_schema() -> Any:
    """The Arrow schema of the rows :class:`OcrMapper` yields."""
    pa = import_pyarrow()
    return pa.schema([(name, pa.type_for_alias(kind)) for name, kind in OUTPUT_COLUMNS])


def text_of(result: Any) -> str | None:
    """The words of an OCR result's text blocks, one per line; None for other results."""
    blocks = getattr(result, "words_block_list", None)
    if not isinstance(blocks, (list, tuple)):
        return None
    return "\n".join(str(b.words) for b in blocks if getattr(b, "words", None) is not None)


def row_of(outcome: Outcome[Any]) -> dict[str, Any]:
    """The output row of one outcome (``result`` and ``error`` as JSON text)."""
    record = outcome.record()
    error = record.get("error")
    result = record.get("result")
    return {
        "key": str(record["key"]),
        "status": record["status"],
        "final": record["final"],
        "attempts": record["attempts"],
        "latency": record["latency"],
        "request_id": record.get("request_id"),
        "error_code": None if error is None else error.get("code"),
        "error_message": None if error is None else error.get("message"),
        "error": None if error is None else _json(error),
        "result": None if "result" not in record else _json(result),
        "text": text_of(outcome.result),
    }


def record_of_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """The checkpoint line (as ``Outcome.record()`` writes it) of an output row, so that
    ``aiocloudocr run`` and ``client.map(checkpoint=...)`` can read and resume Ray outputs."""
    record: dict[str, Any] = {
        "key": row["key"],
        "status": row["status"],
        "final": bool(row["final"]),
        "attempts": int(row["attempts"]),
        "latency": float(row["latency"]),
    }
    if row.get("result") is not None:
        record["request_id"] = row.get("request_id")
        record["result"] = json.loads(row["result"])
    if row.get("error") is not None:
        record["error"] = json.loads(row["error"])
    return record


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _columns(batch: Any) -> dict[str, list[Any]]:
    """A batch in any of Ray's formats (Arrow, pandas, dict of NumPy arrays) as lists."""
    if hasattr(batch, "column_names") and hasattr(batch, "to_pydict"):  # pyarrow.Table
        columns: dict[str, list[Any]] = batch.to_pydict()
        return columns
    if hasattr(batch, "columns") and hasattr(batch, "iloc"):  # pandas.DataFrame
        return {str(name): batch[name].tolist() for name in batch.columns}
    if isinstance(batch, Mapping):
        return {str(name): list(values) for name, values in batch.items()}
    raise TypeError(f"unsupported batch type {type(batch).__name__}")


def _pick(names: Any, wanted: str | None, preferred: tuple[str, ...], what: str) -> str:
    if wanted is not None:
        if wanted not in names:
            raise ConfigurationError(f"no {what} column {wanted!r} in {sorted(names)}")
        return wanted
    for name in preferred:
        if name in names:
            return name
    raise ConfigurationError(
        f"no {what} column: the rows have {sorted(names)}; name it "
        f"({what}_column=), or read files with include_paths=True"
    )


class OcrMapper:
    """A callable class for ``Dataset.map_batches``: runs one operation over each batch.

    Input rows carry the image as ``bytes`` (``ray.data.read_binary_files(...,
    include_paths=True)``: the ``path`` is the key) or as a ``url`` or ``path`` string (its own
    key); ``source_column`` and ``key_column`` name other columns. Each batch yields one row
    per input, in input order: ``key``, ``status`` ("ok"/"failed"), ``final``,
    ``attempts``, ``latency``, ``request_id``, ``error_code``, ``error_message``, ``error``
    and ``result`` (JSON text), and ``text`` (OCR results: the words, one block a line).

    Every argument pickles, and no credential is among them (see :class:`ClientSettings`).
    One client per actor, made on the first batch and kept; with ``quota`` its limiter is the
    account-wide :class:`AccountQuota`.
    """

    def __init__(
        self,
        operation: str,
        *,
        settings: ClientSettings | None = None,
        quota: AccountQuota | None = None,
        fields: Mapping[str, Any] | None = None,
        source_column: str | None = None,
        key_column: str | None = None,
        item_timeout: float | None = None,
        check: bool = True,
    ) -> None:
        self._operation: AnyOperation = get_operation(operation)
        self._fields = dict(fields or {})
        check_fields(self._operation, self._fields)
        self._settings = settings or ClientSettings.from_env()
        self._quota = quota
        self._source_column = source_column
        self._key_column = key_column
        self._item_timeout = item_timeout
        self._check = check
        self._client: Client | None = None
        self._limiter: QuotaLimiter | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"<OcrMapper {self._operation.name} quota={getattr(self._quota, 'name', None)!r}>"

    @property
    def limiter(self) -> QuotaLimiter | None:
        """The account-wide limiter of this actor's client, once made."""
        return self._limiter

    def _client_here(self) -> Client:
        # Made on the first batch, inside the event loop every batch of this actor runs on.
        if self._client is None:
            if self._quota is not None:
                self._limiter = QuotaLimiter(self._quota)
            self._client = self._settings.client(limiter=self._limiter)
            self._loop = asyncio.get_running_loop()
        return self._client

    async def aclose(self) -> None:
        """Give the unused permits back and close the client (Ray Data does it through
        ``__del__`` when the actor pool shuts down)."""
        client, self._client = self._client, None
        if self._limiter is not None:
            await self._limiter.aclose()
        if client is not None:
            await client.aclose()

    def __del__(self) -> None:
        loop = self._loop
        if self._client is None or loop is None or loop.is_closed() or not loop.is_running():
            return
        with contextlib.suppress(Exception):
            try:
                here = asyncio.get_running_loop()
            except RuntimeError:
                here = None
            if here is loop:  # collected on the loop's own thread: it cannot be waited for
                loop.create_task(self.aclose())
            else:
                asyncio.run_coroutine_threadsafe(self.aclose(), loop).result(timeout=5)

    def inputs(self, batch: Any) -> list[tuple[str, Any]]:
        """The ``(key, source)`` pairs of a batch, in order."""
        columns = _columns(batch)
        source = _pick(columns, self._source_column, SOURCE_COLUMNS, "source")
        key = source if source != "bytes" and self._key_column is None else None
        key = key or _pick(columns, self._key_column, KEY_COLUMNS, "key")
        return [
            (str(k), bytes(s) if isinstance(s, (bytes, bytearray, memoryview)) else s)
            for k, s in zip(columns[key], columns[source], strict=True)
        ]

    async def __call__(self, batch: Any) -> AsyncIterator[Any]:
        """One output row per input row of ``batch``, in order (as an Arrow table)."""
        items = self.inputs(batch)
        outcomes = await self.run(items)
        pa = import_pyarrow()
        rows = [row_of(outcome) for outcome in outcomes]
        yield pa.Table.from_pylist(rows, schema=output_schema())

    async def run(self, items: list[tuple[str, Any]]) -> list[Outcome[Any]]:
        """One outcome per item, in order; after an error no input can avoid (credentials
        refused, ...), the inputs not started fail with it (not final: a rerun redoes them)."""
        client = self._client_here()
        done: dict[int, Outcome[Any]] = {}
        try:
            run = client.map(self._operation, items, ordered=True, check=self._check,
                             item_timeout=self._item_timeout, **self._fields)  # fmt: skip
            async with run as outcomes:
                async for outcome in outcomes:
                    done[outcome.index] = outcome
        except RunAbortedError as error:
            cause = error.cause if error.cause is not None else error
            for index, (key, _) in enumerate(items):
                if index not in done:
                    done[index] = _not_started(key, index, cause)
        return [done[index] for index in range(len(items))]


def _not_started(key: Hashable, index: int, cause: BaseException) -> Outcome[Any]:
    return Outcome(key=key, index=index, status="failed", error=cause, attempts=0)


def map_ocr(
    dataset: Any,
    operation: str,
    *,
    settings: ClientSettings | None = None,
    quota: AccountQuota | None = None,
    fields: Mapping[str, Any] | None = None,
    workers: int = 2,
    num_cpus: float = 0.25,
    batch_size: int = 64,
    source_column: str | None = None,
    key_column: str | None = None,
    item_timeout: float | None = None,
    check: bool = True,
    mapper: type[OcrMapper] = OcrMapper,
    **map_batches_args: Any,
) -> Any:
    """``dataset.map_batches(OcrMapper, ...)`` with ``workers`` actors of ``num_cpus`` CPUs
    each (the work is I/O: a fraction of a CPU each). Ray Data restarts an actor that dies
    and runs its batches again, whole (its defaults ``max_restarts=-1`` and
    ``max_task_retries=-1``; pass others as keywords).

    ``settings`` default to :meth:`ClientSettings.from_env` read here; they are checked here
    too, so a missing region fails now rather than in every worker. The quota actor is
    started here when ``quota`` is given. ``mapper`` may be a subclass of
    :class:`OcrMapper` (taking the same arguments). Further keywords go to ``map_batches``.
    """
    ray = import_ray()
    settings = settings or ClientSettings.from_env()
    settings.check()
    check_fields(get_operation(operation), dict(fields or {}))
    if quota is not None:
        quota.actor()
    options: dict[str, Any] = {
        "fn_constructor_kwargs": {
            "operation": operation,
            "settings": settings,
            "quota": quota,
            "fields": dict(fields or {}),
            "source_column": source_column,
            "key_column": key_column,
            "item_timeout": item_timeout,
            "check": check,
        },
        "batch_size": batch_size,
        "batch_format": "pyarrow",
        "compute": ray.data.ActorPoolStrategy(size=workers),
        "num_cpus": num_cpus,
        **map_batches_args,
    }
    return dataset.map_batches(mapper, **options)
