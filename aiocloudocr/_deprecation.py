"""Old module paths kept working, with a warning that says where a name lives now."""

from __future__ import annotations

import types
import warnings
from typing import Any

import aiocloudocr


def moved(old: str, module: types.ModuleType, name: str) -> Any:
    """Return ``module.name`` for an import through the old module path ``old``, warning."""
    try:
        value = getattr(module, name)
    except AttributeError:
        raise AttributeError(f"module {old!r} has no attribute {name!r}") from None
    if name in aiocloudocr.__all__:
        advice = "import it from aiocloudocr"
    else:
        advice = f"it is internal now ({module.__name__}) and may change without notice"
    warnings.warn(
        f"{old}.{name}: {advice}; the module {old} will be removed",
        DeprecationWarning,
        stacklevel=3,
    )
    return value
