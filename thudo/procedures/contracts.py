"""Plain values of the public-services module: the dossier life cycle (one table of legal
transitions, enforced in ``lifecycle``), and what other modules get from the facade."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    SUPPLEMENT = "supplement"
    REJECTED = "rejected"
    PROCESSING = "processing"
    SIGNING = "signing"
    RESULT_READY = "result_ready"
    RETURNED = "returned"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    STOPPED = "stopped"


STATUS_LABELS = {
    Status.DRAFT: _("Bản nháp"),
    Status.SUBMITTED: _("Đã nộp, chờ tiếp nhận"),
    Status.SUPPLEMENT: _("Chờ bổ sung hồ sơ"),
    Status.REJECTED: _("Từ chối tiếp nhận"),
    Status.PROCESSING: _("Đang giải quyết"),
    Status.SIGNING: _("Chờ ký kết quả"),
    Status.RESULT_READY: _("Đã có kết quả, chờ trả"),
    Status.RETURNED: _("Đã trả kết quả"),
    Status.REFUSED: _("Từ chối giải quyết"),
    Status.WITHDRAWN: _("Đã rút hồ sơ"),
    Status.STOPPED: _("Dừng giải quyết"),
}

FINAL = frozenset(
    {Status.RETURNED, Status.REJECTED, Status.REFUSED, Status.WITHDRAWN, Status.STOPPED}
)
# The clock of the deadline runs only in these states (it stops while a supplement is
# pending, and before the dossier is received as valid).
CLOCK_RUNS = frozenset({Status.PROCESSING, Status.SIGNING})

S = Status
# action → (states it may start from, state it leads to); ``None`` as the target means
# "back where the dossier was before" (a supplement answered before or after receipt).
TRANSITIONS: dict[str, tuple[frozenset[Status], Status | None]] = {
    "submit": (frozenset({S.DRAFT}), S.SUBMITTED),
    "receive": (frozenset({S.SUBMITTED}), S.PROCESSING),
    "request_supplement": (frozenset({S.SUBMITTED, S.PROCESSING}), S.SUPPLEMENT),
    "supply": (frozenset({S.SUPPLEMENT}), None),
    "reject": (frozenset({S.SUBMITTED, S.SUPPLEMENT}), S.REJECTED),
    "to_signing": (frozenset({S.PROCESSING}), S.SIGNING),
    "refuse": (frozenset({S.PROCESSING}), S.REFUSED),
    "sign": (frozenset({S.SIGNING}), S.RESULT_READY),
    # The approver sent it back for more review instead of signing.
    "send_back": (frozenset({S.SIGNING}), S.PROCESSING),
    "return": (frozenset({S.RESULT_READY}), S.RETURNED),
    "withdraw": (frozenset({S.DRAFT, S.SUBMITTED, S.SUPPLEMENT, S.PROCESSING}), S.WITHDRAWN),
    "stop": (frozenset({S.PROCESSING, S.SUPPLEMENT}), S.STOPPED),
    # Not a change of state: the apology and new date (form 04) of a late dossier.
    "postpone": (frozenset({S.PROCESSING, S.SIGNING}), S.PROCESSING),
}

ACTION_LABELS = {
    "create": _("Tạo hồ sơ"),
    "submit": _("Nộp hồ sơ"),
    "receive": _("Tiếp nhận hồ sơ hợp lệ"),
    "request_supplement": _("Yêu cầu bổ sung hồ sơ"),
    "supply": _("Công dân bổ sung hồ sơ"),
    "reject": _("Từ chối tiếp nhận"),
    "task": _("Xử lý"),
    "to_signing": _("Trình ký kết quả"),
    "refuse": _("Từ chối giải quyết"),
    "sign": _("Ký số kết quả"),
    "send_back": _("Trả lại để thẩm định lại"),
    "return": _("Trả kết quả"),
    "withdraw": _("Rút hồ sơ"),
    "stop": _("Dừng giải quyết"),
    "postpone": _("Xin lỗi và hẹn lại ngày trả kết quả"),
    "prefill": _("Lấy thông tin từ CSDL quốc gia về dân cư"),
    "pay": _("Nộp phí, lệ phí"),
    "rate": _("Đánh giá mức độ hài lòng"),
}


@dataclass(frozen=True)
class DossierInfo:
    code: str
    procedure_code: str
    procedure_name: str
    agency_code: str
    status: str
    channel: str
    submitted_at: datetime | None
    received_at: datetime | None
    due_at: datetime | None
    finished_at: datetime | None
