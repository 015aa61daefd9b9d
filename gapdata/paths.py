"""Default locations: the shared open-data bundle and the store file."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RAW_DIR = (REPO_ROOT.parent / "shared" / "data").resolve()
DEFAULT_STORE = REPO_ROOT / "data" / "gapdata.duckdb"


def store_path(explicit: str | os.PathLike | None = None) -> Path:
    """The store to use: explicit argument, else $GAPDATA_STORE, else data/gapdata.duckdb."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("GAPDATA_STORE")
    return Path(env) if env else DEFAULT_STORE


def raw_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The raw-data folder: explicit argument, else $GAPDATA_RAW, else ../shared/data."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("GAPDATA_RAW")
    return Path(env) if env else DEFAULT_RAW_DIR
