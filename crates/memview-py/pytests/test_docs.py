"""Every Python example of the README and the extension authors' guide runs."""

import os
import re

import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
PAGES = ["README.md", "docs/extension-authors.md", "crates/memview-py/README.md", "docs/interop.md"]


def blocks():
    for page in PAGES:
        with open(os.path.join(ROOT, page), encoding="utf-8") as f:
            text = f.read()
        for i, code in enumerate(re.findall(r"```python\n(.*?)```", text, re.S)):
            yield pytest.param(code, id=f"{page}#{i}")


@pytest.mark.parametrize("code", list(blocks()))
def test_example_runs(code):
    if "numpy" in code:
        pytest.importorskip("numpy")
    namespace = {}
    exec(compile(code, "<example>", "exec"), namespace)
