"""Case managed debt recovery (the *Case managed debt recovery* procedure) in one namespace.

Everything a user of this aggregate needs, as ``recoverycore.cmr.<Name>``: its commands, state and
configuration (from :mod:`recoverycore.aggregates.cmr`), its events and their value types
(from :mod:`recoverycore.events.cmr`), and its :class:`~recoverycore.aggregates.Decider`
(``CASE``).
"""

from recoverycore.aggregates.cmr import *  # noqa: F403
from recoverycore.aggregates.cmr import __all__ as _decided
from recoverycore.events.cmr import *  # noqa: F403
from recoverycore.events.cmr import __all__ as _recorded

__all__ = list(_decided)
__all__ += [name for name in _recorded if name not in _decided]
