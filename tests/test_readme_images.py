"""The README's pictures are the ones the code makes: the neuron picture it captions as the one
`make demo` writes is, byte for byte, out/neuron.png of a real run of the demo."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_readmes_demo_picture_is_what_the_demo_writes(tmp_path):
    readme = (ROOT / "README.md").read_text()
    assert "(the picture `make demo` writes)" in readme and "docs/images/neuron_graph.png" in readme
    result = subprocess.run(
        [sys.executable, "-m", "nn", "demo", "--quiet", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "neuron.png").read_bytes()
    assert (ROOT / "docs" / "images" / "neuron_graph.png").read_bytes() == written, (
        "docs/images/neuron_graph.png is out of date: run python docs/make_images.py"
    )
