"""Shared fixtures of the reporting tests."""

from thudo.reporting.tests.factories import reporting

__all__ = ["reporting"]
