"""Streamlit-facing pieces: session guard and cached reads, widgets, charts, theme."""
