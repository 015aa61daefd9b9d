"""Geography for gapwatch: boundaries by year, sub-region presets, liaison groups, networks and distances.

No Streamlit here; the dashboard caches what it needs. See docs/geo.md.
"""
