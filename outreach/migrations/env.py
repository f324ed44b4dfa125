"""Alembic environment for the agenda's application database.

``outreach.storage.Agenda.migrate`` passes an open connection in ``config.attributes``; the
``alembic`` command line (``-x url=...``) works too. The version table has its own name so
the agenda can share a PostgreSQL database or schema with other applications.
"""

from alembic import context
from sqlalchemy import Connection, create_engine

from outreach.storage import VERSION_TABLE


def _run(connection: Connection) -> None:
    context.configure(connection=connection, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(context.get_x_argument(as_dictionary=True)["url"])
    with engine.begin() as own:
        _run(own)
