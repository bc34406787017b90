"""Scripted faults: what the next request(s) to an operation should suffer."""

from __future__ import annotations

from typing import Any, Literal

import attrs

EchoFormat = Literal["json", "text"]
"""Where a fault echoes the request's headers: in a JSON error's ``error_msg``, or raw text."""

ECHO_OFFSET = 180
"""Characters of lead-in before the echoed headers, by default: past where a client that
truncates a message to ~200 characters before scrubbing it would cut a secret in two."""


def _shapes_answer(fault: Fault) -> bool:
    # The fields that only mean something for an answer the fault writes itself.
    return (
        fault.body is not None
        or fault.filler_size is not None
        or fault.echo_headers is not None
        or fault.gzip
        or fault.content_type is not None
    )


def _default_status(fault: Fault) -> int | None:
    # A stall alone means "slow but fine"; anything else without a status is a 500.
    if fault.stall > 0 and fault.code is None and not fault.drop and not _shapes_answer(fault):
        return None
    return 500


def _header_value(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    # aiohttp refuses to send CR or LF in a header, so catch it here, where the fault is made.
    if isinstance(value, str) and ("\r" in value or "\n" in value):
        raise ValueError(f"{attribute.name} must not contain CR or LF, got {value!r}")


def _non_negative(instance: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and not value >= 0:  # also refuses NaN
        raise ValueError(f"{attribute.name} must not be negative, got {value!r}")


@attrs.frozen(kw_only=True)
class Fault:
    """A scripted misbehaviour, consumed by one request to the operation it was injected for.

    ``stall`` seconds are slept first. Then ``drop`` closes the connection without any HTTP
    response; otherwise ``status`` (with ``code`` and ``message``) is answered as
    ``{"error_code", "error_msg"}``. A ``status`` of ``None`` answers normally: that is the
    default when only ``stall`` is given, so ``Fault(stall=2.0)`` is a slow success while
    ``Fault()`` is a plain 500. ``message`` defaults to the documented error_msg of ``code``,
    and is sent as given, so an APIG.0308 message may state any limit (``limit:0,time:0
    second``). ``code`` is also what the statistics record the answer under.

    ``retry_after`` adds a Retry-After header to the answer: seconds (a float, sent as
    ``f"{seconds:g}"``) or any text, sent verbatim (``"nan"``, ``"-5"``, an HTTP date...).
    The answer can be made hostile further; each of these needs a status (any, 200 included):

    - ``body``: these bytes instead of the error JSON.
    - ``filler_size``: that many bytes of JSON-ish filler instead of the error JSON, streamed
      with a declared Content-Length and never held whole.
    - ``echo_headers``: the request's headers echoed back, each as a ``Name: value`` line,
      credentials (X-Auth-Token, Authorization, X-Security-Token) first. ``"json"`` puts them
      in the ``error_msg`` of the error JSON, ``"text"`` sends them as a text/plain body. The
      lines start at character ``echo_offset`` (default 180) of the error_msg or body, after
      a lead-in of the message padded with dots (or cut) to that length.
    - ``gzip``: the body is gzip-compressed and sent with ``Content-Encoding: gzip``; with
      ``filler_size`` that makes a bomb, small on the wire and cached per size.
    - ``content_type``: the Content-Type header, verbatim. By default ``application/json``
      for ``body`` and filler, ``text/plain; charset=utf-8`` for a ``"text"`` echo, and
      ``application/json; charset=utf-8`` for the error JSON, as before.

    At most one of ``body``, ``filler_size`` and ``echo_headers`` may be given.
    """

    code: str | None = None
    message: str | None = None
    retry_after: float | str | None = attrs.field(default=None, validator=_header_value)
    drop: bool = False
    stall: float = attrs.field(default=0.0)
    body: bytes | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(bytes))
    )
    filler_size: int | None = attrs.field(default=None, validator=_non_negative)
    echo_headers: EchoFormat | None = attrs.field(
        default=None, validator=attrs.validators.in_((None, "json", "text"))
    )
    echo_offset: int = attrs.field(default=ECHO_OFFSET, validator=_non_negative)
    gzip: bool = False
    content_type: str | None = attrs.field(default=None, validator=_header_value)
    # Declared last so its default can look at the fields above.
    status: int | None = attrs.field(default=attrs.Factory(_default_status, takes_self=True))

    @stall.validator
    def _check_stall(self, attribute: attrs.Attribute[float], value: float) -> None:
        if value < 0:
            raise ValueError(f"stall must not be negative, got {value!r}")

    def __attrs_post_init__(self) -> None:
        given = [
            name
            for name, value in (
                ("body", self.body),
                ("filler_size", self.filler_size),
                ("echo_headers", self.echo_headers),
            )
            if value is not None
        ]
        if len(given) > 1:
            raise ValueError(f"at most one of body, filler_size and echo_headers; got {given}")
        if _shapes_answer(self) and (self.drop or self.status is None):
            raise ValueError("body, filler_size, echo_headers, gzip and content_type need a status")

    @property
    def is_error(self) -> bool:
        """Whether the fault ends the request (its own answer or a dropped connection)."""
        return self.drop or self.status is not None


STALL = "stall"
"""The fault kind that holds a request for ``EmulatorConfig.stall`` seconds, then answers it."""

# The kinds EmulatorConfig.fault_rates may name. The statuses of the ModelArts codes are not
# documented (the OCR table gives none); these are the ones a gateway would use for them.
FAULT_KINDS: dict[str, Fault] = {
    "5xx": Fault(status=500, code="ModelArts.4505"),
    "ModelArts.4402": Fault(status=504, code="ModelArts.4402"),
    "ModelArts.4403": Fault(status=503, code="ModelArts.4403"),
    "ModelArts.4502": Fault(status=502, code="ModelArts.4502"),
    # Not transient (the service does not exist: a configuration fault); never in the spread.
    "ModelArts.4503": Fault(status=500, code="ModelArts.4503"),
    "drop": Fault(drop=True),
    # The stall's duration is a setting of its own; this entry only reserves the name.
    STALL: Fault(stall=0.0, status=None),
}

# Transient failures only: a retrying client is expected to get through them.
ERROR_KINDS = ("5xx", "ModelArts.4402", "ModelArts.4403", "ModelArts.4502")
"""The kinds ``EmulatorConfig.fault_rate`` is spread over evenly."""
