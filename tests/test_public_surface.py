"""The package's public surface: what ``aiocloudocr`` exports, and no import cycles inside it."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import aiocloudocr
import aiocloudocr._methods as methods_module
from aiocloudocr import Client
from aiocloudocr.operations import OPERATIONS

PACKAGE = Path(aiocloudocr.__file__).parent

# Written out, not derived from the package: a name added or dropped must be a decision.
PUBLIC_NAMES = {
    "APIError", "AdaptiveLimiter", "AiohttpTransport", "AkSkCredentials", "AuthenticationError",
    "BadRequestError", "BankCardRequest", "BankCardResult", "BatchRun", "BgmRecognitionRequest",
    "BgmRecognitionResult", "Client", "ClientConfig", "CloudOcrError", "ConfigurationError",
    "ConnectError", "Credentials", "DarkEnhanceRequest", "DefogRequest",
    "EmiratesIdCardRequest", "EmiratesIdCardResult", "EnhancedImageResult", "HttpRequest",
    "HttpResponse", "ImageError", "ImageLimits", "ImageSource", "ImageTaggingRequest",
    "ImageTaggingResult",
    "ImageTaggingV1Request", "ImageTaggingV1Result", "InvalidResponseError", "Limiter",
    "LimiterState",
    "MapStats", "MyanmarIdCardRequest", "MyanmarIdCardResult", "NO_RETRY", "NotFoundError",
    "NotSubscribedError", "OPERATIONS", "Operation", "Outcome", "PassportRequest",
    "PassportResult", "PasswordCredentials", "PermissionDeniedError", "RequestInfo",
    "RequestTimeout", "ResponseInfo", "ResponseMeta", "Result", "RetryPolicy", "RunAbortedError",
    "ServerError",
    "SuperResolutionRequest",
    "ThailandIdCardRequest", "ThailandIdCardResult", "ThrottledError", "TokenCredentials",
    "Transport", "TransportError", "URLFetchError", "ValidationError", "WebImageRequest",
    "WebImageResult", "__version__", "credentials_from_env", "get_operation",
}  # fmt: skip


def test_all_is_exactly_the_public_names() -> None:
    """``aiocloudocr.__all__`` lists the public names, sorted, each importable."""
    assert set(aiocloudocr.__all__) == PUBLIC_NAMES
    assert aiocloudocr.__all__ == sorted(aiocloudocr.__all__, key=lambda n: (not n.isupper(), n))
    for name in aiocloudocr.__all__:
        assert getattr(aiocloudocr, name) is not None


def test_every_operation_has_a_typed_method() -> None:
    """Each operation-table entry has a typed client method of the same name."""
    for name, op in OPERATIONS.items():
        method = getattr(Client, name, None)
        assert method is not None, f"{name} has no typed method on Client"
        assert inspect.iscoroutinefunction(method)
        source = inspect.getsource(method)
        constant = next(k for k, v in vars(methods_module).items() if v is op)
        assert constant in source, f"Client.{name} does not send {constant}"


def _imports(path: Path, module: str) -> set[str]:
    """Modules of the package imported at import time by one file (TYPE_CHECKING excluded)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.startswith("aiocloudocr"):
                    found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("aiocloudocr"))
            elif isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
                visit(getattr(node, "orelse", []))

    visit(tree.body)
    found.discard(module)
    return found


def test_no_import_cycles() -> None:
    """The package's module-level imports form no cycle."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        graph[module] = _imports(path, module)
    state: dict[str, int] = {}
    trail: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        trail.append(node)
        for target in sorted(graph.get(node, ())):
            # "from aiocloudocr import x" reaches the package's __init__; a submodule
            # importing it is the cycle this test is for, so it is followed like any other.
            if state.get(target) == 1:
                cycle = [*trail[trail.index(target) :], target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if state.get(target) is None and target in graph:
                walk(target)
        trail.pop()
        state[node] = 2

    for module in sorted(graph):
        if state.get(module) is None:
            walk(module)


def test_old_module_paths_still_work_with_a_warning() -> None:
    """Names imported through a module that became private still resolve, with a warning."""
    import pytest

    from aiocloudocr import Outcome

    with pytest.warns(DeprecationWarning, match="import it from aiocloudocr"):
        from aiocloudocr.client import Client as OldClient
    with pytest.warns(DeprecationWarning, match="import it from aiocloudocr"):
        from aiocloudocr.batch import Outcome as OldOutcome
    with pytest.warns(DeprecationWarning, match="internal now"):
        from aiocloudocr.images import check_image  # noqa: F401
    assert OldClient is Client and OldOutcome is Outcome
