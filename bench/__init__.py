"""Benchmarks for the klynge pipeline: ``python -m bench.run`` (``make bench``).

Not part of ``make test``. See ``bench/README.md`` for what each benchmark measures.
"""
