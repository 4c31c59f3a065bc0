from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "thudo.procedures"
    label = "procedures"
    verbose_name = _("Dịch vụ công và một cửa điện tử")

    def ready(self) -> None:
        from thudo.procedures import metric_providers

        metric_providers.register()
