"""Effect evaluation: firm panel contract, synthetic panel, matching, staggered DiD, disclosure.

This package runs on its own, where the firm panel lives (inside Statistics Denmark's research
environment): it imports numpy, pandas, pyarrow and matplotlib, never Dagster, dbt, Great
Expectations or scipy, and nothing else of ``pipelines``.
"""
