package copyfmt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
)

// The binary format (PostgreSQL's CopyReadBinaryTupleHeader and
// CopyReadBinaryAttribute): the 11-byte signature, int32 flags (bit 16
// would be OIDs, bits 17–31 are critical and must be zero), an int32
// extension length and that many bytes; then per row an int16 field count
// and per field an int32 length (-1 for NULL) and the type's binary form;
// a count of -1 is the trailer. pgx ends its data without the trailer, so
// the end of the data at a row boundary ends the COPY too.

// Signature is the binary COPY signature.
const Signature = "PGCOPY\n\xff\r\n\x00"

// binaryRow reads one row; ok is false at the end of the data.
func (d *Decoder) binaryRow() (ok bool, err error) {
	if !d.started {
		if err := d.binaryHeader(); err != nil {
			return false, err
		}
		d.started = true
	}
	b, err := d.br.Peek(2)
	switch {
	case len(b) == 0 && errors.Is(err, io.EOF):
		return false, nil
	case err != nil:
		return false, d.eof(err)
	}
	d.line++
	d.raw = nil
	count := int(int16(binary.BigEndian.Uint16(b)))
	_, _ = d.br.Discard(2)
	if count == -1 {
		// The trailer must be the end, as in PostgreSQL.
		if b, _ := d.br.Peek(1); len(b) > 0 {
			return false, d.rowError(errorf("received copy data after EOF marker"))
		}
		return false, nil
	}
	if count != len(d.fields) {
		return false, d.rowError(errorf("row field count is %d, expected %d", count, len(d.fields)))
	}
	for i := range d.fields {
		b, err := d.take(4)
		if err != nil {
			return false, d.fieldError(err, i, nil, false)
		}
		n := int(int32(binary.BigEndian.Uint32(b)))
		switch {
		case n == -1:
			if err := d.null(i); err != nil {
				return false, err
			}
			continue
		case n < -1:
			return false, d.fieldError(errorf("invalid field size"), i, nil, false)
		}
		v, err := d.take(n)
		if err != nil {
			return false, d.fieldError(err, i, nil, false)
		}
		if err := d.sinks[i].appendBinary(v); err != nil {
			return false, d.fieldError(err, i, nil, false)
		}
	}
	return true, nil
}

// binaryHeader reads and checks the file header.
func (d *Decoder) binaryHeader() error {
	d.line = 0
	sig, err := d.take(len(Signature))
	if err != nil || !bytes.Equal(sig, []byte(Signature)) {
		if err != nil && !errors.Is(err, errUnexpectedEOF) {
			return err
		}
		return errorf("COPY file signature not recognized")
	}
	b, err := d.take(4)
	if err != nil {
		return errorf("invalid COPY file header (missing flags)")
	}
	flags := binary.BigEndian.Uint32(b)
	switch {
	case flags&(1<<16) != 0:
		return errorf("invalid COPY file header (WITH OIDS)")
	case flags&0xfffe0000 != 0:
		return errorf("unrecognized critical flags in COPY file header")
	}
	b, err = d.take(4)
	if err != nil {
		return errorf("invalid COPY file header (missing length)")
	}
	ext := int(int32(binary.BigEndian.Uint32(b)))
	if ext < 0 {
		return errorf("invalid COPY file header (missing length)")
	}
	if n, err := d.br.Discard(ext); n < ext {
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		return errorf("invalid COPY file header (wrong length)")
	}
	return nil
}

// maxField is the largest field accepted, PostgreSQL's MaxAllocSize - 1
// (1 GB), the bound of any value.
const maxField = 1<<30 - 1

// maxScratch bounds the buffer kept for long fields between rows.
const maxScratch = 16 << 20

// errUnexpectedEOF marks data that ends inside a row.
var errUnexpectedEOF = errorf("unexpected EOF in COPY data")

// take returns the next n bytes, valid until the next read: in the read
// buffer when they fit, else in d.scratch.
func (d *Decoder) take(n int) ([]byte, error) {
	if n <= d.br.Size() {
		b, err := d.br.Peek(n)
		if err != nil {
			return nil, d.eof(err)
		}
		_, _ = d.br.Discard(n)
		return b, nil
	}
	if n > maxField {
		return nil, errorf("field of %d bytes exceeds the limit of %d bytes", n, maxField)
	}
	if cap(d.scratch) > maxScratch && n <= maxScratch {
		d.scratch = nil // let an earlier huge field's buffer go
	}
	// Grow with the data that actually arrives: a length word alone must
	// not make the server allocate what it announces.
	d.scratch = d.scratch[:0]
	for len(d.scratch) < n {
		k := min(n-len(d.scratch), readBufSize)
		b, err := d.br.Peek(min(k, d.br.Size()))
		if len(b) == 0 && err != nil {
			return nil, d.eof(err)
		}
		d.scratch = append(d.scratch, b...)
		_, _ = d.br.Discard(len(b))
	}
	return d.scratch, nil
}

// eof turns the end of the data inside a row into 22P04; the reader's own
// errors (CopyFail, cancellation) pass unchanged.
func (d *Decoder) eof(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errUnexpectedEOF
	}
	return err
}
