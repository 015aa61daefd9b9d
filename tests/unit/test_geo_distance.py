"""Distances on the National Grid: exact against 3-4-5 triangles, unlocated schools left out and counted."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.distance import SchoolIndex


@pytest.fixture
def index() -> SchoolIndex:
    # A at the origin; B 3 km east and 4 km north (5 km); C twice as far (10 km); D has no coordinates and
    # E has GIAS's (0, 0) placeholder.
    return SchoolIndex(pd.DataFrame({"urn": [1, 2, 3, 4, 5], "easting": [400000.0, 403000.0, 406000.0, None, 0],
                                     "northing": [100000.0, 104000.0, 108000.0, None, 0]}))


def test_unlocated_schools_are_excluded_and_counted(index: SchoolIndex) -> None:
    assert len(index) == 3 and index.unlocated == 2
    assert index.urns.tolist() == [1, 2, 3]


def test_within_is_exact_and_excludes_the_school_itself(index: SchoolIndex) -> None:
    out = index.within(1, 5.0)
    assert out["urn"].tolist() == [2] and out["distance_m"].tolist() == [5000.0]
    assert index.within(1, 4.999).empty
    assert index.within(2, 5.0)["urn"].tolist() == [1, 3]  # tie at 5000 m ordered by URN
    pt = index.within((400000.0, 100000.0), 10.0)
    assert pt["urn"].tolist() == [1, 2, 3] and pt["distance_m"].tolist() == [0.0, 5000.0, 10000.0]


def test_nearest(index: SchoolIndex) -> None:
    out = index.nearest(3, 2)
    assert out["urn"].tolist() == [2, 1] and out["distance_m"].tolist() == [5000.0, 10000.0]
    assert index.nearest(3, 10)["urn"].tolist() == [2, 1]
    with pytest.raises(KeyError, match="URN 4"):
        index.nearest(4, 1)


def test_pairs_within(index: SchoolIndex) -> None:
    assert index.pairs_within(5.0).tolist() == [[0, 1], [1, 2]]
    assert index.pairs_within(10.0).tolist() == [[0, 1], [0, 2], [1, 2]]
    assert index.pairs_within(4.0).shape == (0, 2)


def test_pairs_match_brute_force_on_random_points() -> None:
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 20000, size=(300, 2))
    idx = SchoolIndex(pd.DataFrame({"urn": range(300), "easting": xy[:, 0], "northing": xy[:, 1]}))
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    i, j = np.nonzero(np.triu(d <= 2000.0, k=1))
    assert idx.pairs_within(2.0).tolist() == np.column_stack([i, j]).tolist()
