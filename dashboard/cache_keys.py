"""Cheap cache keys for the frames and agenda events that cached builders (charts, map
specs, outreach effects) take.

Streamlit hashes a DataFrame argument with ``pandas.util.hash_pandas_object`` over its values
and dtypes: 1.3–1.6 ms for a five-row breakdown with string columns, 7 % of a first Daerah
Saya view (py-spy, docs/SCALING.md). The frames here are small (a breakdown, a weekly series,
at most the 514 regencies), so their exact contents as plain Python objects make a key in a
tenth of that time. Pickling the frame itself would be cheaper still, but its bytes change
when a frame has been through a pickle once (as every ``st.cache_data`` result has), so equal
frames would miss the cache.
"""

from __future__ import annotations

import pickle

import pandas as pd

from outreach.events import Event


def frame_key(frame: pd.DataFrame) -> bytes:
    """Column names, dtypes, index and every value: equal frames give equal keys, and frames
    that differ in any of these give different ones."""
    contents = (
        frame.columns.tolist(),
        [str(dtype) for dtype in frame.dtypes],
        frame.index.tolist(),
        [frame[column].tolist() for column in frame.columns],
    )
    return pickle.dumps(contents, protocol=pickle.HIGHEST_PROTOCOL)


HASH_FUNCS = {pd.DataFrame: frame_key, Event: repr}
"""``hash_funcs`` for ``st.cache_data`` / ``st.cache_resource`` functions taking frames or
events. An event is a frozen dataclass whose ``repr`` names every field; Streamlit hashed each
of the nation's events field by field on every Daerah Saya view (its outreach effects)."""
