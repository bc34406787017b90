"""The operation record: everything the client needs to know about one endpoint."""

from __future__ import annotations

import functools
from typing import Any, Generic, Literal, TypeVar, cast
from urllib.parse import quote

import attrs

from aiocloudocr._images import ImageLimits

Service = Literal["ocr", "image"]
RequestT = TypeVar("RequestT")
ResultT = TypeVar("ResultT")


@attrs.frozen(kw_only=True)
class Operation(Generic[RequestT, ResultT]):
    """One REST endpoint: where it lives, what it takes and what it returns."""

    name: str
    service: Service
    path: str
    request_type: type[RequestT]
    result_type: type[ResultT]
    method: str = "POST"
    limits: ImageLimits | None = None
    deprecated: bool = False
    summary: str = ""

    def render_path(self, project_id: str | None) -> str:
        """Return the wire path, with the project id filled in and escaped."""
        if "{project_id}" not in self.path:
            return self.path
        if not project_id:
            raise ValueError(f"operation {self.name} needs a project id")
        return _with_project(self.path, project_id)

    @property
    def fields(self) -> frozenset[str]:
        """The request's field names (``image`` and ``url`` among them when it takes them)."""
        return _field_names(cast(type, self.request_type))

    @property
    def needs_project_id(self) -> bool:
        """Whether the path carries the project id."""
        return "{project_id}" in self.path


AnyOperation = Operation[Any, Any]


@functools.cache
def _field_names(request_type: type) -> frozenset[str]:
    # Asked on every call; the answer never changes for a class.
    return frozenset(a.name for a in attrs.fields(request_type))


@functools.lru_cache(maxsize=256)
def _with_project(path: str, project_id: str) -> str:
    # Every call of a bulk run renders the same path for the same project: escaped once.
    return path.replace("{project_id}", quote(project_id, safe=""))
