"""Plain data of the documents module (quản lý văn bản và điều hành): Decree 30/2020
document types, urgency, edXML status codes, and what other modules receive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

# Decree 30/2020/NĐ-CP, Appendix III: the 29 types of administrative documents and the
# abbreviations used in their number/symbol. Official letters (công văn) and public
# letters (thư công) have no type code: their symbol is the issuer's, then the unit's.
DOCUMENT_TYPES: dict[str, tuple[str, str]] = {
    "NQ": ("Nghị quyết", "NQ"),
    "QD": ("Quyết định", "QĐ"),
    "CT": ("Chỉ thị", "CT"),
    "QC": ("Quy chế", "QC"),
    "QYD": ("Quy định", "QyĐ"),
    "TC": ("Thông cáo", "TC"),
    "TB": ("Thông báo", "TB"),
    "HD": ("Hướng dẫn", "HD"),
    "CTR": ("Chương trình", "CTr"),
    "KH": ("Kế hoạch", "KH"),
    "PA": ("Phương án", "PA"),
    "DA": ("Đề án", "ĐA"),
    "DAN": ("Dự án", "DA"),
    "BC": ("Báo cáo", "BC"),
    "BB": ("Biên bản", "BB"),
    "TTR": ("Tờ trình", "TTr"),
    "HDG": ("Hợp đồng", "HĐ"),
    "CV": ("Công văn", ""),
    "CD": ("Công điện", "CĐ"),
    "BGN": ("Bản ghi nhớ", "BGN"),
    "BTT": ("Bản thỏa thuận", "BTT"),
    "GUQ": ("Giấy ủy quyền", "GUQ"),
    "GM": ("Giấy mời", "GM"),
    "GGT": ("Giấy giới thiệu", "GGT"),
    "GNP": ("Giấy nghỉ phép", "GNP"),
    "PG": ("Phiếu gửi", "PG"),
    "PC": ("Phiếu chuyển", "PC"),
    "PB": ("Phiếu báo", "PB"),
    "THC": ("Thư công", ""),
}

URGENCY = {"normal": "Thường", "urgent": "Khẩn", "very_urgent": "Thượng khẩn", "flash": "Hỏa tốc"}

# edXML (QCVN 102:2016) exchange status codes.
STATUS_CODES: dict[str, str] = {
    "01": "Đã đến",
    "02": "Từ chối tiếp nhận",
    "03": "Đã tiếp nhận",
    "04": "Phân công",
    "05": "Đang xử lý",
    "06": "Hoàn thành",
    "13": "Lấy lại",
    "14": "Đồng ý lấy lại / cập nhật",
}

# edXML Business: what a package does to a document already sent.
BUSINESS_NEW, BUSINESS_UPDATE, BUSINESS_REPLACE = "0", "2", "3"


def notation(number: int, type_code: str, issuer: str, unit: str = "") -> str:
    """The number/symbol (số, ký hiệu): ``12/QĐ-UBND``; letters: ``12/UBND-VP``."""
    abbreviation = DOCUMENT_TYPES[type_code][1]
    symbol = f"{abbreviation}-{issuer}" if abbreviation else issuer
    if unit and not abbreviation:
        symbol = f"{symbol}-{unit}"
    return f"{number:02d}/{symbol}"


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    agency_code: str
    direction: str
    type_code: str
    notation: str
    summary: str
    status: str
    issued_on: date | None
    signed: bool
    electronic: bool
    created_at: datetime
