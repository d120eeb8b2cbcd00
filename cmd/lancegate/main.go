// Command lancegate is the one lancegate binary: the query node, plan
// executor and agent roles (all three in one process by default), plus
// operator subcommands.
//
//	lancegate serve [flags]    run the server (see `lancegate serve -h`)
//	lancegate job [flags]      run one maintenance job (see `lancegate job -h`)
//	lancegate health [flags]   check a running lancegate's health endpoint
//	lancegate version          print the version
//	lancegate dev-kafka        development only: an in-memory Kafka broker
//
// Every flag of serve and job also reads the environment variable LANCEGATE_<FLAG>
// (upper case, '-' as '_'), e.g. LANCEGATE_STORAGE; a flag given on the
// command line wins.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	if _, err := applyMemoryLimit(os.Getenv); err != nil {
		fmt.Fprintln(stderr, "lancegate:", err)
		return 2
	}
	switch args[0] {
	case "serve":
		if err := serve(ctx, args[1:], stderr); err != nil {
			fmt.Fprintln(stderr, "lancegate:", err)
			return 1
		}
		return 0
	case "job":
		if err := job(ctx, args[1:], stderr); err != nil {
			fmt.Fprintln(stderr, "lancegate:", err)
			return 1
		}
		return 0
	case "health":
		if err := health(ctx, args[1:], stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "lancegate:", err)
			return 1
		}
		return 0
	case "dev-kafka":
		if err := devKafka(ctx, args[1:], stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "lancegate:", err)
			return 1
		}
		return 0
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "lancegate", version)
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "lancegate: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: lancegate <command> [flags]

commands:
  serve     run lancegate (query node and agent; embedded default); --role picks one
  job       run one maintenance job (compact, cleanup, index) on one table
  health    check a running lancegate's /healthz or /readyz (the image's HEALTHCHECK)
  version   print the version

development only:
  dev-kafka run an in-memory Kafka-protocol broker (deploy/rehearse.sh)
`)
}
