"""Shared fixtures of the DTI tests."""

from thudo.dti.tests.factories import dti

__all__ = ["dti"]
