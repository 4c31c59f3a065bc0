"""Shared fixtures of the public-services tests."""

from thudo.procedures.tests.factories import desk, population
from thudo.signing.tests.factories import pki

__all__ = ["desk", "pki", "population"]
