package blockcache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"path/filepath"
)

// A block file holds one block of one object, behind a header that names
// the block, so that a hash collision between two names, a file from a
// cache with another block size, or a torn or truncated file is detected
// and treated as a miss. All integers are big-endian.
//
//	offset    size  field
//	0         4     magic "LGBC"
//	4         4     block size of the cache that wrote it
//	8         8     block index
//	16        4     key length K
//	20        K     key (UTF-8 bytes, as given to GetRange)
//	20+K      4     payload length N
//	24+K      4     CRC-32C of bytes [0, 24+K) followed by the payload
//	28+K      N     payload
//
// The file is exactly 28+K+N bytes long; anything else is corrupt.
const (
	blockMagic  = "LGBC"
	fixedHeader = 28
)

var (
	crcTable     = crc32.MakeTable(crc32.Castagnoli)
	errCorrupt   = errors.New("corrupt block file")
	blockFileExt = ".blk"
)

// blockName is the file name of block idx of key in a cache of blockSize
// blocks: the hex of the first 16 bytes of SHA-256 over the three, in a
// two-level fan-out ("ab/cd/abcd….blk") so no folder grows huge.
func blockName(blockSize int, key string, idx int64) string {
	h := sha256.New()
	var b [12]byte
	binary.BigEndian.PutUint32(b[0:4], uint32(blockSize))
	binary.BigEndian.PutUint64(b[4:12], uint64(idx))
	h.Write(b[:])
	h.Write([]byte(key))
	sum := hex.EncodeToString(h.Sum(nil)[:16])
	return filepath.Join(sum[0:2], sum[2:4], sum+blockFileExt)
}

// encodeBlock returns the whole block file for block idx of key.
func encodeBlock(blockSize int, key string, idx int64, data []byte) []byte {
	k := len(key)
	buf := make([]byte, fixedHeader+k+len(data))
	copy(buf[0:4], blockMagic)
	binary.BigEndian.PutUint32(buf[4:8], uint32(blockSize))
	binary.BigEndian.PutUint64(buf[8:16], uint64(idx))
	binary.BigEndian.PutUint32(buf[16:20], uint32(k))
	copy(buf[20:20+k], key)
	binary.BigEndian.PutUint32(buf[20+k:24+k], uint32(len(data)))
	copy(buf[28+k:], data)
	crc := crc32.Update(crc32.Checksum(buf[:24+k], crcTable), crcTable, data)
	binary.BigEndian.PutUint32(buf[24+k:28+k], crc)
	return buf
}

// blockHeader is the part of a block file that names its block.
type blockHeader struct {
	blockSize int
	idx       int64
	key       string
}

// parseHeader reads the naming fields of a block file's first bytes,
// without checking the payload.
func parseHeader(b []byte) (blockHeader, error) {
	if len(b) < fixedHeader || string(b[0:4]) != blockMagic {
		return blockHeader{}, errCorrupt
	}
	k := int64(binary.BigEndian.Uint32(b[16:20]))
	if int64(len(b)) < fixedHeader+k {
		return blockHeader{}, errCorrupt
	}
	return blockHeader{
		blockSize: int(binary.BigEndian.Uint32(b[4:8])),
		idx:       int64(binary.BigEndian.Uint64(b[8:16])),
		key:       string(b[20 : 20+k]),
	}, nil
}

// decodeBlock checks a whole block file against the block it should hold
// and returns its payload (aliasing b).
func decodeBlock(b []byte, blockSize int, key string, idx int64) ([]byte, error) {
	h, err := parseHeader(b)
	if err != nil {
		return nil, err
	}
	if h.blockSize != blockSize || h.idx != idx || h.key != key {
		return nil, errCorrupt
	}
	k := len(key)
	n := int64(binary.BigEndian.Uint32(b[20+k : 24+k]))
	if n > int64(blockSize) || int64(len(b)) != fixedHeader+int64(k)+n {
		return nil, errCorrupt
	}
	data := b[28+k:]
	crc := crc32.Update(crc32.Checksum(b[:24+k], crcTable), crcTable, data)
	if crc != binary.BigEndian.Uint32(b[24+k:28+k]) {
		return nil, errCorrupt
	}
	return data, nil
}
