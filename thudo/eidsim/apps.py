from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EidSimConfig(AppConfig):
    name = "thudo.eidsim"
    label = "eidsim"
    verbose_name = _("Mô phỏng định danh điện tử quốc gia")
