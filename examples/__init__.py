"""The example policy sets (data only), installed as ``ledger.examples``.

This file makes the folder a package so that ``importlib.resources.files("ledger.examples")``
finds the sets through setuptools' editable import hook as well as in a wheel.
"""
