"""Errors the command line maps to exit codes, importable without the heavy libraries."""


class WarehouseBusy(Exception):
    """Another run holds the warehouse."""
