"""Lean School engine: the domain core (models, workflows, checks, policy, services).

Imports no Flask and no HTTP: the web UI, the CLI and the scheduler are adapters over it.
"""
