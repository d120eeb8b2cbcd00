package sqltests

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// testPKI is a certificate authority and a server certificate it signed
// for localhost and 127.0.0.1, written as PEM files.
type testPKI struct {
	caFile, certFile, keyFile string
}

// newTestPKI writes a CA (ca.pem), and a server certificate (server.pem)
// and PKCS#8 key (server.key) for localhost / 127.0.0.1, into dir.
func newTestPKI(t *testing.T, dir, prefix string) testPKI {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: prefix + " test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := testPKI{
		caFile:   filepath.Join(dir, prefix+"-ca.pem"),
		certFile: filepath.Join(dir, prefix+"-server.pem"),
		keyFile:  filepath.Join(dir, prefix+"-server.key"),
	}
	write := func(path, typ string, der []byte, mode os.FileMode) {
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode); err != nil {
			t.Fatal(err)
		}
	}
	write(p.caFile, "CERTIFICATE", caDER, 0o644)
	write(p.certFile, "CERTIFICATE", der, 0o644)
	write(p.keyFile, "PRIVATE KEY", keyDER, 0o600)
	return p
}

// TestTLSVerifyFull starts the lancegate binary with a certificate signed
// by a test CA and connects with psql and pgx in sslmode=verify-full; a
// client trusting another CA is refused, and --tls-required refuses
// clients without TLS.
func TestTLSVerifyFull(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Fatal("psql is not installed; install postgresql-client")
	}
	dir := t.TempDir()
	pki := newTestPKI(t, dir, "good")
	other := newTestPKI(t, dir, "other")
	p := startProc(t, "serve", "--storage", t.TempDir(), "--listen", "127.0.0.1:0",
		"--auth", "scram", "--password", "s3cret", "--tls-cert", pki.certFile, "--tls-key", pki.keyFile, "--tls-required",
		"--policy", "compaction.enabled=false")
	_, port, _ := net.SplitHostPort(p.addr)

	runPsql := func(sslmode, rootcert string) (string, error) {
		cmd := exec.Command(psql, "-X", "-At", "-h", "localhost", "-p", port, "-U", "lancegate", "-d", "lancegate",
			"-c", "SELECT current_user", "-c", "SHOW is_superuser")
		cmd.Env = append(os.Environ(), "PGPASSWORD=s3cret", "PGSSLMODE="+sslmode, "PGSSLROOTCERT="+rootcert, "PGCONNECT_TIMEOUT=10")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := runPsql("verify-full", pki.caFile); err != nil || strings.Fields(out)[0] != "lancegate" || strings.Fields(out)[1] != "on" {
		t.Errorf("psql verify-full: %v\n%s", err, out)
	}
	if out, err := runPsql("verify-full", other.caFile); err == nil || !strings.Contains(out, "certificate verify failed") {
		t.Errorf("psql verify-full with the wrong CA: %v\n%s", err, out)
	}
	if out, err := runPsql("disable", ""); err == nil || !strings.Contains(out, "no pg_hba.conf entry") {
		t.Errorf("psql without TLS under --tls-required: %v\n%s", err, out)
	}

	ctx := context.Background()
	dsn := func(mode, ca string) string {
		return "postgres://lancegate:s3cret@localhost:" + port + "/lancegate?sslmode=" + mode + "&sslrootcert=" + ca
	}
	c, err := pgx.Connect(ctx, dsn("verify-full", pki.caFile))
	if err != nil {
		t.Fatalf("pgx verify-full: %v", err)
	}
	defer c.Close(ctx)
	if c.PgConn().Conn().RemoteAddr() == nil {
		t.Fatal("no connection")
	}
	var user string
	if err := c.QueryRow(ctx, "SELECT current_user").Scan(&user); err != nil || user != "lancegate" {
		t.Fatalf("current_user over TLS: %v %q", err, user)
	}
	if _, err := pgx.Connect(ctx, dsn("verify-full", other.caFile)); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("pgx verify-full with the wrong CA: %v", err)
	}
	// 127.0.0.1 is in the certificate too.
	c2, err := pgx.Connect(ctx, "postgres://lancegate:s3cret@127.0.0.1:"+port+"/lancegate?sslmode=verify-full&sslrootcert="+pki.caFile)
	if err != nil {
		t.Fatalf("pgx verify-full by IP: %v", err)
	}
	c2.Close(ctx)

	// pgjdbc (what DBeaver and Metabase use) in verify-full.
	out := runJava(t, "lancegate.clients.TlsCheck", "PGPORT="+port, "PGPASSWORD=s3cret", "GOOD_CA="+pki.caFile, "OTHER_CA="+other.caFile)
	if !strings.Contains(out, "ok: verify-full with the server's CA") || !strings.Contains(out, "ok: verify-full with another CA refused") {
		t.Errorf("pgjdbc verify-full:\n%s", out)
	}
}

// runJava runs a class of the client suites' Java programs (make clients)
// with env added and returns its output, failing t when it exits non-zero.
func runJava(t testing.TB, class string, env ...string) string {
	t.Helper()
	dir := clientsDir(t)
	java, err := exec.LookPath("java")
	if err != nil {
		t.Fatal("java is not installed (make test needs Java 17)")
	}
	cp, err := os.ReadFile(filepath.Join(dir, "java", "classpath.txt"))
	if err != nil {
		t.Fatal(err)
	}
	classpath := filepath.Join(dir, "java", "target", "classes") + string(os.PathListSeparator) + strings.TrimSpace(string(cp))
	cmd := exec.Command(java, "-cp", classpath, class)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", class, err, out)
	}
	return string(out)
}
