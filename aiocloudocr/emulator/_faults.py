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


STALL = "stall"
"""The fault kind that holds a request for ``EmulatorConfig.stall`` seconds, then answers it."""

# The kinds EmulatorConfig.fault_rates may name. The statuses of the ModelArts codes are not
# documented (the OCR table gives none); these are the ones a gateway would use for them.
FAULT_KINDS: dict[str, Fault] = {
    "5xx": Fault(status=500, code="ModelArts.4505"),
    "ModelArts.4402": Fault(status=504, code="ModelArts.4402"),
    "ModelArts.4403": Fault(status=503, code="ModelArts.4403"),
    "ModelArts.4503": Fault(status=500, code="ModelArts.4503"),
    "drop": Fault(drop=True),
    # The stall's duration is a setting of its own; this entry only reserves the name.
    STALL: Fault(stall=0.0, status=None),
}

ERROR_KINDS = ("5xx", "ModelArts.4402", "ModelArts.4403", "ModelArts.4503")
"""The kinds ``EmulatorConfig.fault_rate`` is spread over evenly."""
