"""Every notebook in notebooks/ runs top to bottom in a fresh kernel, like any other test.

A failed assert or an error in any cell fails the test, with the cell's source and the error
(ANSI colours stripped) in the report. The committed notebooks keep their outputs for GitHub;
this test executes a copy in memory and never writes back.
"""

import re
import time
from pathlib import Path

import nbclient
import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path):
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",  # whatever the file's metadata says, run this environment's Python
        timeout=120,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as error:
        pytest.fail(f"{path.name} failed:\n{ANSI.sub('', str(error))}", pytrace=False)
    # No timing assertion (the machines are shared and noisy); `pytest --durations=0` shows it.
    print(f"{path.name}: {time.perf_counter() - start:.1f} s")


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ has no .ipynb files"
