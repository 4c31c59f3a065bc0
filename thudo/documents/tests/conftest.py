"""Shared fixtures of the documents tests."""

from thudo.documents.tests.docs_factories import docs_staff, docs_staff_without_pki
from thudo.signing.tests.factories import pki

__all__ = ["docs_staff", "docs_staff_without_pki", "pki"]
