"""The cluster programme's own reported data: contract, reading, checks, quarantine, load.

Cluster organisations send files (no API exists); ``docs/programme_contract.md`` (generated
from ``pipelines/config/programme_contract/``) tells them what the files must hold.
"""
