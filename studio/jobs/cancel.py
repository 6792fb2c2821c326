"""Cancel tokens for the studio's jobs: the engine's one cancel type (studio.engine.cancel)."""

from studio.engine.cancel import CancelToken

__all__ = ["CancelToken"]
