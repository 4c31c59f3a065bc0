from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "thudo.core"
    label = "core"
    verbose_name = _("Nền tảng lõi")

    def ready(self) -> None:
        from thudo.core import metric_providers  # registers the kernel's own metrics

        metric_providers.register()
