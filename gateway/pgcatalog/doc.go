// Package pgcatalog is lancegate's pg_catalog and information_schema: the
// relations PostgreSQL clients read to learn what a database holds (psql's
// \d commands, pgjdbc's DatabaseMetaData, SQLAlchemy's Inspector, the
// pgvector libraries' type lookups, ORMs' schema sync).
//
// # How data flows
//
// The gateway builds a Snapshot of the user's objects for a statement (the
// tables in storage with their columns, stable OIDs from storage/catalog,
// vector indexes, session settings) and asks Lookup for a relation by
// name. A Relation's Rows turns the snapshot into rows, which the gateway
// hands to the planner as a read-only table; the normal planner and
// executor then run the client's query (joins across pg_class,
// pg_attribute and pg_namespace agree, since they come from one
// snapshot).
//
// The static part — built-in types, namespaces, access methods,
// collations, the catalog relations themselves — follows PostgreSQL 15:
// the same relation and column names, column types and fixed OIDs
// (pg_type is 1247, int4 is 23, pg_catalog is 11, public is 2200), so
// clients that hard-code them work. The objects lancegate defines itself
// (the vector type 16385 and _vector 16391, the vector extension, the
// hnsw and ivfflat access methods) have fixed OIDs between 16384 and
// catalog.FirstUserOID; user objects have OIDs from catalog.FirstUserOID.
//
// The catalog describes itself: pg_class and pg_attribute have rows for
// every relation here, and information_schema.columns lists their columns.
// Relations lancegate has nothing to put in (pg_constraint, pg_inherits,
// pg_trigger, …) exist with PostgreSQL's columns and no rows.
package pgcatalog
