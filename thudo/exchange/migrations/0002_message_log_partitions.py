"""Seed the singleton rows; on PostgreSQL, make the message log monthly-partitioned and
append-only."""

from datetime import date

from django.db import migrations

GENESIS = "0" * 64
TABLE = "exchange_messagelogentry"

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION exchange_messagelog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'exchange_messagelogentry is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER exchange_messagelog_append_only
    BEFORE UPDATE OR DELETE ON exchange_messagelogentry
    FOR EACH ROW EXECUTE FUNCTION exchange_messagelog_append_only();
"""


def seed(apps, schema_editor):
    apps.get_model("exchange", "ConfigVersion").objects.get_or_create(pk=1)
    apps.get_model("exchange", "MessageLogHead").objects.get_or_create(
        pk=1, defaults={"seq": 0, "hash": GENESIS}
    )


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from thudo.exchange.partitions import ensure_partitions

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname NOT LIKE %s",
            [TABLE, "%_pkey"],
        )
        indexes = cursor.fetchall()
        # The table is new and empty: rebuild it partitioned, keeping Django's columns.
        cursor.execute(
            f"CREATE TABLE {TABLE}_p (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING IDENTITY) "
            "PARTITION BY RANGE (occurred_at)"
        )
        cursor.execute(f"DROP TABLE {TABLE}")
        cursor.execute(f"ALTER TABLE {TABLE}_p RENAME TO {TABLE}")
        # A partitioned table's keys must contain the partition column.
        cursor.execute(f"ALTER TABLE {TABLE} ADD PRIMARY KEY (id, occurred_at)")
        for _name, definition in indexes:
            cursor.execute(definition)
        cursor.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")
        ensure_partitions(cursor, around=date.today())
        cursor.execute(APPEND_ONLY)


class Migration(migrations.Migration):
    dependencies = [("exchange", "0001_initial")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(partition, migrations.RunPython.noop),
    ]
