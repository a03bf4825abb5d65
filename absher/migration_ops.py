"""Migration operations that build and drop indexes without blocking writes, on PostgreSQL and on SQLite.

A plain CREATE INDEX holds a lock that blocks every INSERT, UPDATE and DELETE on the table until the
index is built: minutes on the registry or the audit trail, minutes in which no citizen can sign in.
CREATE INDEX CONCURRENTLY (and DROP INDEX CONCURRENTLY) lets writes go on; it cannot run inside a
transaction, so a migration using these operations says `atomic = False`, and holds nothing else (a
concurrent build that fails leaves an INVALID index behind: drop it and run the migration again).

Django's own operations (django.contrib.postgres.operations) fail on any other database, and a
newcomer's `bash scripts/run.sh` runs on SQLite, where a table is small and a lock costs nothing:
these fall back to the ordinary operation there.
"""

from django.contrib.postgres.operations import AddIndexConcurrently, NotInTransactionMixin, RemoveIndexConcurrently
from django.db import migrations
from django.db.models import Index


def _postgresql(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class AddIndexOnline(AddIndexConcurrently):
    """AddIndex, built CONCURRENTLY on PostgreSQL."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _postgresql(schema_editor):
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _postgresql(schema_editor):
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class RemoveIndexOnline(RemoveIndexConcurrently):
    """RemoveIndex, dropped CONCURRENTLY on PostgreSQL."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _postgresql(schema_editor):
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.RemoveIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _postgresql(schema_editor):
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.RemoveIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class DropFieldIndexOnline(NotInTransactionMixin, migrations.AlterField):
    """AlterField from db_index=True to False (a ForeignKey's implicit index too): on PostgreSQL the
    field's own single-column indexes (with the `_like` pattern index of a CharField) are dropped
    CONCURRENTLY. Going back rebuilds them the ordinary way, as AlterField does: a rollback wants
    the old schema whole, and is rare."""

    atomic = False

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        old_model = from_state.apps.get_model(app_label, self.model_name)
        old_field = old_model._meta.get_field(self.name)
        new_field = to_state.apps.get_model(app_label, self.model_name)._meta.get_field(self.name)
        if not (_postgresql(schema_editor) and old_field.db_index and not new_field.db_index):
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        self._ensure_not_in_transaction(schema_editor)
        if not self.allow_migrate_model(schema_editor.connection.alias, old_model):
            return
        # The indexes on exactly this column, found as Django's own AlterField finds them; the
        # model's Meta indexes are not the field's.
        meta_indexes = {index.name for index in old_model._meta.indexes}
        names = schema_editor._constraint_names(old_model, [old_field.column], index=True, unique=False, type_=Index.suffix,
                                                exclude=meta_indexes)
        for name in names:
            schema_editor.execute(schema_editor._delete_index_sql(old_model, name, concurrently=True))

    def describe(self):
        return f"Concurrently drop the index of {self.model_name}.{self.name}"
