package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
)

// fail translates an error of the Azure SDK into this package's sentinels,
// wrapped with the operation, the key and Azure's own words.
//
//	404 BlobNotFound                       ErrNotExist
//	404 ContainerNotFound                  ErrNoContainer
//	409 BlobAlreadyExists, 412             ErrPreconditionFailed
//	416 InvalidRange                       ErrInvalidRange
//	401, 403, a credential that fails      ErrPermission
//	429, 503, 500 after the retries        ErrThrottled
//	timeouts, refused connections          ErrUnavailable
//
// The caller's own cancellation or deadline stays context.Canceled or
// context.DeadlineExceeded; a per-request deadline that ran out while the
// caller's context is live is ErrUnavailable, not the caller's deadline.
func (a *Azure) fail(ctx context.Context, op, key string, err error) error {
	what := fmt.Sprintf("objstore: %s %s", op, a.desc)
	if key != "" {
		what = fmt.Sprintf("objstore: %s %q in %s", op, key, a.desc)
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		code := bloberror.Code(re.ErrorCode)
		detail := fmt.Sprintf("%d %s", re.StatusCode, re.ErrorCode)
		switch {
		case code == bloberror.ContainerNotFound:
			return fmt.Errorf("%s: %w (%s)", what, ErrNoContainer, detail)
		case re.StatusCode == http.StatusNotFound:
			return fmt.Errorf("%s: %w (%s)", what, ErrNotExist, detail)
		case code == bloberror.BlobAlreadyExists, re.StatusCode == http.StatusPreconditionFailed,
			re.StatusCode == http.StatusConflict && code == "":
			return fmt.Errorf("%s: %w (%s)", what, ErrPreconditionFailed, detail)
		case re.StatusCode == http.StatusRequestedRangeNotSatisfiable:
			return fmt.Errorf("%s: %w (%s)", what, ErrInvalidRange, detail)
		case re.StatusCode == http.StatusUnauthorized, re.StatusCode == http.StatusForbidden:
			return fmt.Errorf("%s: %w (%s)", what, ErrPermission, detail)
		case re.StatusCode == http.StatusTooManyRequests, re.StatusCode == http.StatusServiceUnavailable,
			re.StatusCode == http.StatusInternalServerError, code == bloberror.ServerBusy, code == bloberror.OperationTimedOut:
			return fmt.Errorf("%s: %w after retries (%s)", what, ErrThrottled, detail)
		case re.StatusCode == http.StatusBadGateway, re.StatusCode == http.StatusGatewayTimeout, re.StatusCode == http.StatusRequestTimeout:
			return fmt.Errorf("%s: %w after retries (%s)", what, ErrUnavailable, detail)
		}
		return fmt.Errorf("%s: %s: %w", what, detail, err)
	}
	var credErr *credentialError
	if errors.As(err, &credErr) {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", what, ctx.Err())
		}
		return fmt.Errorf("%s: %w: no usable Azure credential: %v", what, ErrPermission, credErr.err)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", what, ctx.Err())
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// The SDK reports its per-try deadline as DeadlineExceeded; with
		// the caller's context live, that is the store not answering.
		return fmt.Errorf("%s: %w: request timed out after retries: %v", what, ErrUnavailable, err)
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s: %w: %v", what, ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// credentialError marks an error of the token credential (workload or
// managed identity, the DefaultAzureCredential chain), which reaches fail
// wrapped by the SDK's pipeline.
type credentialError struct{ err error }

func (e *credentialError) Error() string { return e.err.Error() }
func (e *credentialError) Unwrap() error { return e.err }

// markedCredential wraps a token credential so that its failures are
// recognisable as credential failures.
type markedCredential struct{ azcore.TokenCredential }

func (m markedCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tok, err := m.TokenCredential.GetToken(ctx, opts)
	if err != nil && ctx.Err() == nil {
		return tok, &credentialError{err}
	}
	return tok, err
}
