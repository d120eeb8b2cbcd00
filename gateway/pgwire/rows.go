package pgwire

import (
	"context"
	"encoding/binary"
	"errors"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/jackc/pgproto3/v2"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/gateway/codec"
)

// This file is the hot path: Arrow batches become DataRows. Each row is
// encoded straight into the free space of the connection's output buffer
// (bufio.Writer.AvailableBuffer) by one codec.Encoder per column, built once
// per batch; nothing is allocated per row or per value. The buffer goes out
// when it is nearly full (about 64 KiB per write), at ReadyForQuery, on
// Flush, and before any read that can block. A row is committed to the
// buffer only once it is complete, so an error or a panic halfway through a
// row never leaves half a message on the wire.

// minRowRoom is the free space kept ahead of each row before it is encoded;
// rowStream.maxRow raises it to the largest row seen.
const minRowRoom = 512

// maxScratch bounds the buffer kept for rows larger than half the output
// buffer; a bigger one is dropped after use.
const maxScratch = 4 << 20

// rowStream is a Result being sent: its current batch, the next row to send
// in it, and the encoders for that batch. It lives as long as the statement
// (simple protocol) or the portal (extended protocol) that owns the Result.
type rowStream struct {
	res      Result
	types    []pgtype.Type
	formats  []int16 // one per column
	settings *codec.Settings

	rec    arrow.Record // valid until the next res.Next or res.Close
	row    int
	encs   []codec.Encoder
	maxRow int
	eof    bool
}

// newRowStream prepares to send res, whose rows are described by cols, in
// formats (one per column).
func newRowStream(res Result, cols []Column, formats []int16, settings *codec.Settings) *rowStream {
	rs := &rowStream{res: res, formats: formats, settings: settings, types: make([]pgtype.Type, len(cols))}
	for i, col := range cols {
		rs.types[i] = pgtype.Type{OID: col.TypeOID, Mod: col.TypeMod}
	}
	return rs
}

// sendRows sends up to max rows of rs (all of them when max is 0) as
// DataRows. It returns the number sent and whether the Result is exhausted.
func (c *conn) sendRows(ctx context.Context, rs *rowStream, max int) (n int, done bool, err error) {
	for {
		if rs.rec == nil || rs.row >= int(rs.rec.NumRows()) {
			if rs.eof {
				return n, true, nil
			}
			if err := rs.nextBatch(ctx); err != nil {
				return n, false, err
			}
			continue
		}
		end := int(rs.rec.NumRows())
		if max > 0 && end-rs.row > max-n {
			end = rs.row + max - n
		}
		if err := c.appendRows(rs, rs.row, end); err != nil {
			return n, false, err
		}
		n += end - rs.row
		rs.row = end
		if max > 0 && n >= max {
			return n, false, nil
		}
	}
}

// nextBatch fetches the next batch and builds its encoders.
func (rs *rowStream) nextBatch(ctx context.Context) error {
	rs.rec, rs.row = nil, 0
	rec, err := rs.res.Next(ctx)
	if errors.Is(err, io.EOF) {
		rs.eof = true
		return nil
	}
	if err != nil {
		return err
	}
	if int(rec.NumCols()) != len(rs.types) {
		return sqlstate.New(sqlstate.InternalError, "result batch has %d columns, but the statement described %d", rec.NumCols(), len(rs.types))
	}
	rs.encs = rs.encs[:0]
	for i, t := range rs.types {
		enc, err := codec.NewEncoder(rec.Column(i), t, rs.formats[i], rs.settings)
		if err != nil {
			return err
		}
		rs.encs = append(rs.encs, enc)
	}
	rs.rec = rec
	return nil
}

// appendRows writes rows [from, to) of the current batch as DataRows.
func (c *conn) appendRows(rs *rowStream, from, to int) error {
	nf := len(rs.encs)
	for r := from; r < to; r++ {
		room := max(rs.maxRow, minRowRoom)
		var b []byte
		if room > c.bw.Size()/2 {
			// Rows this large are encoded apart; a Write larger than the
			// buffer goes to the socket without a copy once the buffer
			// is empty.
			b = c.scratch[:0]
		} else {
			if c.bw.Available() < room {
				if err := c.flush(); err != nil {
					return err
				}
			}
			b = c.bw.AvailableBuffer()
		}
		b = append(b, 'D', 0, 0, 0, 0, byte(nf>>8), byte(nf))
		for _, e := range rs.encs {
			b = e.Append(b, r)
		}
		binary.BigEndian.PutUint32(b[1:5], uint32(len(b)-1))
		rs.maxRow = max(rs.maxRow, len(b))
		if _, err := c.bw.Write(b); err != nil {
			return &ioError{err: err}
		}
		if room > c.bw.Size()/2 {
			c.scratch = b[:0]
			if cap(c.scratch) > maxScratch {
				c.scratch = nil
			}
		}
	}
	return nil
}

// rowDescription describes cols with one format per column (nil: text).
func rowDescription(cols []Column, formats []int16) *pgproto3.RowDescription {
	fields := make([]pgproto3.FieldDescription, len(cols))
	for i, col := range cols {
		var f int16
		if formats != nil {
			f = formats[i]
		}
		fields[i] = pgproto3.FieldDescription{
			Name:                 []byte(col.Name),
			TableOID:             col.TableOID,
			TableAttributeNumber: uint16(col.AttNum),
			DataTypeOID:          col.TypeOID,
			DataTypeSize:         col.TypeLen,
			TypeModifier:         col.TypeMod,
			Format:               f,
		}
	}
	return &pgproto3.RowDescription{Fields: fields}
}

// formatsFor expands the format codes of a Bind (none: all text; one: for
// all; else one each) to one per column or parameter. mismatch is the
// PostgreSQL message for a wrong count, formatted with the count of codes
// and n.
func formatsFor(codes []int16, n int, mismatch string) ([]int16, error) {
	out := make([]int16, n)
	switch len(codes) {
	case 0:
		return out, nil
	case 1:
		for i := range out {
			out[i] = codes[0]
		}
	case n:
		copy(out, codes)
	default:
		return nil, sqlstate.New(sqlstate.ProtocolViolation, mismatch, len(codes), n)
	}
	for _, f := range codes {
		if f != codec.FormatText && f != codec.FormatBinary {
			return nil, sqlstate.New(sqlstate.InvalidParameterValue, "unsupported format code: %d", f)
		}
	}
	return out, nil
}

// textFormats returns n text format codes.
func textFormats(n int) []int16 { return make([]int16, n) }
