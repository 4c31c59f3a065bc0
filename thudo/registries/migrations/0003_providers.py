"""The registries become provider systems: the changes feed and restricted records of the
population, and the business registration database."""

import django.db.models.deletion
import django.db.models.functions.datetime
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_audit_chain_guard"),
        ("registries", "0002_primary_key_like_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="restricted",
            field=models.BooleanField(default=False, verbose_name="không được cung cấp"),
        ),
        # People generated before this migration count as updated when it runs.
        migrations.AddField(
            model_name="person",
            name="updated_at",
            field=models.DateTimeField(
                db_default=django.db.models.functions.datetime.Now(), verbose_name="cập nhật lúc"
            ),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["updated_at", "personal_id"], name="person_changes"),
        ),
        migrations.CreateModel(
            name="Business",
            fields=[
                (
                    "tax_code",
                    models.CharField(
                        max_length=10, primary_key=True, serialize=False, verbose_name="mã số thuế"
                    ),
                ),
                ("name", models.CharField(max_length=200, verbose_name="tên")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("llc_one", "Công ty TNHH một thành viên"),
                            ("llc_multi", "Công ty TNHH hai thành viên trở lên"),
                            ("joint_stock", "Công ty cổ phần"),
                            ("private", "Doanh nghiệp tư nhân"),
                            ("household", "Hộ kinh doanh"),
                        ],
                        max_length=11,
                        verbose_name="loại hình",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("active", "Đang hoạt động"),
                            ("suspended", "Tạm ngừng kinh doanh"),
                            ("dissolved", "Đã giải thể"),
                        ],
                        max_length=9,
                        verbose_name="tình trạng",
                    ),
                ),
                ("registered_on", models.DateField(verbose_name="ngày đăng ký lần đầu")),
                ("province_code", models.CharField(max_length=2, verbose_name="mã tỉnh")),
                ("address", models.CharField(max_length=200, verbose_name="địa chỉ trụ sở")),
                (
                    "representative_personal_id",
                    models.CharField(
                        max_length=12,
                        verbose_name="số định danh của người đại diện theo pháp luật",
                    ),
                ),
                (
                    "representative_name",
                    models.CharField(
                        max_length=100, verbose_name="họ và tên người đại diện theo pháp luật"
                    ),
                ),
                (
                    "lines",
                    models.JSONField(default=list, verbose_name="ngành, nghề kinh doanh"),
                ),
                (
                    "restricted",
                    models.BooleanField(default=False, verbose_name="không được cung cấp"),
                ),
                (
                    "updated_at",
                    models.DateTimeField(
                        db_default=django.db.models.functions.datetime.Now(),
                        verbose_name="cập nhật lúc",
                    ),
                ),
                ("batch", models.CharField(max_length=40, verbose_name="lô sinh dữ liệu")),
                (
                    "commune",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.administrativeunit",
                        verbose_name="xã, phường của trụ sở",
                    ),
                ),
            ],
            options={
                "verbose_name": "doanh nghiệp, hộ kinh doanh",
                "verbose_name_plural": "doanh nghiệp, hộ kinh doanh",
                "indexes": [
                    models.Index(fields=["updated_at", "tax_code"], name="business_changes")
                ],
            },
        ),
    ]
