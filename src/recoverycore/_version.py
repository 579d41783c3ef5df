"""The installed version of recoverycore."""

__version__ = "0.1.0"
