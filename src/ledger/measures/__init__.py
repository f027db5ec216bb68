"""The measures: what the enacted policies make of the facts, one module per measure.

Each module keeps a measure's decisions, its compensations when the document behind
them is amended or revoked, and its checks together:

* :mod:`.reduction`: the 2020 half reduction (减征), with the refund or credit it frees;
* :mod:`.application_deferral`: the 2020 deferral on application (申请缓缴);
* :mod:`.automatic_deferral`: the 2022 phased deferral (缓缴, 免申即享), window and shift;
* :mod:`.commitment`: the written commitment (承诺书) of a unit data cannot classify;
* :mod:`.allocation`: which items a payment settles, and credit offset (冲减);
* :mod:`.triggers`: resignation, retirement, transfer, deregistration, a false
  commitment: deferred amounts called due.

:mod:`.context` holds what every decision carries (actor, cause, business date, citation)
and :mod:`.deferral` the split (分拆核定) every kind of deferral makes. :mod:`.enactment`
is the one place that asks each measure what a newly enacted, amended or revoked document
decides. Like the domain: pure functions of a unit's state and a policy set that trigger
events on the unit in memory; no clock, no I/O. A new kind of measure is one new module
here plus its rule in ``ledger.catalogue.model`` (and its kind in
``ledger.catalogue.claims``).
"""
