"""The ``thudo`` command: Django's management commands under the platform's name.

``thudo units import --csv FILE``, ``thudo population generate --size N``,
``thudo audit verify`` … are management commands of the modules; ``thudo runserver``,
``thudo migrate`` work as with ``manage.py``.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")  # noqa: TID251
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
