package pgcatalog

import (
	"math"
	"strings"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// OIDs of the objects lancegate defines for the built-in vector
// extension (pg-compat §7.1), between 16384 and catalog.FirstUserOID.
const (
	ExtensionVectorOID uint32 = 16384 + 2 // 16386
	AMHNSWOID          uint32 = 16388
	AMIVFFlatOID       uint32 = 16389
	opclassBase        uint32 = 16400
	procBase           uint32 = 16420
	// ExtensionPlpgsqlOID is plpgsql's extension, present in every
	// PostgreSQL database.
	ExtensionPlpgsqlOID uint32 = 13780
)

// Access methods, as pg_am lists them.
var accessMethods = []struct {
	oid     uint32
	name    string
	handler uint32
	kind    string
}{
	{2, "heap", 3, "t"}, {403, "btree", 330, "i"}, {405, "hash", 331, "i"}, {783, "gist", 332, "i"},
	{2742, "gin", 333, "i"}, {4000, "spgist", 334, "i"}, {3580, "brin", 335, "i"},
	{AMHNSWOID, "hnsw", procBase + 10, "i"}, {AMIVFFlatOID, "ivfflat", procBase + 11, "i"},
}

// vectorOpclasses are pgvector's operator classes on vector.
var vectorOpclasses = []struct {
	name string
	am   uint32
	def  bool
}{
	{"vector_l2_ops", AMIVFFlatOID, true}, {"vector_ip_ops", AMIVFFlatOID, false}, {"vector_cosine_ops", AMIVFFlatOID, false},
	{"vector_l2_ops", AMHNSWOID, false}, {"vector_ip_ops", AMHNSWOID, false}, {"vector_cosine_ops", AMHNSWOID, false},
	{"vector_l1_ops", AMHNSWOID, false}, {"vector_ops", 403, true},
}

// procs are the pg_proc rows: the functions clients look up by name or
// OID (array_in for pgjdbc's array test; pgvector's I/O and distance
// functions).
var procs = []struct {
	oid  uint32
	name string
	ns   uint32
	ret  uint32
	args []uint32
}{
	{750, "array_in", NamespacePGCatalog, 2277, []uint32{2275, 26, 23}},
	{751, "array_out", NamespacePGCatalog, 2275, []uint32{2277}},
	{procBase, "vector_in", NamespacePublic, pgtype.OIDVector, []uint32{2275, 26, 23}},
	{procBase + 1, "vector_out", NamespacePublic, 2275, []uint32{pgtype.OIDVector}},
	{procBase + 2, "vector_recv", NamespacePublic, pgtype.OIDVector, []uint32{2281, 26, 23}},
	{procBase + 3, "vector_send", NamespacePublic, pgtype.OIDBytea, []uint32{pgtype.OIDVector}},
	{procBase + 4, "vector_typmod_in", NamespacePublic, pgtype.OIDInt4, []uint32{1263}},
	{procBase + 5, "l2_distance", NamespacePublic, pgtype.OIDFloat8, []uint32{pgtype.OIDVector, pgtype.OIDVector}},
	{procBase + 6, "cosine_distance", NamespacePublic, pgtype.OIDFloat8, []uint32{pgtype.OIDVector, pgtype.OIDVector}},
	{procBase + 7, "inner_product", NamespacePublic, pgtype.OIDFloat8, []uint32{pgtype.OIDVector, pgtype.OIDVector}},
	{procBase + 8, "vector_dims", NamespacePublic, pgtype.OIDInt4, []uint32{pgtype.OIDVector}},
	{procBase + 9, "vector_norm", NamespacePublic, pgtype.OIDFloat8, []uint32{pgtype.OIDVector}},
	{procBase + 10, "hnswhandler", NamespacePublic, 325, []uint32{2281}},
	{procBase + 11, "ivfflathandler", NamespacePublic, 325, []uint32{2281}},
}

func pgCatalogRelations() []*Relation {
	return forCatalog([]*Relation{
		{Name: "pg_type", OID: 1247, Columns: cols(`oid oid, typname name, typnamespace oid, typowner oid, typlen int2,
			typbyval bool, typtype char, typcategory char, typispreferred bool, typisdefined bool, typdelim char,
			typrelid oid, typsubscript regproc, typelem oid, typarray oid, typinput regproc, typoutput regproc,
			typreceive regproc, typsend regproc, typmodin regproc, typmodout regproc, typanalyze regproc,
			typalign char, typstorage char, typnotnull bool, typbasetype oid, typtypmod int4, typndims int4,
			typcollation oid, typdefaultbin pg_node_tree, typdefault text?, typacl aclitem[]`), Rows: typeRows},
		{Name: "pg_attribute", OID: 1249, Columns: cols(`attrelid oid, attname name, atttypid oid, attstattarget int4,
			attlen int2, attnum int2, attndims int4, attcacheoff int4, atttypmod int4, attbyval bool, attalign char,
			attstorage char, attcompression char, attnotnull bool, atthasdef bool, atthasmissing bool,
			attidentity char, attgenerated char, attisdropped bool, attislocal bool, attinhcount int4,
			attcollation oid, attacl aclitem[], attoptions text[], attfdwoptions text[]`), Rows: attributeRows},
		{Name: "pg_proc", OID: 1255, Columns: cols(`oid oid, proname name, pronamespace oid, proowner oid, prolang oid,
			procost float4, prorows float4, provariadic oid, prosupport regproc, prokind char, prosecdef bool,
			proleakproof bool, proisstrict bool, proretset bool, provolatile char, proparallel char, pronargs int2,
			pronargdefaults int2, prorettype oid, proargtypes oidvector, proallargtypes oid[], proargmodes char[],
			proargnames text[], proargdefaults pg_node_tree, protrftypes oid[], prosrc text, probin text?,
			prosqlbody pg_node_tree, proconfig text[], proacl aclitem[]`), Rows: procRows},
		{Name: "pg_class", OID: 1259, Columns: cols(`oid oid, relname name, relnamespace oid, reltype oid, reloftype oid,
			relowner oid, relam oid, relfilenode oid, reltablespace oid, relpages int4, reltuples float4,
			relallvisible int4, reltoastrelid oid, relhasindex bool, relisshared bool, relpersistence char,
			relkind char, relnatts int2, relchecks int2, relhasrules bool, relhastriggers bool, relhassubclass bool,
			relrowsecurity bool, relforcerowsecurity bool, relispopulated bool, relreplident char,
			relispartition bool, relrewrite oid, relfrozenxid xid, relminmxid xid, relacl aclitem[],
			reloptions text[], relpartbound pg_node_tree`), Rows: classRows},
		{Name: "pg_database", OID: 1262, Columns: cols(`oid oid, datname name, datdba oid, encoding int4,
			datlocprovider char, datistemplate bool, datallowconn bool, datconnlimit int4, datfrozenxid xid,
			datminmxid xid, dattablespace oid, datcollate text, datctype text, daticulocale text?,
			datcollversion text?, datacl aclitem[]`), Rows: databaseRows},
		{Name: "pg_namespace", OID: 2615, Columns: cols(`oid oid, nspname name, nspowner oid, nspacl aclitem[]`), Rows: namespaceRows},
		{Name: "pg_index", OID: 2610, Columns: cols(`indexrelid oid, indrelid oid, indnatts int2, indnkeyatts int2,
			indisunique bool, indnullsnotdistinct bool, indisprimary bool, indisexclusion bool, indimmediate bool,
			indisclustered bool, indisvalid bool, indcheckxmin bool, indisready bool, indislive bool,
			indisreplident bool, indkey int2vector, indcollation oidvector, indclass oidvector,
			indoption int2vector, indexprs pg_node_tree, indpred pg_node_tree`), Rows: indexRows},
		{Name: "pg_am", OID: 2601, Columns: cols(`oid oid, amname name, amhandler regproc, amtype char`), Rows: amRows},
		{Name: "pg_attrdef", OID: 2604, Columns: cols(`oid oid, adrelid oid, adnum int2, adbin pg_node_tree`), Rows: attrdefRows},
		{Name: "pg_constraint", OID: 2606, Columns: cols(`oid oid, conname name, connamespace oid, contype char,
			condeferrable bool, condeferred bool, convalidated bool, conrelid oid, contypid oid, conindid oid,
			conparentid oid, confrelid oid, confupdtype char, confdeltype char, confmatchtype char, conislocal bool,
			coninhcount int4, connoinherit bool, conkey int2[], confkey int2[], conpfeqop oid[], conppeqop oid[],
			conffeqop oid[], confdelsetcols int2[], conexclop oid[], conbin pg_node_tree`), Rows: constraintRows},
		{Name: "pg_description", OID: 2609, Columns: cols(`objoid oid, classoid oid, objsubid int4, description text`), Rows: descriptionRows},
		{Name: "pg_shdescription", OID: 2396, Columns: cols(`objoid oid, classoid oid, description text`), Rows: empty},
		{Name: "pg_inherits", OID: 2611, Columns: cols(`inhrelid oid, inhparent oid, inhseqno int4, inhdetachpending bool`), Rows: empty},
		{Name: "pg_trigger", OID: 2620, Columns: cols(`oid oid, tgrelid oid, tgparentid oid, tgname name, tgfoid oid,
			tgtype int2, tgenabled char, tgisinternal bool, tgconstrrelid oid, tgconstrindid oid, tgconstraint oid,
			tgdeferrable bool, tginitdeferred bool, tgnargs int2, tgattr int2vector, tgqual pg_node_tree`), Rows: empty},
		{Name: "pg_rewrite", OID: 2618, Columns: cols(`oid oid, rulename name, ev_class oid, ev_type char, ev_enabled char,
			is_instead bool, ev_qual pg_node_tree, ev_action pg_node_tree`), Rows: empty},
		{Name: "pg_depend", OID: 2608, Columns: cols(`classid oid, objid oid, objsubid int4, refclassid oid, refobjid oid,
			refobjsubid int4, deptype char`), Rows: empty},
		{Name: "pg_enum", OID: 3501, Columns: cols(`oid oid, enumtypid oid, enumsortorder float4, enumlabel name`), Rows: empty},
		{Name: "pg_range", OID: 3541, Columns: cols(`rngtypid oid, rngsubtype oid, rngmultitypid oid, rngcollation oid,
			rngsubopc oid, rngcanonical regproc, rngsubdiff regproc`), Rows: empty},
		{Name: "pg_sequence", OID: 2224, Columns: cols(`seqrelid oid, seqtypid oid, seqstart int8, seqincrement int8,
			seqmax int8, seqmin int8, seqcache int8, seqcycle bool`), Rows: sequenceRows},
		{Name: "pg_policy", OID: 3256, Columns: cols(`oid oid, polname name, polrelid oid, polcmd char, polpermissive bool,
			polroles oid[], polqual pg_node_tree, polwithcheck pg_node_tree`), Rows: empty},
		{Name: "pg_statistic_ext", OID: 3381, Columns: cols(`oid oid, stxrelid oid, stxname name, stxnamespace oid,
			stxowner oid, stxstattarget int4, stxkeys int2vector, stxkind char[], stxexprs pg_node_tree`), Rows: empty},
		{Name: "pg_publication", OID: 6104, Columns: cols(`oid oid, pubname name, pubowner oid, puballtables bool,
			pubinsert bool, pubupdate bool, pubdelete bool, pubtruncate bool, pubviaroot bool`), Rows: empty},
		{Name: "pg_publication_rel", OID: 6106, Columns: cols(`oid oid, prpubid oid, prrelid oid, prqual pg_node_tree, prattrs int2vector`), Rows: empty},
		{Name: "pg_publication_namespace", OID: 6237, Columns: cols(`oid oid, pnpubid oid, pnnspid oid`), Rows: empty},
		{Name: "pg_foreign_table", OID: 3118, Columns: cols(`ftrelid oid, ftserver oid, ftoptions text[]`), Rows: empty},
		{Name: "pg_partitioned_table", OID: 3350, Columns: cols(`partrelid oid, partstrat char, partnatts int2,
			partdefid oid, partattrs int2vector, partclass oidvector, partcollation oidvector, partexprs pg_node_tree`), Rows: empty},
		{Name: "pg_event_trigger", OID: 3466, Columns: cols(`oid oid, evtname name, evtevent name, evtowner oid,
			evtfoid oid, evtenabled char, evttags text[]`), Rows: empty},
		{Name: "pg_auth_members", OID: 1261, Columns: cols(`roleid oid, member oid, grantor oid, admin_option bool`), Rows: authMembersRows},
		{Name: "pg_collation", OID: 3456, Columns: cols(`oid oid, collname name, collnamespace oid, collowner oid,
			collprovider char, collisdeterministic bool, collencoding int4, collcollate text?, collctype text?,
			colliculocale text?, collversion text?`), Rows: collationRows},
		{Name: "pg_extension", OID: 3079, Columns: cols(`oid oid, extname name, extowner oid, extnamespace oid,
			extrelocatable bool, extversion text, extconfig oid[], extcondition text[]`), Rows: extensionRows},
		{Name: "pg_opclass", OID: 2616, Columns: cols(`oid oid, opcmethod oid, opcname name, opcnamespace oid,
			opcowner oid, opcfamily oid, opcintype oid, opcdefault bool, opckeytype oid`), Rows: opclassRows},
		{Name: "pg_tablespace", OID: 1213, Columns: cols(`oid oid, spcname name, spcowner oid, spcacl aclitem[], spcoptions text[]`),
			Rows: func(*Snapshot) [][]Value {
				return [][]Value{{uint32(1663), "pg_default", BootstrapRoleOID, nil, nil}, {uint32(1664), "pg_global", BootstrapRoleOID, nil, nil}}
			}},
		{Name: "pg_roles", OID: 12001, Kind: 'v', Columns: cols(`rolname name, rolsuper bool, rolinherit bool,
			rolcreaterole bool, rolcreatedb bool, rolcanlogin bool, rolreplication bool, rolconnlimit int4,
			rolpassword text?, rolvaliduntil timestamptz?, rolbypassrls bool, rolconfig text[], oid oid`), Rows: roleRows},
		{Name: "pg_user", OID: 12002, Kind: 'v', Columns: cols(`usename name, usesysid oid, usecreatedb bool,
			usesuper bool, userepl bool, usebypassrls bool, passwd text?, valuntil timestamptz?, useconfig text[]`),
			Rows: userRows},
		{Name: "pg_settings", OID: 12003, Kind: 'v', Columns: cols(`name text, setting text, unit text, category text,
			short_desc text, extra_desc text, context text, vartype text, source text, min_val text, max_val text,
			enumvals text[], boot_val text, reset_val text, sourcefile text, sourceline int4, pending_restart bool`),
			Rows: settingRows},
		{Name: "pg_tables", OID: 12004, Kind: 'v', Columns: cols(`schemaname name, tablename name, tableowner name,
			tablespace name, hasindexes bool, hasrules bool, hastriggers bool, rowsecurity bool`), Rows: tablesViewRows},
		{Name: "pg_indexes", OID: 12005, Kind: 'v', Columns: cols(`schemaname name, tablename name, indexname name,
			tablespace name, indexdef text`), Rows: indexesViewRows},
		{Name: "pg_views", OID: 12006, Kind: 'v', Columns: cols(`schemaname name, viewname name, viewowner name, definition text`), Rows: empty},
		{Name: "pg_matviews", OID: 12007, Kind: 'v', Columns: cols(`schemaname name, matviewname name, matviewowner name,
			tablespace name, hasindexes bool, ispopulated bool, definition text`), Rows: empty},
		{Name: "pg_sequences", OID: 12008, Kind: 'v', Columns: cols(`schemaname name, sequencename name, sequenceowner name,
			data_type oid, start_value int8, min_value int8, max_value int8, increment_by int8, cycle bool,
			cache_size int8, last_value int8?`), Rows: pgSequencesRows},
		{Name: "pg_stat_user_tables", OID: 12009, Kind: 'v', Columns: cols(`relid oid, schemaname name, relname name,
			seq_scan int8, seq_tup_read int8, idx_scan int8?, idx_tup_fetch int8?, n_tup_ins int8, n_tup_upd int8,
			n_tup_del int8, n_tup_hot_upd int8, n_live_tup int8, n_dead_tup int8`), Rows: statTablesRows},
		{Name: "pg_stat_all_tables", OID: 12011, Kind: 'v', Columns: cols(`relid oid, schemaname name, relname name,
			seq_scan int8, seq_tup_read int8, idx_scan int8?, idx_tup_fetch int8?, n_tup_ins int8, n_tup_upd int8,
			n_tup_del int8, n_tup_hot_upd int8, n_live_tup int8, n_dead_tup int8`), Rows: statTablesRows},
		{Name: "pg_statio_all_tables", OID: 12012, Kind: 'v', Columns: cols(`relid oid, schemaname name, relname name,
			heap_blks_read int8, heap_blks_hit int8, idx_blks_read int8?, idx_blks_hit int8?, toast_blks_read int8?,
			toast_blks_hit int8?, tidx_blks_read int8?, tidx_blks_hit int8?`), Rows: statioRows},
		{Name: "pg_statio_user_tables", OID: 12013, Kind: 'v', Columns: cols(`relid oid, schemaname name, relname name,
			heap_blks_read int8, heap_blks_hit int8, idx_blks_read int8?, idx_blks_hit int8?, toast_blks_read int8?,
			toast_blks_hit int8?, tidx_blks_read int8?, tidx_blks_hit int8?`), Rows: statioRows},
		{Name: "pg_stat_activity", OID: 12014, Kind: 'v', Columns: cols(`datid oid, datname name, pid int4,
			leader_pid int4?, usesysid oid, usename name, application_name text, client_addr text?,
			client_hostname text?, client_port int4?, backend_start timestamptz?, xact_start timestamptz?,
			query_start timestamptz?, state_change timestamptz?, wait_event_type text?, wait_event text?, state text,
			backend_xid xid?, backend_xmin xid?, query_id int8?, query text, backend_type text`), Rows: activityRows},
		{Name: "pg_available_extensions", OID: 12010, Kind: 'v', Columns: cols(`name name, default_version text,
			installed_version text, comment text`), Rows: func(*Snapshot) [][]Value {
			return [][]Value{{"plpgsql", "1.0", "1.0", "PL/pgSQL procedural language"},
				{"vector", VectorVersion, VectorVersion, "vector data type and ivfflat and hnsw access methods"}}
		}},
	})
}

// VectorVersion is the pgvector release whose SQL surface lancegate
// implements.
const VectorVersion = "0.8.0"

func forCatalog(rs []*Relation) []*Relation {
	for _, r := range rs {
		if r.Schema == "" {
			r.Schema = "pg_catalog"
		}
		if r.Kind == 0 {
			r.Kind = 'r'
		}
	}
	return rs
}

// infoSchemaDomains are information_schema's domains, as pg_type lists
// them (typtype 'd' over their base type); SQLAlchemy reads them to map
// domain columns.
var infoSchemaDomains = []struct {
	oid  uint32
	name string
	base pgtype.Type
}{
	{13101 + 100, "cardinal_number", pgtype.Int4},
	{13101 + 101, "character_data", pgtype.Varchar},
	{13101 + 102, "sql_identifier", pgtype.Name},
	{13101 + 103, "time_stamp", pgtype.Type{OID: pgtype.OIDTimestampTZ, Mod: 2}},
	{13101 + 104, "yes_or_no", pgtype.VarcharOf(3)},
}

func typeRows(*Snapshot) [][]Value {
	var out [][]Value
	for _, d := range infoSchemaDomains {
		info := d.base.Info()
		align, storage := layout(info.Len)
		collation := uint32(0)
		if info.Category == 'S' {
			collation = 100
		}
		out = append(out, []Value{
			d.oid, d.name, NamespaceInfoSchema, BootstrapRoleOID, info.Len,
			info.Len > 0 && info.Len <= 8, "d", string(rune(info.Category)), false, true, ",",
			uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0),
			uint32(0), uint32(0), uint32(0), uint32(0), uint32(0),
			align, storage, false, d.base.OID, d.base.Mod, int32(0),
			collation, nil, nil, nil,
		})
	}
	for _, i := range pgtype.Types() {
		ns, input, output, recv, send, modin := NamespacePGCatalog, uint32(0), uint32(0), uint32(0), uint32(0), uint32(0)
		typtype, align, storage, delim, collation := "b", "i", "p", ",", uint32(0)
		byval := i.Len > 0 && i.Len <= 8
		switch {
		case i.OID == pgtype.OIDVector:
			ns, input, output, recv, send, modin = NamespacePublic, procBase, procBase+1, procBase+2, procBase+3, procBase+4
			storage = "e"
		case i.OID == pgtype.OIDVectorArray:
			ns, input, output, storage = NamespacePublic, 750, 751, "x"
		case i.Category == 'A':
			input, output, storage = 750, 751, "x"
		case i.OID == pgtype.OIDVoid || i.OID == pgtype.OIDUnknown:
			typtype = "p"
		}
		a, st := layout(i.Len)
		align = a
		if storage == "p" { // not set by the kind of type above
			storage = st
		}
		switch i.OID {
		case pgtype.OIDText, pgtype.OIDVarchar, pgtype.OIDBpchar, pgtype.OIDTextArray, pgtype.OIDVarcharArr:
			collation = 100
		case pgtype.OIDName:
			collation = 950
		}
		out = append(out, []Value{
			i.OID, i.Name, ns, BootstrapRoleOID, i.Len,
			byval, typtype, string(rune(i.Category)), false, true, delim,
			uint32(0), uint32(0), i.Elem, i.Array, input, output,
			recv, send, modin, uint32(0), uint32(0),
			align, storage, false, uint32(0), int32(-1), int32(0),
			collation, nil, nil, nil,
		})
	}
	return out
}

// layout returns typalign and typstorage of a type of length n: c, s, i
// or d by width; varlena types are TOAST-able (x), fixed ones plain (p).
func layout(n int16) (align, storage string) {
	switch n {
	case 1:
		return "c", "p"
	case 2:
		return "s", "p"
	case 8:
		return "d", "p"
	case -1:
		return "i", "x"
	}
	return "i", "p"
}

// attrRow is one pg_attribute row.
func attrRow(rel uint32, num int16, c Column) []Value {
	info := typeOf(c.Type)
	align, storage := layout(info.Len)
	collation := uint32(0)
	if c.Type.OID == pgtype.OIDVector {
		storage = "e"
	}
	switch c.Type.OID {
	case pgtype.OIDText, pgtype.OIDVarchar, pgtype.OIDBpchar:
		collation = 100
	case pgtype.OIDName:
		collation = 950
	}
	ndims := int32(0)
	if info.Category == 'A' {
		ndims = 1
	}
	return []Value{
		rel, c.Name, c.Type.OID, int32(-1),
		info.Len, num, ndims, int32(-1), c.Type.Mod, info.Len > 0 && info.Len <= 8, align,
		storage, "", c.NotNull, c.Default != "", false,
		identity(c.Identity), "", false, true, int32(0),
		collation, nil, nil, nil,
	}
}

func attributeRows(s *Snapshot) [][]Value {
	var out [][]Value
	for _, t := range s.Tables {
		for i, c := range t.Columns {
			out = append(out, attrRow(t.OID, int16(i+1), c))
		}
		for _, ix := range t.Indexes {
			for k, a := range ix.Columns {
				if int(a) >= 1 && int(a) <= len(t.Columns) {
					out = append(out, attrRow(ix.OID, int16(k+1), t.Columns[a-1]))
				}
			}
		}
	}
	for _, r := range catalogOf(s).Relations() {
		for i, c := range r.Columns {
			out = append(out, attrRow(r.OID, int16(i+1), c))
		}
	}
	return out
}

func procRows(*Snapshot) [][]Value {
	var out [][]Value
	for _, p := range procs {
		out = append(out, []Value{
			p.oid, p.name, p.ns, BootstrapRoleOID, uint32(12),
			float32(1), float32(0), uint32(0), uint32(0), "f", false,
			false, true, false, "i", "s", int16(len(p.args)),
			int16(0), p.ret, p.args, nil, nil,
			nil, nil, nil, p.name, nil,
			nil, nil, nil,
		})
	}
	return out
}

func classRow(oid uint32, name string, ns uint32, kind string, am uint32, natts int16, rows float32, hasIndex bool, owner uint32) []Value {
	return []Value{
		oid, name, ns, uint32(0), uint32(0),
		owner, am, oid, uint32(0), int32(0), rows,
		int32(0), uint32(0), hasIndex, false, "p",
		kind, natts, int16(0), false, false, false,
		false, false, true, "d",
		false, uint32(0), uint32(0), uint32(0), nil,
		nil, nil,
	}
}

func classRows(s *Snapshot) [][]Value {
	var out [][]Value
	for _, t := range s.Tables {
		out = append(out, classRow(t.OID, t.Name, NamespacePublic, "r", 2, int16(len(t.Columns)), float32(t.Rows), len(t.Indexes) > 0, t.owner()))
		for _, q := range t.Sequences {
			out = append(out, classRow(q.OID, q.Name, NamespacePublic, "S", 0, 3, 1, false, t.owner()))
		}
		for _, ix := range t.Indexes {
			am := AMHNSWOID
			switch ix.Method {
			case "ivfflat":
				am = AMIVFFlatOID
			case "btree":
				am = 403
			}
			out = append(out, classRow(ix.OID, ix.Name, NamespacePublic, "i", am, int16(len(ix.Columns)), float32(t.Rows), false, t.owner()))
		}
	}
	for _, r := range catalogOf(s).Relations() {
		ns := NamespacePGCatalog
		if r.Schema == "information_schema" {
			ns = NamespaceInfoSchema
		}
		am := uint32(2)
		if r.Kind == 'v' {
			am = 0
		}
		out = append(out, classRow(r.OID, r.Name, ns, string(rune(r.Kind)), am, int16(len(r.Columns)), -1, false, BootstrapRoleOID))
	}
	for _, q := range s.Sequences {
		out = append(out, classRow(q.OID, q.Name, NamespacePublic, "S", 0, 3, 1, false, 0))
	}
	return out
}

func databaseRows(s *Snapshot) [][]Value {
	row := func(oid uint32, name string, template bool) []Value {
		return []Value{oid, name, BootstrapRoleOID, int32(6), "c", template, true, int32(-1), uint32(0),
			uint32(0), uint32(1663), "C.UTF-8", "C.UTF-8", nil, nil, nil}
	}
	out := [][]Value{row(DatabaseOID, s.Database, false)}
	if s.Database != "postgres" {
		out = append(out, row(5, "postgres", false))
	}
	return append(out, row(1, "template1", true), row(4, "template0", true))
}

func namespaceRows(*Snapshot) [][]Value {
	return [][]Value{
		{NamespacePGCatalog, "pg_catalog", BootstrapRoleOID, nil},
		{NamespacePGToast, "pg_toast", BootstrapRoleOID, nil},
		{NamespacePublic, "public", DatabaseOwnerRoleOID, nil},
		{NamespaceInfoSchema, "information_schema", BootstrapRoleOID, nil},
	}
}

func indexRows(s *Snapshot) [][]Value {
	var out [][]Value
	for _, t := range s.Tables {
		for _, ix := range t.Indexes {
			n := int16(len(ix.Columns))
			colls, classes, opts := make([]uint32, n), make([]uint32, n), make([]int16, n)
			for k := range classes {
				classes[k] = opclassOID(ix.OpClass, ix.Method)
			}
			out = append(out, []Value{
				ix.OID, t.OID, n, n,
				ix.Primary, false, ix.Primary, false, true,
				false, true, false, true, true,
				false, ix.Columns, colls, classes,
				opts, nil, nil,
			})
		}
	}
	return out
}

// opclassOID is the OID of an operator class of an access method.
func opclassOID(name, method string) uint32 {
	am := AMHNSWOID
	if method == "ivfflat" {
		am = AMIVFFlatOID
	}
	for i, o := range vectorOpclasses {
		if o.name == name && o.am == am {
			return opclassBase + uint32(i)
		}
	}
	return 0
}

func amRows(*Snapshot) [][]Value {
	var out [][]Value
	for _, a := range accessMethods {
		out = append(out, []Value{a.oid, a.name, a.handler, a.kind})
	}
	return out
}

func collationRows(*Snapshot) [][]Value {
	return [][]Value{
		{uint32(100), "default", NamespacePGCatalog, BootstrapRoleOID, "d", true, int32(-1), nil, nil, nil, nil},
		{uint32(950), "C", NamespacePGCatalog, BootstrapRoleOID, "c", true, int32(-1), "C", "C", nil, nil},
		{uint32(951), "POSIX", NamespacePGCatalog, BootstrapRoleOID, "c", true, int32(-1), "POSIX", "POSIX", nil, nil},
	}
}

func extensionRows(*Snapshot) [][]Value {
	return [][]Value{
		{ExtensionPlpgsqlOID, "plpgsql", BootstrapRoleOID, NamespacePGCatalog, false, "1.0", nil, nil},
		{ExtensionVectorOID, "vector", BootstrapRoleOID, NamespacePublic, true, VectorVersion, nil, nil},
	}
}

func opclassRows(*Snapshot) [][]Value {
	var out [][]Value
	for i, o := range vectorOpclasses {
		out = append(out, []Value{opclassBase + uint32(i), o.am, o.name, NamespacePublic, BootstrapRoleOID,
			opclassBase + uint32(i), pgtype.OIDVector, o.def, uint32(0)})
	}
	return out
}

// DatabaseOwnerRoleOID is pg_database_owner, the predefined role that owns
// schema public in PostgreSQL 15.
const DatabaseOwnerRoleOID uint32 = 6171

// roles returns the snapshot's roles (or the bootstrap role alone) and
// the predefined pg_database_owner.
func (s *Snapshot) roles() []Role {
	rs := s.Roles
	if len(rs) == 0 {
		rs = []Role{{OID: BootstrapRoleOID, Name: s.Owner, Superuser: true, Inherit: true, CreateRole: true, CreateDB: true, Login: true, ConnLimit: -1}}
	}
	return append(rs[:len(rs):len(rs)], Role{OID: DatabaseOwnerRoleOID, Name: "pg_database_owner", Inherit: true, ConnLimit: -1})
}

// RoleName returns the name of role oid (pg_get_userbyid).
func (s *Snapshot) RoleName(oid uint32) (string, bool) {
	for _, r := range s.roles() {
		if r.OID == oid {
			return r.Name, true
		}
	}
	return "", false
}

func validUntil(r Role) Value {
	if r.ValidUntil == 0 {
		return nil
	}
	return r.ValidUntil
}

func roleRows(s *Snapshot) [][]Value {
	var out [][]Value
	for _, r := range s.roles() {
		out = append(out, []Value{r.Name, r.Superuser, r.Inherit, r.CreateRole, r.CreateDB, r.Login, r.Superuser,
			r.ConnLimit, "********", validUntil(r), r.Superuser, nil, r.OID})
	}
	return out
}

func userRows(s *Snapshot) [][]Value {
	var out [][]Value
	for _, r := range s.roles() {
		if r.Login {
			out = append(out, []Value{r.Name, r.OID, r.CreateDB, r.Superuser, r.Superuser, r.Superuser, "********", validUntil(r), nil})
		}
	}
	return out
}

func authMembersRows(s *Snapshot) [][]Value {
	var out [][]Value
	for _, r := range s.roles() {
		for _, m := range r.MemberOf {
			out = append(out, []Value{m, r.OID, BootstrapRoleOID, false})
		}
	}
	return out
}

// owner is a table's relowner.
func (t *Table) owner() uint32 {
	if t.Owner == 0 {
		return BootstrapRoleOID
	}
	return t.Owner
}

func settingRows(s *Snapshot) [][]Value {
	var out [][]Value
	for _, st := range s.Settings {
		vartype := "string"
		switch strings.ToLower(st.Value) {
		case "on", "off":
			vartype = "bool"
		}
		out = append(out, []Value{st.Name, st.Value, nil, "Client Connection Defaults", st.Description, nil, "user",
			vartype, "default", nil, nil, nil, st.Value, st.Value, nil, nil, false})
	}
	return out
}

func tablesViewRows(s *Snapshot) [][]Value {
	var out [][]Value
	for _, t := range s.Tables {
		owner, _ := s.RoleName(t.owner())
		out = append(out, []Value{"public", t.Name, owner, nil, len(t.Indexes) > 0, false, false, false})
	}
	return out
}

func indexesViewRows(s *Snapshot) [][]Value {
	var out [][]Value
	for _, t := range s.Tables {
		for _, ix := range t.Indexes {
			def, _, _ := s.IndexDef(ix.OID, 0)
			out = append(out, []Value{"public", t.Name, ix.Name, nil, def})
		}
	}
	return out
}

func statTablesRows(s *Snapshot) [][]Value {
	var out [][]Value
	for _, t := range s.Tables {
		live := t.Rows
		if live < 0 {
			live = 0
		}
		out = append(out, []Value{t.OID, "public", t.Name, int64(0), int64(0), nil, nil, int64(0), int64(0),
			int64(0), int64(0), live, int64(0)})
	}
	return out
}

// constraintRows are the primary keys' pg_constraint rows.
func constraintRows(s *Snapshot) [][]Value {
	var out [][]Value
	for _, t := range s.Tables {
		for _, ix := range t.Indexes {
			if !ix.Primary {
				continue
			}
			out = append(out, []Value{
				ix.ConstraintOID, ix.Name, NamespacePublic, "p",
				false, false, true, t.OID, uint32(0), ix.OID,
				uint32(0), uint32(0), " ", " ", " ", true,
				int32(0), true, ix.Columns, nil, nil, nil,
				nil, nil, nil, nil,
			})
		}
	}
	return out
}

func statioRows(s *Snapshot) [][]Value {
	var out [][]Value
	for _, t := range s.Tables {
		out = append(out, []Value{t.OID, "public", t.Name, int64(0), int64(0), nil, nil, nil, nil, nil, nil})
	}
	return out
}

// activityRows describe the session reading the view (lancegate keeps no
// registry of the other sessions here yet).
func activityRows(s *Snapshot) [][]Value {
	return [][]Value{{DatabaseOID, s.Database, s.PID, nil, BootstrapRoleOID, s.User, s.ApplicationName, nil,
		nil, nil, nil, nil, nil, nil, nil, nil, "active", nil, nil, nil, "", "client backend"}}
}

// identity is attidentity's text: "" for none.
func identity(b byte) string {
	if b == 0 {
		return ""
	}
	return string(rune(b))
}

// attrdefRows are the column defaults (the serial columns' nextval).
func attrdefRows(s *Snapshot) [][]Value {
	var out [][]Value
	for _, t := range s.Tables {
		for _, q := range t.Sequences {
			if int(q.Column) < 1 || int(q.Column) > len(t.Columns) || t.Columns[q.Column-1].Default == "" {
				continue
			}
			out = append(out, []Value{q.OID, t.OID, q.Column, t.Columns[q.Column-1].Default})
		}
	}
	return out
}

// sequenceDefs returns every sequence with its parameters: a serial
// column's starts at 1 and counts up by 1 to its column type's maximum.
func sequenceDefs(s *Snapshot) []Sequence {
	var out []Sequence
	for _, t := range s.Tables {
		for _, q := range t.Sequences {
			def := SequenceDef{Type: pgtype.OIDInt8, Start: 1, Increment: 1, Min: 1, Max: math.MaxInt64, CacheSize: 1}
			if int(q.Column) >= 1 && int(q.Column) <= len(t.Columns) {
				switch t.Columns[q.Column-1].Type.OID {
				case pgtype.OIDInt2:
					def.Type, def.Max = pgtype.OIDInt2, math.MaxInt16
				case pgtype.OIDInt4:
					def.Type, def.Max = pgtype.OIDInt4, math.MaxInt32
				}
			}
			q.Def = &def
			out = append(out, q)
		}
	}
	for _, q := range s.Sequences {
		if q.Def != nil {
			out = append(out, q)
		}
	}
	return out
}

// sequenceRows are pg_sequence's rows.
func sequenceRows(s *Snapshot) [][]Value {
	var out [][]Value
	for _, q := range sequenceDefs(s) {
		d := q.Def
		out = append(out, []Value{q.OID, d.Type, d.Start, d.Increment, d.Max, d.Min, d.CacheSize, d.Cycle})
	}
	return out
}

// pgSequencesRows are pg_sequences' rows; last_value is NULL (values are
// handed out by every query node from its own claimed range).
func pgSequencesRows(s *Snapshot) [][]Value {
	var out [][]Value
	for _, q := range sequenceDefs(s) {
		d := q.Def
		out = append(out, []Value{"public", q.Name, s.Owner, d.Type, d.Start, d.Min, d.Max, d.Increment, d.Cycle, d.CacheSize, nil})
	}
	return out
}

// descriptionRows are the comments on tables and columns.
func descriptionRows(s *Snapshot) [][]Value {
	var out [][]Value
	for _, t := range s.Tables {
		if t.Comment != "" {
			out = append(out, []Value{t.OID, uint32(1259), int32(0), t.Comment})
		}
		for i, c := range t.Columns {
			if c.Comment != "" {
				out = append(out, []Value{t.OID, uint32(1259), int32(i + 1), c.Comment})
			}
		}
	}
	return out
}
