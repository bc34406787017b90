"""Scripted faults: what the next request(s) to an operation should suffer."""

from __future__ import annotations

import attrs


def _default_status(fault: Fault) -> int | None:
    # A stall alone means "slow but fine"; anything else without a status is a 500.
    if fault.stall > 0 and fault.code is None and not fault.drop:
        return None
    return 500


@attrs.frozen(kw_only=True)
class Fault:
    """A scripted misbehaviour, consumed by one request to the operation it was injected for.

    ``stall`` seconds are slept first. Then ``drop`` closes the connection without any HTTP
    response; otherwise ``status`` (with ``code``, ``message`` and an optional Retry-After
    of ``retry_after`` seconds) is answered as ``{"error_code", "error_msg"}``. A ``status``
    of ``None`` answers normally: that is the default when only ``stall`` is given, so
    ``Fault(stall=2.0)`` is a slow success while ``Fault()`` is a plain 500. ``message``
    defaults to the documented error_msg of ``code``.
    """

    code: str | None = None
    message: str | None = None
    retry_after: float | None = None
    drop: bool = False
    stall: float = attrs.field(default=0.0)
    # Declared last so its default can look at the fields above.
    status: int | None = attrs.field(default=attrs.Factory(_default_status, takes_self=True))

    @stall.validator
    def _check_stall(self, attribute: attrs.Attribute[float], value: float) -> None:
        if value < 0:
            raise ValueError(f"stall must not be negative, got {value!r}")

    @property
    def is_error(self) -> bool:
        """Whether the fault ends the request (error answer or dropped connection)."""
        return self.drop or self.status is not None
