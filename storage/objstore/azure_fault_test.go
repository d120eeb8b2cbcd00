package objstore_test

// Fault tests of the Azure backend. Every test talks to a real Azurite;
// faults Azurite cannot produce by itself (a hung server, throttling, a lost
// response, a cut-off body) are injected by faultTransport, a
// policy.Transporter that forwards the SDK's requests to Azurite and
// misbehaves on the ones a test chooses.

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/azuritetest"
)

// Request kinds, as requestKind names them: the method, then the comp or
// restype query parameter when there is one.
const (
	kindStat      = "HEAD"          // Get Blob Properties
	kindGet       = "GET"           // Get Blob
	kindPut       = "PUT"           // Put Blob
	kindBlock     = "PUT block"     // Put Block
	kindBlockList = "PUT blocklist" // Put Block List
	kindList      = "GET list"      // List Blobs
	kindDelete    = "DELETE"        // Delete Blob
	kindCheck     = "GET container" // Get Container Properties
)

// requestKind names the Blob service operation a request is.
func requestKind(req *http.Request) string {
	q := req.URL.Query()
	if c := q.Get("comp"); c != "" {
		return req.Method + " " + c
	}
	if r := q.Get("restype"); r != "" {
		return req.Method + " " + r
	}
	return req.Method
}

// faultTransport is a policy.Transporter that forwards requests to Azurite
// and counts them by kind. When fault is set it sees each request first,
// with its kind and the number of earlier requests of that kind (so the
// first try is n == 0, its first retry n == 1): a non-nil response or error
// from fault answers the request instead of Azurite; (nil, nil) forwards it.
// fault may itself forward (to lose Azurite's answer, or to damage it).
// fault runs concurrently for parallel requests.
type faultTransport struct {
	fault func(req *http.Request, kind string, n int) (*http.Response, error)

	mu   sync.Mutex
	seen map[string]int
}

// Do implements policy.Transporter.
func (f *faultTransport) Do(req *http.Request) (*http.Response, error) {
	kind := requestKind(req)
	f.mu.Lock()
	if f.seen == nil {
		f.seen = map[string]int{}
	}
	n := f.seen[kind]
	f.seen[kind]++
	f.mu.Unlock()
	if f.fault != nil {
		if resp, err := f.fault(req, kind, n); resp != nil || err != nil {
			return resp, err
		}
	}
	return forward(req)
}

// count returns how many requests of kind went through the transport.
func (f *faultTransport) count(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen[kind]
}

// forward sends req to Azurite.
func forward(req *http.Request) (*http.Response, error) {
	return http.DefaultTransport.RoundTrip(req)
}

// answer fabricates a Blob service error response to req, with Azure's
// error code in the x-ms-error-code header and, except for HEAD, an XML
// body, the way Azure words it.
func answer(req *http.Request, status int, code string) *http.Response {
	h := http.Header{}
	body := ""
	if code != "" {
		h.Set("x-ms-error-code", code)
		if req.Method != http.MethodHead {
			h.Set("Content-Type", "application/xml")
			body = `<?xml version="1.0" encoding="utf-8"?><Error><Code>` + code + `</Code><Message>injected by the test</Message></Error>`
		}
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

// serverBusy is Azure's throttling answer.
func serverBusy(req *http.Request) *http.Response {
	return answer(req, http.StatusServiceUnavailable, "ServerBusy")
}

// hang answers nothing until the request's context ends, like a server that
// accepted the connection and never replied.
func hang(req *http.Request) (*http.Response, error) {
	<-req.Context().Done()
	return nil, req.Context().Err()
}

// newContainer creates a fresh container on srv and returns the
// configuration of a store rooted at its top.
func newContainer(t *testing.T, srv *azuritetest.Server) objstore.AzureConfig {
	t.Helper()
	name := azuritetest.NewContainerName()
	if err := srv.CreateContainer(context.Background(), name); err != nil {
		t.Fatalf("create container: %v", err)
	}
	return srv.Config(name)
}

// quick returns cfg with a per-try deadline of timeout, retries retries
// (negative: none) and millisecond backoff, so faults show fast.
func quick(cfg objstore.AzureConfig, timeout time.Duration, retries int) objstore.AzureConfig {
	cfg.Timeout = timeout
	cfg.MaxRetries = retries
	cfg.RetryDelay = time.Millisecond
	cfg.MaxRetryDelay = 10 * time.Millisecond
	return cfg
}

func newAzure(t *testing.T, cfg objstore.AzureConfig, transport policy.Transporter) *objstore.Azure {
	t.Helper()
	st, err := objstore.NewAzure(cfg, transport)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// storeOp is one Store operation the fault tests run, with the kind of the
// first request it sends. The operations expect an object "obj" to exist
// when they are to succeed.
type storeOp struct {
	name string
	kind string
	run  func(ctx context.Context, s objstore.Store) error
}

var storeOps = []storeOp{
	{"Stat", kindStat, func(ctx context.Context, s objstore.Store) error {
		_, err := s.Stat(ctx, "obj")
		return err
	}},
	{"GetRange", kindGet, func(ctx context.Context, s objstore.Store) error {
		_, err := s.GetRange(ctx, "obj", 0, -1)
		return err
	}},
	{"Put", kindPut, func(ctx context.Context, s objstore.Store) error {
		return s.Put(ctx, "obj", strings.NewReader("replaced"))
	}},
	{"PutIfAbsent", kindPut, func(ctx context.Context, s objstore.Store) error {
		return s.PutIfAbsent(ctx, "fresh", []byte("created"))
	}},
	{"List", kindList, func(ctx context.Context, s objstore.Store) error {
		for _, err := range s.List(ctx, "") {
			if err != nil {
				return err
			}
		}
		return nil
	}},
	{"Delete", kindDelete, func(ctx context.Context, s objstore.Store) error {
		return s.Delete(ctx, "obj")
	}},
}

// checkOp runs Azure.Check as a storeOp, for the tests where the store's
// own health check must fail the same way.
var checkOp = storeOp{"Check", kindCheck, func(ctx context.Context, s objstore.Store) error {
	return s.(*objstore.Azure).Check(ctx)
}}

// withObj writes "obj" through a store without faults in cfg's container.
func withObj(t *testing.T, cfg objstore.AzureConfig) {
	t.Helper()
	if err := newAzure(t, cfg, nil).Put(context.Background(), "obj", strings.NewReader("original")); err != nil {
		t.Fatal(err)
	}
}

// TestAzureWrongKey pins down that a store whose account key Azure rejects
// (403) fails every operation, and its health check, with ErrPermission,
// without retrying and without the key in the message.
func TestAzureWrongKey(t *testing.T) {
	srv := azuritetest.Shared(t)
	cfg := newContainer(t, srv)
	withObj(t, cfg)
	cfg.AccountKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("wrong key "), 7)[:64])
	for _, op := range append(slices.Clone(storeOps), checkOp) {
		t.Run(op.name, func(t *testing.T) {
			ft := &faultTransport{}
			err := op.run(context.Background(), newAzure(t, quick(cfg, 5*time.Second, 3), ft))
			if !errors.Is(err, objstore.ErrPermission) {
				t.Fatalf("got %v, want ErrPermission", err)
			}
			if n := ft.count(op.kind); n != 1 {
				t.Errorf("%d %s requests, want 1 (403 is not retried)", n, op.kind)
			}
			if strings.Contains(err.Error(), cfg.AccountKey) {
				t.Errorf("error shows the account key: %v", err)
			}
		})
	}
	// The object is untouched by the refused writes and deletes.
	cfg.AccountKey = objstore.EmulatorKey
	got, err := objstore.ReadAll(context.Background(), newAzure(t, cfg, nil), "obj")
	if err != nil || string(got) != "original" {
		t.Fatalf("after refused writes: %q, %v; want the original", got, err)
	}
}

// TestAzureMissingContainer pins down that a store whose container does not
// exist fails its check and every operation with ErrNoContainer (deleting
// from it is not a silent success), and that Open refuses such a URI while
// opening an existing container's URI yields a working store.
func TestAzureMissingContainer(t *testing.T) {
	srv := azuritetest.Shared(t)
	missing := azuritetest.NewContainerName()
	st := newAzure(t, quick(srv.Config(missing), 5*time.Second, 3), nil)
	for _, op := range append(slices.Clone(storeOps), checkOp) {
		t.Run(op.name, func(t *testing.T) {
			err := op.run(context.Background(), st)
			if !errors.Is(err, objstore.ErrNoContainer) {
				t.Fatalf("got %v, want ErrNoContainer", err)
			}
			if errors.Is(err, objstore.ErrNotExist) {
				t.Errorf("a missing container is also ErrNotExist: %v", err)
			}
		})
	}

	options := map[string]string{
		"account_name": objstore.EmulatorAccount,
		"account_key":  objstore.EmulatorKey,
		"endpoint":     srv.Endpoint(),
	}
	ctx := context.Background()
	t.Run("Open missing", func(t *testing.T) {
		s, err := objstore.Open(ctx, "az://"+missing+"/p", options)
		if !errors.Is(err, objstore.ErrNoContainer) {
			t.Fatalf("Open: %v, %v; want ErrNoContainer", s, err)
		}
	})
	t.Run("Open existing", func(t *testing.T) {
		cfg := newContainer(t, srv)
		s, err := objstore.Open(ctx, "az://"+cfg.Container+"/p", options)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if err := s.PutIfAbsent(ctx, "k", []byte("opened")); err != nil {
			t.Fatal(err)
		}
		if got, err := objstore.ReadAll(ctx, s, "k"); err != nil || string(got) != "opened" {
			t.Fatalf("read back %q, %v", got, err)
		}
		// The URI's path is the store's root inside the container.
		var keys []string
		for info, err := range newAzure(t, cfg, nil).List(ctx, "") {
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, info.Key)
		}
		if !slices.Equal(keys, []string{"p/k"}) {
			t.Fatalf("container holds %q, want [p/k]", keys)
		}
	})
	t.Run("Open unreachable", func(t *testing.T) {
		opts := map[string]string{
			"account_name": objstore.EmulatorAccount,
			"account_key":  objstore.EmulatorKey,
			"endpoint":     deadEndpoint(t),
			"max_retries":  "1",
		}
		_, err := objstore.Open(ctx, "az://"+missing+"/p", opts)
		if !errors.Is(err, objstore.ErrUnavailable) {
			t.Fatalf("Open: %v, want ErrUnavailable", err)
		}
	})
}

// TestAzureSlowBackend pins down deadlines. A server that never answers
// fails an operation with ErrUnavailable once every try has used up its
// per-try Timeout, in bounded time and with the configured number of
// tries, and not with the caller's context.DeadlineExceeded: the caller's
// context is live. When the caller's own context is cancelled or runs out,
// the error is the caller's (context.Canceled, context.DeadlineExceeded),
// not ErrUnavailable. A response body that stalls is cut off by the per-try
// Timeout too, and the read resumes where it stopped.
func TestAzureSlowBackend(t *testing.T) {
	srv := azuritetest.Shared(t)
	const tryTimeout = 200 * time.Millisecond

	t.Run("per-try timeout", func(t *testing.T) {
		for _, op := range storeOps {
			t.Run(op.name, func(t *testing.T) {
				t.Parallel()
				cfg := newContainer(t, srv)
				withObj(t, cfg)
				ft := &faultTransport{fault: func(req *http.Request, _ string, _ int) (*http.Response, error) { return hang(req) }}
				st := newAzure(t, quick(cfg, tryTimeout, 1), ft)
				start := time.Now()
				err := op.run(context.Background(), st)
				elapsed := time.Since(start)
				if !errors.Is(err, objstore.ErrUnavailable) {
					t.Fatalf("got %v, want ErrUnavailable", err)
				}
				if errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("a per-try timeout reads as the caller's deadline: %v", err)
				}
				if n := ft.count(op.kind); n != 2 {
					t.Errorf("%d %s tries, want 2 (MaxRetries 1)", n, op.kind)
				}
				// Two tries, plus PutIfAbsent's two of asking whose blob it
				// is, plus backoff: well under 5s.
				if elapsed > 5*time.Second {
					t.Errorf("took %v", elapsed)
				}
			})
		}
	})

	t.Run("caller cancels", func(t *testing.T) {
		for _, op := range storeOps {
			t.Run(op.name, func(t *testing.T) {
				t.Parallel()
				cfg := newContainer(t, srv)
				withObj(t, cfg)
				arrived := make(chan struct{}, 1)
				ft := &faultTransport{fault: func(req *http.Request, _ string, _ int) (*http.Response, error) {
					select {
					case arrived <- struct{}{}:
					default:
					}
					return hang(req)
				}}
				st := newAzure(t, quick(cfg, time.Minute, 3), ft)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				done := make(chan error, 1)
				start := time.Now()
				go func() { done <- op.run(ctx, st) }()
				<-arrived
				cancel()
				err := <-done
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("got %v, want context.Canceled", err)
				}
				if errors.Is(err, objstore.ErrUnavailable) {
					t.Errorf("the caller's cancellation reads as ErrUnavailable: %v", err)
				}
				if n := ft.count(op.kind); n != 1 {
					t.Errorf("%d %s tries after cancellation, want 1", n, op.kind)
				}
				if elapsed := time.Since(start); elapsed > 5*time.Second {
					t.Errorf("took %v", elapsed)
				}
			})
		}
	})

	t.Run("caller deadline", func(t *testing.T) {
		t.Parallel()
		cfg := newContainer(t, srv)
		withObj(t, cfg)
		ft := &faultTransport{fault: func(req *http.Request, _ string, _ int) (*http.Response, error) { return hang(req) }}
		st := newAzure(t, quick(cfg, time.Minute, 3), ft)
		ctx, cancel := context.WithTimeout(context.Background(), tryTimeout)
		defer cancel()
		_, err := st.Stat(ctx, "obj")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want context.DeadlineExceeded", err)
		}
		if errors.Is(err, objstore.ErrUnavailable) {
			t.Errorf("the caller's deadline reads as ErrUnavailable: %v", err)
		}
	})

	// The first GET's body sends 1000 bytes and then nothing. With
	// stuck, every later GET's body sends nothing at all. (A server that
	// trickles some bytes per try makes progress, which the SDK's retry
	// reader rightly does not count against its retries.)
	data := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	stall := func(stuck bool) *faultTransport {
		return &faultTransport{fault: func(req *http.Request, kind string, n int) (*http.Response, error) {
			if kind != kindGet || (n > 0 && !stuck) {
				return nil, nil
			}
			resp, err := forward(req)
			if err != nil {
				return nil, err
			}
			left := 1000
			if n > 0 {
				left = 0
			}
			resp.Body = &stallingBody{ReadCloser: resp.Body, left: left, ctx: req.Context()}
			return resp, nil
		}}
	}
	t.Run("stalled body resumes", func(t *testing.T) {
		t.Parallel()
		cfg := newContainer(t, srv)
		if err := newAzure(t, cfg, nil).Put(context.Background(), "obj", bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		ft := stall(false)
		got, err := newAzure(t, quick(cfg, tryTimeout, 1), ft).GetRange(context.Background(), "obj", 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("read %d bytes, want the %d written", len(got), len(data))
		}
		if n := ft.count(kindGet); n != 2 {
			t.Errorf("%d GETs, want 2 (the stalled one and the resumption)", n)
		}
	})
	t.Run("stalled body stays stuck", func(t *testing.T) {
		t.Parallel()
		cfg := newContainer(t, srv)
		if err := newAzure(t, cfg, nil).Put(context.Background(), "obj", bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err := newAzure(t, quick(cfg, tryTimeout, 1), stall(true)).GetRange(context.Background(), "obj", 0, -1)
		if !errors.Is(err, objstore.ErrUnavailable) {
			t.Fatalf("got %v, want ErrUnavailable", err)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("a per-try timeout reads as the caller's deadline: %v", err)
		}
		if elapsed := time.Since(start); elapsed > 5*time.Second {
			t.Errorf("took %v", elapsed)
		}
	})
}

// stallingBody passes left bytes of a response body through and then
// blocks until ctx (the request's) ends.
type stallingBody struct {
	io.ReadCloser
	left int
	ctx  context.Context
}

func (b *stallingBody) Read(p []byte) (int, error) {
	if b.left == 0 {
		<-b.ctx.Done()
		return 0, b.ctx.Err()
	}
	if len(p) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= n
	return n, err
}

// TestAzureThrottling pins down retries of throttled requests: a request
// answered "busy" fewer times than MaxRetries succeeds after exactly that
// many retries; one answered "busy" every time fails after MaxRetries+1
// tries with ErrThrottled (429, 503, 500) or ErrUnavailable (502, 504).
func TestAzureThrottling(t *testing.T) {
	srv := azuritetest.Shared(t)
	const maxRetries = 3
	busyFor := func(kind string, times int, status int, code string) *faultTransport {
		return &faultTransport{fault: func(req *http.Request, k string, n int) (*http.Response, error) {
			if k == kind && n < times {
				return answer(req, status, code), nil
			}
			return nil, nil
		}}
	}

	t.Run("recovers", func(t *testing.T) {
		for _, op := range storeOps {
			t.Run(op.name, func(t *testing.T) {
				t.Parallel()
				cfg := newContainer(t, srv)
				withObj(t, cfg)
				const busy = maxRetries - 1
				ft := busyFor(op.kind, busy, http.StatusServiceUnavailable, "ServerBusy")
				if err := op.run(context.Background(), newAzure(t, quick(cfg, 5*time.Second, maxRetries), ft)); err != nil {
					t.Fatalf("after %d busy answers: %v", busy, err)
				}
				if n := ft.count(op.kind); n != busy+1 {
					t.Errorf("%d %s tries, want %d", n, op.kind, busy+1)
				}
			})
		}
	})

	t.Run("gives up", func(t *testing.T) {
		for _, op := range storeOps {
			t.Run(op.name, func(t *testing.T) {
				t.Parallel()
				cfg := newContainer(t, srv)
				withObj(t, cfg)
				ft := busyFor(op.kind, 1<<30, http.StatusServiceUnavailable, "ServerBusy")
				err := op.run(context.Background(), newAzure(t, quick(cfg, 5*time.Second, maxRetries), ft))
				if !errors.Is(err, objstore.ErrThrottled) {
					t.Fatalf("got %v, want ErrThrottled", err)
				}
				if n := ft.count(op.kind); n != maxRetries+1 {
					t.Errorf("%d %s tries, want %d", n, op.kind, maxRetries+1)
				}
			})
		}
	})

	t.Run("answers", func(t *testing.T) {
		for _, tc := range []struct {
			status int
			code   string
			want   error
		}{
			{http.StatusServiceUnavailable, "ServerBusy", objstore.ErrThrottled},
			{http.StatusServiceUnavailable, "", objstore.ErrThrottled},
			{http.StatusTooManyRequests, "", objstore.ErrThrottled},
			{http.StatusInternalServerError, "OperationTimedOut", objstore.ErrThrottled},
			{http.StatusInternalServerError, "InternalError", objstore.ErrThrottled},
			{http.StatusBadGateway, "", objstore.ErrUnavailable},
			{http.StatusGatewayTimeout, "", objstore.ErrUnavailable},
			{http.StatusRequestTimeout, "", objstore.ErrUnavailable},
		} {
			t.Run(fmt.Sprintf("%d %s", tc.status, tc.code), func(t *testing.T) {
				t.Parallel()
				cfg := newContainer(t, srv)
				withObj(t, cfg)
				ft := busyFor(kindGet, 1<<30, tc.status, tc.code)
				_, err := newAzure(t, quick(cfg, 5*time.Second, maxRetries), ft).GetRange(context.Background(), "obj", 0, -1)
				if !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
				if n := ft.count(kindGet); n != maxRetries+1 {
					t.Errorf("%d tries, want %d", n, maxRetries+1)
				}
			})
		}
	})
}

// deadEndpoint returns a blob endpoint on a loopback port nothing listens
// on.
func deadEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr + "/" + objstore.EmulatorAccount
}

// TestAzureUnreachable pins down that a store that cannot connect fails
// every operation and its check with ErrUnavailable after its retries, and
// that a store whose Azurite went away works again, with its data, once
// Azurite is back on the same address.
func TestAzureUnreachable(t *testing.T) {
	t.Run("nothing listening", func(t *testing.T) {
		cfg := azuritetest.Shared(t).Config("nobody-home")
		cfg.Endpoint = deadEndpoint(t)
		for _, op := range append(slices.Clone(storeOps), checkOp) {
			t.Run(op.name, func(t *testing.T) {
				ft := &faultTransport{}
				err := op.run(context.Background(), newAzure(t, quick(cfg, 5*time.Second, 2), ft))
				if !errors.Is(err, objstore.ErrUnavailable) {
					t.Fatalf("got %v, want ErrUnavailable", err)
				}
				if n := ft.count(op.kind); n != 3 {
					t.Errorf("%d %s tries, want 3 (MaxRetries 2)", n, op.kind)
				}
			})
		}
	})

	t.Run("stopped and restarted", func(t *testing.T) {
		t.Parallel()
		srv := azuritetest.Own(t, azuritetest.Options{Location: t.TempDir()})
		ctx := context.Background()
		cfg := newContainer(t, srv)
		st := newAzure(t, quick(cfg, 5*time.Second, 2), nil)
		if err := st.PutIfAbsent(ctx, "obj", []byte("durable")); err != nil {
			t.Fatal(err)
		}
		srv.Stop()
		if err := st.Check(ctx); !errors.Is(err, objstore.ErrUnavailable) {
			t.Fatalf("Check with Azurite stopped: %v, want ErrUnavailable", err)
		}
		if _, err := st.GetRange(ctx, "obj", 0, -1); !errors.Is(err, objstore.ErrUnavailable) {
			t.Fatalf("GetRange with Azurite stopped: %v, want ErrUnavailable", err)
		}
		if err := srv.Restart(ctx); err != nil {
			t.Fatal(err)
		}
		if err := st.Check(ctx); err != nil {
			t.Fatalf("Check after restart: %v", err)
		}
		if got, err := objstore.ReadAll(ctx, st, "obj"); err != nil || string(got) != "durable" {
			t.Fatalf("after restart: %q, %v", got, err)
		}
	})
}

// TestAzurePutIfAbsentAmbiguity pins down the commit point when the answer
// to PutIfAbsent's request is lost. If the request had in fact created the
// blob, the retry's 409 is this call's own doing and PutIfAbsent succeeds;
// if a rival's blob is there, it is ErrPreconditionFailed; if nothing was
// written, the failure stays a failure.
func TestAzurePutIfAbsentAmbiguity(t *testing.T) {
	srv := azuritetest.Shared(t)
	const maxRetries = 3
	// loseAnswer forwards req and reports 503 instead of Azurite's answer.
	loseAnswer := func(req *http.Request) (*http.Response, error) {
		resp, err := forward(req)
		if err != nil {
			return nil, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return serverBusy(req), nil
	}
	conditional := func(req *http.Request, kind string) bool {
		return kind == kindPut && req.Header.Get("If-None-Match") == "*"
	}
	for _, tc := range []struct {
		name string
		// fault misbehaves on the conditional PUTs; rival is the store
		// of another writer.
		fault func(req *http.Request, n int, rival objstore.Store) (*http.Response, error)
		// rivalFirst makes the rival create the key before the call.
		rivalFirst bool
		want       error  // nil, or a sentinel
		wantData   string // what the key holds afterwards; "" for nothing
		wantTries  int
	}{
		{
			name: "first answer lost",
			fault: func(req *http.Request, n int, _ objstore.Store) (*http.Response, error) {
				return loseFirst(req, n, loseAnswer)
			},
			want:      nil,
			wantData:  "mine",
			wantTries: 2,
		},
		{
			name:      "every answer lost",
			fault:     func(req *http.Request, _ int, _ objstore.Store) (*http.Response, error) { return loseAnswer(req) },
			want:      nil,
			wantData:  "mine",
			wantTries: maxRetries + 1,
		},
		{
			name:       "rival wrote first",
			rivalFirst: true,
			want:       objstore.ErrPreconditionFailed,
			wantData:   "rival",
			wantTries:  1,
		},
		{
			name: "rival wrote while the request was lost",
			fault: func(req *http.Request, n int, rival objstore.Store) (*http.Response, error) {
				if n > 0 {
					return nil, nil
				}
				if err := rival.PutIfAbsent(context.Background(), "commit", []byte("rival")); err != nil {
					return nil, err
				}
				return serverBusy(req), nil
			},
			want:      objstore.ErrPreconditionFailed,
			wantData:  "rival",
			wantTries: 2,
		},
		{
			name:      "request never arrived",
			fault:     func(req *http.Request, _ int, _ objstore.Store) (*http.Response, error) { return serverBusy(req), nil },
			want:      objstore.ErrThrottled,
			wantTries: maxRetries + 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			cfg := newContainer(t, srv)
			rival := newAzure(t, cfg, nil)
			if tc.rivalFirst {
				if err := rival.PutIfAbsent(ctx, "commit", []byte("rival")); err != nil {
					t.Fatal(err)
				}
			}
			ft := &faultTransport{fault: func(req *http.Request, kind string, n int) (*http.Response, error) {
				if tc.fault == nil || !conditional(req, kind) {
					return nil, nil
				}
				return tc.fault(req, n, rival)
			}}
			data := []byte("mine")
			err := newAzure(t, quick(cfg, 5*time.Second, maxRetries), ft).PutIfAbsent(ctx, "commit", data)
			copy(data, "XXXX") // the caller may reuse its slice once the call returns
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("PutIfAbsent: %v, want success", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("PutIfAbsent: %v, want %v", err, tc.want)
			}
			if n := ft.count(kindPut); n != tc.wantTries {
				t.Errorf("%d conditional PUTs, want %d", n, tc.wantTries)
			}
			got, err := objstore.ReadAll(ctx, rival, "commit")
			switch {
			case tc.wantData == "" && !errors.Is(err, objstore.ErrNotExist):
				t.Fatalf("key holds %q, %v; want nothing", got, err)
			case tc.wantData != "" && (err != nil || string(got) != tc.wantData):
				t.Fatalf("key holds %q, %v; want %q", got, err, tc.wantData)
			}
		})
	}
}

// loseFirst loses the answer to the first try only.
func loseFirst(req *http.Request, n int, lose func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	if n > 0 {
		return nil, nil
	}
	return lose(req)
}

// TestAzureLargePut pins down uploads larger than one block: they go up as
// Put Block requests in parallel (Concurrency of them) and one Put Block
// List, from a reader that cannot seek, and round-trip exactly. An upload
// that fails part way, because the reader fails or a block cannot be
// stored, returns an error and leaves the previous object as it was: no
// block list is committed.
func TestAzureLargePut(t *testing.T) {
	srv := azuritetest.Shared(t)
	const blockSize = 1 << 20 // the Azure SDK's smallest upload block
	data := make([]byte, 5*blockSize+17)
	for i := range data {
		data[i] = byte(i*7 + i>>11)
	}
	wantBlocks := (len(data) + blockSize - 1) / blockSize
	configure := func(t *testing.T) objstore.AzureConfig {
		cfg := quick(newContainer(t, srv), 5*time.Second, 1)
		cfg.BlockSize = blockSize
		cfg.Concurrency = 4
		return cfg
	}

	t.Run("parallel blocks", func(t *testing.T) {
		t.Parallel()
		var inflight, peak atomic.Int32
		second := make(chan struct{})
		var once sync.Once
		ft := &faultTransport{fault: func(req *http.Request, kind string, _ int) (*http.Response, error) {
			if kind != kindBlock {
				return nil, nil
			}
			now := inflight.Add(1)
			defer inflight.Add(-1)
			for p := peak.Load(); now > p && !peak.CompareAndSwap(p, now); p = peak.Load() {
			}
			if now >= 2 {
				once.Do(func() { close(second) })
			}
			// Hold each block until a second one is in flight: a serial
			// uploader would stall here until its per-try Timeout.
			select {
			case <-second:
			case <-req.Context().Done():
				return nil, req.Context().Err()
			}
			return forward(req)
		}}
		ctx := context.Background()
		st := newAzure(t, configure(t), ft)
		if err := st.Put(ctx, "big", struct{ io.Reader }{bytes.NewReader(data)}); err != nil {
			t.Fatal(err)
		}
		got, err := objstore.ReadAll(ctx, st, "big")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("read back %d bytes, not the %d written", len(got), len(data))
		}
		if p := peak.Load(); p < 2 {
			t.Errorf("at most %d Put Block in flight, want at least 2", p)
		}
		if n := ft.count(kindBlock); n != wantBlocks {
			t.Errorf("%d Put Block requests, want %d", n, wantBlocks)
		}
		if n := ft.count(kindBlockList); n != 1 {
			t.Errorf("%d Put Block List requests, want 1", n)
		}
		if n := ft.count(kindPut); n != 0 {
			t.Errorf("%d Put Blob requests, want 0", n)
		}
	})

	t.Run("sizes", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		cfg := configure(t)
		for _, size := range []int{0, 1, blockSize - 1, blockSize, blockSize + 1, 2 * blockSize, 5*blockSize + 3} {
			ft := &faultTransport{}
			st := newAzure(t, cfg, ft)
			key := fmt.Sprintf("size-%d", size)
			if err := st.Put(ctx, key, struct{ io.Reader }{bytes.NewReader(data[:size])}); err != nil {
				t.Fatalf("Put %d bytes: %v", size, err)
			}
			got, err := objstore.ReadAll(ctx, st, key)
			if err != nil || !bytes.Equal(got, data[:size]) {
				t.Fatalf("Put %d bytes, read back %d, %v", size, len(got), err)
			}
			wantBlocks, wantLists, wantPuts := 0, 0, 1
			if size >= blockSize {
				wantBlocks, wantLists, wantPuts = (size+blockSize-1)/blockSize, 1, 0
			}
			if b, l, p := ft.count(kindBlock), ft.count(kindBlockList), ft.count(kindPut); b != wantBlocks || l != wantLists || p != wantPuts {
				t.Errorf("Put %d bytes: %d Put Block, %d Put Block List, %d Put Blob; want %d, %d, %d",
					size, b, l, p, wantBlocks, wantLists, wantPuts)
			}
		}
	})

	errReader := errors.New("reader broke")
	for _, tc := range []struct {
		name  string
		r     func() io.Reader
		fault func(req *http.Request, kind string, n int) (*http.Response, error)
		// cancelAtBlock, when positive, makes the caller cancel its
		// context as that Put Block (counting from 0) goes out.
		cancelAtBlock int
		want          error
	}{
		{
			name: "reader fails after 1.5 blocks",
			r: func() io.Reader {
				return io.MultiReader(bytes.NewReader(data[:3*blockSize/2]), iotestErrorReader{errReader})
			},
			want: errReader,
		},
		{
			name: "a block is refused",
			r:    func() io.Reader { return struct{ io.Reader }{bytes.NewReader(data)} },
			fault: func(req *http.Request, kind string, n int) (*http.Response, error) {
				if kind == kindBlock && n >= 3 {
					return serverBusy(req), nil
				}
				return nil, nil
			},
			want: objstore.ErrThrottled,
		},
		{
			name:          "caller cancels",
			r:             func() io.Reader { return struct{ io.Reader }{bytes.NewReader(data)} },
			cancelAtBlock: 3,
			want:          context.Canceled,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := configure(t)
			old := []byte("the previous object")
			if err := newAzure(t, cfg, nil).Put(context.Background(), "big", bytes.NewReader(old)); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ft := &faultTransport{fault: tc.fault}
			if tc.cancelAtBlock > 0 {
				ft.fault = func(req *http.Request, kind string, n int) (*http.Response, error) {
					if kind == kindBlock && n == tc.cancelAtBlock {
						cancel()
						return hang(req)
					}
					return nil, nil
				}
			}
			st := newAzure(t, cfg, ft)
			err := st.Put(ctx, "big", tc.r())
			if !errors.Is(err, tc.want) {
				t.Fatalf("Put: %v, want %v", err, tc.want)
			}
			if n := ft.count(kindBlockList); n != 0 {
				t.Errorf("%d Put Block List requests after a failed upload, want 0", n)
			}
			got, err := objstore.ReadAll(context.Background(), st, "big")
			if err != nil || !bytes.Equal(got, old) {
				t.Fatalf("after the failed Put the object holds %d bytes, %v; want the previous %q", len(got), err, old)
			}
		})
	}
}

// iotestErrorReader fails every read with err.
type iotestErrorReader struct{ err error }

func (r iotestErrorReader) Read([]byte) (int, error) { return 0, r.err }

// TestAzureListPaging pins down listing across pages: more than one page
// (1,000 blobs) of objects is listed completely and in key order, one List
// Blobs request per page, only objects under the store's root; and a caller
// that stops after the first object costs one request.
func TestAzureListPaging(t *testing.T) {
	t.Parallel()
	srv := azuritetest.Shared(t)
	ctx := context.Background()
	cfg := newContainer(t, srv)
	root := newAzure(t, cfg, nil)
	cfg.Prefix = "tables/t1"
	st := newAzure(t, cfg, nil)

	const count = 1100
	want := make([]string, count)
	for i := range want {
		want[i] = fmt.Sprintf("data/%04d.lance", i)
	}
	// Outside the store's root, before and after it in key order.
	for _, k := range []string{"tables/t0/x", "tables/t2/x", "tables/t1x"} {
		if err := root.Put(ctx, k, strings.NewReader("outside")); err != nil {
			t.Fatal(err)
		}
	}
	keys := make(chan string)
	errs := make(chan error, count)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range keys {
				errs <- st.PutIfAbsent(ctx, k, []byte(k))
			}
		}()
	}
	// Feed the keys in reverse, so creation order is not key order.
	for i := count - 1; i >= 0; i-- {
		keys <- want[i]
	}
	close(keys)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	t.Run("complete", func(t *testing.T) {
		ft := &faultTransport{}
		var got []string
		for info, err := range newAzure(t, cfg, ft).List(ctx, "") {
			if err != nil {
				t.Fatal(err)
			}
			if info.Size != int64(len(info.Key)) || info.ETag == "" {
				t.Errorf("%s: size %d, ETag %q", info.Key, info.Size, info.ETag)
			}
			got = append(got, info.Key)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("listed %d keys, want the %d written in order", len(got), len(want))
		}
		if n := ft.count(kindList); n != 2 {
			t.Errorf("%d List Blobs requests, want 2", n)
		}
	})
	t.Run("early stop", func(t *testing.T) {
		ft := &faultTransport{}
		var got []string
		for info, err := range newAzure(t, cfg, ft).List(ctx, "data/") {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, info.Key)
			break
		}
		if !slices.Equal(got, want[:1]) {
			t.Fatalf("first key %q, want %q", got, want[:1])
		}
		if n := ft.count(kindList); n != 1 {
			t.Errorf("%d List Blobs requests, want 1", n)
		}
	})
}
