"""What each measure is, and how a disadvantage gap is defined.

The gap is **other pupils minus disadvantaged pupils** in the same school or area: a positive gap means
disadvantaged pupils are behind, and a gap that grows between two years is *widening*. `diffn` is DfE's own
"difference from other pupils nationally" (disadvantaged minus national others; negative = behind).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    key: str
    ks: str
    label: str
    unit: str  # 'pp' (percentage points), 'points', 'score'
    kind: str  # 'pct' (binomial), 'progress' (DfE confidence limits), 'score' (mean)
    headline: bool = False


MEASURES: dict[str, Measure] = {m.key: m for m in [
    Measure("rwm_exp", "ks2", "Reading, writing & maths: expected standard (%)", "pp", "pct", True),
    Measure("rwm_high", "ks2", "Reading, writing & maths: higher standard (%)", "pp", "pct"),
    Measure("read_prog", "ks2", "Reading progress score", "points", "progress"),
    Measure("writ_prog", "ks2", "Writing progress score", "points", "progress"),
    Measure("mat_prog", "ks2", "Maths progress score", "points", "progress"),
    Measure("read_avg", "ks2", "Reading average scaled score", "points", "score"),
    Measure("mat_avg", "ks2", "Maths average scaled score", "points", "score"),
    Measure("gps_avg", "ks2", "Grammar, punctuation & spelling scaled score", "points", "score"),
    Measure("read_exp", "ks2", "Reading: expected standard (%)", "pp", "pct"),
    Measure("writ_exp", "ks2", "Writing (TA): expected standard (%)", "pp", "pct"),
    Measure("mat_exp", "ks2", "Maths: expected standard (%)", "pp", "pct"),
    Measure("gps_exp", "ks2", "GPS: expected standard (%)", "pp", "pct"),
    Measure("att8", "ks4", "Attainment 8 score", "points", "score", True),
    Measure("p8", "ks4", "Progress 8 score", "points", "progress"),
    Measure("em94", "ks4", "English & maths grade 4+ (%)", "pp", "pct"),
    Measure("em95", "ks4", "English & maths grade 5+ (%)", "pp", "pct"),
    Measure("ebacc_aps", "ks4", "EBacc average point score", "points", "score"),
    # Early years (LA level only; FSM = currently eligible for free school meals, not FSM6CLA1A).
    Measure("gld", "eyfs", "Good level of development (%)", "pp", "pct", True),
    Measure("comm_lang_lit", "eyfs", "At least expected in communication, language & literacy ELGs (%)", "pp",
            "pct"),
    Measure("elg_all", "eyfs", "At least expected in all early learning goals (%)", "pp", "pct"),
    Measure("avg_elgs", "eyfs", "Average number of early learning goals at expected level", "points", "score"),
    Measure("al_comm_lang", "eyfs", "Communication & language: at least expected (%)", "pp", "pct"),
    Measure("al_literacy", "eyfs", "Literacy: at least expected (%)", "pp", "pct"),
    Measure("al_maths", "eyfs", "Mathematics: at least expected (%)", "pp", "pct"),
]}

KEY_STAGES = {"ks2": "Key stage 2 (age 11)", "ks4": "Key stage 4 (age 16)"}  # with school-level results
AREA_KEY_STAGES = {"eyfs": "Early years foundation stage (age 5)", **KEY_STAGES}


def headline(ks: str) -> str:
    """The measure shown first for a key stage."""
    return next(m.key for m in MEASURES.values() if m.ks == ks and m.headline)


def for_ks(ks: str) -> list[Measure]:
    return [m for m in MEASURES.values() if m.ks == ks]


def year_label(year: int) -> str:
    """2019 -> '2018/19' (academic years are stored by the year they end)."""
    return f"{year - 1}/{str(year)[-2:]}"


# Years with no comparable school-level results: shown as gaps, never interpolated.
NO_DATA_YEARS = {
    "ks2": {2020: "no KS2 tests (COVID-19)", 2021: "no KS2 tests (COVID-19)",
            2022: "school-level KS2 results not published"},
    "ks4": {2020: "centre-assessed grades: not comparable", 2021: "teacher-assessed grades: not comparable"},
}

# The pivot of long-form results into one row per school, year and measure, with the gap.
SCHOOL_GAPS_SQL = """
SELECT urn, any_value(la_code) AS la_code, year, ks, measure,
    max(value) FILTER (WHERE grp = 'dis') AS dis,
    max(status) FILTER (WHERE grp = 'dis') AS dis_status,
    max(cohort) FILTER (WHERE grp = 'dis') AS dis_n,
    max(lower) FILTER (WHERE grp = 'dis') AS dis_lo,
    max(upper) FILTER (WHERE grp = 'dis') AS dis_hi,
    bool_or(cohort_estimated) FILTER (WHERE grp = 'dis') AS dis_n_estimated,
    max(value) FILTER (WHERE grp = 'oth') AS oth,
    max(status) FILTER (WHERE grp = 'oth') AS oth_status,
    max(cohort) FILTER (WHERE grp = 'oth') AS oth_n,
    max(lower) FILTER (WHERE grp = 'oth') AS oth_lo,
    max(upper) FILTER (WHERE grp = 'oth') AS oth_hi,
    max(value) FILTER (WHERE grp = 'all') AS all_pupils,
    max(value) FILTER (WHERE grp = 'diffn') AS diffn,
    max(value) FILTER (WHERE grp = 'oth') - max(value) FILTER (WHERE grp = 'dis') AS gap
FROM school_results
GROUP BY urn, year, ks, measure
"""


def school_gaps_sql(where: str = "") -> str:
    """SCHOOL_GAPS_SQL with a filter on school_results applied before the pivot.

    DuckDB does not push an IN-subquery through the aggregate: one school's rows took 0.7 s at England scale
    filtered after the pivot, 0.01 s before it. `where` is fixed SQL with ? placeholders, never a user's text.
    """
    if not where:
        return SCHOOL_GAPS_SQL
    return SCHOOL_GAPS_SQL.replace("FROM school_results\n", f"FROM school_results WHERE {where}\n")
