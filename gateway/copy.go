package gateway

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/gateway/copyfmt"
	"github.com/lancegate/lancegate/gateway/pgwire"
	"github.com/lancegate/lancegate/planner"
	"github.com/lancegate/lancegate/planner/dialect"
)

// COPY (pg-compat §3.6).
//
// COPY t [(cols)] FROM STDIN resolves the table in the session's
// transaction, decodes the client's data (gateway/copyfmt) in batches of
// copyBatchRows rows into Arrow, and, once the data has ended without an
// error, hands all batches to the transaction's table as one Insert: they
// join the transaction's buffered writes, so outside a block the COPY is
// one commit (one table version) at the end of the statement's implicit
// transaction, and inside BEGIN … COMMIT it commits or rolls back with the
// block. Any error (a bad row, CopyFail, a cancel) fails the statement
// before anything is buffered, so nothing of the COPY is ever committed.
// Columns left out of the list are NULL.
//
// COPY t [(cols)] TO STDOUT is COPY (SELECT cols FROM t) TO STDOUT; the
// query of COPY (query) TO STDOUT is planned like any other statement,
// and its batches are written row by row by a copyfmt.Encoder.
//
// COPY … FROM/TO 'file' and PROGRAM are refused with 42501 and
// PostgreSQL 15's messages for a role that is neither a superuser nor a
// member of pg_read_server_files, pg_write_server_files or
// pg_execute_server_program. lancegate refuses them to every role,
// superusers included: the query node's file system is no client's
// business. psql's \copy does the same job on the client's side over
// STDIN and STDOUT.

// copyBatchRows is the number of rows decoded into one Arrow batch.
const copyBatchRows = 64 << 10

// copyStmt prepares a COPY statement.
func (s *Session) copyStmt(ctx context.Context, x *dialect.CopyStmt) (pgwire.Statement, error) {
	if err := s.checkFailed(); err != nil {
		return nil, err
	}
	if err := copyPrivilege(x); err != nil {
		return nil, err
	}
	opts, force, err := copyOptions(x)
	if err != nil {
		return nil, err
	}
	if x.From {
		name, err := copyTableName(x.Table)
		if err != nil {
			return nil, err
		}
		st := &copyInStatement{s: s, table: name, cols: x.Columns, opts: opts, force: force}
		// Resolve now for the errors a client expects at once (42P01,
		// 42703); the table is resolved again at each execution.
		if _, _, _, err := st.resolve(ctx); err != nil {
			return nil, err
		}
		return st, nil
	}
	return s.copyOutStmt(ctx, x, opts, force)
}

// copyPrivilege refuses the server-side forms, with PostgreSQL 15's
// messages for a role without the needed privileges.
func copyPrivilege(x *dialect.CopyStmt) error {
	hint := "Anyone can COPY to stdout or from stdin. psql's \\copy command also works for anyone."
	switch {
	case x.Target == dialect.CopyProgram:
		return sqlstate.New(sqlstate.InsufficientPrivilege, "must be superuser or a member of the pg_execute_server_program role to COPY to or from an external program").WithHint("%s", hint)
	case x.Target == dialect.CopyFile && x.From:
		return sqlstate.New(sqlstate.InsufficientPrivilege, "must be superuser or a member of the pg_read_server_files role to COPY from a file").WithHint("%s", hint)
	case x.Target == dialect.CopyFile:
		return sqlstate.New(sqlstate.InsufficientPrivilege, "must be superuser or a member of the pg_write_server_files role to COPY to a file").WithHint("%s", hint)
	}
	return nil
}

// copyTableName maps a qualified name to the catalog's name.
func copyTableName(parts []string) (string, error) {
	switch {
	case len(parts) == 1:
		return parts[0], nil
	case len(parts) == 2 && parts[0] == "public":
		return parts[1], nil
	case len(parts) == 2 && parts[0] == planner.SystemSchema:
		return planner.SystemSchema + "." + parts[1], nil
	}
	return "", sqlstate.New(sqlstate.UndefinedTable, "relation %q does not exist", strings.Join(parts, "."))
}

// copyForce holds the column lists of FORCE_QUOTE, FORCE_NOT_NULL and
// FORCE_NULL (["*"] for all columns).
type copyForce struct {
	quote, notNull, null []string
}

// copyOptions validates COPY's options as PostgreSQL 15's
// ProcessCopyOptions does.
func copyOptions(x *dialect.CopyStmt) (copyfmt.Options, copyForce, error) {
	var force copyForce
	seen := map[string]bool{}
	format := copyfmt.Text
	var delim, null, quote, escape *string
	header, match := false, false
	conflict := func() error { return sqlstate.New(sqlstate.SyntaxError, "conflicting or redundant options") }
	for _, o := range x.Options {
		if seen[o.Name] {
			return copyfmt.Options{}, force, conflict()
		}
		seen[o.Name] = true
		val := ""
		if o.Value != nil {
			val = o.Value.Text
		}
		switch o.Name {
		case "format":
			switch strings.ToLower(val) {
			case "text":
				format = copyfmt.Text
			case "csv":
				format = copyfmt.CSV
			case "binary":
				format = copyfmt.Binary
			default:
				return copyfmt.Options{}, force, sqlstate.New(sqlstate.InvalidParameterValue, "COPY format %q not recognized", val)
			}
		case "freeze":
		case "delimiter":
			delim = &val
		case "null":
			null = &val
		case "quote":
			quote = &val
		case "escape":
			escape = &val
		case "header":
			switch strings.ToLower(val) {
			case "", "true", "on", "1", "yes":
				header = true
			case "false", "off", "0", "no":
			case "match":
				header, match = true, true
			default:
				return copyfmt.Options{}, force, sqlstate.New(sqlstate.InvalidParameterValue, "header requires a Boolean value or \"match\"")
			}
		case "encoding":
			switch strings.ToUpper(strings.NewReplacer("-", "", "_", "").Replace(val)) {
			case "UTF8", "UNICODE":
			default:
				return copyfmt.Options{}, force, notSupported("COPY ENCODING " + strconv.Quote(val))
			}
		case "force_quote":
			force.quote = o.Columns
		case "force_not_null":
			force.notNull = o.Columns
		case "force_null":
			force.null = o.Columns
		default:
			return copyfmt.Options{}, force, sqlstate.New(sqlstate.SyntaxError, "option %q not recognized", o.Name)
		}
	}
	opts := copyfmt.DefaultOptions(format)
	opts.Header, opts.HeaderMatch = header, match
	single := func(v *string, what string) (byte, error) {
		if len(*v) != 1 {
			return 0, sqlstate.New(sqlstate.FeatureNotSupported, "COPY %s must be a single one-byte character", what)
		}
		return (*v)[0], nil
	}
	var err error
	switch {
	case format == copyfmt.Binary && delim != nil:
		return opts, force, sqlstate.New(sqlstate.SyntaxError, "cannot specify DELIMITER in BINARY mode")
	case format == copyfmt.Binary && null != nil:
		return opts, force, sqlstate.New(sqlstate.SyntaxError, "cannot specify NULL in BINARY mode")
	case format == copyfmt.Binary && header:
		return opts, force, sqlstate.New(sqlstate.FeatureNotSupported, "cannot specify HEADER in BINARY mode")
	case format != copyfmt.CSV && quote != nil:
		return opts, force, sqlstate.New(sqlstate.FeatureNotSupported, "COPY quote available only in CSV mode")
	case format != copyfmt.CSV && escape != nil:
		return opts, force, sqlstate.New(sqlstate.FeatureNotSupported, "COPY escape available only in CSV mode")
	case format != copyfmt.CSV && force.quote != nil:
		return opts, force, sqlstate.New(sqlstate.FeatureNotSupported, "COPY force quote available only in CSV mode")
	case format != copyfmt.CSV && force.notNull != nil:
		return opts, force, sqlstate.New(sqlstate.FeatureNotSupported, "COPY force not null available only in CSV mode")
	case format != copyfmt.CSV && force.null != nil:
		return opts, force, sqlstate.New(sqlstate.FeatureNotSupported, "COPY force null available only in CSV mode")
	case x.From && force.quote != nil:
		return opts, force, sqlstate.New(sqlstate.FeatureNotSupported, "COPY force quote only available using COPY TO")
	case !x.From && force.notNull != nil:
		return opts, force, sqlstate.New(sqlstate.FeatureNotSupported, "COPY force not null only available using COPY FROM")
	case !x.From && force.null != nil:
		return opts, force, sqlstate.New(sqlstate.FeatureNotSupported, "COPY force null only available using COPY FROM")
	case !x.From && match:
		return opts, force, sqlstate.New(sqlstate.FeatureNotSupported, "cannot use \"match\" with HEADER in COPY TO")
	}
	if delim != nil {
		if opts.Delimiter, err = single(delim, "delimiter"); err != nil {
			return opts, force, err
		}
	}
	if null != nil {
		opts.Null = *null
	}
	if quote != nil {
		if opts.Quote, err = single(quote, "quote"); err != nil {
			return opts, force, err
		}
		opts.Escape = opts.Quote
	}
	if escape != nil {
		if opts.Escape, err = single(escape, "escape"); err != nil {
			return opts, force, err
		}
	}
	if format == copyfmt.Binary {
		return opts, force, nil
	}
	d := opts.Delimiter
	switch {
	case d == '\n' || d == '\r':
		return opts, force, sqlstate.New(sqlstate.InvalidParameterValue, "COPY delimiter cannot be newline or carriage return")
	case strings.ContainsAny(opts.Null, "\r\n"):
		return opts, force, sqlstate.New(sqlstate.InvalidParameterValue, "COPY null representation cannot use newline or carriage return")
	case format == copyfmt.Text && strings.IndexByte(`\.abcdefghijklmnopqrstuvwxyz0123456789`, d) >= 0:
		return opts, force, sqlstate.New(sqlstate.InvalidParameterValue, "COPY delimiter cannot be \"%c\"", d)
	case format == copyfmt.CSV && d == opts.Quote:
		return opts, force, sqlstate.New(sqlstate.InvalidParameterValue, "COPY delimiter and quote must be different")
	case strings.IndexByte(opts.Null, d) >= 0:
		return opts, force, sqlstate.New(sqlstate.InvalidParameterValue, "COPY delimiter must not appear in the NULL specification")
	case format == copyfmt.CSV && strings.IndexByte(opts.Null, opts.Quote) >= 0:
		return opts, force, sqlstate.New(sqlstate.InvalidParameterValue, "CSV quote character must not appear in the NULL specification")
	}
	return opts, force, nil
}

// forceFlags turns a FORCE_* column list into one flag per COPY column.
func forceFlags(option string, list []string, cols []string) ([]bool, error) {
	if list == nil {
		return nil, nil
	}
	out := make([]bool, len(cols))
	if len(list) == 1 && list[0] == "*" {
		for i := range out {
			out[i] = true
		}
		return out, nil
	}
	for _, name := range list {
		i := indexOf(cols, name)
		if i < 0 {
			return nil, sqlstate.New(sqlstate.InvalidColumnReference, "%s column %q not referenced by COPY", option, name)
		}
		out[i] = true
	}
	return out, nil
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// copyColumns resolves a COPY column list against a table's columns: the
// index of each listed column (all of them, in order, for an empty list).
func copyColumns(table string, defs []planner.ColumnDef, list []string) ([]int, error) {
	if len(list) == 0 {
		out := make([]int, len(defs))
		for i := range out {
			out[i] = i
		}
		return out, nil
	}
	out := make([]int, len(list))
	for i, name := range list {
		j := -1
		for k, d := range defs {
			if d.Name == name {
				j = k
			}
		}
		if j < 0 {
			return nil, sqlstate.New(sqlstate.UndefinedColumn, "column %q of relation %q does not exist", name, table)
		}
		if indexOf(list[:i], name) >= 0 {
			return nil, sqlstate.New(sqlstate.DuplicateColumn, "column %q specified more than once", name)
		}
		out[i] = j
	}
	return out, nil
}

// copyInStatement is a prepared COPY … FROM STDIN.
type copyInStatement struct {
	s     *Session
	table string
	cols  []string
	opts  copyfmt.Options
	force copyForce
}

var _ pgwire.Statement = (*copyInStatement)(nil)

func (st *copyInStatement) ParamOIDs() []uint32      { return nil }
func (st *copyInStatement) Columns() []pgwire.Column { return nil }
func (st *copyInStatement) Close()                   {}

// resolve finds the table in the session's transaction and the COPY's
// fields; idx maps each field to its table column.
func (st *copyInStatement) resolve(ctx context.Context) (planner.Table, []copyfmt.Field, []int, error) {
	t, err := sessionCatalog{s: st.s}.Table(ctx, st.table)
	if err != nil {
		return nil, nil, nil, err
	}
	if ro, ok := t.(planner.ReadOnlyTable); ok {
		return nil, nil, nil, ro.ReadOnly()
	}
	if err := st.s.checkUses(ctx, []planner.TableUse{{Table: st.table, Need: planner.PrivInsert}}); err != nil {
		return nil, nil, nil, err
	}
	defs := t.Columns()
	idx, err := copyColumns(st.table, defs, st.cols)
	if err != nil {
		return nil, nil, nil, err
	}
	fields := make([]copyfmt.Field, len(idx))
	for i, j := range idx {
		fields[i] = copyfmt.Field{Name: defs[j].Name, Type: defs[j].Type, NotNull: defs[j].NotNull}
	}
	return t, fields, idx, nil
}

// Execute implements pgwire.Statement: the data is read by CopyFrom.
func (st *copyInStatement) Execute(ctx context.Context, _ []scalar.Scalar) (pgwire.Result, error) {
	s := st.s
	if err := s.checkFailed(); err != nil {
		return nil, err
	}
	t, fields, idx, err := st.resolve(ctx)
	if err == nil {
		if tt, ok := t.(*txnTable); ok {
			err = tt.checkWritable()
		}
	}
	opts := st.opts
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	if err == nil {
		opts.ForceNotNull, err = forceFlags("FORCE_NOT_NULL", st.force.notNull, names)
	}
	if err == nil {
		opts.ForceNull, err = forceFlags("FORCE_NULL", st.force.null, names)
	}
	if err != nil {
		s.fail()
		return nil, err
	}
	return &copyInResult{s: s, table: t, fields: fields, idx: idx, opts: opts}, nil
}

// copyInResult runs one COPY … FROM STDIN.
type copyInResult struct {
	s      *Session
	table  planner.Table
	fields []copyfmt.Field
	idx    []int
	opts   copyfmt.Options
	rows   int64
}

var _ pgwire.CopyIn = (*copyInResult)(nil)

func (r *copyInResult) Next(context.Context) (arrow.Record, error) { return nil, io.EOF }
func (r *copyInResult) Tag() string                                { return "COPY " + strconv.FormatInt(r.rows, 10) }
func (r *copyInResult) Notices() []error                           { return nil }
func (r *copyInResult) ParameterChanges() []pgwire.Parameter       { return nil }
func (r *copyInResult) Close()                                     {}

// CopyFormat implements pgwire.CopyIn.
func (r *copyInResult) CopyFormat() (int16, []int16) {
	return copyFormats(r.opts.Format, len(r.fields))
}

func copyFormats(f copyfmt.Format, n int) (int16, []int16) {
	var code int16
	if f == copyfmt.Binary {
		code = 1
	}
	cols := make([]int16, n)
	for i := range cols {
		cols[i] = code
	}
	return code, cols
}

// CopyFrom implements pgwire.CopyIn.
func (r *copyInResult) CopyFrom(ctx context.Context, src io.Reader) error {
	s := r.s
	ctx, cancel := s.statementContext(ctx)
	defer cancel()
	n, err := r.load(ctx, src)
	if err != nil {
		s.fail()
		return s.statementError(ctx, err)
	}
	r.rows = n
	return nil
}

// load decodes the data into batches of the table's rows and buffers them
// in the transaction, all or nothing.
func (r *copyInResult) load(ctx context.Context, src io.Reader) (int64, error) {
	s := r.s
	mem := s.e.opts.Mem
	defs := r.table.Columns()
	fields := make([]arrow.Field, len(defs))
	for i, c := range defs {
		f, err := pgtype.Field(c.Name, c.Type, !c.NotNull)
		if err != nil {
			return 0, sqlstate.New(sqlstate.FeatureNotSupported, "column %q: %v", c.Name, err)
		}
		fields[i] = f
	}
	schema := arrow.NewSchema(fields, nil)
	// Table columns the COPY does not list get NULL; a NOT NULL one fails
	// at the first row, as its constraint would in PostgreSQL.
	var missingNotNull string
	listed := make([]int, len(defs))
	for j := range listed {
		listed[j] = -1
	}
	for i, j := range r.idx {
		listed[j] = i
	}
	for j, c := range defs {
		if listed[j] < 0 && c.NotNull && c.Sequence == "" && missingNotNull == "" {
			missingNotNull = c.Name
		}
	}
	dec, err := copyfmt.NewDecoder(src, r.table.Name(), r.fields, r.opts, s.settings.loc, mem)
	if err != nil {
		return 0, err
	}
	defer dec.Release()
	var recs []arrow.Record
	defer func() {
		for _, rec := range recs {
			rec.Release()
		}
	}()
	var total int64
	for {
		n, derr := dec.Decode(ctx, copyBatchRows)
		if derr != nil && !errors.Is(derr, io.EOF) {
			return 0, derr
		}
		if n > 0 {
			if missingNotNull != "" {
				return 0, sqlstate.New(sqlstate.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", missingNotNull, r.table.Name()).
					WithWhere("COPY %s, line %d", r.table.Name(), dec.Line()-int64(n)+1)
			}
			arrs := dec.Arrays()
			cols := make([]arrow.Array, len(defs))
			for j := range defs {
				switch i := listed[j]; {
				case i >= 0:
					cols[j] = arrs[i]
				case defs[j].Sequence != "":
					// A serial column the COPY leaves out takes its
					// sequence's next values, as in PostgreSQL.
					a, err := planner.SequenceArray(ctx, s.e.tables, defs[j], n, mem)
					if err != nil {
						for _, c := range cols[:j] {
							c.Release()
						}
						return 0, err
					}
					cols[j] = a
				default:
					cols[j] = array.MakeArrayOfNull(mem, fields[j].Type, n)
				}
			}
			recs = append(recs, array.NewRecord(schema, cols, int64(n)))
			for _, c := range cols {
				c.Release()
			}
			total += int64(n)
		}
		if derr != nil {
			break
		}
	}
	if total == 0 {
		return 0, nil
	}
	if err := r.table.Insert(ctx, recs); err != nil {
		return 0, err
	}
	return total, nil
}

// copyOutStmt prepares COPY {t [(cols)] | (query)} TO STDOUT.
func (s *Session) copyOutStmt(ctx context.Context, x *dialect.CopyStmt, opts copyfmt.Options, force copyForce) (pgwire.Statement, error) {
	rw := x.Query
	if rw == nil {
		text := copySelect(x)
		st, err := dialect.Parse(text)
		if err != nil {
			return nil, err
		}
		if st.Rewrite == nil {
			return nil, sqlstate.New(sqlstate.InternalError, "COPY TO query %q did not parse as a query", text)
		}
		rw = st.Rewrite
	}
	p, err := planner.Prepare(ctx, sessionCatalog{s: s}, s, planner.FromDialect(rw), nil)
	if err != nil {
		s.fail()
		return nil, err
	}
	if p.Columns == nil {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "COPY query must have a RETURNING clause")
	}
	fields := make([]copyfmt.Field, len(p.Columns))
	names := make([]string, len(p.Columns))
	for i, c := range p.Columns {
		fields[i] = copyfmt.Field{Name: c.Name, Type: c.Type}
		names[i] = c.Name
	}
	if opts.ForceQuote, err = forceFlags("FORCE_QUOTE", force.quote, names); err != nil {
		return nil, err
	}
	return &copyOutStatement{planned: newPlanned(s, p), fields: fields, opts: opts}, nil
}

// copySelect is the query of COPY t [(cols)] TO.
func copySelect(x *dialect.CopyStmt) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	if len(x.Columns) == 0 {
		b.WriteString("*")
	}
	for i, c := range x.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(c))
	}
	b.WriteString(" FROM ")
	for i, p := range x.Table {
		if i > 0 {
			b.WriteString(".")
		}
		b.WriteString(quoteIdent(p))
	}
	return b.String()
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// copyOutStatement is a prepared COPY … TO STDOUT.
type copyOutStatement struct {
	planned *plannedStatement
	fields  []copyfmt.Field
	opts    copyfmt.Options
}

var _ pgwire.Statement = (*copyOutStatement)(nil)

func (st *copyOutStatement) ParamOIDs() []uint32      { return nil }
func (st *copyOutStatement) Columns() []pgwire.Column { return nil }
func (st *copyOutStatement) Close()                   { st.planned.Close() }

// Execute implements pgwire.Statement: the query starts here, its rows are
// written by CopyTo.
func (st *copyOutStatement) Execute(ctx context.Context, params []scalar.Scalar) (pgwire.Result, error) {
	res, err := st.planned.Execute(ctx, params)
	if err != nil {
		return nil, err
	}
	s := st.planned.s
	return &copyOutResult{inner: res, enc: copyfmt.NewEncoder(st.fields, st.opts, s.codec), opts: st.opts, n: len(st.fields)}, nil
}

// copyOutResult streams one COPY … TO STDOUT.
type copyOutResult struct {
	inner pgwire.Result
	enc   *copyfmt.Encoder
	opts  copyfmt.Options
	n     int
	rows  int64
	buf   []byte
}

var _ pgwire.CopyOut = (*copyOutResult)(nil)

func (r *copyOutResult) Next(context.Context) (arrow.Record, error) { return nil, io.EOF }
func (r *copyOutResult) Tag() string                                { return "COPY " + strconv.FormatInt(r.rows, 10) }
func (r *copyOutResult) Notices() []error                           { return r.inner.Notices() }
func (r *copyOutResult) ParameterChanges() []pgwire.Parameter       { return nil }
func (r *copyOutResult) Close()                                     { r.inner.Close() }

// CopyFormat implements pgwire.CopyOut.
func (r *copyOutResult) CopyFormat() (int16, []int16) { return copyFormats(r.opts.Format, r.n) }

// CopyTo implements pgwire.CopyOut.
func (r *copyOutResult) CopyTo(ctx context.Context, w io.Writer) error {
	if h := r.enc.Header(r.buf[:0]); len(h) > 0 {
		if _, err := w.Write(h); err != nil {
			return err
		}
		r.buf = h
	}
	for {
		rec, err := r.inner.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if err := r.enc.Reset(rec); err != nil {
			return err
		}
		for row := 0; row < int(rec.NumRows()); row++ {
			r.buf = r.enc.AppendRow(r.buf[:0], row)
			if _, err := w.Write(r.buf); err != nil {
				return err
			}
			r.rows++
		}
	}
	if t := r.enc.Trailer(r.buf[:0]); len(t) > 0 {
		if _, err := w.Write(t); err != nil {
			return err
		}
	}
	return nil
}
