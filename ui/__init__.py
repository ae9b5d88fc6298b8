"""Streamlit-side helpers shared by the pages: cached resources and the global filters.

This package may import streamlit; `muyun/` may not. Pages call these helpers and `muyun`
services, never SQL.
"""
