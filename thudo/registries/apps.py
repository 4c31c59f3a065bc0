from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistriesConfig(AppConfig):
    name = "thudo.registries"
    label = "registries"
    verbose_name = _("Mô phỏng cơ sở dữ liệu quốc gia")
