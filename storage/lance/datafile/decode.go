package datafile

import (
	"context"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/lancegate/lancegate/storage/lance/datafile/structural"
	"github.com/lancegate/lancegate/storage/lance/pb/enc20"
	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// PageEncoding returns the Any holding the encoding of one page.
func (f *File) PageEncoding(col, page int) (*anypb.Any, error) {
	if col < 0 || col >= len(f.Columns) || page < 0 || page >= len(f.Columns[col].Pages) {
		return nil, fmt.Errorf("data file %s: no page %d of column %d", f.Key, page, col)
	}
	a, err := pageEncoding(f.Columns[col].Pages[page])
	if err != nil {
		return nil, fmt.Errorf("data file %s: column %d page %d: %w", f.Key, col, page, err)
	}
	return a, nil
}

// ReadPage fetches and decodes one page of a column into an array of type
// dt. The caller owns the returned array and must Release it.
func (f *File) ReadPage(ctx context.Context, src Source, mem memory.Allocator, col, page int, dt arrow.DataType) (arrow.Array, error) {
	a, err := f.PageEncoding(col, page)
	if err != nil {
		return nil, err
	}
	bufs, err := f.PageBuffers(ctx, src, col, page)
	if err != nil {
		return nil, err
	}
	rows := f.Columns[col].Pages[page].Length
	arr, err := decodePage(mem, dt, a, rows, bufs)
	if err != nil {
		return nil, fmt.Errorf("data file %s: column %d page %d: %w", f.Key, col, page, err)
	}
	if uint64(arr.Len()) != rows {
		n := arr.Len()
		arr.Release()
		return nil, fmt.Errorf("data file %s: column %d page %d: %w: decoded %d rows, page has %d", f.Key, col, page, ErrCorrupt, n, rows)
	}
	return arr, nil
}

// decodePage dispatches on the encoding's type URL, and turns a panic in a
// decoder (a bug, or input no check anticipated) into ErrCorrupt so that a
// bad file never takes the server down.
func decodePage(mem memory.Allocator, dt arrow.DataType, a *anypb.Any, rows uint64, bufs [][]byte) (arr arrow.Array, err error) {
	defer func() {
		if r := recover(); r != nil {
			arr, err = nil, fmt.Errorf("%w: decoder failed: %v", ErrCorrupt, r)
		}
	}()
	switch a.TypeUrl {
	case URLArrayEncoding:
		enc := &enc20.ArrayEncoding{}
		if err := proto.Unmarshal(a.Value, enc); err != nil {
			return nil, fmt.Errorf("%w: 2.0 page encoding: %v", ErrCorrupt, err)
		}
		return decode20(mem, dt, enc, rows, bufs)
	case URLPageLayout:
		layout := &enc21.PageLayout{}
		if err := proto.Unmarshal(a.Value, layout); err != nil {
			return nil, fmt.Errorf("%w: page layout: %v", ErrCorrupt, err)
		}
		return structural.DecodePage(mem, dt, layout, rows, bufs)
	}
	return nil, fmt.Errorf("%w: page encoding type %q", ErrUnsupported, a.TypeUrl)
}
