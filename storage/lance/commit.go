package lance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/lancegate/lancegate/storage/lance/datafile"
	"github.com/lancegate/lancegate/storage/lance/pb"
	"github.com/lancegate/lancegate/storage/objstore"
)

// WriterVersion is the version lancegate records in every manifest's
// writer_version (library "lancegate").
const WriterVersion = "0.1.0"

// maxCommitAttempts is how often a commit retries after losing the race
// for the next version, as pylance does.
const maxCommitAttempts = 20

// commitSpec is one commit: the transaction to record and how to build the
// next manifest from the newest one.
type commitSpec struct {
	txn *pb.Transaction
	// build turns the newest manifest and index section (both nil when
	// creating) into the next manifest's content. It may return its inputs
	// modified: they are private copies.
	build func(latest *pb.Manifest, indices *pb.IndexSection) (*pb.Manifest, *pb.IndexSection, error)
	// format is the dataset's data file version.
	format datafile.Version
	// scheme names manifests: the dataset's own, V2 for a new dataset.
	scheme namingScheme
	// create means there must be no dataset yet.
	create bool
	// written lists the data and deletion files the commit refers to, to
	// delete if the commit definitely fails.
	written []string
}

// commit records spec on top of base (nil when creating) and returns the
// dataset at the committed version. It writes the transaction file, then
// tries to create manifest latest+1 with a conditional put; on a lost race
// it re-reads, checks the intervening transactions for conflicts, rebuilds
// on the newer manifest and tries again with backoff. If it fails, no
// manifest was written and the previous version stays current.
func commit(ctx context.Context, store objstore.Store, root string, base *Dataset, spec commitSpec) (*Dataset, error) {
	readVersion := uint64(0)
	if base != nil {
		readVersion = base.Version()
	}
	spec.txn.ReadVersion = readVersion
	spec.txn.Uuid = uuid.NewString()
	txnName := transactionFileName(spec.txn)
	txnKey := objstore.Join(root, transactionsDir, txnName)
	txnBytes, err := proto.Marshal(spec.txn)
	if err != nil {
		return nil, err
	}
	if err := store.Put(ctx, txnKey, bytes.NewReader(txnBytes)); err != nil {
		// No manifest can refer to the files yet: they are garbage.
		cleanup(store, append(spec.written, txnKey))
		return nil, fmt.Errorf("write transaction: %w", err)
	}
	ds, err := commitLoop(ctx, store, root, readVersion, txnName, spec)
	if err != nil && (errors.Is(err, ErrCommitConflict) || errors.Is(err, ErrExists)) {
		// Definitely not committed: remove what only this commit referred to.
		cleanup(store, append(spec.written, txnKey))
	}
	return ds, err
}

func cleanup(store objstore.Store, keys []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, k := range keys {
		if err := store.Delete(ctx, k); err != nil {
			slog.Warn("lance: could not remove file of a failed commit", "key", k, "err", err)
		}
	}
}

func commitLoop(ctx context.Context, store objstore.Store, root string, readVersion uint64, txnName string, spec commitSpec) (*Dataset, error) {
	checked := readVersion
	var firstAttempt time.Duration
	for attempt := 0; attempt < maxCommitAttempts; attempt++ {
		start := time.Now()
		latest, idx, scheme, err := latestForCommit(ctx, store, root, spec)
		if err != nil {
			return nil, err
		}
		var latestVersion uint64
		if latest != nil {
			latestVersion = latest.Version
			if err := checkSince(ctx, store, root, spec.txn, checked, latestVersion, latest); err != nil {
				return nil, err
			}
			checked = latestVersion
		}
		next, nextIdx, err := spec.build(latest, idx)
		if err != nil {
			return nil, err
		}
		finishManifest(next, latest, latestVersion+1, txnName, spec.format)
		var idxBytes []byte
		if nextIdx != nil {
			idxBytes, err = proto.MarshalOptions{Deterministic: true}.Marshal(nextIdx)
			if err != nil {
				return nil, err
			}
		}
		data, err := encodeManifest(next, idxBytes)
		if err != nil {
			return nil, err
		}
		ref := manifestRef{version: next.Version, scheme: scheme, key: objstore.Join(root, versionsDir, scheme.name(next.Version)), size: int64(len(data))}
		err = store.PutIfAbsent(ctx, ref.key, data)
		if err == nil || landed(ctx, store, ref.key, txnName) {
			mf, derr := decodeManifest(data)
			if derr != nil {
				return nil, derr
			}
			return fromManifest(store, root, ref, mf)
		}
		if !errors.Is(err, objstore.ErrPreconditionFailed) {
			return nil, fmt.Errorf("commit version %d: %w", next.Version, err)
		}
		if spec.create {
			return nil, fmt.Errorf("%w: %s", ErrExists, root)
		}
		if attempt == 0 {
			firstAttempt = time.Since(start)
		}
		if err := backoff(ctx, attempt, firstAttempt); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w: gave up after %d attempts", ErrCommitConflict, maxCommitAttempts)
}

// landed reports whether a manifest whose put returned an ambiguous error
// (a timeout, a dropped connection) was in fact written by this commit.
func landed(ctx context.Context, store objstore.Store, key, txnName string) bool {
	if ctx.Err() != nil {
		return false
	}
	data, err := objstore.ReadAll(ctx, store, key)
	if err != nil {
		return false
	}
	mf, err := decodeManifest(data)
	return err == nil && mf.manifest.TransactionFile == txnName
}

// latestForCommit reads the newest manifest (private copies), or nil for a
// dataset being created. It refuses to write over feature flags lancegate
// does not understand.
func latestForCommit(ctx context.Context, store objstore.Store, root string, spec commitSpec) (*pb.Manifest, *pb.IndexSection, namingScheme, error) {
	ref, err := latestManifest(ctx, store, root)
	if spec.create {
		switch {
		case err == nil:
			return nil, nil, 0, fmt.Errorf("%w: %s", ErrExists, root)
		case errors.Is(err, ErrNotFound):
			return nil, nil, spec.scheme, nil
		}
		return nil, nil, 0, err
	}
	if err != nil {
		return nil, nil, 0, err
	}
	mf, err := readManifest(ctx, store, ref.key, ref.size)
	if err != nil {
		return nil, nil, 0, err
	}
	m := mf.manifest
	if bad := m.WriterFeatureFlags &^ writerFlagsUnderstood; bad != 0 {
		return nil, nil, 0, fmt.Errorf("%w: dataset %s version %d needs writer feature flags %#x", ErrUnsupported, root, m.Version, bad)
	}
	var idx *pb.IndexSection
	if mf.indexSection != nil {
		idx = &pb.IndexSection{}
		if err := proto.Unmarshal(mf.indexSection, idx); err != nil {
			return nil, nil, 0, fmt.Errorf("%w: index section of version %d: %v", ErrCorrupt, m.Version, err)
		}
	}
	return m, idx, ref.scheme, nil
}

// checkSince checks the transactions of versions (from, to] against ours.
// A version whose manifest or transaction file is gone (an old-version
// cleanup removed it while this commit was in flight) cannot be checked,
// which is a conflict: the caller re-runs the operation on a newer version.
func checkSince(ctx context.Context, store objstore.Store, root string, ours *pb.Transaction, from, to uint64, latest *pb.Manifest) error {
	removed := func(v uint64, err error) error {
		if errors.Is(err, ErrNotFound) || errors.Is(err, objstore.ErrNotExist) {
			return fmt.Errorf("%w: version %d was removed before this commit could check it: %v", ErrCommitConflict, v, err)
		}
		return err
	}
	for v := from + 1; v <= to; v++ {
		m := latest
		if v != to {
			ref, err := findManifest(ctx, store, root, v)
			if err != nil {
				return removed(v, err)
			}
			mf, err := readManifest(ctx, store, ref.key, ref.size)
			if err != nil {
				return removed(v, err)
			}
			m = mf.manifest
		}
		other, err := readTransaction(ctx, store, root, m)
		if err != nil {
			return removed(v, err)
		}
		if err := checkConflict(ours, other, v); err != nil {
			return err
		}
	}
	return nil
}

// finishManifest sets what every manifest lancegate writes carries (see the
// writer checklist in docs/lance-format.md).
func finishManifest(next, latest *pb.Manifest, version uint64, txnName string, format datafile.Version) {
	next.Version = version
	next.Timestamp = timestamppb.Now()
	next.TransactionFile = txnName
	next.WriterVersion = &pb.Manifest_WriterVersion{Library: "lancegate", Version: WriterVersion}
	next.DataFormat = &pb.Manifest_DataStorageFormat{FileFormat: "lance", Version: format.String()}
	next.Tag = ""
	// Fields this build does not know were written by a newer library for
	// the manifest they came in (pylance 14 stores the byte offset of its
	// inline transaction in one). Carried into our manifest they would
	// point into the wrong file, so they are dropped; anything a reader
	// must understand is announced by the feature flags checked on open.
	next.ProtoReflect().SetUnknown(nil)
	// The fragment-id high-water mark survives deletions; an overwrite
	// (which builds without latest's fragments) starts over.
	var maxID *uint32
	if next.MaxFragmentId != nil {
		m := *next.MaxFragmentId
		maxID = &m
	}
	for _, f := range next.Fragments {
		id := uint32(f.Id)
		if maxID == nil || id > *maxID {
			maxID = &id
		}
	}
	next.MaxFragmentId = maxID
	var reader, writer uint64
	for _, f := range next.Fragments {
		if f.DeletionFile != nil {
			reader |= flagDeletionFiles
			writer |= flagDeletionFiles
		}
	}
	if len(next.Config) > 0 {
		writer |= flagTableConfig
	}
	if len(next.BasePaths) > 0 {
		reader |= flagBasePaths
		writer |= flagBasePaths
	}
	if latest != nil {
		reader |= latest.ReaderFeatureFlags & flagStableRowIDs
		writer |= latest.WriterFeatureFlags & flagStableRowIDs
	}
	next.ReaderFeatureFlags, next.WriterFeatureFlags = reader, writer
}

// backoff waits before the next attempt: a random number of slots of 1.1×
// the first attempt's duration, growing with each attempt, as pylance does.
func backoff(ctx context.Context, attempt int, unit time.Duration) error {
	unit = max(unit*11/10, time.Millisecond)
	slots := 1 << min(attempt+1, 8)
	d := unit * time.Duration(1+rand.IntN(slots))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
