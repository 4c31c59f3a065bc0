"""PostgreSQL full-text search of datasets: a tsvector kept by a trigger, with a GIN index.

The searched text is already folded in Python (``core.text.fold``: accents off, Đ → D,
lower case), the same fold the query goes through, so ``simple`` parsing is enough and no
``unaccent`` extension (which needs a superuser to install) is required. The column is not a
model field: SQLite has no tsvector, and search there reads the folded columns directly.
"""

from django.db import migrations

FORWARD = """
ALTER TABLE opendata_dataset ADD COLUMN search_vector tsvector;
CREATE FUNCTION opendata_dataset_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('simple', coalesce(NEW.search_title, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(NEW.search_body, '')), 'B');
  RETURN NEW;
END $$;
CREATE TRIGGER opendata_dataset_search_vector_trg
  BEFORE INSERT OR UPDATE OF search_title, search_body ON opendata_dataset
  FOR EACH ROW EXECUTE FUNCTION opendata_dataset_search_vector();
CREATE INDEX opendata_dataset_search_gin ON opendata_dataset USING gin (search_vector);
"""

BACKWARD = """
DROP TRIGGER IF EXISTS opendata_dataset_search_vector_trg ON opendata_dataset;
DROP FUNCTION IF EXISTS opendata_dataset_search_vector();
ALTER TABLE opendata_dataset DROP COLUMN IF EXISTS search_vector;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("opendata", "0001_catalogue")]
    operations = [migrations.RunPython(forward, backward)]
