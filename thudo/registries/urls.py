"""The provider systems' APIs, mounted by config/urls.py under ``registries/``.

Their caller is the exchange hub's gateway, never a signed-in user: the hub's assertion is
their authentication (see ``api.HubAssertion``), so every view here skips the platform's
login requirement.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, path

from thudo.registries.api import business_api, govreport_api, population_api
from thudo.registries.contracts import BUSINESS_PATH, GOVREPORT_PATH, POPULATION_PATH

MOUNT = "/registries/"


def _without_login(urls: tuple[list[Any], str, str]) -> tuple[list[Any], str, str]:
    patterns, app_name, namespace = urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            login_not_required(pattern.callback)
    return patterns, app_name, namespace


urlpatterns = [
    path(POPULATION_PATH.removeprefix(MOUNT) + "/", _without_login(population_api.urls)),
    path(BUSINESS_PATH.removeprefix(MOUNT) + "/", _without_login(business_api.urls)),
    path(GOVREPORT_PATH.removeprefix(MOUNT) + "/", _without_login(govreport_api.urls)),
]
