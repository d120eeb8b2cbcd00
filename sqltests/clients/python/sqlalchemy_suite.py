"""SQLAlchemy (1.4 and 2.x) with pgvector-python against lancegate.

The same script runs in both environments (.tools/clients/py14 has
SQLAlchemy 1.4 on psycopg2, .tools/clients/py has 2.x with psycopg2 and
psycopg 3); parts whose name ends in _psycopg need SQLAlchemy 2.

A dialect's first connection runs its initialisation: version(),
current_schema(), standard_conforming_strings, and — unless
use_native_hstore=False — a pg_type lookup of hstore. The basic parts turn
that lookup off so they do not depend on pg_catalog; connect_default keeps
it.

Parts:
  basic_psycopg2 / basic_psycopg   server_version_info, DDL, Core
        executemany with pgvector's Vector type, vector search, INSERT …
        RETURNING, ORM insert
        and select, begin_nested savepoints, errors and recovery
  connect_default_psycopg2 / connect_default_psycopg   first connect with
        the dialect defaults (hstore lookup in pg_type)
  inspect_psycopg2 / inspect_psycopg   Inspector reflection of a table
  create_all_psycopg2 / create_all_psycopg   MetaData.create_all (has_table
        lookup, CREATE TABLE inside the dialect's transaction)
  orm_serial_psycopg2 / orm_serial_psycopg   a declarative model with an
        autoincrement integer primary key (SERIAL) created by create_all,
        ORM inserts that get their ids back, reflection of the key
"""

import datetime

import sqlalchemy as sa
from sqlalchemy import orm
from pgvector.sqlalchemy import Vector

from suite import check, equal, main, part, raises, url

TS = datetime.datetime(2024, 1, 2, 3, 4, 5, 250000, tzinfo=datetime.timezone.utc)
SA2 = sa.__version__.startswith("2.")


def engine(driver, **kw):
    if driver == "psycopg" and not SA2:
        raise RuntimeError("the psycopg (3) dialect needs SQLAlchemy 2")
    return sa.create_engine(url(driver), future=True, **kw)


def table(md, name):
    return sa.Table(
        name, md,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("qty", sa.Integer),
        sa.Column("price", sa.Float),
        sa.Column("created_at", sa.DateTime(timezone=True)),
        sa.Column("active", sa.Boolean),
        sa.Column("embedding", Vector(3)),
    )


DDL = ("id bigint NOT NULL, name text NOT NULL, qty integer, price double precision, "
       "created_at timestamptz, active boolean, embedding vector(3)")


def recreate(eng, name):
    """DDL in autocommit: lancegate refuses schema changes inside BEGIN."""
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
        c.execute(sa.text(f"CREATE TABLE {name} ({DDL})"))


def basic(driver):
    eng = engine(driver, use_native_hstore=False)
    name = f"sa_{driver}_{sa.__version__[0]}"
    with eng.connect() as c:
        equal(eng.dialect.server_version_info, (15, 20), "dialect.server_version_info")
        equal(c.execute(sa.text("SELECT current_schema()")).scalar(), "public", "current_schema()")
    recreate(eng, name)
    md = sa.MetaData()
    items = table(md, name)

    # Core: executemany with Vector(3) parameters, then a vector search.
    with eng.begin() as c:
        c.execute(items.insert(), [
            dict(id=1, name="a", qty=3, price=1.5, created_at=TS, active=True, embedding=[1, 2, 3]),
            dict(id=2, name="b", qty=70000, price=2.25, created_at=TS, active=False, embedding=[4, 5, 6]),
            dict(id=3, name="it's", qty=0, price=None, created_at=None, active=None, embedding=[7, 8, 9]),
        ])
    with eng.connect() as c:
        row = c.execute(sa.select(items).where(items.c.id == 1)).one()
        equal((row.id, row.name, row.qty, row.price, row.created_at, row.active),
              (1, "a", 3, 1.5, TS, True), "row 1 round trip")
        check(list(row.embedding) == [1, 2, 3], "Vector(3) read back")
        q = (sa.select(items.c.id, items.c.embedding.l2_distance([4, 5, 7]).label("d"))
             .order_by(items.c.embedding.l2_distance([4, 5, 7])).limit(2))
        got = c.execute(q).all()
        equal([r.id for r in got], [2, 3], "nearest ids (Core)")
        equal(round(got[0].d, 6), 1.0, "distance of the nearest row")
        got = c.execute(sa.select(items.c.id).where(items.c.name == "it's")).scalars().all()
        equal(got, [3], "quoted string parameter")
    with eng.begin() as c:
        got = c.execute(items.insert().returning(items.c.id, items.c.name),
                        dict(id=4, name="returned", embedding=[0, 0, 1])).one()
        equal(tuple(got), (4, "returned"), "INSERT … RETURNING")
        c.execute(items.delete().where(items.c.id == 4))

    # ORM: the mapping declares id as the primary key (lancegate does not
    # store key constraints; the ORM only needs the identity).
    base = orm.registry().generate_base()

    class Item(base):
        __table__ = table(base.metadata, name)

    with orm.Session(eng, future=True) as s:
        s.add_all([Item(id=10, name="orm1", embedding=[10, 10, 10]),
                   Item(id=11, name="orm2", embedding=[11, 11, 11])])
        s.commit()
        nearest = s.execute(sa.select(Item).order_by(Item.embedding.l2_distance([11, 11, 12])).limit(1)).scalars().first()
        equal(nearest.id, 11, "nearest id (ORM)")
        check(list(nearest.embedding) == [11, 11, 11], "ORM vector attribute")

        # begin_nested: a SAVEPOINT rolled back keeps the outer work.
        s.add(Item(id=20, name="outer"))
        nested = s.begin_nested()
        s.add(Item(id=21, name="inner"))
        s.flush()
        nested.rollback()
        with s.begin_nested():
            s.add(Item(id=22, name="inner kept"))
        s.commit()
        ids = s.execute(sa.select(Item.id).where(Item.id >= 20).order_by(Item.id)).scalars().all()
        equal(ids, [20, 22], "rows after begin_nested")
        s.commit()

    # Errors: the driver's SQLSTATE, and the connection works after rollback.
    with eng.connect() as c:
        raises("42P01", lambda: c.execute(sa.text("SELECT * FROM sa_missing")), "missing table")
        c.rollback()
        # pgvector's Vector(3) checks the length on the client, so send text.
        ins = sa.text(f"INSERT INTO {name} (id, name, embedding) VALUES (:id, 'x', :e)")
        raises("22000", lambda: c.execute(ins, dict(id=5, e="[1,2]")), "wrong vector dimensions")
        c.rollback()
        equal(c.execute(sa.select(sa.func.count()).select_from(items)).scalar(), 7, "row count after errors")


@part
def basic_psycopg2():
    basic("psycopg2")


@part
def basic_psycopg():
    basic("psycopg")


def connect_default(driver):
    eng = engine(driver)
    with eng.connect() as c:
        equal(eng.dialect.server_version_info, (15, 20), "dialect.server_version_info")
        equal(c.execute(sa.text("SELECT 1")).scalar(), 1, "SELECT 1")


@part
def connect_default_psycopg2():
    connect_default("psycopg2")


@part
def connect_default_psycopg():
    connect_default("psycopg")


def inspect(driver):
    eng = engine(driver, use_native_hstore=False)
    name = f"sa_insp_{driver}_{sa.__version__[0]}"
    recreate(eng, name)
    insp = sa.inspect(eng)
    check(name in insp.get_table_names(), f"get_table_names() lists {name}")
    cols = {c["name"]: c for c in insp.get_columns(name)}
    equal(list(cols), ["id", "name", "qty", "price", "created_at", "active", "embedding"], "get_columns() names")
    check(isinstance(cols["id"]["type"], sa.BigInteger), "id is BIGINT")
    check(cols["name"]["nullable"] is False, "name is NOT NULL")
    check(isinstance(cols["created_at"]["type"], sa.DateTime) and cols["created_at"]["type"].timezone,
          "created_at is TIMESTAMP WITH TIME ZONE")
    check(isinstance(cols["embedding"]["type"], Vector) or "vector" in str(cols["embedding"]["type"]).lower(),
          "embedding reflects as vector")
    equal(insp.get_pk_constraint(name)["constrained_columns"], [], "no primary key")
    equal(insp.get_foreign_keys(name), [], "no foreign keys")
    equal(insp.get_indexes(name), [], "no indexes")
    equal(insp.get_unique_constraints(name), [], "no unique constraints")
    equal(insp.get_check_constraints(name), [], "no check constraints")
    equal(insp.get_table_comment(name)["text"], None, "no table comment")
    check(insp.has_table(name) and not insp.has_table("sa_missing"), "has_table()")
    md = sa.MetaData()
    reflected = sa.Table(name, md, autoload_with=eng)
    equal([c.name for c in reflected.columns], list(cols), "Table(autoload_with=…)")


@part
def inspect_psycopg2():
    inspect("psycopg2")


@part
def inspect_psycopg():
    inspect("psycopg")


def create_all(driver):
    eng = engine(driver, use_native_hstore=False)
    name = f"sa_ca_{driver}_{sa.__version__[0]}"
    md = sa.MetaData()
    items = sa.Table(name, md,
                     sa.Column("id", sa.BigInteger, nullable=False),
                     sa.Column("name", sa.Text),
                     sa.Column("embedding", Vector(3)))
    md.drop_all(eng)
    md.create_all(eng)
    with eng.begin() as c:
        c.execute(items.insert(), [dict(id=1, name="a", embedding=[1, 2, 3])])
    with eng.connect() as c:
        equal(c.execute(sa.select(items.c.name)).scalar(), "a", "row in the created table")
    md.drop_all(eng)


@part
def create_all_psycopg2():
    create_all("psycopg2")


@part
def create_all_psycopg():
    create_all("psycopg")


def orm_serial(driver):
    eng = engine(driver, use_native_hstore=False)
    tname = f"sa_orm_{driver}_{sa.__version__[0]}"
    Base = orm.declarative_base()

    class Item(Base):
        __tablename__ = tname
        id = sa.Column(sa.Integer, primary_key=True)  # SERIAL PRIMARY KEY
        name = sa.Column(sa.Text, nullable=False)
        embedding = sa.Column(Vector(3))

    Base.metadata.drop_all(eng)
    Base.metadata.create_all(eng)
    with orm.Session(eng) as s:
        a, b = Item(name="a", embedding=[1, 0, 0]), Item(name="b", embedding=[0, 1, 0])
        s.add_all([a, b])
        s.commit()
        equal(sorted([a.id, b.id]), [1, 2], "ids the sequence gave, read back by the ORM")
        got = s.execute(sa.select(Item).order_by(Item.embedding.l2_distance([0.9, 0.1, 0])).limit(1)).scalar_one()
        equal(got.name, "a", "nearest row through the ORM")
    insp = sa.inspect(eng)
    equal(insp.get_pk_constraint(tname)["constrained_columns"], ["id"], "reflected primary key")
    col = [c for c in insp.get_columns(tname) if c["name"] == "id"][0]
    check(col["autoincrement"] is True, f"id reflects as autoincrement: {col}")
    Base.metadata.drop_all(eng)


@part
def orm_serial_psycopg2():
    orm_serial("psycopg2")


@part
def orm_serial_psycopg():
    orm_serial("psycopg")


if __name__ == "__main__":
    main()
