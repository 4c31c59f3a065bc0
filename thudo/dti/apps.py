from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DtiConfig(AppConfig):
    name = "thudo.dti"
    label = "dti"
    verbose_name = _("Chỉ số chuyển đổi số (DTI)")
