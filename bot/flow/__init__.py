"""The flow engine: YAML flows compiled to state machines, driven by plain values.

Nothing in this package imports telegram or sqlalchemy; channels and stores are adapters.
"""
