"""Shared fixtures: stores built once per session, from the open-data bundle or from small synthetic files."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from gapdata.build import build_store
from gapdata.paths import DEFAULT_RAW_DIR

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def _own_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests (and the servers they start) keep parsed boundaries in their own folder, not the user's data/cache."""
    os.environ["GAPWATCH_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def bundle_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store built from ../shared/data (skipped when the bundle is not on this machine)."""
    if not DEFAULT_RAW_DIR.is_dir():
        pytest.skip(f"open-data bundle not found at {DEFAULT_RAW_DIR}: bundle-store tests need it")
    store = tmp_path_factory.mktemp("bundle") / "bundle.duckdb"
    build_store(DEFAULT_RAW_DIR, store)
    return store


@pytest.fixture(scope="session")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store from tests/fixtures.py's synthetic files: two LAs, known figures the tests compute by hand.

    (gapdata.synth.write_synthetic makes realistic bulk data; these tests need figures small enough to check by
    hand, so they keep their own writer — see `synth_store` for the bulk generator.)
    """
    from tests.fixtures import write_small_bundle

    root = tmp_path_factory.mktemp("small")
    write_small_bundle(root / "raw")
    store = root / "small.duckdb"
    build_store(root / "raw", store)
    return store


@pytest.fixture(scope="session")
def synth_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store from gapdata.synth's synthetic England-style files (skipped until that module exists)."""
    try:
        from gapdata.synth import write_synthetic
    except ImportError:
        pytest.skip("gapdata.synth is not available yet")
    root = tmp_path_factory.mktemp("synth")
    write_synthetic(root / "raw", schools=60, years=[2017, 2018, 2019], seed=0)
    store = root / "synth.duckdb"
    build_store(root / "raw", store)
    return store
