"""Judgement criteria from a plain TOML file (config/criteria.toml), validated with helpful errors."""
from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from gapdata.paths import REPO_ROOT

DEFAULT_FILE = REPO_ROOT / "config" / "criteria.toml"


class CriteriaError(ValueError):
    """A criteria file is invalid: the message names the file, the entry and the closest valid names."""


@dataclass
class Criteria:
    min_disadvantaged_cohort: int = 11
    z_threshold: float = 1.96
    min_change: float = 1.0
    score_sd: dict[str, float] = field(default_factory=lambda: {"att8": 20.0})
    bp_years_window: int = 3
    bp_years_required: int = 2
    bp_best_fraction: float = 0.2
    bp_min_cohort: int = 11
    bp_exclude_ofsted: tuple[str, ...] = ("Inadequate",)
    tg_widening: bool = True
    tg_worst_fraction: float = 0.2
    tg_persistent_years: int = 2
    tg_years_window: int = 3
    tg_min_cohort: int = 11
    source: str = "defaults"


_SCHEMA = {
    "classification": {"min_disadvantaged_cohort": ("min_disadvantaged_cohort", int),
                       "z_threshold": ("z_threshold", float), "min_change": ("min_change", float)},
    "best_practice": {"years_window": ("bp_years_window", int), "years_required": ("bp_years_required", int),
                      "best_fraction": ("bp_best_fraction", float),
                      "min_disadvantaged_cohort": ("bp_min_cohort", int),
                      "exclude_ofsted": ("bp_exclude_ofsted", list)},
    "targeted": {"widening": ("tg_widening", bool), "worst_fraction": ("tg_worst_fraction", float),
                 "persistent_years": ("tg_persistent_years", int), "years_window": ("tg_years_window", int),
                 "min_disadvantaged_cohort": ("tg_min_cohort", int)},
}


def _suggest(name: str, valid) -> str:
    close = difflib.get_close_matches(name, list(valid), n=3)
    return f" Did you mean: {', '.join(close)}?" if close else f" Valid: {', '.join(sorted(valid))}."


def load_criteria(path: str | os.PathLike | None = None) -> Criteria:
    """Read criteria from `path`, $GAPWATCH_CRITERIA, or config/criteria.toml; unknown keys are errors."""
    p = Path(path or os.environ.get("GAPWATCH_CRITERIA") or DEFAULT_FILE)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CriteriaError(f"{p}: criteria file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise CriteriaError(f"{p}: not valid TOML ({exc})") from None
    c = Criteria(source=str(p))
    for section, values in raw.items():
        if section == "score_sd":
            if not isinstance(values, dict):
                raise CriteriaError(f"{p}: [score_sd] must be a table of measure = number")
            for k, v in values.items():
                if not isinstance(v, (int, float)) or v <= 0:
                    raise CriteriaError(f"{p}: [score_sd] {k} must be a positive number, got {v!r}")
            c.score_sd = {k: float(v) for k, v in values.items()}
            continue
        if section not in _SCHEMA:
            raise CriteriaError(f"{p}: unknown section [{section}].{_suggest(section, list(_SCHEMA) + ['score_sd'])}")
        for key, value in values.items():
            if key not in _SCHEMA[section]:
                raise CriteriaError(f"{p}: [{section}] unknown key '{key}'.{_suggest(key, _SCHEMA[section])}")
            attr, typ = _SCHEMA[section][key]
            if typ is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
                raise CriteriaError(f"{p}: [{section}] {key} must be {typ.__name__}, got {value!r}")
            if typ is list:
                value = tuple(str(v) for v in value)
            setattr(c, attr, value)
    for attr in ("bp_best_fraction", "tg_worst_fraction"):
        if not 0 < getattr(c, attr) <= 1:
            raise CriteriaError(f"{p}: {attr.split('_', 1)[1]} must be between 0 and 1")
    if c.bp_years_required > c.bp_years_window:
        raise CriteriaError(f"{p}: [best_practice] years_required ({c.bp_years_required}) exceeds years_window "
                            f"({c.bp_years_window})")
    return c
