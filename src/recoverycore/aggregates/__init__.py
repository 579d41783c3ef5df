"""Aggregates: state, commands, and the pure ``decide`` / ``evolve`` functions."""

from recoverycore.aggregates import msp
from recoverycore.aggregates._decider import Command

__all__ = ["Command", "msp"]
