package objstore_test

// Tests of the Azure backend's token-credential path: workload identity, as
// on AKS, end to end against a real Azurite that accepts bearer tokens
// (--oauth basic, over HTTPS).
//
// Microsoft Entra ID cannot be reached from a test, so wiEntra stands in
// for it: an HTTPS server speaking the part of its protocol MSAL (under
// azidentity's WorkloadIdentityCredential) uses — instance discovery,
// OpenID configuration, and the client-credentials token request with a
// client assertion — and issuing JWTs whose claims Azurite accepts.
// Azurite's basic OAuth (src/blob/authentication/BlobTokenAuthenticator.ts)
// checks nbf, exp and iat, an issuer starting with https://sts.windows.net/
// (or the China, Germany or PPE STS), and an audience of
// https://storage.azure.com, the storage app id
// e406a681-f3d4-42a8-90b6-c2b029497af1 or
// https://<account>.blob.core.windows.net; it checks no signature.
//
// The store's transport (NewAzure's second argument) carries both the
// storage and the token requests. It trusts the test's certificate, and
// routes login.microsoftonline.com — where MSAL asks whether an authority
// host it does not know (here https://127.0.0.1:<port>) is valid — to the
// stand-in. It dials nothing else but loopback.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/azuritetest"
	"github.com/lancegate/lancegate/storage/objstore/objstoretest"
)

const (
	wiTenant   = "5f0c7a1e-3b2d-4c8e-9a61-0d4e2b7c9f13"
	wiClientID = "9d2b6e41-7c3a-4f58-b0e2-6a1f8c4d3e27"
	// wiDiscoveryHost is where MSAL sends instance discovery for an
	// authority host it does not trust by name.
	wiDiscoveryHost = "login.microsoftonline.com"
	// wiStorageScope is the scope azblob asks tokens for.
	wiStorageScope = "https://storage.azure.com/.default"
)

// TestAzureWorkloadIdentity runs the store with a workload identity
// credential against an Azurite that authorizes only by bearer token (the
// store has no key), through the token service stand-in.
func TestAzureWorkloadIdentity(t *testing.T) {
	pki := wiNewPKI(t)
	srv := azuritetest.Own(t, azuritetest.Options{Cert: pki.certFile, Key: pki.keyFile, OAuth: true})
	if !strings.HasPrefix(srv.Endpoint(), "https://") {
		t.Fatalf("Endpoint() = %s; want https://", srv.Endpoint())
	}
	azuriteHost := fmt.Sprintf("127.0.0.1:%d", srv.Port())
	assertion := "eyJhbGciOiJSUzI1NiJ9.projected-service-account-token." + wiRandom()
	tokenFile := filepath.Join(t.TempDir(), "azure-identity-token")
	if err := os.WriteFile(tokenFile, []byte(assertion), 0o600); err != nil {
		t.Fatal(err)
	}

	// newStore returns a store in a fresh container authenticating with
	// workload identity through entra.
	newStore := func(t *testing.T, entra *wiEntra, tokenFile string) (*objstore.Azure, *wiTransport) {
		t.Helper()
		name := azuritetest.NewContainerName()
		if err := srv.CreateContainer(t.Context(), name); err != nil {
			t.Fatalf("create container: %v", err)
		}
		cfg := objstore.AzureConfig{
			Account:            objstore.EmulatorAccount,
			Endpoint:           srv.Endpoint(),
			Container:          name,
			ClientID:           wiClientID,
			TenantID:           wiTenant,
			FederatedTokenFile: tokenFile,
			AuthorityHost:      entra.srv.URL + "/",
			Timeout:            10 * time.Second,
			MaxRetries:         2,
			RetryDelay:         50 * time.Millisecond,
			MaxRetryDelay:      200 * time.Millisecond,
		}
		if k := cfg.Credential(); k != objstore.CredWorkload {
			t.Fatalf("Credential() = %s; want %s", k, objstore.CredWorkload)
		}
		tr := entra.transport(t, pki.roots, azuriteHost)
		st, err := objstore.NewAzure(cfg, tr)
		if err != nil {
			t.Fatal(err)
		}
		return st, tr
	}

	t.Run("Conformance", func(t *testing.T) {
		entra := wiNewEntra(t, pki, assertion)
		var stores atomic.Int64
		var transports []*wiTransport
		var mu sync.Mutex
		objstoretest.Run(t, func(t *testing.T) objstore.Store {
			st, tr := newStore(t, entra, tokenFile)
			stores.Add(1)
			mu.Lock()
			transports = append(transports, tr)
			mu.Unlock()
			return st
		})
		var storage int64
		for _, tr := range transports {
			storage += tr.storage.Load()
			tr.checkBearer(t, entra)
		}
		tokens := entra.tokens.Load()
		t.Logf("%d stores, %d storage requests, %d token requests", stores.Load(), storage, tokens)
		if tokens == 0 || tokens > stores.Load() {
			t.Errorf("%d token requests for %d stores; want 1 to %d (one credential per store, its token reused)", tokens, stores.Load(), stores.Load())
		}
		if storage < 10*tokens {
			t.Errorf("%d storage requests for %d token requests; want the token reused", storage, tokens)
		}
		if n := entra.rejected.Load(); n != 0 {
			t.Errorf("the token service rejected %d requests", n)
		}
	})

	t.Run("TokenReused", func(t *testing.T) {
		entra := wiNewEntra(t, pki, assertion)
		st, tr := newStore(t, entra, tokenFile)
		ctx := t.Context()
		if err := st.Check(ctx); err != nil {
			t.Fatalf("Check: %v", err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for i := range 8 {
			wg.Go(func() {
				key := fmt.Sprintf("dir/obj-%d", i)
				data := []byte(strings.Repeat(key, 100))
				if err := st.Put(ctx, key, strings.NewReader(string(data))); err != nil {
					errs <- fmt.Errorf("Put: %w", err)
					return
				}
				got, err := st.GetRange(ctx, key, 5, 10)
				if err != nil || string(got) != string(data[5:15]) {
					errs <- fmt.Errorf("GetRange = %q, %v; want %q", got, err, data[5:15])
				}
				if err := st.PutIfAbsent(ctx, key, []byte("x")); !errors.Is(err, objstore.ErrPreconditionFailed) {
					errs <- fmt.Errorf("PutIfAbsent over an object = %v; want ErrPreconditionFailed", err)
				}
				if err := st.PutIfAbsent(ctx, key+".new", []byte("x")); err != nil {
					errs <- fmt.Errorf("PutIfAbsent: %w", err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		var keys []string
		for info, err := range st.List(ctx, "dir/") {
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			keys = append(keys, info.Key)
		}
		if len(keys) != 16 {
			t.Errorf("List = %v; want 16 keys", keys)
		}
		for _, k := range keys {
			if err := st.Delete(ctx, k); err != nil {
				t.Fatalf("Delete(%q): %v", k, err)
			}
		}
		if _, err := st.Stat(ctx, keys[0]); !errors.Is(err, objstore.ErrNotExist) {
			t.Errorf("Stat after Delete = %v; want ErrNotExist", err)
		}
		tr.checkBearer(t, entra)
		storage := tr.storage.Load()
		if got := entra.tokens.Load(); got != 1 {
			t.Errorf("%d token requests for %d storage requests; want 1", got, storage)
		}
		// MSAL asks for instance discovery twice per credential: once to
		// resolve the authority's endpoints, once for its token cache's
		// host aliases; both answers are cached.
		if d, o := entra.discovery.Load(), entra.openid.Load(); d < 1 || d > 2 || o != 1 {
			t.Errorf("%d instance discovery and %d OpenID configuration requests; want 1 or 2, and 1", d, o)
		}
		if storage < 50 {
			t.Errorf("only %d storage requests", storage)
		}
	})

	// A token service that refuses the client fails every operation, and
	// the check, with ErrPermission naming the credential and the
	// service's answer; no request reaches storage without a token.
	t.Run("TokenServiceRefuses", func(t *testing.T) {
		entra := wiNewEntra(t, pki, assertion)
		entra.refuse = true
		st, tr := newStore(t, entra, tokenFile)
		for _, op := range wiOps {
			err := op.run(t.Context(), st)
			wiWantPermission(t, op.name, err, "invalid_client")
		}
		if entra.tokens.Load() == 0 {
			t.Error("no token request reached the token service")
		}
		if n := tr.storage.Load(); n != 0 {
			t.Errorf("%d storage requests without a token", n)
		}
	})

	// A federated token file that does not exist (the pod's projected
	// volume is missing) is ErrPermission, and nothing is sent to the
	// token endpoint.
	t.Run("TokenFileMissing", func(t *testing.T) {
		entra := wiNewEntra(t, pki, assertion)
		missing := filepath.Join(t.TempDir(), "no-such-token")
		st, tr := newStore(t, entra, missing)
		for _, op := range wiOps {
			err := op.run(t.Context(), st)
			wiWantPermission(t, op.name, err, "no-such-token")
		}
		if n := entra.tokens.Load(); n != 0 {
			t.Errorf("%d token requests without an assertion", n)
		}
		if n := tr.storage.Load(); n != 0 {
			t.Errorf("%d storage requests without a token", n)
		}
	})

	// Azurite really checks the token: one for another audience or from
	// another issuer is refused (403), which is ErrPermission too. Without
	// this, the tests above could pass against a service that ignores
	// the Authorization header.
	t.Run("AzuriteChecksClaims", func(t *testing.T) {
		for _, tc := range []struct{ name, aud, iss string }{
			{"audience", "https://vault.azure.net", ""},
			{"issuer", "", "https://evil.example.com/" + wiTenant + "/"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				entra := wiNewEntra(t, pki, assertion)
				if tc.aud != "" {
					entra.audience = tc.aud
				}
				if tc.iss != "" {
					entra.issuer = tc.iss
				}
				st, tr := newStore(t, entra, tokenFile)
				err := st.Check(t.Context())
				if !errors.Is(err, objstore.ErrPermission) || !strings.Contains(err.Error(), "403") {
					t.Fatalf("Check with a token of the wrong %s = %v; want ErrPermission (403)", tc.name, err)
				}
				if tr.storage.Load() == 0 || entra.tokens.Load() != 1 {
					t.Errorf("%d storage and %d token requests; want the token sent to storage", tr.storage.Load(), entra.tokens.Load())
				}
			})
		}
	})
}

// wiOps are the operations the failure tests run.
var wiOps = []struct {
	name string
	run  func(ctx context.Context, st *objstore.Azure) error
}{
	{"Check", func(ctx context.Context, st *objstore.Azure) error { return st.Check(ctx) }},
	{"Put", func(ctx context.Context, st *objstore.Azure) error { return st.Put(ctx, "k", strings.NewReader("v")) }},
	{"GetRange", func(ctx context.Context, st *objstore.Azure) error {
		_, err := st.GetRange(ctx, "k", 0, -1)
		return err
	}},
	{"List", func(ctx context.Context, st *objstore.Azure) error {
		for _, err := range st.List(ctx, "") {
			return err
		}
		return errors.New("List yielded nothing")
	}},
	{"PutIfAbsent", func(ctx context.Context, st *objstore.Azure) error { return st.PutIfAbsent(ctx, "k", []byte("v")) }},
	{"Delete", func(ctx context.Context, st *objstore.Azure) error { return st.Delete(ctx, "k") }},
}

// wiWantPermission fails the test unless err is ErrPermission from the
// credential, with detail in its message.
func wiWantPermission(t *testing.T, op string, err error, detail string) {
	t.Helper()
	if op == "Check" {
		t.Logf("Check: %v", err)
	}
	switch {
	case !errors.Is(err, objstore.ErrPermission):
		t.Errorf("%s = %v; want ErrPermission", op, err)
	case !strings.Contains(err.Error(), "credential"):
		t.Errorf("%s = %v; want the message to name the credential", op, err)
	case !strings.Contains(err.Error(), detail):
		t.Errorf("%s = %v; want the message to say %q", op, err, detail)
	}
}

// wiPKI is a self-signed certificate for 127.0.0.1 and wiDiscoveryHost,
// which Azurite and the token service stand-in both serve.
type wiPKI struct {
	certFile, keyFile string
	cert              tls.Certificate
	roots             *x509.CertPool
}

func wiNewPKI(t *testing.T) wiPKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: "lancegate test"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{wiDiscoveryHost},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	dir := t.TempDir()
	p := wiPKI{certFile: filepath.Join(dir, "cert.pem"), keyFile: filepath.Join(dir, "key.pem"), roots: x509.NewCertPool()}
	if err := os.WriteFile(p.certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if p.cert, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Fatal(err)
	}
	p.roots.AppendCertsFromPEM(certPEM)
	return p
}

// wiEntra stands in for Microsoft Entra ID's token service.
type wiEntra struct {
	srv       *httptest.Server
	assertion string // the client_assertion it accepts
	// audience and issuer are the aud and iss claims of the tokens it
	// issues; refuse makes it answer every token request 400
	// invalid_client. Set before the first request.
	audience, issuer string
	refuse           bool

	discovery, openid, tokens, rejected atomic.Int64

	mu     sync.Mutex
	issued map[string]bool
	signer []byte
}

func wiNewEntra(t *testing.T, pki wiPKI, assertion string) *wiEntra {
	t.Helper()
	e := &wiEntra{
		assertion: assertion,
		audience:  "https://storage.azure.com",
		issuer:    "https://sts.windows.net/" + wiTenant + "/",
		issued:    map[string]bool{},
		signer:    []byte(wiRandom()),
	}
	e.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.serve(t, w, r) }))
	e.srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.cert}}
	e.srv.StartTLS()
	t.Cleanup(e.srv.Close)
	return e
}

func (e *wiEntra) serve(t *testing.T, w http.ResponseWriter, r *http.Request) {
	base := e.srv.URL // https://127.0.0.1:<port>
	host := strings.TrimPrefix(base, "https://")
	tenantPath := "/" + wiTenant
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/common/discovery/instance":
		e.discovery.Add(1)
		q := r.URL.Query()
		if r.Host != wiDiscoveryHost || q.Get("api-version") != "1.1" ||
			q.Get("authorization_endpoint") != base+tenantPath+"/oauth2/v2.0/authorize" {
			t.Errorf("token service: unexpected instance discovery %s %s", r.Host, r.URL)
			reply(http.StatusBadRequest, map[string]any{"error": "invalid_instance"})
			return
		}
		reply(http.StatusOK, map[string]any{
			"api-version":               "1.1",
			"tenant_discovery_endpoint": base + tenantPath + "/v2.0/.well-known/openid-configuration",
			"metadata": []map[string]any{{
				"preferred_network": host, "preferred_cache": host, "aliases": []string{host},
			}},
		})
	case r.Method == http.MethodGet && r.URL.Path == tenantPath+"/v2.0/.well-known/openid-configuration":
		e.openid.Add(1)
		reply(http.StatusOK, map[string]any{
			"authorization_endpoint": base + tenantPath + "/oauth2/v2.0/authorize",
			"token_endpoint":         base + tenantPath + "/oauth2/v2.0/token",
			"issuer":                 base + tenantPath + "/v2.0",
		})
	case r.Method == http.MethodPost && r.URL.Path == tenantPath+"/oauth2/v2.0/token":
		e.tokens.Add(1)
		if err := r.ParseForm(); err != nil {
			reply(http.StatusBadRequest, map[string]any{"error": "invalid_request", "error_description": err.Error()})
			return
		}
		f := r.PostForm
		var problem string
		switch {
		case e.refuse:
			problem = "AADSTS700016: Application with identifier '" + f.Get("client_id") + "' was not found in the directory."
		case f.Get("grant_type") != "client_credentials":
			problem = "grant_type " + f.Get("grant_type")
		case f.Get("client_id") != wiClientID:
			problem = "client_id " + f.Get("client_id")
		case f.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
			problem = "client_assertion_type " + f.Get("client_assertion_type")
		case f.Get("client_assertion") != e.assertion:
			problem = "client_assertion is not the federated token"
		case !slices.Contains(strings.Fields(f.Get("scope")), wiStorageScope):
			problem = "scope " + f.Get("scope")
		}
		if problem != "" {
			if !e.refuse {
				e.rejected.Add(1)
				t.Errorf("token service: %s", problem)
			}
			reply(http.StatusBadRequest, map[string]any{
				"error": "invalid_client", "error_description": problem, "error_codes": []int{700016},
			})
			return
		}
		tok := e.issue()
		reply(http.StatusOK, map[string]any{
			"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": tok,
		})
	default:
		t.Errorf("token service: unexpected request %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	}
}

// issue returns a new access token, an HS256 JWT with the claims of an
// Entra ID app token for Azure Storage (Azurite checks no signature).
func (e *wiEntra) issue() string {
	now := time.Now().Unix()
	claims, _ := json.Marshal(map[string]any{
		"aud": e.audience, "iss": e.issuer, "iat": now - 60, "nbf": now - 60, "exp": now + 3599,
		"appid": wiClientID, "tid": wiTenant, "oid": wiClientID, "sub": wiClientID, "idtyp": "app", "ver": "1.0",
	})
	enc := base64.RawURLEncoding
	unsigned := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(claims)
	mac := hmac.New(sha256.New, e.signer)
	mac.Write([]byte(unsigned))
	tok := unsigned + "." + enc.EncodeToString(mac.Sum(nil))
	e.mu.Lock()
	e.issued[tok] = true
	e.mu.Unlock()
	return tok
}

// wiTransport is the transport of one store: an HTTP client trusting the
// test certificate that dials only loopback, routing wiDiscoveryHost to
// the token service stand-in. It counts the requests to Azurite and
// records their Authorization headers.
type wiTransport struct {
	client      *http.Client
	azuriteHost string
	storage     atomic.Int64

	mu    sync.Mutex
	auths map[string]int
}

func (e *wiEntra) transport(t *testing.T, roots *x509.CertPool, azuriteHost string) *wiTransport {
	entraAddr := strings.TrimPrefix(e.srv.URL, "https://")
	var d net.Dialer
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			switch {
			case addr == wiDiscoveryHost+":443":
				addr = entraAddr
			case strings.HasPrefix(addr, "127.0.0.1:"):
			default:
				return nil, fmt.Errorf("test transport: no route to %s", addr)
			}
			return d.DialContext(ctx, network, addr)
		},
		ForceAttemptHTTP2: true,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &wiTransport{client: &http.Client{Transport: tr}, azuriteHost: azuriteHost, auths: map[string]int{}}
}

// Do implements policy.Transporter.
func (w *wiTransport) Do(req *http.Request) (*http.Response, error) {
	if req.URL.Host == w.azuriteHost {
		w.storage.Add(1)
		w.mu.Lock()
		w.auths[req.Header.Get("Authorization")]++
		w.mu.Unlock()
	}
	return w.client.Do(req)
}

// checkBearer fails the test unless every storage request carried a
// bearer token entra issued.
func (w *wiTransport) checkBearer(t *testing.T, entra *wiEntra) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	entra.mu.Lock()
	defer entra.mu.Unlock()
	for auth, n := range w.auths {
		tok, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || !entra.issued[tok] {
			t.Errorf("%d storage requests with Authorization %.40q, not a token the service issued", n, auth)
		}
	}
}

func wiRandom() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
