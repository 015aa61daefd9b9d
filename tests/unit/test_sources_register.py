"""Register, LA-code, pupil premium and postcode readers on tiny files written in the official formats."""
from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from gapdata.sources import codepoint, gias, gias_links, la_codes, open_schools, pupil_premium
from gapdata.sources.base import SourceError


def _write(path: Path, lines: list[str], bom: bool = False, crlf: bool = False, encoding: str = "utf-8",
           final_newline: bool = True) -> Path:
    nl = "\r\n" if crlf else "\n"
    text = nl.join(lines) + (nl if final_newline else "")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


def _q(*cells: str) -> str:
    """A GIAS-style line: every field quoted, numbers included."""
    return ",".join(f'"{c}"' for c in cells)


# ------------------------------------------------- independent BNG -> WGS84 (OS guide formulas)

def _os_inverse_tm(e: float, n: float) -> tuple[float, float]:
    """OSGB36 latitude, longitude (radians) of a grid point: the inverse Transverse Mercator of the
    Ordnance Survey's 'A guide to coordinate systems in Great Britain' (Airy 1830, National Grid)."""
    a, b, f0 = 6377563.396, 6356256.909, 0.9996012717
    lat0, lon0, n0, e0 = math.radians(49), math.radians(-2), -100000.0, 400000.0
    e2, nn = 1 - b * b / (a * a), (a - b) / (a + b)
    lat, m = lat0, 0.0
    while True:
        lat = (n - n0 - m) / (a * f0) + lat
        dl, sl = lat - lat0, lat + lat0
        m = b * f0 * ((1 + nn + 5 / 4 * nn**2 + 5 / 4 * nn**3) * dl
                      - (3 * nn + 3 * nn**2 + 21 / 8 * nn**3) * math.sin(dl) * math.cos(sl)
                      + (15 / 8 * nn**2 + 15 / 8 * nn**3) * math.sin(2 * dl) * math.cos(2 * sl)
                      - 35 / 24 * nn**3 * math.sin(3 * dl) * math.cos(3 * sl))
        if abs(n - n0 - m) < 1e-5:
            break
    s, c, t = math.sin(lat), math.cos(lat), math.tan(lat)
    nu = a * f0 / math.sqrt(1 - e2 * s * s)
    rho = a * f0 * (1 - e2) / (1 - e2 * s * s) ** 1.5
    eta2 = nu / rho - 1
    de = e - e0
    phi = (lat - t / (2 * rho * nu) * de**2
           + t / (24 * rho * nu**3) * (5 + 3 * t * t + eta2 - 9 * t * t * eta2) * de**4
           - t / (720 * rho * nu**5) * (61 + 90 * t * t + 45 * t**4) * de**6)
    lam = (lon0 + de / (c * nu) - (nu / rho + 2 * t * t) / (c * 6 * nu**3) * de**3
           + (5 + 28 * t * t + 24 * t**4) / (c * 120 * nu**5) * de**5
           - (61 + 662 * t * t + 1320 * t**4 + 720 * t**6) / (c * 5040 * nu**7) * de**7)
    return phi, lam


def _os_bng_to_wgs84(e: float, n: float) -> tuple[float, float]:
    """WGS84 lon, lat (degrees): the OS inverse TM, then the OS Helmert OSGB36 -> WGS84. No pyproj."""
    a, b = 6377563.396, 6356256.909
    e2 = 1 - b * b / (a * a)
    phi, lam = _os_inverse_tm(e, n)
    nu_a = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    x, y, z = (nu_a * math.cos(phi) * math.cos(lam), nu_a * math.cos(phi) * math.sin(lam),
               (1 - e2) * nu_a * math.sin(phi))
    tx, ty, tz, sc = 446.448, -125.157, 542.060, -20.4894e-6
    rx, ry, rz = (math.radians(v / 3600) for v in (0.1502, 0.2470, 0.8421))
    x2, y2, z2 = (tx + (1 + sc) * x - rz * y + ry * z, ty + rz * x + (1 + sc) * y - rx * z,
                  tz - ry * x + rx * y + (1 + sc) * z)
    a2, b2 = 6378137.0, 6356752.314245
    e22 = 1 - b2 * b2 / (a2 * a2)
    p = math.hypot(x2, y2)
    la = math.atan2(z2, p * (1 - e22))
    for _ in range(10):
        la = math.atan2(z2 + e22 * a2 / math.sqrt(1 - e22 * math.sin(la) ** 2) * math.sin(la), p)
    return math.degrees(math.atan2(y2, x2)), math.degrees(la)


def test_independent_bng_formula_reproduces_the_os_worked_example():
    # OS guide, worked example C.2 (Caister water tower): E 651409.903 N 313177.270 is, on OSGB36,
    # 52 deg 39' 27.2531" N, 1 deg 43' 4.5177" E.
    phi, lam = _os_inverse_tm(651409.903, 313177.270)
    assert math.degrees(phi) == pytest.approx(52 + 39 / 60 + 27.2531 / 3600, abs=1e-7)
    assert math.degrees(lam) == pytest.approx(1 + 43 / 60 + 4.5177 / 3600, abs=1e-7)


@pytest.mark.parametrize("e, n", [(530000, 180000), (472080, 139716), (200000, 50000),
                                  (651409.903, 313177.27)])
def test_bng_to_lonlat_agrees_with_the_os_formulas(e, n):
    lon, lat = codepoint.bng_to_lonlat([e], [n])
    exp_lon, exp_lat = _os_bng_to_wgs84(e, n)
    assert abs(lon[0] - exp_lon) < 1e-5 and abs(lat[0] - exp_lat) < 1e-5


def test_bng_530000_180000_is_central_london():
    lon, lat = codepoint.bng_to_lonlat([530000], [180000])
    # Hand-computed with the OS formulas above: 51.50399 N, 0.12835 W (near Trafalgar Square / Whitehall).
    assert lat[0] == pytest.approx(51.50399, abs=1e-4) and lon[0] == pytest.approx(-0.12835, abs=1e-4)


# ---------------------------------------------------------------- LA codes

NAMES_HEADER = ("English local authority (LA) name,"
                "Get Information about Schools (GIAS) local authority (LA) code,"
                "Office for National Statistics (ONS) local authority (LA) code (also known as Government "
                "Statistical Service (GSS) local authority (LA) code on GIAS)")
LAS_HEADER = ("new_la_code,la_name,date_of_operation,date_of_termination,parent_geography_code,entity_code,"
              "entity_description,status,old_la_code")


def _la_folder(folder: Path, with_las: bool = True, with_changes: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    names = _write(folder / "EnglishLaNameCodes.csv", [
        NAMES_HEADER,
        "Barnsley,370,E08000016",
        "Pre LGR (2009) Bedfordshire,820,E10000001",
        "Buckinghamshire,825,E06000060",
        "Pre-LGR 2019 Dorset,835,E10000009",
        "Pre-LGR 2019 Poole,836,E06000029",
        "Pre-LGR 2019 Bournemouth,837,E06000028",
        "Dorset,838,E06000059",
        '"Bournemouth, Christchurch and Poole",839,E06000058',
        "Hampshire,850,E10000014",
        "Pre LGR (1997) Dorset,912,X999999",
        "Pre-LGR 2021 Northamptonshire,928,E10000021",
        "Somerset,933,E06000066",
        "North Northamptonshire,940,E06000061",
    ])
    if with_las:
        _write(folder / "las.csv", [
            LAS_HEADER,
            "E08000016,Barnsley,01/01/2009,,E12000003,E08,Metropolitan Districts,live,370",
            "E10000001,Bedfordshire,01/01/2009,31/03/2009,E12000006,E10,Counties,terminated,x",
            "E10000005,Cornwall and Isles of Scilly,01/01/2009,31/03/2009,E12000009,E10,Counties,"
            "terminated,x",
            "E06000060,Buckinghamshire,01/04/2020,,E12000008,E06,Unitary Authorities,live,825",
            "E10000002,Buckinghamshire,01/01/2009,31/03/2020,E12000008,E10,Counties,terminated,825",
            "E10000009,Dorset,01/01/2009,31/03/2019,E12000009,E10,Counties,terminated,835",
            "E06000029,Poole,01/01/2009,31/03/2019,E12000009,E06,Unitary Authorities,terminated,836",
            "E06000028,Bournemouth,01/01/2009,31/03/2019,E12000009,E06,Unitary Authorities,terminated,837",
            "E06000059,Dorset,01/04/2019,,E12000009,E06,Unitary Authorities,live,838",
            'E06000058,"Bournemouth, Christchurch and Poole",01/04/2019,,E12000009,E06,'
            'Unitary Authorities,live,839',
            "E10000014,Hampshire,01/01/2009,,E12000008,E10,Counties,live,850",
            "E10000021,Northamptonshire,01/01/2009,31/03/2021,E12000004,E10,Counties,terminated,928",
            "E06000066,Somerset,01/04/2023,,E12000009,E06,Unitary Authorities,live,933",
            "E10000027,Somerset,01/01/2009,31/03/2023,E12000009,E10,Counties,terminated,933",
            "E06000061,North Northamptonshire,01/04/2021,,E12000004,E06,Unitary Authorities,live,940",
            "E06000061 / E06000062,North Northamptonshire / West Northamptonshire,01/04/2021,,E12000004,E06,"
            "Unitary Authorities,live,940 / 941",
        ])
    if with_changes:
        _write(folder / "changes.csv", [
            "oldcd,oldnm,newcd,newnm,type,start",
            "E06000028,Bournemouth,E06000058,\"Bournemouth, Christchurch and Poole\",merger,2019",
            "E10000009,Dorset,,,termination,2019",
            "E08000016,Barnsley,E08000038,Barnsley,new_code,2025",
        ], bom=True, crlf=True)
    return names


@pytest.fixture
def las_table(tmp_path) -> pd.DataFrame:
    return la_codes.read(_la_folder(tmp_path / "geo")).tables["la_codes"]


@pytest.mark.parametrize("code, year, gss", [
    (825, 2019, "E10000002"), (825, 2020, "E06000060"),   # Buckinghamshire unitary from 1 April 2020
    (933, 2022, "E10000027"), (933, 2023, "E06000066"), (933, 2024, "E06000066"),  # Somerset 2023
    (835, 2018, "E10000009"), (835, 2019, None),           # pre-2019 Dorset county ends
    (838, 2018, None), (838, 2019, "E06000059"), (839, 2019, "E06000058"),
    (836, 2018, "E06000029"), (837, 2018, "E06000028"), (837, 2019, None),
    (928, 2020, "E10000021"), (928, 2021, None), (940, 2021, "E06000061"),
    (850, 2005, "E10000014"), (850, 2030, "E10000014"),   # no dates: valid in any year
    (370, 2024, "E08000016"), (370, 2025, "E08000038"),   # ONS new code, from the changes file
    (820, 2008, "E10000001"), (820, 2009, None),
    (912, 1990, None), (999, 2020, None),                   # no GSS code / unknown LA
])
def test_gss_for_follows_the_reorganisations(las_table, code, year, gss):
    assert la_codes.gss_for(las_table, code, year) == gss


def test_la_codes_columns_region_and_open_start(las_table):
    assert list(las_table.columns) == ["la_code", "gss", "name", "valid_from", "valid_to", "region_code"]
    bucks = las_table[las_table.la_code == 825].set_index("gss")
    # 01/01/2009 is the earliest date in las.csv (GSS codes began): the county existed before it
    assert pd.isna(bucks.loc["E10000002", "valid_from"]) and bucks.loc["E10000002", "valid_to"] == 2019
    assert bucks.loc["E06000060", "valid_from"] == 2020 and pd.isna(bucks.loc["E06000060", "valid_to"])
    assert set(bucks.region_code) == {"E12000008"}
    # the combined "E06000061 / E06000062" row adds nothing
    assert (las_table.gss == "E06000061").sum() == 1 and not las_table.gss.str.contains("/", na=False).any()
    # 'x' as the DfE code: the code comes from the names file via the GSS code
    assert las_table[las_table.gss == "E10000001"].la_code.tolist() == [820]


def test_la_codes_las_without_a_dfe_code_is_rejected_in_the_las_file(tmp_path):
    names = _la_folder(tmp_path / "geo")
    res_names = la_codes.read(names)
    assert res_names.rejects == [] and res_names.rows_read == 13 and "la_codes" in res_names.tables
    res_las = la_codes.read(names.parent / "las.csv")
    assert "la_codes" not in res_las.tables  # delivered once, with the names file
    assert sorted((r.line, r.reason) for r in res_las.rejects) == [
        (4, "E10000005 Cornwall and Isles of Scilly has no DfE LA code"),
        (17, "combined row ('A / B') repeats the single-LA rows: not loaded")]
    assert res_las.rows_read == 16 and res_las.rows_loaded == 14  # one reject, one combined row: both kept


def test_la_codes_names_file_alone_uses_pre_lgr_names(tmp_path):
    names = _la_folder(tmp_path / "geo", with_las=False, with_changes=False)
    df = la_codes.read(names).tables["la_codes"]
    assert la_codes.gss_for(df, 835, 2018) == "E10000009"
    assert la_codes.gss_for(df, 835, 2019) is None  # "Pre-LGR 2019 Dorset" ends in 2018
    assert la_codes.gss_for(df, 825, 2024) == "E06000060"


def test_la_codes_las_file_alone(tmp_path):
    names = _la_folder(tmp_path / "geo", with_changes=False)
    names.unlink()
    df = la_codes.read(tmp_path / "geo" / "las.csv").tables["la_codes"]
    assert la_codes.gss_for(df, 825, 2019) == "E10000002" and la_codes.gss_for(df, 825, 2020) == "E06000060"


def test_la_codes_sniff_and_load_default(tmp_path):
    names = _la_folder(tmp_path / "geo")
    assert la_codes.sniff(names) and la_codes.sniff(names.parent / "las.csv")
    assert not la_codes.sniff(names.parent / "changes.csv")
    names.rename(names.parent / la_codes.DEFAULT_FILES[0])
    df = la_codes.load_default(names.parent)
    assert la_codes.gss_for(df, 933, 2024) == "E06000066"
    with pytest.raises(SourceError):
        la_codes.load_default(tmp_path / "nowhere")


# ---------------------------------------------------------------- GIAS

GIAS_HEADER = ["URN", "LA (code)", "LA (name)", "EstablishmentName", "TypeOfEstablishment (name)",
               "EstablishmentStatus (name)", "OpenDate", "PhaseOfEducation (name)", "NumberOfPupils",
               "PercentageFSM", "Trusts (name)", "Town", "Postcode", "DistrictAdministrative (name)",
               "Easting", "Northing", "OfstedRating (name)", "DistrictAdministrative (code)"]


def _gias_row(urn="115850", la="850", name="Alton Infant School", typ="Community school", status="Open",
              phase="Primary", pupils="138", fsm="21.7", trust="", e="472080", n="139716", ofsted="Good"):
    return _q(urn, la, "Hampshire", name, typ, status, "01-09-1999", phase, pupils, fsm, trust, "Alton",
              "GU34 1DH", "East Hampshire", e, n, ofsted, "E07000085")


def test_gias_reads_quoted_numbers_bom_crlf(tmp_path):
    p = _write(tmp_path / "edubasealldata20220420.csv", [_q(*GIAS_HEADER), _gias_row(trust="Test Trust")],
               bom=True, crlf=True)
    assert gias.sniff(p)
    res = gias.read(p)
    row = res.tables["schools"].iloc[0]
    assert (row.urn, row.la_code, row.pupils, row.pct_fsm) == (115850, 850, 138, 21.7)
    assert (row["name"], row.la_name, row.type, row.status, row.ofsted) == (
        "Alton Infant School", "Hampshire", "Community school", "Open", "Good")
    assert (row.district_code, row.district_name, row.trust, row.postcode) == (
        "E07000085", "East Hampshire", "Test Trust", "GU34 1DH")
    assert row.located_by == "gias" and row.register_source == "edubasealldata20220420.csv"
    exp_lon, exp_lat = _os_bng_to_wgs84(472080, 139716)
    assert abs(row.lon - exp_lon) < 1e-5 and abs(row.lat - exp_lat) < 1e-5
    assert (res.rows_read, res.rows_loaded, res.rejects) == (1, 1, [])


@pytest.mark.parametrize("phase, typ, expected", [
    ("Primary", "Community school", "Primary"),
    ("Middle deemed primary", "Foundation school", "Primary"),
    ("Secondary", "Academy converter", "Secondary"),
    ("Middle deemed secondary", "Voluntary aided school", "Secondary"),
    ("All-through", "Academy sponsor led", "All-through"),
    ("Not applicable", "Community special school", "Special"),
    ("Not applicable", "Academy special converter", "Special"),
    ("Secondary", "Non-maintained special school", "Special"),
    ("Not applicable", "Pupil referral unit", "Other"),
    ("16 plus", "Further education", "Other"),
    ("Nursery", "Local authority nursery school", "Other"),
    ("Not applicable", "Other independent school", "Other"),
    ("", "", None),
])
def test_gias_phase_normalisation(tmp_path, phase, typ, expected):
    p = _write(tmp_path / "g.csv", [_q(*GIAS_HEADER), _gias_row(phase=phase, typ=typ)])
    got = gias.read(p).tables["schools"].iloc[0].phase
    assert (pd.isna(got) if expected is None else got == expected)
    assert gias.normalise_phase(phase, typ) == expected


def test_gias_status_and_ofsted_categories(tmp_path):
    p = _write(tmp_path / "g.csv", [
        _q(*GIAS_HEADER),
        _gias_row(urn="1", status="Open, but proposed to close", ofsted="Serious Weaknesses"),
        _gias_row(urn="2", status="Closed", ofsted="Special Measures"),
        _gias_row(urn="3", status="Proposed to open", ofsted=""),
    ])
    df = gias.read(p).tables["schools"].set_index("urn")
    assert df.loc[1, "status"] == "Open" and df.loc[2, "status"] == "Closed" and pd.isna(df.loc[3, "status"])
    assert df.loc[1, "ofsted"] == "Inadequate" and df.loc[2, "ofsted"] == "Inadequate"
    assert pd.isna(df.loc[3, "ofsted"])


def test_gias_zero_or_blank_coordinates_are_not_located_and_blank_numbers_are_missing(tmp_path):
    p = _write(tmp_path / "g.csv", [
        _q(*GIAS_HEADER),
        _gias_row(urn="1", e="0", n="0", pupils="", fsm=""),
        _gias_row(urn="2", e="", n=""),
        _gias_row(urn="3", e="530000", n="180000", pupils="0", fsm="SUPP"),
    ])
    res = gias.read(p)
    df = res.tables["schools"].set_index("urn")
    for urn in (1, 2):
        assert df.loc[[urn], ["easting", "lon", "located_by"]].isna().all(axis=None)
    assert pd.isna(df.loc[1, "pupils"]) and pd.isna(df.loc[1, "pct_fsm"])  # blank is missing, never 0
    # a real 0 stays 0; a code is missing
    assert df.loc[3, "pupils"] == 0 and pd.isna(df.loc[3, "pct_fsm"])
    assert df.loc[3, "located_by"] == "gias"
    assert res.rejects == []  # SUPP is a known code, blanks are normal


def test_gias_duplicate_urn_keeps_the_first_and_rejects_the_rest(tmp_path):
    p = _write(tmp_path / "g.csv", [_q(*GIAS_HEADER), _gias_row(name="First"), _gias_row(name="Second"),
                                    _gias_row(urn="ABC")])
    res = gias.read(p)
    df = res.tables["schools"]
    assert df["name"].tolist() == ["First"]
    assert [(r.line, r.column, r.value) for r in res.rejects] == [(3, "URN", "115850"), (4, "URN", "ABC")]
    assert "line 2 was kept" in res.rejects[0].reason
    assert (res.rows_read, res.rows_loaded) == (3, 1)


def test_gias_any_subset_of_columns(tmp_path):
    p = _write(tmp_path / "g.csv", ["urn,establishmentname", "100001,Only Name School"])
    df = gias.read(p).tables["schools"]
    assert list(df.columns) == gias.COLUMNS
    row = df.iloc[0]
    assert row.urn == 100001 and row["name"] == "Only Name School"
    assert pd.isna(row.la_code) and pd.isna(row.phase) and pd.isna(row.located_by)
    with pytest.raises(SourceError, match="EstablishmentName"):
        gias.read(_write(tmp_path / "h.csv", ["URN,Town", "1,Alton"]))


def test_gias_long_rows_and_windows_1252(tmp_path):
    lines = [_q(*GIAS_HEADER, "Linked establishments"),
             _gias_row(name="St Thomas \u00e0 Becket Primary") + ',"1 Predecessor","2 Successor"',
             _gias_row(urn="2", name="St Paul\u2019s CofE Primary") + ',"Does not have links"']
    p = _write(tmp_path / "g.csv", lines, crlf=True, encoding="cp1252")
    res = gias.read(p)
    assert res.tables["schools"]["name"].tolist() == ["St Thomas \u00e0 Becket Primary",
                                                      "St Paul\u2019s CofE Primary"]
    assert any("windows-1252" in n for n in res.notes) and any("more fields" in n for n in res.notes)


def test_gias_sniff_does_not_claim_other_dfe_files(tmp_path):
    links = _write(tmp_path / "links.csv", ['"URN","LinkURN","LinkName","LinkType","LinkEstablishedDate"'])
    pp = _write(tmp_path / "pp.csv", [PP_HEADER])
    opened = _write(tmp_path / "open.csv", ["urn,name,open_date,town,postcode"])
    ks2 = _write(tmp_path / "ks2final.csv", ["RECTYPE,LEA,URN,SCHNAME,TOWN,PCODE,TELIG"])
    for p in (links, pp, opened, ks2):
        assert not gias.sniff(p), p.name
    assert not open_schools.sniff(_write(tmp_path / "g.csv", [_q(*GIAS_HEADER)]))


# ---------------------------------------------------------------- GIAS links

def test_gias_links_dates_blank_and_bad(tmp_path):
    p = _write(tmp_path / "links.csv", [
        '"URN","LinkURN","LinkName","LinkType","LinkEstablishedDate"',
        '100012,100021,"Rhyl Primary School","Successor - merged","31-08-2021"',
        '100016,132245,"Kingsgate Primary School","Successor",""',
        '108299,138950,"St Thomas \u00e0 Becket","Successor","01-09-2012"',
        '100017,132245,"Bad Date School","Successor","31-02-2021"',
        'X,1,"No URN","Successor",""',
    ], crlf=True, encoding="cp1252")
    assert gias_links.sniff(p) and not gias.sniff(p)
    res = gias_links.read(p)
    df = res.tables["school_links"]
    assert list(df.columns) == ["urn", "link_urn", "link_name", "link_type", "link_date"]
    assert df.urn.tolist() == [100012, 100016, 108299] and df.link_urn.tolist() == [100021, 132245, 138950]
    assert df.link_date.iloc[0].date() == date(2021, 8, 31) and pd.isna(df.link_date.iloc[1])
    assert df.link_name.iloc[2] == "St Thomas \u00e0 Becket"
    assert [(r.line, r.column) for r in res.rejects] == [(5, "LinkEstablishedDate"), (6, "URN")]
    assert (res.rows_read, res.rows_loaded) == (5, 3)


# ---------------------------------------------------------------- pupil premium

PP_HEADER = ("URN,LAEstab,LA,Local Authority,Estab,School Name,School Type,Parliamentary Constituency,"
             "Number of pupils on roll (7),Number of Primary pupils on roll (9),"
             "Number of Primary pupils eligible for the Deprivation Pupil Premium,"
             "Percentage of Primary pupils eligible for the Deprivation Pupil Premium,"
             "Deprivation Pupil Premium Allocation (11),Number of  Secondary pupils on roll (10),"
             "Number of Secondary pupils eligible for the Deprivation Pupil Premium,"
             "Percentage of Secondary pupils eligible for the Deprivation Pupil Premium,"
             "Deprivation Pupil Premium Allocation (12),"
             "Total number of pupils eligible for the Deprivation Pupil Premium,"
             "Total allocation for the Deprivation Pupil Premium")
F = "\ufffd"  # the lost pound sign


def _pp_file(tmp_path: Path, name: str = "pupil_premium_2021.csv") -> Path:
    return _write(tmp_path / name, [
        PP_HEADER,
        f'100000,2013614,201,City of London,3614,The Aldgate School,Mainstream,Cities of London,227,227,33,'
        f'14.50%,"{F}44,385",0,0,0.00%,{F}0,33,"{F}44,385"',
        f'100171,2033526,203,Greenwich,3526,All Through School,Mainstream,Greenwich,"1,338",629,195,31.00%,'
        f'"{F}262,275",709,365,51.50%,"{F}348,575",560,"{F}610,850"',
        f'100006,2021100,202,Camden,1100,KS4 PRU,Pupil Referral Unit,Holborn,53,0,0,0.00%,{F}0,53,43,81.10%,'
        f'"{F}41,065",43,"{F}41,065"',
        f'125010,9362302,936,Surrey,2302,Hurst Green Infant School,Mainstream,East Surrey,83,83,16,19.30%,'
        f'"{F}21,520",0,0,0.00%,{F}0,16,"{F}21,52"',
    ], final_newline=True)


def test_pupil_premium_quirks(tmp_path):
    p = _pp_file(tmp_path)
    assert pupil_premium.sniff(p)
    res = pupil_premium.read(p)
    df = res.tables["pupil_premium"].set_index("urn")
    assert list(res.tables["pupil_premium"].columns) == pupil_premium.COLUMNS
    # '14.50%' is the published primary percentage; U+FFFD + '44,385' is 44385 pounds
    assert tuple(df.loc[100000, ["la_code", "year", "pupils", "pp_eligible", "pp_pct", "allocation"]]) == (
        201, 2022, 227, 33, 14.5, 44385.0)
    # both phases: '1,338' on roll (thousands separator); 560 / 1338 = 41.85% -> 41.9 (1 dp)
    assert df.loc[100171, "pupils"] == 1338 and df.loc[100171, "pp_pct"] == 41.9
    assert df.loc[100171, "allocation"] == 610850.0
    # secondary only: the 'Number of  Secondary pupils' column (two spaces) was found -> 81.1
    assert df.loc[100006, "pp_pct"] == 81.1
    # the truncated last cell is missing (never 2,152), with a reject naming the cell
    assert pd.isna(df.loc[125010, "allocation"]) and df.loc[125010, "pp_eligible"] == 16
    assert [(r.line, r.column, r.value) for r in res.rejects] == [
        (5, "Total allocation for the Deprivation Pupil Premium", f"{F}21,52")]
    assert (res.rows_read, res.rows_loaded, res.years) == (4, 4, [2022])


@pytest.mark.parametrize("name, year", [
    ("pupil_premium_2021.csv", 2022), ("pupil-premium-allocations-2021-22.csv", 2022),
    ("pp_2019_to_2020.csv", 2020), ("pp_2023_2024.csv", 2024), ("pupil_premium.csv", None),
])
def test_pupil_premium_year_from_the_file_name(name, year):
    assert pupil_premium.year_from_name(name) == year


def test_pupil_premium_year_argument_and_missing_year(tmp_path):
    p = _pp_file(tmp_path, "pupil_premium.csv")
    assert set(pupil_premium.read(p, year=2019).tables["pupil_premium"].year) == {2019}
    with pytest.raises(SourceError, match="year"):
        pupil_premium.read(p)


def test_pupil_premium_sniff_is_not_the_ecf_uplift_file(tmp_path):
    ecf = _write(tmp_path / "pupil_premium_and_sparsity_2023.csv",
                 ["URN,Pupil Premium Incentive,Sparsity Incentive", "100000,1,0"])
    assert not pupil_premium.sniff(ecf)


# ---------------------------------------------------------------- Code-Point Open

CP_LINES = [
    '"BA1 0AQ",10,375350,164483,"E92000001","E19000002","E18000010","","E06000022","E05001935"',
    '"BS105AA",10,357500,179500,"E92000001","E19000002","E18000010","","E06000023","E05001980"',
    '"BA1 9ZZ",90,0,0,"E92000001","","","","",""',
]


def test_normalise_postcode():
    assert codepoint.normalise_postcode(" bs10 5aa ") == "BS105AA"
    assert codepoint.normalise_postcode("BS105AA") == "BS105AA"
    assert codepoint.normalise_postcode("N1  6AA") == "N16AA"
    assert codepoint.normalise_postcode(None) == ""


def test_codepoint_read_skips_postcodes_without_coordinates(tmp_path):
    p = _write(tmp_path / "ba.csv", CP_LINES, crlf=True)
    assert codepoint.sniff(p)
    res = codepoint.read(p)
    df = res.tables["postcodes"]
    assert list(df.columns) == ["postcode_key", "easting", "northing", "district_code"]
    assert df.postcode_key.tolist() == ["BA10AQ", "BS105AA"]
    assert df.iloc[0][["easting", "northing"]].tolist() == [375350.0, 164483.0]
    assert df.district_code.tolist() == ["E06000022", "E06000023"]
    assert [(r.line, r.value) for r in res.rejects] == [(3, "0")]
    assert (res.rows_read, res.rows_loaded) == (3, 2)


def test_codepoint_uses_the_os_headers_file_for_column_order(tmp_path):
    _write(tmp_path / codepoint.HEADERS_FILE, [
        "PC,PQ,NO,EA,CY,RH,LH,CC,DC,WC",
        "Postcode,Positional_quality_indicator,Northings,Eastings,Country_code,NHS_regional_HA_code,"
        "NHS_HA_code,Admin_county_code,Admin_district_code,Admin_ward_code"])
    p = _write(tmp_path / "zz.csv", ['"BA1 0AQ",10,164483,375350,"E92000001","","","","E06000022",""'])
    row = codepoint.read(p).tables["postcodes"].iloc[0]
    assert (row.easting, row.northing) == (375350.0, 164483.0)


def test_codepoint_sniff(tmp_path):
    assert not codepoint.sniff(_write(tmp_path / "h.csv", ["Postcode,Positional_quality_indicator,Eastings,"
                                                            "Northings,a,b,c,d,e,f"]))
    assert not codepoint.sniff(_write(tmp_path / "open.csv", ["urn,name,open_date,town,postcode"]))
    assert not codepoint.sniff(_write(tmp_path / "short.csv", ['"BA1 0AQ",10,375350,164483']))


def test_read_postcodes_from_several_files(tmp_path):
    a = _write(tmp_path / "ba.csv", CP_LINES[:1])
    b = _write(tmp_path / "bs.csv", CP_LINES[1:2])
    df = codepoint.read_postcodes([a, b])
    assert sorted(df.postcode_key) == ["BA10AQ", "BS105AA"]
    assert codepoint.read_postcodes([]).empty


def test_geocode_fills_only_unlocated_schools(tmp_path):
    pcs = codepoint.read_postcodes([_write(tmp_path / "ba.csv", CP_LINES)])
    schools = pd.DataFrame({
        "urn": [1, 2, 3, 4, 5],
        "postcode": ["ba1 0aq", "BS10 5AA", "ZZ1 1ZZ", "BA1 0AQ", None],
        "easting": [None, 0.0, None, 472080.0, None],
        "northing": [None, 0.0, None, 139716.0, None],
        "lon": [None, None, None, -0.97, None],
        "lat": [None, None, None, 51.15, None],
        "located_by": [None, None, None, "gias", None],
    })
    before = schools.copy()
    out = codepoint.geocode(schools, pcs).set_index("urn")
    assert out.loc[1, "located_by"] == "postcode" and out.loc[1, "easting"] == 375350.0
    exp_lon, exp_lat = _os_bng_to_wgs84(375350, 164483)
    assert abs(out.loc[1, "lon"] - exp_lon) < 1e-5 and abs(out.loc[1, "lat"] - exp_lat) < 1e-5
    assert out.loc[2, "located_by"] == "postcode" and out.loc[2, "northing"] == 179500.0  # 0 E/N = unlocated
    assert out.loc[3, "located_by"] == "none" and pd.isna(out.loc[3, "easting"])
    assert out.loc[5, "located_by"] == "none"
    assert tuple(out.loc[4, ["located_by", "easting", "lon"]]) == ("gias", 472080.0, -0.97)
    pd.testing.assert_frame_equal(schools, before)  # the input is not modified


# ---------------------------------------------------------------- open schools list

def test_open_schools_list(tmp_path):
    p = _write(tmp_path / "dfe_gias_open_statefunded_schools_20250711.csv", [
        "urn,name,open_date,town,postcode",
        "100000,The Aldgate School,,London,EC3A 5DE",
        "100006,Heath School,01-09-1999,London,NW3 2NY",
        "100006,Heath School again,,London,NW3 2NY",
        "abc,Not A School,,Nowhere,",
    ])
    assert open_schools.sniff(p)
    res = open_schools.read(p)
    df = res.tables["schools"]
    assert list(df.columns) == gias.COLUMNS
    assert df.urn.tolist() == [100000, 100006] and df.postcode.tolist() == ["EC3A 5DE", "NW3 2NY"]
    assert df.located_by.isna().all() and df.la_code.isna().all() and df.easting.isna().all()
    assert set(df.register_source) == {p.name}
    assert [r.line for r in res.rejects] == [4, 5] and (res.rows_read, res.rows_loaded) == (4, 2)
