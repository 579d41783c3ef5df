"""Managed Service Plans (procedure 104-07050030) in one namespace.

Everything a user of this aggregate needs, as ``recoverycore.msp.<Name>``: its commands, state and
configuration (from :mod:`recoverycore.aggregates.msp`), its events and their value types
(from :mod:`recoverycore.events.msp`), and its :class:`~recoverycore.aggregates.Decider`
(``MSP``).
"""

from recoverycore.aggregates.msp import *  # noqa: F403
from recoverycore.aggregates.msp import __all__ as _decided
from recoverycore.events.msp import *  # noqa: F403
from recoverycore.events.msp import __all__ as _recorded

__all__ = list(_decided)
__all__ += [name for name in _recorded if name not in _decided]
