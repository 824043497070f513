"""``python -m pipelines.cli refresh``: the refresh command (:mod:`pipelines.cli.command`)."""

from pipelines.cli.command import run_as_program

run_as_program()
