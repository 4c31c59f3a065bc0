from thudo.signing.tests.factories import pki

__all__ = ["pki"]
