"""Sub-region presets: named groups of LAs or districts, read from TOML and resolved to GSS codes for a year.

The shipped presets live in `config/regions.toml`; a user's own file (path argument, or $GAPWATCH_REGIONS,
several joined by the OS path separator) is merged over it: a preset with the same name replaces the shipped
one. Members are names (matched tolerantly), GSS codes or DfE 3-digit LA codes, and are resolved for each year
against the ONS boundary set valid then, so "Somerset" is E10000027 in 2019 and E06000066 in 2024 and
"Bournemouth, Christchurch and Poole" in 2018 is the two unitaries it was formed from. See docs/geo.md.
"""
from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gapdata.paths import REPO_ROOT
from gapdata.sources.base import SourceError
from geo import boundaries as bnd

SHIPPED = REPO_ROOT / "config" / "regions.toml"
ENV_VAR = "GAPWATCH_REGIONS"
MEMBER_LEVELS = ("la", "district")
_GSS = re.compile(r"^[EWSN]\d{8}$", re.IGNORECASE)
_OVERLAP = 0.5  # share of the smaller area two areas must share to count as predecessor/successor


class ConfigError(ValueError):
    """A preset file is wrong. Names the file, the preset/sub-region entry and, where useful, close names."""

    def __init__(self, path: Path | str | None, entry: str, reason: str, suggestions: list[str] | None = None):
        self.path, self.entry, self.reason = path, entry, reason
        self.suggestions = list(suggestions or [])
        msg = f"{path}: {entry}: {reason}" if entry else f"{path}: {reason}"
        if self.suggestions:
            msg += ". Did you mean: " + ", ".join(repr(s) for s in self.suggestions) + "?"
        super().__init__(msg)


@dataclass(frozen=True)
class SubRegion:
    name: str
    members: tuple[str, ...]
    level: str


@dataclass(frozen=True)
class Preset:
    """One preset as written in its file; `resolve` turns it into GSS codes for a year."""

    name: str
    description: str
    level: str
    subregions: tuple[SubRegion, ...]
    source: Path
    liaison_groups: str | int | None = None  # a groups CSV (relative to `source`) or n derived groups

    def entry(self, sub: str | None = None) -> str:
        return f"preset {self.name!r}" + (f", sub-region {sub!r}" if sub is not None else "")


# ------------------------------------------------------------------------------------------------ names
def normalise(name: str) -> str:
    """Comparison key: case, '&'/'and', punctuation and 'County of'/'City of'/'The' do not matter."""
    s = str(name).lower().replace("&", " and ")
    s = re.sub(r"\b(county|city) of\b", " ", s)
    s = re.sub(r"[^a-z0-9]+", " ", s)
    s = re.sub(r"\bthe\b", " ", s)
    return " ".join(s.split())


class Gazetteer:
    """The areas of one level (all years) from the boundary file, to look members up by name or code."""

    def __init__(self, level: str, path: Path | None = None, la_codes: pd.DataFrame | None = None):
        self.level, self.path, self._la_codes = level, path, la_codes
        self.areas = bnd.layer(level, path)
        self.by_code = {c: i for i, c in enumerate(self.areas["code"])}
        self.by_name: dict[str, list[str]] = {}
        for code, name in zip(self.areas["code"], self.areas["name"]):
            self.by_name.setdefault(normalise(name), []).append(code)

    def la_codes(self) -> pd.DataFrame:
        if self._la_codes is None:
            from gapdata.sources import la_codes

            folder = Path(self.path).parent if self.path else None
            self._la_codes = la_codes.load_default(folder)
        return self._la_codes

    def identity(self, member: str) -> list[str] | None:
        """Every GSS code the member has denoted (any year), or None when unknown."""
        m = str(member).strip()
        if m.isdigit() and self.level == "la":
            lc = self.la_codes()
            codes = [str(g) for g in lc.loc[lc["la_code"] == int(m), "gss"].dropna()]
            return codes or None
        if _GSS.match(m):
            return [m.upper()] if m.upper() in self.by_code else None
        return self.by_name.get(normalise(m))

    def suggest(self, member: str, n: int = 3) -> list[str]:
        names = sorted(set(self.areas["name"]))
        by_norm = {normalise(x): x for x in names}
        close = difflib.get_close_matches(normalise(member), list(by_norm), n=n, cutoff=0.5)
        return [by_norm[c] for c in close]

    def in_year(self, member: str, codes: list[str], year: int) -> list[str]:
        """The member's GSS codes valid in `year`; across a reorganisation, its predecessors or successor."""
        m = str(member).strip()
        if m.isdigit() and self.level == "la":
            from gapdata.sources import la_codes

            g = la_codes.gss_for(self.la_codes(), int(m), year)
            if g and g in self.by_code:
                return [g]
        rows = self.areas.iloc[[self.by_code[c] for c in codes if c in self.by_code]]
        valid = rows[bnd.valid_in(rows, bnd.boundary_year(year))]
        if not valid.empty:
            return list(valid["code"])
        if rows.empty:
            return []
        shape = shapely.union_all(rows.geometry.values)
        now = self.areas[bnd.valid_in(self.areas, bnd.boundary_year(year))]
        geoms = now.geometry.values
        hit = shapely.intersects(geoms, shape)
        # Degrees are fine here: only ratios of areas a few km apart are compared.
        inter = shapely.area(shapely.intersection(geoms[hit], shape))
        share = inter / np.minimum(shapely.area(geoms[hit]), shape.area)
        return list(now["code"].to_numpy()[hit][share >= _OVERLAP])


# ------------------------------------------------------------------------------------------------ loading
def _str_list(value: object) -> list[str] | None:
    if not isinstance(value, list):
        return None
    return [str(v).strip() for v in value]


def _parse(path: Path) -> list[Preset]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(path, "", "file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(path, "", f"not valid TOML: {exc}") from None
    items = data.get("preset", [])
    if not isinstance(items, list):
        raise ConfigError(path, "", "presets are written as [[preset]] tables")
    out = []
    for i, p in enumerate(items, start=1):
        name = str(p.get("name", "")).strip()
        if not name:
            raise ConfigError(path, f"preset #{i}", "has no name")
        level = str(p.get("level", "la")).strip().lower()
        if level not in MEMBER_LEVELS:
            raise ConfigError(path, f"preset {name!r}", f"level {level!r} is not one of {', '.join(MEMBER_LEVELS)}",
                              difflib.get_close_matches(level, MEMBER_LEVELS, n=1, cutoff=0.3))
        subs = []
        for j, s in enumerate(p.get("subregion", []) or [], start=1):
            sname = str(s.get("name", "")).strip()
            if not sname:
                raise ConfigError(path, f"preset {name!r}, sub-region #{j}", "has no name")
            members = _str_list(s.get("members", []))
            if members is None:
                raise ConfigError(path, f"preset {name!r}, sub-region {sname!r}", "members must be a list")
            slevel = str(s.get("level", level)).strip().lower()
            if slevel not in MEMBER_LEVELS:
                raise ConfigError(path, f"preset {name!r}, sub-region {sname!r}",
                                  f"level {slevel!r} is not one of {', '.join(MEMBER_LEVELS)}")
            subs.append(SubRegion(sname, tuple(m for m in members if m), slevel))
        lg = p.get("liaison_groups")
        out.append(Preset(name, str(p.get("description", "")).strip(), level, tuple(subs), Path(path),
                          lg if isinstance(lg, int | str) else None))
    return out


def validate(preset: Preset, boundaries_path: Path | None = None, la_codes: pd.DataFrame | None = None,
             check_names: bool = True) -> None:
    """Raise ConfigError for: no sub-regions, an empty sub-region, an unknown member, an area listed twice.

    Member names are checked against the boundary file when it is present and `check_names` (else only the
    structure, and duplicates by normalised name).
    """
    f = preset.source
    if not preset.subregions:
        raise ConfigError(f, preset.entry(), "has no sub-regions (add [[preset.subregion]] tables)")
    seen_sub: set[str] = set()
    for s in preset.subregions:
        if s.name in seen_sub:
            raise ConfigError(f, preset.entry(s.name), "sub-region name used twice")
        seen_sub.add(s.name)
        if not s.members:
            raise ConfigError(f, preset.entry(s.name), "is empty (members = [])")
    gaz: dict[str, Gazetteer] = {}
    if check_names:
        try:
            gaz = {lv: Gazetteer(lv, boundaries_path, la_codes) for lv in {s.level for s in preset.subregions}}
        except SourceError:
            gaz = {}
    owner: dict[tuple[str, str], tuple[str, str]] = {}
    for s in preset.subregions:
        for m in s.members:
            if s.level in gaz:
                try:
                    ident = gaz[s.level].identity(m)
                except SourceError:
                    ident = [normalise(m)]
                if ident is None:
                    raise ConfigError(f, preset.entry(s.name), f"unknown {_level_word(s.level)} {m!r}",
                                      gaz[s.level].suggest(m))
            else:
                ident = [normalise(m)]
            for code in ident:
                prev = owner.get((s.level, code))
                if prev is not None:
                    where = (f"in sub-regions {prev[0]!r} and {s.name!r}" if prev[0] != s.name
                             else f"twice in sub-region {s.name!r}")
                    raise ConfigError(f, preset.entry(s.name),
                                      f"{m!r} is the same area as {prev[1]!r}: listed {where}")
                owner[(s.level, code)] = (s.name, m)


def _level_word(level: str) -> str:
    return {"la": "LA", "district": "district"}.get(level, level)


def _paths(paths: list[Path | str] | Path | str | None) -> list[Path]:
    if paths is None:
        env = os.environ.get(ENV_VAR, "")
        return [Path(p) for p in env.split(os.pathsep) if p.strip()]
    if isinstance(paths, str | os.PathLike):
        return [Path(paths)]
    return [Path(p) for p in paths]


def load_presets(paths: list[Path | str] | Path | str | None = None, shipped: Path | None = SHIPPED,
                 boundaries_path: Path | None = None, check_names: bool = True) -> dict[str, Preset]:
    """Presets by name: the shipped file, then each user file (`paths`, else $GAPWATCH_REGIONS) over it.

    Every preset is validated (see `validate`); the first problem raises ConfigError.
    """
    presets: dict[str, Preset] = {}
    files = ([Path(shipped)] if shipped else []) + _paths(paths)
    for f in files:
        seen: set[str] = set()
        for p in _parse(f):
            if p.name in seen:
                raise ConfigError(f, p.entry(), "preset defined twice in this file")
            seen.add(p.name)
            presets[p.name] = p
    for p in presets.values():
        validate(p, boundaries_path, check_names=check_names)
    return presets


# ------------------------------------------------------------------------------------------------ resolving
def resolve(preset: Preset, year: int, boundaries_path: Path | None = None,
            la_codes: pd.DataFrame | None = None) -> pd.DataFrame:
    """DataFrame[subregion, member_code, member_name, level, given]: the preset's areas valid in `year`.

    `year` is a results year (academic year named by its end); `given` is the member as written. A member
    whose area did not exist in `year` resolves to its predecessors or successor (by shared area).
    """
    gaz: dict[str, Gazetteer] = {}
    rows = []
    for s in preset.subregions:
        if s.level not in gaz:
            gaz[s.level] = Gazetteer(s.level, boundaries_path, la_codes)
        g = gaz[s.level]
        for m in s.members:
            ident = g.identity(m)
            if ident is None:
                raise ConfigError(preset.source, preset.entry(s.name), f"unknown {_level_word(s.level)} {m!r}",
                                  g.suggest(m))
            codes = g.in_year(m, ident, year)
            if not codes:
                raise ConfigError(preset.source, preset.entry(s.name),
                                  f"{m!r} has no {_level_word(s.level)} boundary in {year}")
            for c in codes:
                rows.append({"subregion": s.name, "member_code": c,
                             "member_name": g.areas.iloc[g.by_code[c]]["name"], "level": s.level, "given": m})
    out = pd.DataFrame(rows, columns=["subregion", "member_code", "member_name", "level", "given"])
    dup = out[out.duplicated(["level", "member_code"], keep=False)]
    clash = dup.groupby("member_code")["subregion"].nunique()
    if (clash > 1).any():
        code = clash[clash > 1].index[0]
        d = dup[dup["member_code"] == code]
        raise ConfigError(preset.source, preset.entry(d["subregion"].iloc[-1]),
                          f"in {year} {', '.join(map(repr, d['given']))} are all {code} "
                          f"({d['member_name'].iloc[0]}), which cannot be in sub-regions "
                          f"{' and '.join(map(repr, d['subregion'].unique()))} at once")
    return out.drop_duplicates(["subregion", "level", "member_code"]).reset_index(drop=True)


def outlines(preset: Preset, year: int, boundaries_path: Path | None = None,
             tolerance: float = bnd.DEFAULT_TOLERANCE) -> gpd.GeoDataFrame:
    """GeoDataFrame[subregion, geometry] (WGS84): each sub-region's member boundaries dissolved."""
    members = resolve(preset, year, boundaries_path)
    parts = []
    for level, grp in members.groupby("level"):
        shapes = bnd.boundaries(level, year, boundaries_path, tolerance=0)
        parts.append(shapes.merge(grp[["subregion", "member_code"]], left_on="code", right_on="member_code"))
    m = pd.concat(parts, ignore_index=True)
    merged = gpd.GeoDataFrame(m, geometry="geometry", crs=4326).dissolve(by="subregion", sort=False)
    out = gpd.GeoDataFrame({"subregion": merged.index.astype(str)},
                           geometry=bnd._polygonal(merged.geometry.values), crs=4326)
    order = {s.name: i for i, s in enumerate(preset.subregions)}
    out = out.iloc[sorted(range(len(out)), key=lambda i: order.get(out["subregion"].iloc[i], 0))]
    return bnd.simplify(out.reset_index(drop=True), tolerance)
