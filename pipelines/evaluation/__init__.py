"""Effect evaluation: firm panel contract, synthetic panel, matching, staggered DiD, disclosure.

This package runs on its own, where the firm panel lives (inside Statistics Denmark's research
environment): it imports numpy, pandas, pyarrow, matplotlib and the estimator library
``differences``, never Dagster, dbt or Great Expectations, and nothing else of ``pipelines``.
"""
