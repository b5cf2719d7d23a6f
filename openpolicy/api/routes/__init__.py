"""Thin handlers per resource: parse parameters, call `openpolicy.queries`, render."""
