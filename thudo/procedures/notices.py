"""Notifications on every change of a dossier: in the citizen's notice list (in-app) and
by the channels configured in PROCEDURES_NOTICE_SENDERS — e-mail is built in (Django's
mail); SMS or Zalo senders plug in as dotted paths to ``send(user, text, dossier)``."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from thudo.procedures.contracts import STATUS_LABELS, Status
from thudo.procedures.models import Dossier, Notice

log = logging.getLogger(__name__)


def send_email(user: Any, text: str, dossier: Dossier | None) -> None:
    if user.email:
        send_mail(
            subject=_("Thủ Đô Số: hồ sơ %(c)s") % {"c": dossier.code if dossier else ""},
            message=text,
            from_email=None,
            recipient_list=[user.email],
        )


def notify(user: Any, text: str, dossier: Dossier | None = None) -> Notice:
    """Record the notice and queue its sending in the caller's transaction: a committed
    change always has its notice, and the channels are tried by the worker."""
    from thudo.procedures.tasks import send_notice

    notice = Notice.objects.create(
        user=user,
        dossier=dossier,
        text=text[:500],
        channels=[path.rsplit(".", 1)[-1] for path in settings.PROCEDURES_NOTICE_SENDERS],
    )
    send_notice.enqueue(notice.pk)
    return notice


def deliver(notice: Notice) -> list[str]:
    """Send a notice by every configured channel; returns the channels that failed."""
    failed = []
    for path in settings.PROCEDURES_NOTICE_SENDERS:
        try:
            import_string(path)(notice.user, notice.text, notice.dossier)
        except Exception:  # one channel down must not stop the others
            log.exception("notice by %s failed", path)
            failed.append(path)
    return failed


def dossier_changed(dossier: Dossier, note: str = "") -> Notice:
    text = _("Hồ sơ %(c)s (%(p)s): %(s)s.") % {
        "c": dossier.code or "",
        "p": dossier.version.procedure.name,
        "s": STATUS_LABELS[Status(dossier.status)],
    }
    if note:
        text = f"{text} {note}"
    return notify(dossier.applicant, text, dossier)
