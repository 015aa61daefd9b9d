"""Dashboard pages (run through dashboard.py's navigation) and their shared helpers (common.py)."""
