"""Decisions about running a model on given hardware: the compatibility matrix and verdicts."""

from core.decision.compat import Support, hardware_column, support, supports_bf16

__all__ = ["Support", "hardware_column", "support", "supports_bf16"]
