"""The few errors the atlas raises, each with a message a resident or officer can act on.

Each subclasses a standard exception as well as :class:`AtlasError`, so callers can catch
either the domain error or the ordinary kind (a bad value is still a ``ValueError``).
"""


class AtlasError(Exception):
    """Base of every error the atlas raises on purpose."""


class SpatialExtensionMissing(AtlasError, RuntimeError):
    """DuckDB's spatial extension could neither be loaded from its wheel nor installed."""


class NotAnAtlasStore(AtlasError, ValueError):
    """The file exists but is not an atlas store; it is left untouched."""


class StoreTooNew(AtlasError, RuntimeError):
    """The store was written by a newer version of Asset Atlas."""


class StoreBusy(AtlasError, RuntimeError):
    """Another program (usually the app) holds the single-writer store."""


class NotFound(AtlasError, LookupError):
    """A named site, asset, boundary or plan does not exist in the store."""


class InvalidInput(AtlasError, ValueError):
    """A value, geometry or file row cannot be used; the message says where and why."""


class NotAllowed(AtlasError, PermissionError):
    """The caller's role does not allow this; the message says who may do it."""
