from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "thudo.demo"
    label = "demo"
    verbose_name = "Demo city"
