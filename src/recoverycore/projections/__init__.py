"""Projections: read models (workload, audit, compliance) built from the recorded events.

Projections import :mod:`recoverycore.events`, never the aggregates. None is shipped yet; until
then :meth:`recoverycore.RecoveryApp.history` and ``plan_as_of`` answer audit questions by
replaying a plan's events.
"""
