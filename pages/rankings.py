"""Placeholder page; its owner replaces this file."""

import streamlit as st

st.info("建设中")
