from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpendataConfig(AppConfig):
    name = "thudo.opendata"
    label = "opendata"
    verbose_name = _("Cổng dữ liệu mở")
