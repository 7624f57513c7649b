"""clinsearch: an on-premise clinical data warehouse and medical search engine."""

__version__ = "0.1.0"
