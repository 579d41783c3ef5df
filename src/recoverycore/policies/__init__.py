"""Policies: pure reactions to recorded events.

* :mod:`~recoverycore.policies.follow_ups`: the procedures' timers as a declarative table
  (``RULES``): what schedules each follow-up, when it falls due, what completes or cancels it,
  and its procedure step; ``react`` and ``tick`` keep a plan's or case's follow-up ledger.
* :mod:`~recoverycore.policies.safeguards`: a safety flag on one of a customer's records asks for
  the same flag on their other plans and cases (X-R3, X-R4).

Policies import :mod:`recoverycore.events` and :mod:`recoverycore.days`, never the aggregates,
and are pure: time arrives in the events and the ticks they are given, and configured periods in
their arguments. The application layer runs them (:class:`~recoverycore.application.FollowUpPolicy`,
:class:`~recoverycore.application.SafeguardPolicy`).
"""
