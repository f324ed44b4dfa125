"""Replica contract, refresh job, analytics store and every SQL query (the synthetic replica's
generator is its own package, ``synthetic``, above this one).

Nothing in this package imports Streamlit: it takes data and returns DataFrames.
"""
