// Package azuritetest runs Azurite, Microsoft's Azure Storage emulator, for
// tests: the Azure backend of objstore is tested against a real Blob
// service speaking the real REST protocol, not a mock.
//
// `make test` installs Azurite with npm (package.json and package-lock.json
// here pin it; 3.35 is the last line that runs on Node 20) and points
// LANCEGATE_AZURITE at its azurite-blob script. A test package that uses
// Azurite calls Main from its TestMain; the first test that asks for a
// store starts one Azurite process for the whole package, on a free
// loopback port, in memory, and Main stops it when the tests end. Each
// store lives in a fresh container, so tests do not see each other's
// objects.
//
// Without LANCEGATE_AZURITE the Azure variants of tests are skipped, unless
// LANCEGATE_REQUIRE_INTEROP=1 (set by `make test`), which makes them fail:
// CI never silently skips them.
package azuritetest

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/lancegate/lancegate/storage/objstore"
)

// Options configure a Server.
type Options struct {
	// Location is the folder Azurite keeps its data in; empty keeps it in
	// memory. Data in a Location survives Restart.
	Location string
	// Port is the port to listen on; zero picks a free one.
	Port int
	// Cert and Key are PEM files of a certificate and its private key.
	// With Cert set (Key must be too) Azurite serves HTTPS with them,
	// Endpoint says https://, and requests must go through a transport
	// that trusts Cert. Empty serves plain HTTP.
	Cert, Key string
	// OAuth makes Azurite accept bearer tokens (--oauth basic) besides the
	// shared key. Azurite accepts them only over HTTPS, so OAuth needs
	// Cert and Key. It checks a token's issuer, audience and lifetime,
	// not its signature.
	OAuth bool
}

// Server is a running Azurite blob service.
type Server struct {
	bin  string
	opts Options

	mu   sync.Mutex
	cmd  *exec.Cmd
	port int
	done chan struct{} // closed when cmd exits
}

// Binary returns the azurite-blob script named by LANCEGATE_AZURITE.
func Binary() (string, error) {
	bin := os.Getenv("LANCEGATE_AZURITE")
	if bin == "" {
		return "", errors.New("LANCEGATE_AZURITE is not set; `make test` installs Azurite and sets it")
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("LANCEGATE_AZURITE: %w", err)
	}
	return bin, nil
}

// Start starts Azurite and waits until it listens.
func Start(ctx context.Context, bin string, opts Options) (*Server, error) {
	s := &Server{bin: bin, opts: opts, port: opts.Port}
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

var listening = regexp.MustCompile(`successfully listens on https?://127\.0\.0\.1:(\d+)`)

func (s *Server) start(ctx context.Context) error {
	args := []string{"--blobHost", "127.0.0.1", "--blobPort", strconv.Itoa(s.port),
		"--skipApiVersionCheck", "--disableTelemetry", "--silent", "--loose"}
	if s.opts.Location == "" {
		args = append(args, "--inMemoryPersistence")
	} else {
		args = append(args, "--location", s.opts.Location)
	}
	if s.opts.Cert != "" {
		args = append(args, "--cert", s.opts.Cert, "--key", s.opts.Key)
	}
	if s.opts.OAuth {
		args = append(args, "--oauth", "basic")
	}
	cmd := exec.Command(s.bin, args...)
	dieWithParent(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("azurite: %w", err)
	}
	ports := make(chan int, 1)
	var transcript []string
	var tmu sync.Mutex
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			tmu.Lock()
			transcript = append(transcript, line)
			tmu.Unlock()
			if m := listening.FindStringSubmatch(line); m != nil {
				p, _ := strconv.Atoi(m[1])
				ports <- p
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	timer := time.NewTimer(60 * time.Second)
	defer timer.Stop()
	select {
	case p := <-ports:
		s.mu.Lock()
		s.cmd, s.port, s.done = cmd, p, done
		s.mu.Unlock()
		return nil
	case <-done:
		tmu.Lock()
		defer tmu.Unlock()
		return fmt.Errorf("azurite exited before listening: %v", transcript)
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		return ctx.Err()
	case <-timer.C:
		_ = cmd.Process.Kill()
		return errors.New("azurite did not listen within 60s")
	}
}

// Stop shuts Azurite down and waits for it to exit. It asks with SIGTERM
// first, so that Azurite writes its metadata database out (Azurite, unlike
// Azure, keeps committed metadata in memory between autosaves; a killed
// Azurite forgets recent writes, which would be an artefact of the emulator
// rather than the fault under test), and kills it if it has not exited
// after 10 seconds.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		_ = cmd.Process.Kill()
		<-done
	}
}

// Restart starts a stopped Azurite again on the same port and location.
func (s *Server) Restart(ctx context.Context) error {
	s.Stop()
	return s.start(ctx)
}

// Endpoint is the blob service URL of the emulator account.
func (s *Server) Endpoint() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	scheme := "http"
	if s.opts.Cert != "" {
		scheme = "https"
	}
	return fmt.Sprintf("%s://127.0.0.1:%d/%s", scheme, s.port, objstore.EmulatorAccount)
}

// Port is the port Azurite listens on.
func (s *Server) Port() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.port
}

// Config returns the configuration of a store in container, authenticated
// with the emulator account's shared key, retrying briefly so that faults
// show quickly.
func (s *Server) Config(containerName string) objstore.AzureConfig {
	return objstore.AzureConfig{
		Account:       objstore.EmulatorAccount,
		AccountKey:    objstore.EmulatorKey,
		Endpoint:      s.Endpoint(),
		Container:     containerName,
		Timeout:       20 * time.Second,
		MaxRetries:    3,
		RetryDelay:    50 * time.Millisecond,
		MaxRetryDelay: 500 * time.Millisecond,
	}
}

// NewContainerName returns a container name no other call returns.
func NewContainerName() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "t-" + hex.EncodeToString(b[:])
}

// CreateContainer creates a container, with the emulator account's shared
// key (which Azurite accepts with OAuth on too). Over HTTPS it trusts
// Options.Cert.
func (s *Server) CreateContainer(ctx context.Context, name string) error {
	cred, err := container.NewSharedKeyCredential(objstore.EmulatorAccount, objstore.EmulatorKey)
	if err != nil {
		return err
	}
	var opts *container.ClientOptions
	if s.opts.Cert != "" {
		pem, err := os.ReadFile(s.opts.Cert)
		if err != nil {
			return err
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return fmt.Errorf("azurite: no certificate in %s", s.opts.Cert)
		}
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
		defer tr.CloseIdleConnections()
		opts = &container.ClientOptions{ClientOptions: policy.ClientOptions{Transport: &http.Client{Transport: tr}}}
	}
	c, err := container.NewClientWithSharedKeyCredential(s.Endpoint()+"/"+name, cred, opts)
	if err != nil {
		return err
	}
	_, err = c.Create(ctx, nil)
	return err
}

// NewStore creates a fresh container and returns a store in it, rooted at
// prefix (may be empty). transport, when not nil, carries the store's
// requests.
func (s *Server) NewStore(tb testing.TB, prefix string, transport policy.Transporter) *objstore.Azure {
	tb.Helper()
	name := NewContainerName()
	if err := s.CreateContainer(context.Background(), name); err != nil {
		tb.Fatalf("azurite: create container: %v", err)
	}
	cfg := s.Config(name)
	cfg.Prefix = prefix
	st, err := objstore.NewAzure(cfg, transport)
	if err != nil {
		tb.Fatalf("azurite: %v", err)
	}
	return st
}
