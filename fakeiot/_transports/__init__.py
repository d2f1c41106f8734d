"""Transports: each a thin translation between a client library and ``Platform.handle``."""
