"""Request and response schemas: inputs (commands) and outputs kept apart.

Inputs refuse unknown fields and JSON numbers for money; outputs carry amounts
as strings with two decimals. One module per resource, shared types in
:mod:`ledger.api.schemas.types`.
"""
