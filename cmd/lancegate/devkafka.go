package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/lancegate/lancegate/storage/events"
)

// devKafka runs franz-go's kfake, an in-memory Kafka-protocol broker, in
// this process until ctx ends. It is a development tool: deploy/rehearse.sh
// uses it to run the production topology on one machine. It keeps nothing
// on disk, has no authentication, and is no part of serve or job.
func devKafka(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev-kafka", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:9092", "address of the broker; clients reach it at the address it listens on, so use a loopback or routable host, not 0.0.0.0")
	topic := fs.String("topic", events.DefaultTopic, "topic to create at start")
	partitions := fs.Int("partitions", events.DefaultPartitions, "partitions of --topic")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: lancegate dev-kafka [flags]\n\nDevelopment only: an in-memory Kafka-protocol broker (franz-go kfake) for local rehearsals.\n\n")
		fs.PrintDefaults()
	}
	// Not parseFlags: the LANCEGATE_* variables are serve's, and
	// LANCEGATE_LISTEN must not move the broker.
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if _, _, err := net.SplitHostPort(*listen); err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	if *partitions < 1 {
		return fmt.Errorf("--partitions %d: want at least 1", *partitions)
	}
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) { return net.Listen(network, *listen) }),
		kfake.SeedTopics(int32(*partitions), *topic),
		kfake.AllowAutoTopicCreation(),
	)
	if err != nil {
		return fmt.Errorf("dev-kafka: %w", err)
	}
	defer c.Close()
	fmt.Fprintf(stdout, "dev-kafka listening on %s (topic %s, %d partitions)\n", c.ListenAddrs()[0], *topic, *partitions)
	<-ctx.Done()
	return nil
}
