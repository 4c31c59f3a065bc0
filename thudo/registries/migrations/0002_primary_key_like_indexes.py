"""Drop the LIKE twins of the varchar primary keys (PostgreSQL only).

A separate migration: Django creates those indexes at the very end of the migration that
creates the tables, after any operation of that migration could drop them.
"""

from django.db import migrations


def drop_primary_key_like_indexes(apps, schema_editor):
    """PostgreSQL gives varchar primary keys a second, varchar_pattern_ops index for LIKE.

    Personal IDs and household codes are looked up by equality only, and every index
    slows the bulk load (PERFORMANCE.md), so the twins go.
    """
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
            "AND (indexname LIKE %s OR indexname LIKE %s)",
            [
                "registries\\_person\\_personal\\_id\\_%\\_like",
                "registries\\_household\\_code\\_%\\_like",
            ],
        )
        names = [row[0] for row in cursor.fetchall()]
    for name in names:
        schema_editor.execute(f'DROP INDEX "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("registries", "0001_population"),
    ]

    operations = [
        migrations.RunPython(drop_primary_key_like_indexes, migrations.RunPython.noop),
    ]
