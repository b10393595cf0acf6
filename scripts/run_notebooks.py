"""Execute the notebooks in place, so that their committed outputs are those of the current code:

    .venv/bin/python scripts/run_notebooks.py                 # every notebook in notebooks/
    .venv/bin/python scripts/run_notebooks.py notebooks/03_chain_of_single_nodes.ipynb

Each runs top to bottom in a fresh `python3` kernel (this environment's Python), as
tests/test_notebooks.py runs them; a failing cell stops with its error and writes nothing.
"""

import sys
import time
from pathlib import Path

import nbclient
import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def run(path):
    """Execute the notebook at `path` and write it back with its new outputs."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    start = time.perf_counter()
    nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=300,
        record_timing=False,  # no timestamps in the committed files
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = _merged_streams(cell.outputs)
    nbformat.write(notebook, path)
    print(f"{path.name}: {time.perf_counter() - start:.1f} s")


def _merged_streams(outputs):
    """Consecutive stream outputs (a progress bar's updates) as one, each line as a terminal
    leaves it: the text after its last carriage return."""
    merged = []
    for output in outputs:
        last = merged[-1] if merged else None
        if output.output_type == "stream" and last is not None and last.output_type == "stream":
            if last.name == output.name:
                last.text += output.text
                continue
        merged.append(output)
    for output in merged:
        if output.output_type == "stream":
            output.text = "\n".join(line.rsplit("\r", 1)[-1] for line in output.text.split("\n"))
    return merged


if __name__ == "__main__":
    for name in sys.argv[1:] or sorted(NOTEBOOKS.glob("*.ipynb")):
        run(Path(name).resolve())
