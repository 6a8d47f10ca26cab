"""ESAT · CSAT · profitability: the three-legged stool of a service business.

The package never imports Streamlit; ``analytics.store`` is the only module that
speaks SQL.
"""

__version__ = "0.1.0"
