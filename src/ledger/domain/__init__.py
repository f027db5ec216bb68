"""The domain: value objects, aggregates, events and the rules that decide.

Nothing here imports a framework or does I/O.
"""
