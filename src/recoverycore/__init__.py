"""recoverycore."""
