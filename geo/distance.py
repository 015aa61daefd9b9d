"""Distances between schools, in metres on the British National Grid (EPSG:27700).

BNG is a transverse Mercator projection: over England its scale error is below 0.04 %, so straight-line
distances on easting/northing are within metres of the geodesic distance at the scales used here (≤ 50 km).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

Where = int | tuple[float, float]


def located(schools: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(mask, easting, northing): numeric coordinates, with GIAS's (0, 0) placeholder counted as missing."""
    e = pd.to_numeric(schools["easting"], errors="coerce")
    n = pd.to_numeric(schools["northing"], errors="coerce")
    ok = e.notna() & n.notna() & ~((e == 0) & (n == 0))
    return ok, e, n


class SchoolIndex:
    """A k-d tree over the located schools; schools without easting/northing (or at the register's (0, 0)
    placeholder) are left out and counted in `unlocated`.

    `urns` and `xy` give the located schools in index order (the order `pairs_within` refers to).
    """

    def __init__(self, schools: pd.DataFrame):
        mask, e, n = located(schools)
        ok = mask.to_numpy()
        self.unlocated = int((~ok).sum())
        self.urns = schools["urn"].to_numpy()[ok].astype("int64")
        self.xy = np.column_stack([e.to_numpy(dtype=float)[ok], n.to_numpy(dtype=float)[ok]])
        self._pos = {int(u): i for i, u in enumerate(self.urns)}
        from scipy.spatial import cKDTree  # here, not at the top: importing scipy.spatial takes ~0.5 s, and the
        # liaison groups (drawn in the sidebar of every page) need `located` from this module, not the tree

        self.tree = cKDTree(self.xy) if len(self.xy) else None

    def __len__(self) -> int:
        return len(self.urns)

    def _point(self, where: Where) -> tuple[np.ndarray, int | None]:
        if isinstance(where, tuple):
            return np.asarray(where, dtype=float), None
        urn = int(where)
        if urn not in self._pos:
            raise KeyError(f"URN {urn} is not a located school in this index")
        return self.xy[self._pos[urn]], urn

    def _frame(self, idx: np.ndarray, dist: np.ndarray, exclude: int | None) -> pd.DataFrame:
        out = pd.DataFrame({"urn": self.urns[idx], "distance_m": dist})
        if exclude is not None:
            out = out[out["urn"] != exclude]
        return out.sort_values(["distance_m", "urn"], kind="stable").reset_index(drop=True)

    def within(self, where: Where, km: float) -> pd.DataFrame:
        """DataFrame[urn, distance_m] of schools within `km` of a URN (itself excluded) or an (e, n) point,
        nearest first (ties by URN)."""
        p, exclude = self._point(where)
        if self.tree is None:
            return pd.DataFrame({"urn": pd.Series(dtype="int64"), "distance_m": pd.Series(dtype=float)})
        idx = np.asarray(self.tree.query_ball_point(p, km * 1000.0), dtype=int)
        dist = np.hypot(*(self.xy[idx] - p).T) if len(idx) else np.array([], dtype=float)
        return self._frame(idx, dist, exclude)

    def nearest(self, where: Where, n: int) -> pd.DataFrame:
        """DataFrame[urn, distance_m] of the `n` nearest schools to a URN (itself excluded) or point."""
        p, exclude = self._point(where)
        if self.tree is None or n <= 0:
            return pd.DataFrame({"urn": pd.Series(dtype="int64"), "distance_m": pd.Series(dtype=float)})
        k = min(len(self), n + (1 if exclude is not None else 0))
        dist, idx = self.tree.query(p, k=k)
        dist, idx = np.atleast_1d(dist), np.atleast_1d(idx)
        return self._frame(idx, dist, exclude).head(n)

    def pairs_within(self, km: float) -> np.ndarray:
        """ndarray of shape (k, 2): index pairs (i < j, into `urns`) of schools at most `km` apart."""
        if self.tree is None:
            return np.empty((0, 2), dtype=int)
        pairs = self.tree.query_pairs(km * 1000.0, output_type="ndarray")
        return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))] if len(pairs) else pairs.reshape(0, 2)
