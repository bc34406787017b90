"""Ray is an optional dependency: imported when first needed, with a clear message if absent."""

from __future__ import annotations

from types import ModuleType

INSTALL_HINT = "aiocloudocr.ray needs Ray Data: pip install 'aiocloudocr[ray]'"


def import_ray() -> ModuleType:
    """The ``ray`` module (Ray Data loaded too); ImportError naming the extra when missing."""
    try:
        import ray
        import ray.data  # loads the ray.data attribute
    except ImportError as error:
        raise ImportError(f"{INSTALL_HINT} ({error})") from error
    return ray


def import_pyarrow() -> ModuleType:
    """The ``pyarrow`` module (installed with Ray Data)."""
    try:
        import pyarrow
    except ImportError as error:
        raise ImportError(f"{INSTALL_HINT} ({error})") from error
    module: ModuleType = pyarrow
    return module
