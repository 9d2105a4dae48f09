"""fupin — 精准扶贫 county register CLI."""

__version__ = "0.1.0"
