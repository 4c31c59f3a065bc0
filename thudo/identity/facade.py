"""What other modules may call in the identity module."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.urls import reverse

from thudo.core import metrics
from thudo.identity.contracts import SIGNIN_ACTION, EidClaims
from thudo.identity.metric_providers import CITIZEN_SIGNINS, citizen_signins

__all__ = [
    "CITIZEN_SIGNINS",
    "SIGNIN_ACTION",
    "EidClaims",
    "citizen_signin_count",
    "eid_login_path",
]


def eid_login_path(*, next_url: str = "") -> str:
    """Where to send a citizen to sign in with national eID, coming back to ``next_url``."""
    path = reverse("identity:eid_login")
    return f"{path}?{urlencode({'next': next_url})}" if next_url else path


def citizen_signin_count(*, start: date, end: date) -> int:
    """Citizens' eID sign-ins on the days [start, end], province-wide."""
    value, _lineage = citizen_signins(metrics.Period(start, end), None)
    return int(value)
