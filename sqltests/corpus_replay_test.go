package sqltests

import (
	"bytes"
	"context"
	binenc "encoding/binary"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// This file sends corpus statements to one server the way the client did
// and records what came back; corpus_test.go compares the two servers.

// replaySide says what differs between the two servers a statement is
// replayed on.
type replaySide struct {
	// name is "lancegate" or "postgres", for messages.
	name string
	// vectors is true where embedding is a pgvector vector(3) column; the
	// reference PostgreSQL has no pgvector and stores real[] instead.
	vectors bool
	// vectorOID is the OID of the type named vector: pgvector's, or the
	// reference's stand-in domain over real[]. ParameterDescriptions
	// report it as pgtype.OIDVector on both sides.
	vectorOID uint32
}

// replayResult is what one server answered to one statement.
type replayResult struct {
	// err is the statement's error; nil when it was accepted.
	err error
	// params and described are the ParameterDescription and RowDescription
	// that Describe(S) gave for a Parse entry.
	params    []uint32
	described []pgconn.FieldDescription
	// sets holds one element per result of the statement.
	sets []resultSet
}

// resultSet is one statement result: RowDescription, rows, command tag.
type resultSet struct {
	fields []pgconn.FieldDescription
	rows   [][][]byte
	tag    string
}

// code is the SQLSTATE of r's error, "" when it has none, or "?" for an
// error without one (a broken connection).
func (r replayResult) code() string {
	if r.err == nil {
		return ""
	}
	var pe *pgconn.PgError
	if errors.As(r.err, &pe) {
		return pe.Code
	}
	return "?"
}

// statementTimeout bounds one statement; the corpus has nothing slow.
const statementTimeout = 20 * time.Second

// copyRe recognises COPY statements, which need a data stream.
var copyRe = regexp.MustCompile(`(?is)^\s*copy\b.*\b(from\s+stdin|to\s+stdout)\b`)

// replay sends e (with its OIDs already substituted in sql) to conn.
// Inside a transaction block the statement runs under a savepoint, rolled
// back if it fails, so that one failure does not turn every later
// statement of the block into 25P02 on one server only; transaction
// statements (COMMIT, ROLLBACK) end the block and the savepoint with it.
func replay(ctx context.Context, conn *pgconn.PgConn, side replaySide, e corpusEntry, sql string, cancel bool) replayResult {
	ctx, stop := context.WithTimeout(ctx, statementTimeout)
	defer stop()
	guarded := conn.TxStatus() == 'T'
	if guarded {
		if err := conn.Exec(ctx, "SAVEPOINT corpus_replay").Close(); err != nil {
			return replayResult{err: fmt.Errorf("replay scaffolding: SAVEPOINT: %w", err)}
		}
	}
	var r replayResult
	switch {
	case cancel:
		r = replayCancelled(ctx, conn, sql)
	case copyRe.MatchString(sql):
		r = replayCopy(ctx, conn, side, sql)
	case e.Parse:
		r = replayParse(ctx, conn, side, sql)
	default:
		r = replaySimple(ctx, conn, sql)
	}
	if guarded {
		switch conn.TxStatus() {
		case 'E':
			_ = conn.Exec(ctx, "ROLLBACK TO SAVEPOINT corpus_replay; RELEASE SAVEPOINT corpus_replay").Close()
		case 'T':
			_ = conn.Exec(ctx, "RELEASE SAVEPOINT corpus_replay").Close()
		}
	}
	return r
}

// replaySimple sends sql in one Query message.
func replaySimple(ctx context.Context, conn *pgconn.PgConn, sql string) replayResult {
	mrr := conn.Exec(ctx, sql)
	var r replayResult
	for mrr.NextResult() {
		set, err := readResult(mrr.ResultReader())
		if err != nil {
			break
		}
		r.sets = append(r.sets, set)
	}
	r.err = mrr.Close()
	return r
}

// readResult reads one result, keeping its RowDescription even when it
// has no rows (pgconn's Result.Read keeps it only with rows).
func readResult(rr *pgconn.ResultReader) (resultSet, error) {
	var set resultSet
	for rr.NextRow() {
		row := make([][]byte, len(rr.Values()))
		for i, v := range rr.Values() {
			if v != nil {
				row[i] = append([]byte{}, v...)
			}
		}
		set.rows = append(set.rows, row)
	}
	set.fields = append([]pgconn.FieldDescription(nil), rr.FieldDescriptions()...)
	tag, err := rr.Close()
	set.tag = tag.String()
	return set, err
}

// replayParse sends Parse, Describe(S) and Sync, then Bind, Describe(P),
// Execute and Sync with one synthesised text value per parameter, all
// results in text format: what pgx does for a statement it has not cached.
func replayParse(ctx context.Context, conn *pgconn.PgConn, side replaySide, sql string) replayResult {
	sd, err := conn.Prepare(ctx, "", sql, nil)
	if err != nil {
		return replayResult{err: err}
	}
	r := replayResult{described: sd.Fields}
	values := make([][]byte, len(sd.ParamOIDs))
	r.params = make([]uint32, len(sd.ParamOIDs))
	for i, oid := range sd.ParamOIDs {
		values[i] = paramValue(oid, side)
		if oid == side.vectorOID {
			oid = pgtype.OIDVector
		}
		r.params[i] = oid
	}
	set, err := readResult(conn.ExecPrepared(ctx, "", values, nil, nil))
	if err != nil {
		r.err = err
		return r
	}
	r.sets = []resultSet{set}
	return r
}

// paramValue is the text value sent for a parameter of type oid: values
// that select something from the fixture (id 1; a real type's OID, 23,
// for OID-like parameters; the type name int4 for text, so a pg_type
// lookup by name finds a row).
func paramValue(oid uint32, side replaySide) []byte {
	switch {
	case oid == side.vectorOID && side.vectors:
		return []byte("[1,2,3]")
	case oid == side.vectorOID:
		return []byte("{1,2,3}")
	}
	switch oid {
	case pgtype.OIDBool:
		return []byte("t")
	case pgtype.OIDInt2, pgtype.OIDInt4, pgtype.OIDInt8:
		return []byte("1")
	case pgtype.OIDOID, pgtype.OIDRegproc, pgtype.OIDRegclass, pgtype.OIDRegtype:
		return []byte("23")
	case pgtype.OIDFloat4, pgtype.OIDFloat8, pgtype.OIDNumeric:
		return []byte("1.5")
	case pgtype.OIDText, pgtype.OIDVarchar, pgtype.OIDName, pgtype.OIDBpchar, pgtype.OIDUnknown:
		return []byte("int4")
	case pgtype.OIDDate:
		return []byte("2024-01-01")
	case pgtype.OIDTimestamp, pgtype.OIDTimestampTZ:
		return []byte("2024-01-01 00:00:00+00")
	case pgtype.OIDTextArray, pgtype.OIDVarcharArr:
		return []byte("{x}")
	case pgtype.OIDFloat4Array, pgtype.OIDFloat8Array, pgtype.OIDInt4Array, pgtype.OIDInt8Array:
		return []byte("{1,2,3}")
	}
	return []byte("1")
}

// replayCopy runs a COPY statement. COPY FROM STDIN gets one row for the
// fixture's (name, embedding) columns in the statement's format; COPY TO
// STDOUT output is kept as the result's rows, one per line.
func replayCopy(ctx context.Context, conn *pgconn.PgConn, side replaySide, sql string) replayResult {
	lower := strings.ToLower(sql)
	if strings.Contains(lower, "to stdout") {
		var out bytes.Buffer
		tag, err := conn.CopyTo(ctx, &out, sql)
		r := replayResult{err: err}
		if err == nil {
			var rows [][][]byte
			for _, line := range bytes.SplitAfter(out.Bytes(), []byte("\n")) {
				if len(line) > 0 {
					rows = append(rows, [][]byte{line})
				}
			}
			r.sets = []resultSet{{rows: rows, tag: tag.String()}}
		}
		return r
	}
	var data []byte
	if strings.Contains(lower, "binary") {
		data = copyBinaryRow(side)
	} else if side.vectors {
		data = []byte("copied\t[1,2,3]\n")
	} else {
		data = []byte("copied\t{1,2,3}\n")
	}
	tag, err := conn.CopyFrom(ctx, bytes.NewReader(data), sql)
	r := replayResult{err: err}
	if err == nil {
		r.sets = []resultSet{{tag: tag.String()}}
	}
	return r
}

// copyBinaryRow is a binary COPY stream with one (text, vector) row, the
// vector as pgvector's binary form or, on the reference, as real[].
func copyBinaryRow(side replaySide) []byte {
	b := []byte("PGCOPY\n\xff\r\n\x00")
	b = binenc.BigEndian.AppendUint32(b, 0) // flags
	b = binenc.BigEndian.AppendUint32(b, 0) // header extension length
	b = binenc.BigEndian.AppendUint16(b, 2) // fields
	b = binenc.BigEndian.AppendUint32(b, uint32(len("copied")))
	b = append(b, "copied"...)
	vec := []float32{1, 2, 3}
	var field []byte
	if side.vectors {
		field = binenc.BigEndian.AppendUint16(field, uint16(len(vec)))
		field = binenc.BigEndian.AppendUint16(field, 0)
		for _, f := range vec {
			field = binenc.BigEndian.AppendUint32(field, math.Float32bits(f))
		}
	} else {
		field = binenc.BigEndian.AppendUint32(field, 1) // dimensions
		field = binenc.BigEndian.AppendUint32(field, 0) // no nulls
		field = binenc.BigEndian.AppendUint32(field, pgtype.OIDFloat4)
		field = binenc.BigEndian.AppendUint32(field, uint32(len(vec)))
		field = binenc.BigEndian.AppendUint32(field, 1) // lower bound
		for _, f := range vec {
			field = binenc.BigEndian.AppendUint32(field, 4)
			field = binenc.BigEndian.AppendUint32(field, math.Float32bits(f))
		}
	}
	b = binenc.BigEndian.AppendUint32(b, uint32(len(field)))
	b = append(b, field...)
	return binenc.BigEndian.AppendUint16(b, 0xffff) // trailer
}

// cancelInterval spaces the CancelRequests of replayCancelled.
const cancelInterval = 20 * time.Millisecond

// replayCancelled sends sql as a simple query and CancelRequests until it
// ends, as pgx does when its context is cancelled. Repeating the request
// removes the race with the server's start of the statement: a request
// that arrives while the connection is idle is ignored by both servers.
func replayCancelled(ctx context.Context, conn *pgconn.PgConn, sql string) replayResult {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(cancelInterval)
		defer tick.Stop()
		for {
			_ = conn.CancelRequest(ctx)
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	r := replaySimple(ctx, conn, sql)
	close(done)
	<-stopped
	return r
}
