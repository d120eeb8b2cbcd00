// Package structural decodes the pages of Lance 2.1 and 2.2 data files into
// Arrow arrays.
//
// A 2.1+ page carries a PageLayout (the "structural encoding": how rows,
// repetition/definition levels and values are arranged in the page's
// buffers) whose CompressiveEncoding trees say how the values themselves are
// compressed. DecodePage is the only entry point; the data file reader in the
// parent package fetches a page's buffers and hands them here.
package structural

import (
	"errors"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// ErrCorrupt reports page bytes that contradict their layout. Test it with
// errors.Is.
var ErrCorrupt = errors.New("corrupt lance data file")

// ErrUnsupported reports a layout, compression or type this package does
// not decode. Test it with errors.Is.
var ErrUnsupported = errors.New("unsupported lance data file feature")

// DecodePage decodes one page into an array of type dt with numRows rows.
// bufs are the page's buffers in the order of the page's buffer list; the
// returned array may alias them, so the caller must not modify them
// afterwards. The caller owns the returned array and must Release it.
func DecodePage(mem memory.Allocator, dt arrow.DataType, layout *enc21.PageLayout, numRows uint64, bufs [][]byte) (arrow.Array, error) {
	return nil, fmt.Errorf("%w: 2.1+ page layouts are not implemented yet", ErrUnsupported)
}
