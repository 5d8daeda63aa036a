"""The bench smoke tests use the integration tests' trained model (cached by data fingerprint)."""

from tests.integration.conftest import built_project, trained_model

__all__ = ["built_project", "trained_model"]
