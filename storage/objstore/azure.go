package objstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

// Azure is a Store in one Azure Blob Storage container, rooted at a prefix
// inside it. Keys map to blob names "<prefix>/<key>".
//
// Every request runs under the caller's context and a per-try deadline
// (AzureConfig.Timeout), and is retried with exponential backoff when it
// times out, cannot connect, or is answered 408, 429, 500, 502, 503 or 504.
// What the retries cannot fix comes back as ErrThrottled, ErrUnavailable,
// ErrPermission, ErrNoContainer or ErrNotExist, wrapped with the operation
// and key.
type Azure struct {
	client      *container.Client
	prefix      string
	blockSize   int64
	concurrency int
	desc        string
}

// commitIDKey is the metadata name under which PutIfAbsent records a random
// id, so that a retry answered "already exists" can tell its own earlier
// attempt from a rival's.
const commitIDKey = "lancegatecommit"

// azureListPage is the page size of listings. Lance stops early (the newest
// V2 manifest name sorts first), so pages smaller than Azure's 5,000 keep
// the first answer small.
const azureListPage = 1000

// NewAzure returns the store cfg describes. It makes no request: use Check
// to learn whether the container exists and the credentials work.
// transport, when not nil, carries the HTTP requests (tests put a proxy or
// a fault injector there); nil means the SDK's default.
func NewAzure(cfg AzureConfig, transport policy.Transporter) (*Azure, error) {
	c := cfg.withDefaults()
	opts := &container.ClientOptions{ClientOptions: azcore.ClientOptions{
		Retry: policy.RetryOptions{
			MaxRetries:    int32(c.MaxRetries),
			TryTimeout:    c.Timeout,
			RetryDelay:    c.RetryDelay,
			MaxRetryDelay: c.MaxRetryDelay,
		},
		Telemetry: policy.TelemetryOptions{ApplicationID: "lancegate"},
		Transport: transport,
	}}
	if c.MaxRetries < 0 {
		opts.Retry.MaxRetries = -1
	}
	client, err := newContainerClient(&c, opts)
	if err != nil {
		return nil, fmt.Errorf("objstore: %s: %w", c.String(), err)
	}
	return &Azure{client: client, prefix: c.Prefix, blockSize: c.BlockSize, concurrency: c.Concurrency, desc: c.String()}, nil
}

// String names the store's location, without secrets.
func (a *Azure) String() string { return a.desc }

// Check asks Azure for the container's properties: it fails with
// ErrNoContainer, ErrPermission or ErrUnavailable when the store cannot be
// used, so a server can refuse to start rather than fail every statement.
func (a *Azure) Check(ctx context.Context) error {
	_, err := a.client.GetProperties(ctx, nil)
	if err != nil {
		return a.fail(ctx, "check", "", err)
	}
	return nil
}

func (a *Azure) blobName(key string) string {
	if a.prefix == "" {
		return key
	}
	return a.prefix + "/" + key
}

// GetRange implements Store.
func (a *Azure) GetRange(ctx context.Context, key string, off, length int64) ([]byte, error) {
	if !ValidKey(key) {
		return nil, fmt.Errorf("objstore: get %q: %w", key, ErrInvalidKey)
	}
	if off < 0 {
		return nil, fmt.Errorf("objstore: get %q at %d: %w", key, off, ErrInvalidRange)
	}
	if length == 0 {
		return a.emptyRead(ctx, key, off)
	}
	if length < 0 {
		length = 0 // Azure: a zero count reads to the end
	}
	bc := a.client.NewBlobClient(a.blobName(key))
	resp, err := bc.DownloadStream(ctx, &blob.DownloadStreamOptions{Range: blob.HTTPRange{Offset: off, Count: length}})
	if err != nil {
		var re *azcore.ResponseError
		if errors.As(err, &re) && re.StatusCode == http.StatusRequestedRangeNotSatisfiable {
			// Azure refuses any range starting at or past the end, and
			// every range of an empty blob; the contract allows a read
			// that starts exactly at the end.
			return a.emptyRead(ctx, key, off)
		}
		return nil, a.fail(ctx, "get", key, err)
	}
	body := resp.NewRetryReader(ctx, &blob.RetryReaderOptions{MaxRetries: 3})
	defer body.Close()
	n := length
	if resp.ContentLength != nil {
		n = *resp.ContentLength
	}
	buf := bytes.NewBuffer(make([]byte, 0, n))
	if _, err := buf.ReadFrom(body); err != nil {
		return nil, a.fail(ctx, "get", key, err)
	}
	return buf.Bytes(), nil
}

// emptyRead answers a read of no bytes at off: empty when the object exists
// and off is at most its size.
func (a *Azure) emptyRead(ctx context.Context, key string, off int64) ([]byte, error) {
	info, err := a.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	if off > info.Size {
		return nil, fmt.Errorf("objstore: get %q at %d of %d bytes: %w", key, off, info.Size, ErrInvalidRange)
	}
	return []byte{}, nil
}

// Stat implements Store.
func (a *Azure) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	if !ValidKey(key) {
		return ObjectInfo{}, fmt.Errorf("objstore: stat %q: %w", key, ErrInvalidKey)
	}
	p, err := a.client.NewBlobClient(a.blobName(key)).GetProperties(ctx, nil)
	if err != nil {
		return ObjectInfo{}, a.fail(ctx, "stat", key, err)
	}
	return objectInfo(key, p.ContentLength, p.ETag, p.LastModified), nil
}

// objectInfo builds an ObjectInfo from the optional fields Azure answers
// with.
func objectInfo(key string, size *int64, etag *azcore.ETag, modified *time.Time) ObjectInfo {
	info := ObjectInfo{Key: key}
	if size != nil {
		info.Size = *size
	}
	if etag != nil {
		info.ETag = normETag(string(*etag))
	}
	if modified != nil {
		info.LastModified = *modified
	}
	return info
}

// List implements Store. Pages are fetched as the caller iterates.
func (a *Azure) List(ctx context.Context, prefix string) iter.Seq2[ObjectInfo, error] {
	return func(yield func(ObjectInfo, error) bool) {
		full := prefix
		if a.prefix != "" {
			full = a.prefix + "/" + prefix
		}
		strip := len(a.prefix)
		if a.prefix != "" {
			strip++
		}
		pageSize := int32(azureListPage)
		pager := a.client.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: &full, MaxResults: &pageSize})
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				yield(ObjectInfo{}, a.fail(ctx, "list", prefix, err))
				return
			}
			for _, item := range page.Segment.BlobItems {
				if item.Name == nil || len(*item.Name) < strip {
					continue
				}
				info := ObjectInfo{Key: (*item.Name)[strip:]}
				if p := item.Properties; p != nil {
					info = objectInfo(info.Key, p.ContentLength, p.ETag, p.LastModified)
				}
				if !yield(info, nil) {
					return
				}
			}
		}
	}
}

// Put implements Store. An object that fits in one block is one Put Blob;
// a larger one is staged as blocks uploaded in parallel and made visible by
// one Put Block List, so readers never see part of it, and a failed upload
// leaves the old object (Azure discards uncommitted blocks).
func (a *Azure) Put(ctx context.Context, key string, r io.Reader) error {
	if !ValidKey(key) {
		return fmt.Errorf("objstore: put %q: %w", key, ErrInvalidKey)
	}
	first := make([]byte, a.blockSize)
	n, err := io.ReadFull(r, first)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return a.putSmall(ctx, key, first[:n], nil)
	case err != nil:
		return fmt.Errorf("objstore: put %q: reading the data: %w", key, err)
	}
	bb := a.client.NewBlockBlobClient(a.blobName(key))
	_, err = bb.UploadStream(ctx, io.MultiReader(bytes.NewReader(first), r), &blockblob.UploadStreamOptions{
		BlockSize:   a.blockSize,
		Concurrency: a.concurrency,
	})
	if err != nil {
		return a.fail(ctx, "put", key, err)
	}
	return nil
}

// putSmall writes data with one Put Blob request under conditions.
func (a *Azure) putSmall(ctx context.Context, key string, data []byte, opts *blockblob.UploadOptions) error {
	bb := a.client.NewBlockBlobClient(a.blobName(key))
	_, err := bb.Upload(ctx, streaming.NopCloser(bytes.NewReader(data)), opts)
	if err != nil {
		return a.fail(ctx, "put", key, err)
	}
	return nil
}

// PutIfAbsent implements Store with one Put Blob carrying If-None-Match: *.
// Azure answers a lost race with 409 BlobAlreadyExists or 412; both are
// ErrPreconditionFailed. The blob carries a random commit id in its
// metadata: when the SDK retried a request whose first try had in fact
// succeeded, or the outcome of the last try is unknown, the id tells
// whether the blob that exists is this call's own.
func (a *Azure) PutIfAbsent(ctx context.Context, key string, data []byte) error {
	if !ValidKey(key) {
		return fmt.Errorf("objstore: put-if-absent %q: %w", key, ErrInvalidKey)
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return fmt.Errorf("objstore: put-if-absent %q: %w", key, err)
	}
	id := hex.EncodeToString(raw[:])
	etagAny := azcore.ETagAny
	err := a.putSmall(ctx, key, data, &blockblob.UploadOptions{
		Metadata:         map[string]*string{commitIDKey: &id},
		AccessConditions: &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfNoneMatch: &etagAny}},
	})
	if err == nil {
		return nil
	}
	lost := errors.Is(err, ErrPreconditionFailed)
	if !lost && ctx.Err() != nil {
		return err
	}
	// Whose blob is it? A fresh, short deadline: the caller's may be what
	// ran out, and the answer decides whether a commit happened.
	vctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	p, perr := a.client.NewBlobClient(a.blobName(key)).GetProperties(vctx, nil)
	if perr == nil {
		for k, v := range p.Metadata {
			if equalFoldASCII(k, commitIDKey) && v != nil && *v == id {
				return nil
			}
		}
		if !lost {
			// Someone else's blob is there: our write did not land.
			return fmt.Errorf("objstore: put-if-absent %q: %w", key, ErrPreconditionFailed)
		}
	}
	return err
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Delete implements Store.
func (a *Azure) Delete(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return fmt.Errorf("objstore: delete %q: %w", key, ErrInvalidKey)
	}
	_, err := a.client.NewBlobClient(a.blobName(key)).Delete(ctx, nil)
	if err != nil {
		err = a.fail(ctx, "delete", key, err)
		if errors.Is(err, ErrNotExist) {
			return nil
		}
		return err
	}
	return nil
}

// normETag strips the quotes some answers put around an ETag (Get Blob
// Properties quotes it, List Blobs does not), so the two compare equal.
func normETag(e string) string {
	return strings.Trim(e, `"`)
}
