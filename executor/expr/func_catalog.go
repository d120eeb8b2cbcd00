package expr

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Catalog functions: what clients call in their pg_catalog queries
// (pg-compat §6.3). Those that describe objects read the session's
// catalog through Env.Catalog; the rest depend only on their arguments.
// Functions that only need to exist for lancegate's objects (no
// constraints, comments, partitions or publications yet) return what
// PostgreSQL returns for objects without them.

// Catalog answers the catalog functions that describe objects by OID. The
// gateway implements it over its pg_catalog snapshot; nil in contexts
// without a session (constant folding, plan executors), where those
// functions are 0A000.
type Catalog interface {
	// RelationName returns the name of the relation (table, index or
	// catalog relation) with OID oid.
	RelationName(ctx context.Context, oid uint32) (string, bool, error)
	// RelationOID resolves a relation name as regclassin does (search
	// path, optional schema); false when there is no such relation.
	RelationOID(ctx context.Context, name string) (uint32, bool, error)
	// RelationNamespace returns the namespace OID of relation oid.
	RelationNamespace(ctx context.Context, oid uint32) (uint32, bool, error)
	// RelationSize returns the bytes a relation's data takes in storage.
	RelationSize(ctx context.Context, oid uint32) (int64, bool, error)
	// FunctionSignature returns pg_get_function_result and
	// pg_get_function_arguments of function oid.
	FunctionSignature(ctx context.Context, oid uint32) (result, args string, ok bool, err error)
	// Description returns obj_description(oid) (subid 0) or
	// col_description(oid, subid): a comment.
	Description(ctx context.Context, oid uint32, subid int32) (string, bool, error)
	// ConstraintDef returns pg_get_constraintdef(oid): PRIMARY KEY (id).
	ConstraintDef(ctx context.Context, oid uint32) (string, bool, error)
	// SerialSequence returns pg_get_serial_sequence(table, column): the
	// qualified name of the sequence filling a serial or identity column.
	SerialSequence(ctx context.Context, table, column string) (string, bool, error)
	// RoleName returns the name of the role with OID oid.
	RoleName(ctx context.Context, oid uint32) (string, bool, error)
	// IndexDef returns pg_get_indexdef(oid, column): the CREATE INDEX
	// statement (column 0) or the text of the column-th key.
	IndexDef(ctx context.Context, oid uint32, column int32) (string, bool, error)
}

func init() {
	oid, i4, text, b := pgtype.OID, pgtype.Int4, pgtype.Text, pgtype.Bool
	name := pgtype.Name
	node := pgtype.Type{OID: pgtype.OIDPGNodeTree, Mod: -1}
	for _, f := range []string{"pg_type_is_visible", "pg_function_is_visible",
		"pg_collation_is_visible", "pg_opclass_is_visible", "pg_operator_is_visible", "pg_conversion_is_visible"} {
		register(&Function{Name: f, Args: []pgtype.Type{oid}, Result: b, Kernel: constBoolKernel(true)})
	}
	register(&Function{Name: "pg_table_is_visible", Args: []pgtype.Type{oid}, Result: b, Kernel: tableVisibleKernel})
	for _, f := range []string{"pg_table_size", "pg_relation_size", "pg_total_relation_size", "pg_indexes_size"} {
		register(&Function{Name: f, Args: []pgtype.Type{pgtype.Type{OID: pgtype.OIDRegclass, Mod: -1}}, Result: pgtype.Int8, Kernel: relationSizeKernel(f)})
	}
	register(
		&Function{Name: "pg_get_function_result", Args: []pgtype.Type{oid}, Result: text, Kernel: functionSignatureKernel(true)},
		&Function{Name: "pg_get_function_arguments", Args: []pgtype.Type{oid}, Result: text, Kernel: functionSignatureKernel(false)},
		&Function{Name: "pg_get_function_identity_arguments", Args: []pgtype.Type{oid}, Result: text, Kernel: functionSignatureKernel(false)},
	)
	register(
		&Function{Name: "format_type", Args: []pgtype.Type{oid, i4}, Result: text, CalledOnNull: true, Kernel: formatTypeKernel},
		&Function{Name: "pg_get_expr", Args: []pgtype.Type{node, oid}, Result: text, Kernel: firstTextKernel},
		&Function{Name: "pg_get_expr", Args: []pgtype.Type{node, oid, b}, Result: text, Kernel: firstTextKernel},
		&Function{Name: "pg_get_indexdef", Args: []pgtype.Type{oid}, Result: text, Kernel: indexDefKernel},
		&Function{Name: "pg_get_indexdef", Args: []pgtype.Type{oid, i4, b}, Result: text, Kernel: indexDefKernel},
		&Function{Name: "obj_description", Args: []pgtype.Type{oid}, Result: text, Kernel: descriptionKernel(false)},
		&Function{Name: "obj_description", Args: []pgtype.Type{oid, name}, Result: text, Kernel: descriptionKernel(false)},
		&Function{Name: "col_description", Args: []pgtype.Type{oid, i4}, Result: text, Kernel: descriptionKernel(true)},
		&Function{Name: "pg_get_serial_sequence", Args: []pgtype.Type{text, text}, Result: text, Kernel: serialSequenceKernel},
		&Function{Name: "pg_get_constraintdef", Args: []pgtype.Type{oid}, Result: text, Kernel: constraintDefKernel},
		&Function{Name: "pg_get_constraintdef", Args: []pgtype.Type{oid, b}, Result: text, Kernel: constraintDefKernel},
		&Function{Name: "pg_get_userbyid", Args: []pgtype.Type{oid}, Result: name, Kernel: userByIDKernel},
		&Function{Name: "pg_encoding_to_char", Args: []pgtype.Type{i4}, Result: name, Kernel: encodingKernel},
		&Function{Name: "quote_ident", Args: []pgtype.Type{text}, Result: text, Kernel: strUnary(QuoteIdent)},
		&Function{Name: "to_regtype", Args: []pgtype.Type{text}, Result: pgtype.Type{OID: pgtype.OIDRegtype, Mod: -1}, Kernel: toRegtypeKernel},
		&Function{Name: "to_regclass", Args: []pgtype.Type{text}, Result: pgtype.Type{OID: pgtype.OIDRegclass, Mod: -1}, Kernel: toRegclassKernel},
		&Function{Name: "pg_size_pretty", Args: []pgtype.Type{pgtype.Int8}, Result: text, Kernel: sizePrettyKernel},
	)
	// Functions of objects lancegate does not have: NULL for every OID.
	for _, f := range []struct {
		name string
		args []pgtype.Type
	}{
		{"shobj_description", []pgtype.Type{oid, name}},
		{"pg_get_triggerdef", []pgtype.Type{oid}}, {"pg_get_triggerdef", []pgtype.Type{oid, b}},
		{"pg_get_partkeydef", []pgtype.Type{oid}}, {"pg_get_statisticsobjdef_columns", []pgtype.Type{oid}},
		{"pg_get_viewdef", []pgtype.Type{oid}}, {"pg_get_viewdef", []pgtype.Type{oid, b}},
	} {
		register(&Function{Name: f.name, Args: f.args, Result: text, Kernel: nullTextKernel})
	}
	register(&Function{Name: "pg_relation_is_publishable", Args: []pgtype.Type{oid}, Result: b, Kernel: constBoolKernel(false)})
	// pg_partition_ancestors returns the relation and its ancestors; no
	// lancegate table is a partition, so that is the relation alone (one
	// row, which a scalar function gives wherever psql uses it).
	regclass := pgtype.Type{OID: pgtype.OIDRegclass, Mod: -1}
	register(&Function{Name: "pg_partition_ancestors", Args: []pgtype.Type{regclass}, Result: regclass, Kernel: identityKernel})
	register(&Function{Name: "nextval", Args: []pgtype.Type{text}, Result: pgtype.Int8, Volatile: true, Kernel: nextvalKernel})
	register(&Function{Name: "nextval", Args: []pgtype.Type{{OID: pgtype.OIDRegclass, Mod: -1}}, Result: pgtype.Int8, Volatile: true, Kernel: nextvalRegclassKernel})
	register(&Function{Name: "set_config", Args: []pgtype.Type{text, text, b}, Result: text, Kernel: setConfigKernel})
	register(&Function{Name: "current_setting", Args: []pgtype.Type{text}, Result: text, Kernel: currentSettingKernel},
		&Function{Name: "current_setting", Args: []pgtype.Type{text, b}, Result: text, Kernel: currentSettingKernel})
	register(&Function{Name: "pg_sleep", Args: []pgtype.Type{pgtype.Float8}, Result: pgtype.Void, Volatile: true, Kernel: sleepKernel})
}

// constBoolKernel returns v for every non-null argument.
func constBoolKernel(v bool) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		valid, nulls := andValidity(env.Mem, args, n)
		return boolOut(env.Mem, n, valid, nulls, func(int) (bool, error) { return v, nil })
	}
}

func nullTextKernel(_ context.Context, env *Env, _ []arrow.Array, n int) (arrow.Array, error) {
	return nullArray(env.Mem, arrow.BinaryTypes.String, n), nil
}

// firstTextKernel returns the first argument (pg_get_expr: lancegate
// keeps expressions as their text).
func firstTextKernel(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	r := newRowArgs(args)
	valid, _ := andValidity(env.Mem, args[:1], n)
	return textOut(env.Mem, n, valid, func(i int) (string, error) { return r.str(0, i), nil })
}

// formatTypeKernel is format_type(oid, typmod): NULL for a NULL type, the
// type without modifier for a NULL modifier, ??? for an unknown OID.
func formatTypeKernel(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	r := newRowArgs(args)
	valid, _ := andValidity(env.Mem, args[:1], n)
	return textOut(env.Mem, n, valid, func(i int) (string, error) {
		t := pgtype.Type{OID: r.u32(0, i), Mod: -1}
		if !r.null(1, i) {
			t.Mod = r.i32(1, i)
		}
		if _, ok := pgtype.Lookup(t.OID); !ok {
			return "???", nil
		}
		return t.String(), nil
	})
}

func encodingKernel(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	r := newRowArgs(args)
	valid, _ := andValidity(env.Mem, args, n)
	return textOut(env.Mem, n, valid, func(i int) (string, error) {
		switch r.i32(0, i) {
		case 0:
			return "SQL_ASCII", nil
		case 6:
			return "UTF8", nil
		}
		return "", nil
	})
}

// sizePrettyKernel is pg_size_pretty(bigint): bytes, kB, MB, GB, TB with
// PostgreSQL's rounding (a unit is used once the value reaches 10240 of
// the previous one).
func sizePrettyKernel(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	r := newRowArgs(args)
	valid, _ := andValidity(env.Mem, args, n)
	return textOut(env.Mem, n, valid, func(i int) (string, error) {
		v := r.i64(0, i)
		units := []string{"bytes", "kB", "MB", "GB", "TB", "PB"}
		abs := v
		if abs < 0 {
			abs = -abs
		}
		u := 0
		for u < len(units)-1 && abs >= 10*1024 {
			// round half away from zero at each step, as size_pretty does
			half := int64(1)
			if v < 0 {
				half = -1
			}
			v = (v + half*512) / 1024
			abs = v
			if abs < 0 {
				abs = -abs
			}
			u++
		}
		return formatInt(v) + " " + units[u], nil
	})
}

func formatInt(v int64) string { return string(pgtype.AppendInt64(nil, v)) }

// indexDefKernel is pg_get_indexdef(oid [, column, pretty]).
func indexDefKernel(ctx context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	if env.Catalog == nil {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "pg_get_indexdef needs a session catalog")
	}
	r := newRowArgs(args)
	return nullableText(env.Mem, n, func(i int) (string, bool, error) {
		if r.null(0, i) {
			return "", false, nil
		}
		col := int32(0)
		if len(args) > 1 && !r.null(1, i) {
			col = r.i32(1, i)
		}
		return env.Catalog.IndexDef(ctx, r.u32(0, i), col)
	})
}

// nullableText builds a text array from f, which may return no value
// (NULL).
func nullableText(mem memory.Allocator, n int, f func(i int) (string, bool, error)) (arrow.Array, error) {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	for i := 0; i < n; i++ {
		s, ok, err := f(i)
		if err != nil {
			return nil, err
		}
		if !ok {
			b.AppendNull()
			continue
		}
		b.Append(s)
	}
	return b.NewArray(), nil
}

// QuoteIdent quotes an identifier as quote_ident does: unchanged when it
// is a lower-case identifier that needs no quotes, else double-quoted
// with inner quotes doubled.
func QuoteIdent(s string) string {
	plain := s != "" && !(s[0] >= '0' && s[0] <= '9')
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			plain = false
			break
		}
	}
	if plain && !reservedWords[s] {
		return s
	}
	out := make([]byte, 0, len(s)+2)
	out = append(out, '"')
	for _, c := range []byte(s) {
		if c == '"' {
			out = append(out, '"')
		}
		out = append(out, c)
	}
	return string(append(out, '"'))
}

// reservedWords are the keywords quote_ident quotes (PostgreSQL's reserved
// and type/function-name keywords clients hit most).
var reservedWords = map[string]bool{
	"all": true, "analyse": true, "analyze": true, "and": true, "any": true, "array": true, "as": true, "asc": true,
	"asymmetric": true, "both": true, "case": true, "cast": true, "check": true, "collate": true, "column": true,
	"constraint": true, "create": true, "current_catalog": true, "current_date": true, "current_role": true,
	"current_time": true, "current_timestamp": true, "current_user": true, "default": true, "deferrable": true,
	"desc": true, "distinct": true, "do": true, "else": true, "end": true, "except": true, "false": true,
	"fetch": true, "for": true, "foreign": true, "from": true, "grant": true, "group": true, "having": true,
	"in": true, "initially": true, "intersect": true, "into": true, "lateral": true, "leading": true, "limit": true,
	"localtime": true, "localtimestamp": true, "not": true, "null": true, "offset": true, "on": true, "only": true,
	"or": true, "order": true, "placing": true, "primary": true, "references": true, "returning": true,
	"select": true, "session_user": true, "some": true, "symmetric": true, "table": true, "then": true, "to": true,
	"trailing": true, "true": true, "union": true, "unique": true, "user": true, "using": true, "variadic": true,
	"when": true, "where": true, "window": true, "with": true,
}

// toRegtypeKernel is to_regtype(text): the type's OID, NULL when there is
// no such type.
func toRegtypeKernel(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	r := newRowArgs(args)
	return nullableOID(env.Mem, n, func(i int) (uint32, bool, error) {
		if r.null(0, i) {
			return 0, false, nil
		}
		oid, err := pgtype.RegtypeIn(r.str(0, i))
		return oid, err == nil, nil
	})
}

// toRegclassKernel is to_regclass(text): the relation's OID, NULL when
// there is no such relation.
func toRegclassKernel(ctx context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	if env.Catalog == nil {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "to_regclass needs a session catalog")
	}
	r := newRowArgs(args)
	return nullableOID(env.Mem, n, func(i int) (uint32, bool, error) {
		if r.null(0, i) {
			return 0, false, nil
		}
		return env.Catalog.RelationOID(ctx, r.str(0, i))
	})
}

// nullableOID builds an oid array from f, which may return no value.
func nullableOID(mem memory.Allocator, n int, f func(i int) (uint32, bool, error)) (arrow.Array, error) {
	b := array.NewUint32Builder(mem)
	defer b.Release()
	for i := 0; i < n; i++ {
		v, ok, err := f(i)
		if err != nil {
			return nil, err
		}
		if !ok {
			b.AppendNull()
			continue
		}
		b.Append(v)
	}
	return b.NewArray(), nil
}

// isRegType reports whether oid is one of the reg* types whose text form
// is a name.
func isRegType(oid uint32) bool {
	switch oid {
	case pgtype.OIDRegclass, pgtype.OIDRegtype, pgtype.OIDRegnamespace:
		return true
	}
	return false
}

// namespaceNames are the schemas' names by OID (regnamespace output).
var namespaceNames = map[uint32]string{11: "pg_catalog", 99: "pg_toast", 2200: "public", 13000: "information_schema"}

// regNames formats reg* values as their output functions do: the object's
// name, or the number when no object has the OID.
func regNames(ctx context.Context, env *Env, a arrow.Array, from pgtype.Type) (arrow.Array, error) {
	oids, ok := a.(*array.Uint32)
	if !ok {
		return nil, sqlstate.New(sqlstate.InternalError, "%s values in %s", from, a.DataType())
	}
	return nullableText(env.Mem, a.Len(), func(i int) (string, bool, error) {
		if oids.IsNull(i) {
			return "", false, nil
		}
		oid := oids.Value(i)
		switch from.OID {
		case pgtype.OIDRegtype:
			if _, known := pgtype.Lookup(oid); known {
				return pgtype.Type{OID: oid, Mod: -1}.String(), true, nil
			}
		case pgtype.OIDRegnamespace:
			if name, known := namespaceNames[oid]; known {
				return QuoteIdent(name), true, nil
			}
		case pgtype.OIDRegclass:
			if env.Catalog != nil {
				name, known, err := env.Catalog.RelationName(ctx, oid)
				if err != nil {
					return "", false, err
				}
				if known {
					return QuoteIdent(name), true, nil
				}
			}
		}
		return formatInt(int64(oid)), true, nil
	})
}

// userByIDKernel is pg_get_userbyid(oid): the role's name, or
// "unknown (OID=n)" as PostgreSQL prints for a missing role.
func userByIDKernel(ctx context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	if env.Catalog == nil {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "pg_get_userbyid needs a session catalog")
	}
	r := newRowArgs(args)
	return nullableText(env.Mem, n, func(i int) (string, bool, error) {
		if r.null(0, i) {
			return "", false, nil
		}
		oid := r.u32(0, i)
		name, ok, err := env.Catalog.RoleName(ctx, oid)
		if err != nil || ok {
			return name, ok, err
		}
		return "unknown (OID=" + formatInt(int64(oid)) + ")", true, nil
	})
}

// needCatalog is the error of a catalog function evaluated without a
// session catalog.
func needCatalog(name string) error {
	return sqlstate.New(sqlstate.FeatureNotSupported, "%s needs a session catalog", name)
}

// tableVisibleKernel is pg_table_is_visible(oid): true for relations of
// the schemas on the search path (pg_catalog and public).
func tableVisibleKernel(ctx context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	if env.Catalog == nil {
		return nil, needCatalog("pg_table_is_visible")
	}
	r := newRowArgs(args)
	b := array.NewBooleanBuilder(env.Mem)
	defer b.Release()
	for i := 0; i < n; i++ {
		if r.null(0, i) {
			b.AppendNull()
			continue
		}
		ns, ok, err := env.Catalog.RelationNamespace(ctx, r.u32(0, i))
		if err != nil {
			return nil, err
		}
		if !ok {
			b.AppendNull()
			continue
		}
		b.Append(ns == 11 || ns == 2200)
	}
	return b.NewArray(), nil
}

// relationSizeKernel is pg_table_size and its kin: the bytes of the
// relation's data files (lancegate keeps no separate TOAST, free-space or
// visibility maps; pg_indexes_size is 0 until index sizes are tracked).
func relationSizeKernel(name string) kernelFunc {
	return func(ctx context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		if env.Catalog == nil {
			return nil, needCatalog(name)
		}
		r := newRowArgs(args)
		b := array.NewInt64Builder(env.Mem)
		defer b.Release()
		for i := 0; i < n; i++ {
			if r.null(0, i) {
				b.AppendNull()
				continue
			}
			size, ok, err := env.Catalog.RelationSize(ctx, r.u32(0, i))
			if err != nil {
				return nil, err
			}
			switch {
			case !ok:
				b.AppendNull()
			case name == "pg_indexes_size":
				b.Append(0)
			default:
				b.Append(size)
			}
		}
		return b.NewArray(), nil
	}
}

// functionSignatureKernel is pg_get_function_result (result) or
// pg_get_function_arguments.
func functionSignatureKernel(result bool) kernelFunc {
	return func(ctx context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		if env.Catalog == nil {
			return nil, needCatalog("pg_get_function_result")
		}
		r := newRowArgs(args)
		return nullableText(env.Mem, n, func(i int) (string, bool, error) {
			if r.null(0, i) {
				return "", false, nil
			}
			res, fargs, ok, err := env.Catalog.FunctionSignature(ctx, r.u32(0, i))
			if result {
				return res, ok, err
			}
			return fargs, ok, err
		})
	}
}

func identityKernel(_ context.Context, _ *Env, args []arrow.Array, _ int) (arrow.Array, error) {
	args[0].Retain()
	return args[0], nil
}

// sleepKernel is pg_sleep(seconds): it waits, once per row, until the
// time passes or the statement is cancelled (57014 by the caller's
// context: statement_timeout or a CancelRequest).
func sleepKernel(ctx context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	r := newRowArgs(args)
	for i := 0; i < n; i++ {
		if r.null(0, i) {
			continue
		}
		d := time.Duration(r.f64(0, i) * float64(time.Second))
		if d <= 0 {
			continue
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, sqlstate.Canceled(ctx)
		case <-t.C:
		}
	}
	return nullArray(env.Mem, arrow.Null, n), nil
}

// constraintDefKernel is pg_get_constraintdef(oid [, pretty]).
func constraintDefKernel(ctx context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	if env.Catalog == nil {
		return nil, needCatalog("pg_get_constraintdef")
	}
	r := newRowArgs(args)
	return nullableText(env.Mem, n, func(i int) (string, bool, error) {
		if r.null(0, i) {
			return "", false, nil
		}
		return env.Catalog.ConstraintDef(ctx, r.u32(0, i))
	})
}

// regclassIn casts text to regclass as regclassin does: a number is an
// OID as it is; a name is resolved in the catalog, 42P01 when there is no
// such relation.
func regclassIn(ctx context.Context, env *Env, a arrow.Array) (arrow.Array, error) {
	strs, ok := a.(*array.String)
	if !ok {
		return nil, sqlstate.New(sqlstate.InternalError, "regclass input of Arrow type %s", a.DataType())
	}
	return nullableOID(env.Mem, a.Len(), func(i int) (uint32, bool, error) {
		if strs.IsNull(i) {
			return 0, false, nil
		}
		s := strs.Value(i)
		if v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32); err == nil {
			return uint32(v), true, nil
		}
		if env.Catalog == nil {
			return 0, false, needCatalog("regclass input")
		}
		oid, found, err := env.Catalog.RelationOID(ctx, s)
		if err == nil && !found {
			err = sqlstate.New(sqlstate.UndefinedTable, "relation \"%s\" does not exist", s)
		}
		return oid, found, err
	})
}

// nextvalRegclassKernel is nextval(regclass), as column defaults write
// it (nextval('t_id_seq'::regclass)): the sequence named by its OID.
func nextvalRegclassKernel(ctx context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	if env.Catalog == nil {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "nextval needs a session")
	}
	oids, ok := args[0].(*array.Uint32)
	if !ok {
		return nil, sqlstate.New(sqlstate.InternalError, "nextval of %s", args[0].DataType())
	}
	names := array.NewStringBuilder(env.Mem)
	defer names.Release()
	for i := 0; i < oids.Len(); i++ {
		if oids.IsNull(i) {
			names.AppendNull()
			continue
		}
		name, found, err := env.Catalog.RelationName(ctx, oids.Value(i))
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, sqlstate.New(sqlstate.UndefinedTable, "could not open relation with OID %d", oids.Value(i))
		}
		names.Append(name)
	}
	arr := names.NewArray()
	defer arr.Release()
	return nextvalKernel(ctx, env, []arrow.Array{arr}, n)
}

// nextvalKernel is nextval(sequence): one new value per row, claimed in one
// request for the batch.
func nextvalKernel(ctx context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	if env.Sequences == nil {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "nextval needs a session")
	}
	r := newRowArgs(args)
	b := array.NewInt64Builder(env.Mem)
	defer b.Release()
	// Rows of one sequence name are served together (the usual case: a
	// constant name).
	if args[0].Len() == 1 || n == 0 {
		if n == 0 {
			return b.NewArray(), nil
		}
		if r.null(0, 0) {
			return nullArray(env.Mem, arrow.PrimitiveTypes.Int64, n), nil
		}
		vals, err := env.Sequences.NextValues(ctx, r.str(0, 0), n)
		if err != nil {
			return nil, err
		}
		b.AppendValues(vals, nil)
		return b.NewArray(), nil
	}
	for i := 0; i < n; i++ {
		if r.null(0, i) {
			b.AppendNull()
			continue
		}
		vals, err := env.Sequences.NextValues(ctx, r.str(0, i), 1)
		if err != nil {
			return nil, err
		}
		b.Append(vals[0])
	}
	return b.NewArray(), nil
}

// serialSequenceKernel is pg_get_serial_sequence(table, column).
func serialSequenceKernel(ctx context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	if env.Catalog == nil {
		return nil, needCatalog("pg_get_serial_sequence")
	}
	r := newRowArgs(args)
	return nullableText(env.Mem, n, func(i int) (string, bool, error) {
		if r.null(0, i) || r.null(1, i) {
			return "", false, nil
		}
		return env.Catalog.SerialSequence(ctx, r.str(0, i), r.str(1, i))
	})
}

// descriptionKernel is obj_description(oid [, catalog]) or (column)
// col_description(oid, attnum). Comments exist on tables and columns
// only, so the catalog argument needs no check.
func descriptionKernel(column bool) kernelFunc {
	return func(ctx context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		if env.Catalog == nil {
			return nil, needCatalog("obj_description")
		}
		r := newRowArgs(args)
		return nullableText(env.Mem, n, func(i int) (string, bool, error) {
			if r.null(0, i) || column && r.null(1, i) {
				return "", false, nil
			}
			sub := int32(0)
			if column {
				sub = r.i32(1, i)
				if sub <= 0 {
					return "", false, nil
				}
			}
			return env.Catalog.Description(ctx, r.u32(0, i), sub)
		})
	}
}

// setConfigKernel is set_config(name, value, is_local): SET, once per row,
// returning the value in effect.
func setConfigKernel(ctx context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	if env.Settings == nil {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "set_config needs a session")
	}
	r := newRowArgs(args)
	bools, _ := args[2].(*array.Boolean)
	return nullableText(env.Mem, n, func(i int) (string, bool, error) {
		if r.null(0, i) {
			return "", false, sqlstate.New(sqlstate.NullValueNotAllowed, "SET requires parameter name")
		}
		value := ""
		if !r.null(1, i) {
			value = r.str(1, i)
		}
		local := !r.null(2, i) && bools != nil && bools.Value(r.row(2, i))
		v, err := env.Settings.SetConfig(ctx, r.str(0, i), value, local)
		return v, err == nil, err
	})
}

// currentSettingKernel is current_setting(name [, missing_ok]), read when
// the statement runs (after an earlier set_config of the same row).
func currentSettingKernel(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	if env.Settings == nil {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "current_setting needs a session")
	}
	r := newRowArgs(args)
	return nullableText(env.Mem, n, func(i int) (string, bool, error) {
		if r.null(0, i) {
			return "", false, nil
		}
		v, ok := env.Settings.Setting(r.str(0, i))
		if ok {
			return v, true, nil
		}
		if len(args) > 1 && !r.null(1, i) && args[1].(*array.Boolean).Value(r.row(1, i)) {
			return "", false, nil
		}
		return "", false, sqlstate.New(sqlstate.UndefinedObject, "unrecognized configuration parameter \"%s\"", r.str(0, i))
	})
}
