from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "thudo.documents"
    label = "documents"
    verbose_name = _("Quản lý văn bản và điều hành")

    def ready(self) -> None:
        from thudo.documents import metric_providers

        metric_providers.register()
