"""Policies: reactions to recorded events (follow-ups, safeguards across aggregates).

Policies import :mod:`recoverycore.events`, never the aggregates, and are pure: time arrives in
the events and ticks they are given. None is shipped yet; the follow-up timers of the domain
reference (sections 1.8 and 2.7) are planned here.
"""
