package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sort"
	"strings"

	"github.com/lancegate/lancegate/gateway"
	"github.com/lancegate/lancegate/gateway/pgwire"
	"github.com/lancegate/lancegate/storage/objstore"
)

// serveConfig holds serve's flags.
type serveConfig struct {
	listen   string
	storage  string
	role     string
	auth     string
	password string
	tlsCert  string
	tlsKey   string
	logLevel string
	options  storageOptions
}

// storageOptions collects repeated --storage-option key=value flags.
type storageOptions map[string]string

func (o storageOptions) String() string {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

// Set takes key=value, or several separated by commas (the form
// LANCEGATE_STORAGE_OPTION carries).
func (o storageOptions) Set(v string) error {
	for _, kv := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || k == "" {
			return fmt.Errorf("want key=value, got %q", kv)
		}
		o[k] = val
	}
	return nil
}

func serveFlags(stderr io.Writer) (*flag.FlagSet, *serveConfig) {
	c := &serveConfig{options: storageOptions{}}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.listen, "listen", "127.0.0.1:5433", "pgwire listen address")
	fs.StringVar(&c.storage, "storage", "./lancegate-data", "storage root: a folder, file:///abs/path, memory://, or az://container/prefix")
	fs.Var(c.options, "storage-option", "Azure storage option key=value, named as Lance names them (repeatable; AZURE_* environment variables are read too)")
	fs.StringVar(&c.role, "role", "all", "role to run: all (query, executor and agent in one process)")
	fs.StringVar(&c.auth, "auth", "trust", "client authentication: trust or scram")
	fs.StringVar(&c.password, "password", "", "password of user lancegate for --auth scram (LANCEGATE_PASSWORD)")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "TLS certificate file (PEM); with --tls-key enables TLS")
	fs.StringVar(&c.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	return fs, c
}

// applyEnv sets every flag not given on the command line from its
// LANCEGATE_<FLAG> environment variable.
func applyEnv(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		env := "LANCEGATE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s: %w", env, e)
			}
		}
	})
	return err
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs, c := serveFlags(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if err := applyEnv(fs); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if c.role != "all" {
		return fmt.Errorf("--role %s: only the embedded role \"all\" is available in this build", c.role)
	}
	// Azure options apply to an Azure root and to tables created WITH
	// (location = …) in other containers and accounts.
	azureOptions := objstore.AzureEnvOptions(os.Environ())
	for k, v := range c.options {
		azureOptions[k] = v
	}
	if err := objstore.ValidateAzureOptions(azureOptions); err != nil {
		return fmt.Errorf("--storage-option: %w", err)
	}
	var rootOptions map[string]string
	if objstore.IsAzureURI(c.storage) {
		rootOptions = azureOptions
	}
	store, err := objstore.Open(ctx, c.storage, rootOptions)
	if err != nil {
		return fmt.Errorf("--storage %s: %w", c.storage, err)
	}
	if s, ok := store.(fmt.Stringer); ok {
		logger.Info("storage opened", "location", s.String())
	}
	cfg := pgwire.Config{Logger: logger}
	switch c.auth {
	case "trust":
	case "scram":
		if c.password == "" {
			return errors.New("--auth scram needs --password (or LANCEGATE_PASSWORD)")
		}
		cfg.Auth = pgwire.SCRAMPasswords(map[string]string{"lancegate": c.password})
	default:
		return fmt.Errorf("--auth %s: want trust or scram", c.auth)
	}
	if c.tlsCert != "" || c.tlsKey != "" {
		cert, err := tls.LoadX509KeyPair(c.tlsCert, c.tlsKey)
		if err != nil {
			return fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	eng := gateway.NewEngine(store, gateway.Options{Version: version, Logger: logger, Locations: objstore.NewOpener(azureOptions, nil)})
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return err
	}
	logger.Info("lancegate serving", "listen", ln.Addr().String(), "storage", c.storage, "auth", c.auth, "tls", cfg.TLS != nil, "version", version)
	srv := pgwire.NewServer(cfg, eng)
	return srv.Serve(ctx, ln)
}
