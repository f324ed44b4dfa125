"""A cheaper cache key for the DataFrames that Streamlit-cached functions take as arguments.

Streamlit hashes a DataFrame argument with ``pandas.util.hash_pandas_object`` over its dtypes
and values: about 1.3 ms for a two-row breakdown (pandas' per-column overhead), 9 % of a first
Daerah Saya view's CPU for its charts alone (py-spy, docs/SCALING.md). The pickled frame holds
its index, columns, dtypes and values too, and takes about 0.08 ms. Equal frames laid out
differently in memory may pickle differently: that is a cache miss, never a wrong hit.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import pandas as pd


def frame_bytes(frame: pd.DataFrame) -> bytes:
    """The frame's pickle, which Streamlit then hashes as bytes."""
    return pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)


FRAME_HASH_FUNCS: dict[str | type[Any], Callable[[Any], Any]] = {pd.DataFrame: frame_bytes}
"""``hash_funcs`` for ``st.cache_data`` / ``st.cache_resource`` over frames."""
