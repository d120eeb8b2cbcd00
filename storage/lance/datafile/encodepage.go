package datafile

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/lancegate/lancegate/storage/lance/datafile/structural"
)

// encodePage encodes a column's pending arrays as one page of the writer's
// format version. It returns the serialized Any of the page's encoding (a
// 2.0 ArrayEncoding or a 2.1+ PageLayout) and the page's buffers, which
// may alias the pending arrays.
func (w *Writer) encodePage(c *columnWriter) ([]byte, [][]byte, error) {
	if w.opts.Version == V2_0 {
		enc, bufs, err := encode20(c.dt, c.pending, c.rows, w.opts)
		if err != nil {
			return nil, nil, err
		}
		a, err := marshalAny(URLArrayEncoding, enc)
		return a, bufs, err
	}
	p, err := structural.EncodePage(c.dt, c.pending, structural.EncodeOptions{Version: structural.Version(w.opts.Version.Minor)})
	if err != nil {
		return nil, nil, err
	}
	if p.Rows != uint64(c.rows) {
		return nil, nil, fmt.Errorf("page encoder wrote %d rows of %d", p.Rows, c.rows)
	}
	a, err := marshalAny(URLPageLayout, p.Layout)
	return a, p.Buffers, err
}

// marshalAny serializes m wrapped in an Any with the given type URL.
func marshalAny(url string, m proto.Message) ([]byte, error) {
	v, err := proto.Marshal(m)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(&anypb.Any{TypeUrl: url, Value: v})
}
