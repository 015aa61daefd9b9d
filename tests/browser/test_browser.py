"""The dashboard in a real browser: `streamlit run dashboard.py` on a free local port, driven by Debian's Chromium.

Screenshots (1600x1000) go to screenshots/ (git-ignored) so a person can look at every page.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
EXC = '[data-testid="stException"]'
PAGES = [("", "pages/map.py"), ("board", "pages/board.py"), ("school", "pages/school.py"),
         ("early-years", "pages/early_years.py"), ("about", "pages/about.py")]
PAGES = [(slug, path) for slug, path in PAGES if (REPO / path).exists()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, store: Path, tag: str):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tag = tag
        self.log = SHOTS / f"server-{tag}.log"
        SHOTS.mkdir(exist_ok=True)
        env = {**os.environ, "GAPDATA_STORE": str(store)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(REPO / "dashboard.py"), "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=REPO, env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)

    def wait_healthy(self, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: see {self.log}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise TimeoutError(f"streamlit not healthy after {timeout} s: see {self.log}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


def _server(store: Path, tag: str) -> Iterator[Server]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make browser) to run browser tests")
    srv = Server(store, tag)
    try:
        srv.wait_healthy()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def small_server(small_store: Path) -> Iterator[Server]:
    yield from _server(small_store, "small")


@pytest.fixture(scope="module")
def bundle_server(bundle_store: Path) -> Iterator[Server]:
    yield from _server(bundle_store, "bundle")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make browser) to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    ctx.close()


def settle(pg, ms: int = 1500) -> None:
    """Wait until Streamlit has finished running the script (no running indicator), then a little more."""
    pg.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=30_000)
    pg.wait_for_timeout(2000)  # the running indicator appears a moment after the page loads
    pg.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    pg.wait_for_timeout(ms)
    pg.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)


def open_page(pg, srv: Server, slug: str, query: str = "") -> None:
    pg.goto(f"{srv.url}/{slug}{'?' + query if query else ''}")
    settle(pg)


def shot(pg, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    pg.wait_for_timeout(1500)  # data grids and charts draw after the script has finished
    pg.screenshot(path=str(SHOTS / f"{name}.png"))


def params(pg) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(pg.url).query).items()}


@pytest.mark.parametrize("slug,path", PAGES)
def test_no_exception_on_any_page_small(small_server, page, slug, path):
    open_page(page, small_server, slug)
    shot(page, f"small-{slug or 'home'}")
    assert page.locator(EXC).count() == 0, page.locator(EXC).first.inner_text()
    assert "School results: Testshire, Sampleton" in page.inner_text("body")


@pytest.mark.acceptance
@pytest.mark.parametrize("slug,path", PAGES)
def test_no_exception_on_any_page_bundle(bundle_server, page, slug, path):
    open_page(page, bundle_server, slug)
    shot(page, f"bundle-{slug or 'home'}")
    assert page.locator(EXC).count() == 0, page.locator(EXC).first.inner_text()


def test_search_finds_a_school_and_opens_its_profile(small_server, page):
    open_page(page, small_server, "school")
    box = page.get_by_label("Search by school name, URN, postcode or town")
    box.fill("Beechwod")
    box.press("Enter")
    settle(page)
    page.get_by_role("button", name="Beechwood Junior School").first.click()
    settle(page, 2500)
    assert params(page).get("urn") == "900002"
    assert page.get_by_role("heading", name="Beechwood Junior School").count() == 1
    assert page.locator(EXC).count() == 0
    shot(page, "small-school-profile")


def test_shared_url_reopens_the_same_filters(small_server, page):
    q = "preset=All+LAs+in+the+store&ks=ks2&measure=read_prog&from=2017&to=2018&la=850"
    open_page(page, small_server, "school", q)
    got = params(page)
    for k, v in (("ks", "ks2"), ("measure", "read_prog"), ("from", "2017"), ("to", "2018"), ("la", "850")):
        assert got.get(k) == v, (k, got)
    side = page.locator('[data-testid="stSidebar"]')
    shown = side.inner_text() + " ".join(side.locator("input").evaluate_all("els => els.map(e => e.value)"))
    for text in ("Reading progress score", "2016/17", "2017/18", "Testshire (850)"):
        assert text in shown, text
    shot(page, "small-shared-url")
    assert "Schools in Testshire — Reading progress score" in page.inner_text("body")


def test_download_button_returns_a_file(small_server, page):
    open_page(page, small_server, "school")
    with page.expect_download(timeout=30_000) as dl:
        page.get_by_role("button", name="CSV — this table").click()
    path = dl.value.path()
    text = Path(path).read_text(encoding="utf-8")
    assert text.startswith("School,LA,Gap 2016/17,Gap 2018/19,Change")
    row = next(line.split(",") for line in text.splitlines() if line.startswith("Alderbrook Primary School,"))
    assert row[1] == "Testshire" and [float(x) for x in row[2:5]] == [30, 24, -6]
