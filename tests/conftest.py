"""Shared test set-up: the hypothesis profile, the torch fixture, headless matplotlib."""

import importlib
import os

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("MPLBACKEND", "Agg")

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=100
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def import_torch():
    """torch, or a skip where it is not installed. With REQUIRE_TORCH=1 (set by CI) a missing
    torch is an error, so the PyTorch cross-checks can never silently skip there."""
    if os.environ.get("REQUIRE_TORCH") == "1":
        torch = importlib.import_module("torch")
    else:
        torch = pytest.importorskip("torch")
    torch.set_num_threads(1)  # small ops on 2 cores are much slower with torch's default
    return torch


@pytest.fixture(scope="session")
def torch():
    return import_torch()
