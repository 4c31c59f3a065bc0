"""What the generated businesses (doanh nghiệp, hộ kinh doanh) are made of, all approximate.

Shares are rounded guesses shaped by published orders of magnitude, not a series: Vietnam
has several times more household businesses (hộ kinh doanh) than active enterprises, most
enterprises are limited-liability companies (công ty TNHH), and private enterprises
(doanh nghiệp tư nhân) are a small, shrinking group. Business lines are level-4 codes of
the Vietnamese standard industrial classification (VSIC 2018, Decision 27/2018/QĐ-TTg)
with their names; the list is short and covers what small firms of a big city register.

Every text here goes into COPY rows unescaped: no tab, newline or backslash (a test checks).
"""

from __future__ import annotations

# Owners are drawn from adults, so that about one business per 20 people comes out
# (adults are about 77 % of the population: 0.065 × 0.77 ≈ 0.05).
OWNER_SHARE_OF_ADULTS = 0.065

# Records the registry holds but may not disclose (Circular 13's "exists but not
# permitted"): a small, fixed share of people and of businesses.
RESTRICTED_SHARE = 0.002

# Kinds of business (loại hình) with their shares in per cent.
HOUSEHOLD = "household"
KINDS: tuple[tuple[str, float], ...] = (
    (HOUSEHOLD, 45.0),
    ("llc_one", 27.0),
    ("llc_multi", 10.0),
    ("joint_stock", 15.0),
    ("private", 3.0),
)
KIND_NAMES = {
    "llc_one": "Công ty TNHH một thành viên",
    "llc_multi": "Công ty TNHH hai thành viên trở lên",
    "joint_stock": "Công ty cổ phần",
    "private": "Doanh nghiệp tư nhân",
    HOUSEHOLD: "Hộ kinh doanh",
}
# How each kind's name starts (Enterprise Law 2020, art. 38: the kind comes first).
NAME_PREFIXES = {
    "llc_one": "Công ty TNHH",
    "llc_multi": "Công ty TNHH",
    "joint_stock": "Công ty Cổ phần",
    "private": "Doanh nghiệp tư nhân",
    HOUSEHOLD: "Hộ kinh doanh",
}

STATUSES: tuple[tuple[str, float], ...] = (
    ("active", 82.0),
    ("suspended", 6.0),
    ("dissolved", 12.0),
)
STATUS_NAMES = {
    "active": "Đang hoạt động",
    "suspended": "Tạm ngừng kinh doanh",
    "dissolved": "Đã giải thể",
}

# Registrations start when the Enterprise Law of 1999 took effect.
FIRST_REGISTRATION_YEAR = 2000

VSIC: dict[str, str] = {
    "1079": "Sản xuất thực phẩm khác chưa được phân vào đâu",
    "1410": "May trang phục (trừ trang phục từ da lông thú)",
    "1811": "In ấn",
    "3100": "Sản xuất giường, tủ, bàn, ghế",
    "4101": "Xây dựng nhà để ở",
    "4102": "Xây dựng nhà không để ở",
    "4299": "Xây dựng công trình kỹ thuật dân dụng khác",
    "4321": "Lắp đặt hệ thống điện",
    "4330": "Hoàn thiện công trình xây dựng",
    "4511": "Bán buôn ô tô và xe có động cơ khác",
    "4520": "Bảo dưỡng, sửa chữa ô tô và xe có động cơ khác",
    "4530": "Bán phụ tùng và các bộ phận phụ trợ của ô tô và xe có động cơ khác",
    "4542": "Bảo dưỡng và sửa chữa mô tô, xe máy",
    "4610": "Đại lý, môi giới, đấu giá hàng hóa",
    "4620": "Bán buôn nông, lâm sản nguyên liệu (trừ gỗ, tre, nứa) và động vật sống",
    "4632": "Bán buôn thực phẩm",
    "4641": "Bán buôn vải, hàng may mặc, giày dép",
    "4649": "Bán buôn đồ dùng khác cho gia đình",
    "4659": "Bán buôn máy móc, thiết bị và phụ tùng máy khác",
    "4663": "Bán buôn vật liệu, thiết bị lắp đặt khác trong xây dựng",
    "4690": "Bán buôn tổng hợp",
    "4711": (
        "Bán lẻ lương thực, thực phẩm, đồ uống, thuốc lá, thuốc lào chiếm tỷ trọng lớn "
        "trong các cửa hàng kinh doanh tổng hợp"
    ),
    "4722": "Bán lẻ thực phẩm trong các cửa hàng chuyên doanh",
    "4741": (
        "Bán lẻ máy vi tính, thiết bị ngoại vi, phần mềm và thiết bị viễn thông trong các "
        "cửa hàng chuyên doanh"
    ),
    "4771": ("Bán lẻ hàng may mặc, giày dép, hàng da và giả da trong các cửa hàng chuyên doanh"),
    "4772": (
        "Bán lẻ thuốc, dụng cụ y tế, mỹ phẩm và vật phẩm vệ sinh trong các cửa hàng chuyên doanh"
    ),
    "4773": "Bán lẻ hàng hóa khác mới trong các cửa hàng chuyên doanh",
    "4932": "Vận tải hành khách đường bộ khác",
    "4933": "Vận tải hàng hóa bằng đường bộ",
    "5229": "Hoạt động dịch vụ hỗ trợ khác liên quan đến vận tải",
    "5510": "Dịch vụ lưu trú ngắn ngày",
    "5610": "Nhà hàng và các dịch vụ ăn uống phục vụ lưu động",
    "5630": "Dịch vụ phục vụ đồ uống",
    "6201": "Lập trình máy vi tính",
    "6202": "Tư vấn máy vi tính và quản trị hệ thống máy vi tính",
    "6209": ("Hoạt động dịch vụ công nghệ thông tin và dịch vụ khác liên quan đến máy vi tính"),
    "6311": "Xử lý dữ liệu, cho thuê và các hoạt động liên quan",
    "6810": (
        "Kinh doanh bất động sản, quyền sử dụng đất thuộc chủ sở hữu, chủ sử dụng hoặc đi thuê"
    ),
    "6820": "Tư vấn, môi giới, đấu giá bất động sản, đấu giá quyền sử dụng đất",
    "6920": "Hoạt động liên quan đến kế toán, kiểm toán và tư vấn về thuế",
    "7020": "Hoạt động tư vấn quản lý",
    "7110": "Hoạt động kiến trúc và tư vấn kỹ thuật có liên quan",
    "7310": "Quảng cáo",
    "7911": "Đại lý du lịch",
    "7912": "Điều hành tua du lịch",
    "8299": "Hoạt động dịch vụ hỗ trợ kinh doanh khác còn lại chưa được phân vào đâu",
    "8559": "Giáo dục khác chưa được phân vào đâu",
    "8560": "Dịch vụ hỗ trợ giáo dục",
    "9602": "Cắt tóc, làm đầu, gội đầu",
}

# What a company's name says it does, the lines it registers (main line first) and how
# often the phrase is chosen.
SECTORS: tuple[tuple[tuple[str, tuple[str, ...]], float], ...] = (
    (("Thương mại", ("4690", "4610", "4649")), 14.0),
    (("Thương mại Dịch vụ", ("4690", "4610", "8299", "4649")), 16.0),
    (("Xuất nhập khẩu", ("4690", "4610", "5229")), 5.0),
    (("Xây dựng", ("4101", "4102", "4299", "4330")), 9.0),
    (("Đầu tư Xây dựng", ("4102", "4299", "6810", "7110")), 5.0),
    (("Công nghệ", ("6201", "6202", "6209", "4741")), 6.0),
    (("Công nghệ Thông tin", ("6202", "6201", "6311")), 4.0),
    (("Vận tải", ("4933", "4932", "5229")), 5.0),
    (("Du lịch", ("7912", "7911", "5510")), 4.0),
    (("Bất động sản", ("6810", "6820")), 4.0),
    (("Thực phẩm", ("1079", "4632", "4722")), 5.0),
    (("Thời trang", ("1410", "4771", "4641")), 4.0),
    (("Giáo dục", ("8559", "8560")), 3.0),
    (("Tư vấn", ("7020", "6920")), 4.0),
    (("Truyền thông và Quảng cáo", ("7310", "1811")), 3.0),
    (("Thiết bị Điện", ("4659", "4321")), 3.0),
    (("Nội thất", ("3100", "4649", "4330")), 3.0),
    (("Ô tô", ("4511", "4520", "4530")), 2.0),
    (("Dược phẩm", ("4772", "4649")), 2.0),
    (("Nông sản", ("4620", "4632")), 2.0),
    (("Vật liệu Xây dựng", ("4663", "4330")), 2.0),
)

# What household businesses do: one line, sometimes a second one.
HOUSEHOLD_LINES: tuple[tuple[str, float], ...] = (
    ("4711", 24.0),
    ("5610", 18.0),
    ("5630", 14.0),
    ("4722", 8.0),
    ("4771", 8.0),
    ("4773", 7.0),
    ("9602", 6.0),
    ("4542", 6.0),
    ("1079", 4.0),
    ("4772", 3.0),
    ("4932", 2.0),
)

# Brand names (tên riêng) are two auspicious syllables, "Minh Phát", "Hưng Thịnh".
BRAND_FIRST: tuple[str, ...] = (
    "Minh",
    "Hưng",
    "Thành",
    "An",
    "Phú",
    "Tân",
    "Đại",
    "Hoàng",
    "Thiên",
    "Việt",
    "Hải",
    "Kim",
    "Phúc",
    "Quang",
    "Trường",
    "Bảo",
    "Đức",
    "Gia",
    "Hòa",
    "Long",
    "Nam",
    "Thái",
    "Thịnh",
    "Tiến",
    "Trung",
    "Vạn",
    "Vĩnh",
    "Xuân",
    "Hồng",
    "Ngọc",
    "Hà",
    "Sơn",
    "Đông",
    "Hợp",
    "Toàn",
    "Nhật",
    "Khánh",
    "Thăng",
    "Tràng",
    "Kinh",
)
BRAND_SECOND: tuple[str, ...] = (
    "Phát",
    "Thịnh",
    "Long",
    "An",
    "Phú",
    "Hưng",
    "Thành",
    "Lợi",
    "Đạt",
    "Tín",
    "Tâm",
    "Cường",
    "Khang",
    "Vượng",
    "Lộc",
    "Phúc",
    "Quang",
    "Việt",
    "Minh",
    "Sơn",
    "Hà",
    "Hải",
    "Bình",
    "Nguyên",
    "Tiến",
    "Hòa",
    "Anh",
    "Gia",
    "Đức",
    "Huy",
    "Dương",
    "Trí",
    "Kim",
    "Trường",
    "Hoàng",
    "Nam",
    "Thái",
    "Uy",
    "Vinh",
    "Linh",
)
