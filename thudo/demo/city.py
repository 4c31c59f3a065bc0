"""The demo city: Hanoi's People's Committee, its departments, the service centre and the
126 commune committees, with staff in a few of them.

Agency codes follow the shape of Decision 20/2020 (``000.00.NN.H26``) but are samples, not
the official list; Hanoi's level-1 letter code is configurable (THUDO_PROVINCE_AGENCY_CODE).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CITY_PC = "Ủy ban nhân dân Thành phố Hà Nội"

# Hanoi's departments after the 2025 reorganisation (sample codes).
DEPARTMENTS: list[tuple[str, str, str]] = [
    ("01", "Văn phòng Ủy ban nhân dân Thành phố", "VP UBND"),
    ("02", "Sở Nội vụ", "SNV"),
    ("03", "Sở Tư pháp", "STP"),
    ("04", "Sở Tài chính", "STC"),
    ("05", "Sở Công Thương", "SCT"),
    ("06", "Sở Xây dựng", "SXD"),
    ("07", "Sở Nông nghiệp và Môi trường", "SNNMT"),
    ("08", "Sở Khoa học và Công nghệ", "SKHCN"),
    ("09", "Sở Văn hóa và Thể thao", "SVHTT"),
    ("10", "Sở Du lịch", "SDL"),
    ("11", "Sở Giáo dục và Đào tạo", "SGDĐT"),
    ("12", "Sở Y tế", "SYT"),
    ("13", "Sở Quy hoạch - Kiến trúc", "SQHKT"),
    ("14", "Sở Dân tộc và Tôn giáo", "SDTTG"),
    ("15", "Thanh tra Thành phố", "TTTP"),
]
SERVICE_CENTRE = ("30", "Trung tâm Phục vụ hành chính công Thành phố Hà Nội", "TTPVHCC")


def agency_code(*groups: str, level1: str) -> str:
    return ".".join([*groups, level1])


def commune_code(index: int, level1: str) -> str:
    """Sample code of the ``index``-th (1-based) commune committee: 000.NN.MM.<level1>."""
    return agency_code(
        "000", f"{(index - 1) % 99 + 1:02d}", f"{50 + (index - 1) // 99}", level1=level1
    )


@dataclass(frozen=True)
class StaffSeat:
    username: str
    full_name: str
    agency: str  # "city", a department number, "centre", or "commune:<n>"
    role: str
    title: str


# A few people in a few agencies, enough to walk every main path.
STAFF: list[StaffSeat] = [
    StaffSeat("quantri", "Nguyễn Minh Quân", "08", "platform_admin", "Quản trị nền tảng Thủ Đô Số"),
    StaffSeat("lanhdao.ubnd", "Trần Quốc Bảo", "city", "leader", "Phó Chủ tịch UBND Thành phố"),
    StaffSeat("quantri.stp", "Lê Thu Hà", "03", "agency_admin", "Quản trị hệ thống"),
    StaffSeat("giamdoc.stp", "Phạm Văn Hùng", "03", "leader", "Giám đốc Sở"),
    StaffSeat("truongphong.stp", "Đỗ Thị Lan", "03", "head", "Trưởng phòng Hành chính tư pháp"),
    StaffSeat("chuyenvien.stp", "Vũ Đức Anh", "03", "specialist", "Chuyên viên"),
    StaffSeat("vanthu.stp", "Trịnh Thị Thu", "03", "clerk", "Văn thư"),
    StaffSeat("motcua.tthcc", "Hoàng Thị Mai", "centre", "clerk", "Cán bộ một cửa"),
    # "commune:1" is the province's first commune by GSO code (Phường Ba Đình in Hà Nội).
    StaffSeat("quantri.phuong", "Bùi Quang Huy", "commune:1", "agency_admin", "Quản trị hệ thống"),
    StaffSeat("chutich.phuong", "Đặng Thị Hương", "commune:1", "leader", "Chủ tịch UBND"),
    StaffSeat("motcua.phuong", "Ngô Văn Tùng", "commune:1", "clerk", "Cán bộ một cửa"),
    StaffSeat(
        "chuyenvien.phuong",
        "Dương Thị Ngọc",
        "commune:1",
        "specialist",
        "Công chức tư pháp - hộ tịch",
    ),
    StaffSeat(
        "thongke.phuong",
        "Phan Thị Thu Trang",
        "commune:1",
        "specialist",
        "Công chức văn phòng - thống kê",
    ),
    # The Department of Finance receives the communes' monthly socio-economic report.
    StaffSeat("truongphong.stc", "Nguyễn Thị Minh", "04", "head", "Trưởng phòng Ngân sách"),
    StaffSeat("quantri.xa", "Hồ Văn Bình", "commune:60", "agency_admin", "Quản trị hệ thống"),
    StaffSeat("motcua.xa", "Lý Thị Thảo", "commune:60", "clerk", "Cán bộ một cửa"),
    # The Department of Science and Technology is the standing body of the DTI appraisal
    # council; the council's other members come from the city and its departments.
    StaffSeat("giamdoc.skhcn", "Nguyễn Thanh Sơn", "08", "leader", "Giám đốc Sở"),
    StaffSeat("truongphong.cds", "Lê Hoàng Nam", "08", "head", "Trưởng phòng Chuyển đổi số"),
    StaffSeat("chuyenvien.cds", "Trần Thị Hạnh", "08", "specialist", "Chuyên viên"),
    StaffSeat("chanhvanphong.ubnd", "Vũ Thị Hồng", "01", "leader", "Chánh Văn phòng"),
    StaffSeat("giamdoc.snv", "Phạm Quang Vinh", "02", "leader", "Giám đốc Sở"),
    StaffSeat("phogiamdoc.snnmt", "Đinh Văn Khải", "07", "leader", "Phó Giám đốc Sở"),
    StaffSeat("phogiamdoc.sct", "Hà Thị Yến", "05", "leader", "Phó Giám đốc Sở"),
    StaffSeat("phogiamdoc.sxd", "Mai Đức Thắng", "06", "leader", "Phó Giám đốc Sở"),
    StaffSeat("phogiamdoc.sgddt", "Cao Thị Linh", "11", "leader", "Phó Giám đốc Sở"),
    StaffSeat("phogiamdoc.syt", "Lương Văn Phúc", "12", "leader", "Phó Giám đốc Sở"),
]

DEMO_CITIZENS = 5
POPULATION_SIZE = 3000
POPULATION_SEED = 2026


# --- data exchange (LGSP) --------------------------------------------------------------

# Central agencies owning the national databases the registries simulate (sample codes;
# the systems' identifiers come from settings, their agency code is the third part).
CENTRAL_AGENCIES: dict[str, tuple[str, str]] = {
    "population": ("Bộ Công an", "BCA"),
    "business": ("Bộ Tài chính", "BTC"),
    "govreport": ("Văn phòng Chính phủ", "VPCP"),
}


@dataclass(frozen=True)
class ProviderService:
    key: str  # "population", "business" or "govreport"
    name: str
    description: str
    classification: str
    legal_basis: str
    owner: str


PROVIDER_SERVICES: list[ProviderService] = [
    ProviderService(
        "population",
        "Tra cứu thông tin công dân",
        "Thông tin cơ bản của công dân và hộ gia đình trong Cơ sở dữ liệu quốc gia về dân cư "
        "(mô phỏng); tìm theo họ tên và ngày sinh; các thay đổi kể từ một thời điểm.",
        "personal",
        "Luật Căn cước 2023; Luật Bảo vệ dữ liệu cá nhân 2025; Nghị định 278/2025/NĐ-CP",
        "Cục Cảnh sát quản lý hành chính về trật tự xã hội (C06)",
    ),
    ProviderService(
        "business",
        "Tra cứu thông tin doanh nghiệp",
        "Thông tin đăng ký doanh nghiệp và hộ kinh doanh theo mã số thuế (mô phỏng); các thay "
        "đổi kể từ một thời điểm.",
        "internal",
        "Luật Doanh nghiệp 2020; Nghị định 168/2025/NĐ-CP; Nghị định 278/2025/NĐ-CP",
        "Cục Quản lý đăng ký kinh doanh",
    ),
    ProviderService(
        "govreport",
        "Tiếp nhận báo cáo Chính phủ",
        "Hệ thống thông tin báo cáo Chính phủ (mô phỏng) tiếp nhận báo cáo định kỳ của các "
        "bộ, ngành, địa phương, dạng JSON hoặc SDMX-ML 2.1, và trả biên nhận.",
        "internal",
        "Nghị định 09/2019/NĐ-CP quy định chế độ báo cáo của cơ quan hành chính nhà nước",
        "Văn phòng Chính phủ",
    ),
]


@dataclass(frozen=True)
class ConsumerSystem:
    agency: str  # as in StaffSeat.agency
    code: str
    name: str
    grants: tuple[tuple[str, tuple[str, ...]], ...]  # (provider key, operations; () = all)
    purpose: str = ""
    legal_basis: str = ""


ONE_STOP_PURPOSE = "Tiếp nhận, giải quyết thủ tục hành chính"
ONE_STOP_BASIS = "Nghị định 118/2025/NĐ-CP; Luật Căn cước 2023"

# The demo's consumer systems listed in credentials.json: one with a grant, one without.
DEMO_CONSUMERS: list[ConsumerSystem] = [
    ConsumerSystem(
        "centre",
        "MOTCUA",
        "Hệ thống thông tin giải quyết thủ tục hành chính (một cửa điện tử)",
        (("population", ("GET /people/{personal_id}", "GET /people")),),
        ONE_STOP_PURPOSE,
        ONE_STOP_BASIS,
    ),
    ConsumerSystem(
        "08",
        "CSDL",
        "Nền tảng dữ liệu dùng chung của Thành phố",
        (),
    ),
]

# The platform itself (its modules call other systems through the hub as this system).
PLATFORM_GRANTS: tuple[tuple[str, tuple[str, ...]], ...] = (("population", ()), ("business", ()))
# ... and pushes the reports of the reporting module to the Government reporting system.
PLATFORM_REPORTING_GRANTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("govreport", ("POST /submissions",)),
)
REPORTING_PURPOSE = "Báo cáo Chính phủ theo Nghị định 09/2019/NĐ-CP"
REPORTING_BASIS = "Nghị định 09/2019/NĐ-CP"


# --- signatures and documents ---------------------------------------------------------------

# Agencies given a seal certificate (con dấu điện tử), as StaffSeat.agency keys.
SEALED_AGENCIES = ["city", "03", "08", "centre", "commune:1", "commune:60"]

# A decision of the first commune, drafted and approved, waiting for its chairwoman's
# signature; the clerk then issues it to the Department of Justice through the exchange.
DEMO_DECISION = {
    "agency": "commune:1",
    "drafter": "chuyenvien.phuong",
    "reviewer": "chutich.phuong",
    "signer": "chutich.phuong",
    "type_code": "QD",
    "summary": "Về việc kiện toàn Tổ công nghệ số cộng đồng phường (mẫu thử nghiệm)",
    "body": (
        "Căn cứ Luật Tổ chức chính quyền địa phương năm 2025;\n\n"
        "Căn cứ Quyết định số 1978/QĐ-BTTTT ngày 24 tháng 11 năm 2021 của Bộ trưởng Bộ "
        "Thông tin và Truyền thông về Tổ công nghệ số cộng đồng;\n\n"
        "Xét đề nghị của công chức Văn phòng - Thống kê,\n\n"
        "QUYẾT ĐỊNH:\n\n"
        "Điều 1. Kiện toàn Tổ công nghệ số cộng đồng phường gồm các thành viên có tên "
        "trong danh sách kèm theo.\n\n"
        "Điều 2. Tổ công nghệ số cộng đồng hướng dẫn người dân sử dụng dịch vụ công trực "
        "tuyến, định danh điện tử và thanh toán không dùng tiền mặt.\n\n"
        "Điều 3. Quyết định này có hiệu lực kể từ ngày ký. Văn phòng - Thống kê và các "
        "thành viên có tên tại Điều 1 chịu trách nhiệm thi hành Quyết định này."
    ),
    "recipients": ["03"],
    "authority": "TM. Ủy ban nhân dân",
    "position": "Chủ tịch",
}


# --- reporting ------------------------------------------------------------------------------

# Who enters a unit's figures in the demo (by default its first specialist).
REPORTING_OFFICIALS = {"commune:1": "thongke.phuong"}


# --- digital-transformation index (DTI) ------------------------------------------------------

# Who does what in the demo's DTI rounds, by StaffSeat username and agency key.
DTI: dict[str, Any] = {
    "standing_body": "08",
    # The appraisal council (13): chaired by a city vice-chairman, the department of
    # science and technology as its standing body.
    "council": [
        ("lanhdao.ubnd", "chair", "Phó Chủ tịch UBND Thành phố, Chủ tịch Hội đồng"),
        ("giamdoc.skhcn", "vice_chair", "Giám đốc Sở Khoa học và Công nghệ, Phó Chủ tịch"),
        ("truongphong.cds", "standing", "Ủy viên thường trực"),
        ("chanhvanphong.ubnd", "member", "Chánh Văn phòng UBND Thành phố"),
        ("giamdoc.snv", "member", "Giám đốc Sở Nội vụ"),
        ("giamdoc.stp", "member", "Giám đốc Sở Tư pháp"),
        ("phogiamdoc.snnmt", "member", "Phó Giám đốc Sở Nông nghiệp và Môi trường"),
        ("truongphong.stc", "member", "Trưởng phòng Ngân sách, Sở Tài chính"),
        ("phogiamdoc.sct", "member", "Phó Giám đốc Sở Công Thương"),
        ("phogiamdoc.sxd", "member", "Phó Giám đốc Sở Xây dựng"),
        ("phogiamdoc.sgddt", "member", "Phó Giám đốc Sở Giáo dục và Đào tạo"),
        ("phogiamdoc.syt", "member", "Phó Giám đốc Sở Y tế"),
        ("chuyenvien.cds", "member", "Chuyên viên Phòng Chuyển đổi số, thư ký"),
    ],
    # A department self-assesses through the pages' services and its leader submits it;
    # the council then appraises it.
    "department": ("03", "chuyenvien.stp", "giamdoc.stp"),
    # A ward self-assesses; its chairwoman has the submission waiting for her approval.
    "commune": ("commune:1", "chuyenvien.phuong", "chutich.phuong"),
    # The department whose appraisal waits for the council's decision in the demo.
    "pending_department": "06",
}


# --- open-data portal ----------------------------------------------------------------------

# The Department of Justice's director publishes its open data; its specialist edits.
OPENDATA = {"publisher": "giamdoc.stp", "editor": "chuyenvien.stp"}
