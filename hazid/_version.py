"""The version of hazid (one place; every result records it)."""

__version__ = "0.1.0"
