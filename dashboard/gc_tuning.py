"""Python's garbage collector in a long-running Streamlit worker.

Under the 100-user load test a worker ran a full (generation 2) collection every 6 s, each
pausing every session of the worker: 0.13 s at first, 1.2 s after 90 s (``gc.callbacks``,
docs/PERFORMANCE.md). A full collection walks every tracked object, and most of a worker's
never become garbage: imported modules, the opened store, the reference tables, Streamlit's
and pandas' internals.
"""

from __future__ import annotations

import gc

import streamlit as st


@st.cache_resource(show_spinner=False)
def settle_after_first_run() -> bool:
    """Once per worker, after its first script run: move everything alive now out of the
    collector's reach for good (``gc.freeze``), so full collections walk only what later runs
    keep. (A larger young generation as well cost 7 % more CPU under the load: not done.)"""
    gc.collect()
    gc.freeze()
    return True
