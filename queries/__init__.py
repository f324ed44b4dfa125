"""Replica contract, synthetic replica, refresh job, analytics store and every SQL query.

Nothing in this package imports Streamlit: it takes data and returns DataFrames.
"""
