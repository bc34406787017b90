"""The README's pytest example runs as written in a fresh project (pytest-asyncio strict mode)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def snippet(marker: str) -> str:
    """The README's python code block whose first line is ``# <marker>``."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    (block,) = [b for b in blocks if b.startswith(f"# {marker}\n")]
    return str(block)


def test_pytest_example_runs_in_a_fresh_project(tmp_path: Path) -> None:
    """conftest.py and test_ocr.py from the README pass in a project with no configuration."""
    (tmp_path / "conftest.py").write_text(snippet("conftest.py"), encoding="utf-8")
    (tmp_path / "test_ocr.py").write_text(snippet("test_ocr.py"), encoding="utf-8")
    done = subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
