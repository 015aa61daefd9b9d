"""gapdata: read official DfE/ONS/OS files, build the DuckDB store, compute disadvantage gaps.

No Streamlit import anywhere in this package: pages cache at their own edge.
"""
