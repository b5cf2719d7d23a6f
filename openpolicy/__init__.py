"""OpenPolicy: the Parliament of Canada, readable."""

__version__ = "0.1.0"
