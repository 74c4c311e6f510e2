"""One Starlette app per portal, all built on the shared engine in ``common``."""
