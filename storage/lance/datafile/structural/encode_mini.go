package structural

import (
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// Mini-block chunk limits, as Lance sizes chunks: at most 4096 values and
// (for plain values) a little under 8 KiB; 2.1 chunk sizes are stored in
// 8-byte words in 12 bits, so a chunk is at most 32 KiB there.
const (
	maxMiniValues    = 4096
	maxMiniBytes     = 8*1024 - 6
	aimVariableBytes = 4 * 1024
	maxChunkBytes21  = 32 * 1024
)

// miniWriter lays out the chunks of a mini-block page (see miniblock.go
// for the format): the chunk metadata words in meta, the chunks in data.
type miniWriter struct {
	large bool // 2.2 grammar: u32 metadata words and buffer sizes
	reps  bool // chunks carry repetition levels (list pages)
	defs  bool // chunks carry definition levels
	nbufs int  // value buffers per chunk
	items int  // values written so far
	meta  []byte
	data  []byte
	lv    levelPacker
}

func newMiniWriter(large, defs bool, nbufs, items, dataHint int) *miniWriter {
	return &miniWriter{large: large, defs: defs, nbufs: nbufs, data: make([]byte, 0, dataHint+dataHint/16+64),
		meta: make([]byte, 0, 8+items/256)}
}

// chunk appends a chunk of n values whose value buffers are bufs. valid
// is the page's row validity (used when the page has definition levels)
// and pos the chunk's first row; last marks the page's final chunk, the
// only one whose value count need not be a power of two.
func (m *miniWriter) chunk(n int, last bool, valid []byte, pos int, bufs ...[]byte) error {
	var def []byte
	levels := 0
	if m.defs {
		def, levels = m.lv.pack(valid, pos, n), n
	}
	return m.write(n, last, levels, nil, def, bufs)
}

// write appends a chunk of n values with levels levels (0 without
// levels), its packed repetition levels rep (list pages only), its packed
// definition levels def (pages with definition levels only) and its value
// buffers.
func (m *miniWriter) write(n int, last bool, levels int, rep, def []byte, bufs [][]byte) error {
	if len(bufs) != m.nbufs {
		return fmt.Errorf("chunk of %d buffers in a page of %d", len(bufs), m.nbufs)
	}
	if n <= 0 || n > maxMiniValues || (!last && (n&(n-1) != 0 || n < 2)) {
		return fmt.Errorf("mini-block chunk of %d values", n)
	}
	if levels > 0xffff {
		return fmt.Errorf("mini-block chunk of %d levels", levels)
	}
	start := len(m.data)
	// Header: level count (0 without levels), repetition and definition
	// sizes, buffer sizes; padded to 8.
	m.data = binary.LittleEndian.AppendUint16(m.data, uint16(levels))
	if m.reps {
		if len(rep) > 0xffff {
			return fmt.Errorf("%d bytes of repetition levels in one chunk", len(rep))
		}
		m.data = binary.LittleEndian.AppendUint16(m.data, uint16(len(rep)))
	}
	if m.defs {
		if len(def) > 0xffff {
			return fmt.Errorf("%d bytes of definition levels in one chunk", len(def))
		}
		m.data = binary.LittleEndian.AppendUint16(m.data, uint16(len(def)))
	}
	for _, b := range bufs {
		if m.large {
			if uint64(len(b)) > 0xffffffff {
				return fmt.Errorf("chunk buffer of %d bytes", len(b))
			}
			m.data = binary.LittleEndian.AppendUint32(m.data, uint32(len(b)))
		} else {
			if len(b) > 0xffff {
				return fmt.Errorf("chunk buffer of %d bytes", len(b))
			}
			m.data = binary.LittleEndian.AppendUint16(m.data, uint16(len(b)))
		}
	}
	m.pad()
	if m.reps {
		m.data = append(m.data, rep...)
		m.pad()
	}
	if m.defs {
		m.data = append(m.data, def...)
		m.pad()
	}
	for _, b := range bufs {
		m.data = append(m.data, b...)
		m.pad()
	}
	size := len(m.data) - start
	words := uint64(size/8 - 1)
	log := uint64(0)
	if !last {
		log = uint64(bits.TrailingZeros(uint(n)))
	}
	if m.large {
		if words >= 1<<28 {
			return fmt.Errorf("mini-block chunk of %d bytes", size)
		}
		m.meta = binary.LittleEndian.AppendUint32(m.meta, uint32(words<<4|log))
	} else {
		if size > maxChunkBytes21 {
			return fmt.Errorf("mini-block chunk of %d bytes", size)
		}
		m.meta = binary.LittleEndian.AppendUint16(m.meta, uint16(words<<4|log))
	}
	m.items += n
	return nil
}

// pad pads the chunk data to a multiple of 8 bytes.
func (m *miniWriter) pad() {
	for len(m.data)%8 != 0 {
		m.data = append(m.data, 0)
	}
}

// layout returns the page's layout and buffers: chunk metadata, chunks.
func (m *miniWriter) layout(values *enc21.CompressiveEncoding, layers []enc21.RepDefLayer) (*enc21.PageLayout, [][]byte) {
	l := &enc21.MiniBlockLayout{
		ValueCompression: values,
		Layers:           layers,
		NumBuffers:       uint64(m.nbufs),
		NumItems:         uint64(m.items),
		HasLargeChunk:    m.large,
	}
	if m.defs {
		l.DefCompression = levelEncoding(levelBits)
	}
	return &enc21.PageLayout{Layout: &enc21.PageLayout_MiniBlockLayout{MiniBlockLayout: l}}, [][]byte{m.meta, m.data}
}

// chunkRows returns how many rows go in each mini-block chunk of
// fixed-size rows: the largest power of two whose values stay under
// maxMiniBytes, as Lance sizes them. rowBits is the size of one row's
// values and extraBytes that of its other buffers (item validity); rows
// of a fractional number of bytes are chunked 8 at a time so that chunks
// start on byte boundaries.
func chunkRows(rowBits, extraBytes int) int {
	step, bytesPerStep := 1, rowBits/8+extraBytes
	if rowBits%8 != 0 {
		step, bytesPerStep = 8, rowBits+8*extraBytes
	}
	rows, size := 2*step, 2*bytesPerStep
	for 2*size < maxMiniBytes && 2*rows <= maxMiniValues {
		rows, size = 2*rows, 2*size
	}
	return rows
}
