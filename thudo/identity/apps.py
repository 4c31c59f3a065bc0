from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "thudo.identity"
    label = "identity"
    verbose_name = _("Định danh công dân")

    def ready(self) -> None:
        from thudo.identity import metric_providers

        metric_providers.register()
