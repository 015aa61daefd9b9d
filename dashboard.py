"""gapwatch dashboard: `streamlit run dashboard.py` (or `make run`, which builds the store first).

The frame every page shares: page config, the read-only store connection, the sidebar filters (bound to the URL),
the status line, and navigation over the page files in pages/ that exist.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from pages import common

HERE = Path(__file__).resolve().parent

# Page files in navigation order; pages written by others are listed only when their file exists.
PAGES = [
    ("pages/map.py", "Regional map", ":material/map:", "map"),
    ("pages/board.py", "Board view", ":material/groups:", "board"),
    ("pages/school.py", "School finder", ":material/school:", "school"),
    ("pages/early_years.py", "Early years & LA context", ":material/child_care:", "early-years"),
    ("pages/about.py", "About the data", ":material/info:", "about"),
]

st.set_page_config(page_title="gapwatch — disadvantage gaps", layout="wide",
                   initial_sidebar_state="collapsed" if common.meeting_requested() else "auto")

con = common.get_con()
if con is None:
    common.build_panel()
    st.stop()

pages = [st.Page(str(HERE / path), title=title, icon=icon, url_path=slug)
         for path, title, icon, slug in PAGES if (HERE / path).exists()]
nav = st.navigation(pages)
st.session_state[common.FRAME] = True  # pages check this: they run inside the frame, not on their own
try:
    common.new_run()
    common.filters()
    common.status_line(con)
    nav.run()
finally:
    st.session_state.pop(common.FRAME, None)
