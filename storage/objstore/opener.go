package objstore

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Opener opens the stores that table locations name, one per Azure
// container or local folder, and keeps them: a server holds tables in its
// own storage root and, for the hybrid deployment model, in other accounts
// and containers (a customer's), each reached with its own client.
//
// Every Azure location gets the storage options the Opener was made with,
// except that account-bound secrets (account key, SAS token, connection
// string) are kept from a location whose URI names another account than
// the options do: such a location authenticates with a token credential
// (workload or managed identity), which works for any account the identity
// has been granted.
type Opener struct {
	options   map[string]string
	transport policy.Transporter

	mu     sync.Mutex
	stores map[string]Store
}

// NewOpener returns an Opener that opens Azure locations with options (the
// names ParseAzure takes). transport, when not nil, carries the Azure
// requests (tests).
func NewOpener(options map[string]string, transport policy.Transporter) *Opener {
	return &Opener{options: options, transport: transport, stores: map[string]Store{}}
}

// OpenLocation returns the store holding the location uri and the key
// prefix of the location inside it. uri is an Azure URI (az://, abfss://,
// https://<account>.blob.core.windows.net/) or an absolute local path or
// file:/// URI.
func (o *Opener) OpenLocation(ctx context.Context, uri string) (Store, string, error) {
	if IsAzureURI(uri) {
		return o.openAzure(ctx, uri)
	}
	path := uri
	if scheme, ok := uriScheme(uri); ok {
		if scheme != "file" {
			return nil, "", fmt.Errorf("objstore: location %q: %w: %w %q", uri, ErrInvalidLocation, ErrUnsupportedScheme, scheme)
		}
		path = strings.TrimPrefix(uri[len("file://"):], "localhost")
	}
	if !filepath.IsAbs(path) {
		return nil, "", fmt.Errorf("objstore: location %q: %w: want an absolute path, file:///path, or an Azure URI", uri, ErrInvalidLocation)
	}
	dir, base := filepath.Split(filepath.Clean(path))
	if base == "" || !ValidKey(base) {
		return nil, "", fmt.Errorf("objstore: location %q: %w: it names no folder", uri, ErrInvalidLocation)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if s, ok := o.stores["file:"+dir]; ok {
		return s, base, nil
	}
	s, err := NewLocal(dir)
	if err != nil {
		return nil, "", err
	}
	o.stores["file:"+dir] = s
	return s, base, nil
}

func (o *Opener) openAzure(ctx context.Context, uri string) (Store, string, error) {
	opts := o.options
	if named := uriAccount(uri); named != "" {
		if acct := optionValue(opts, "azure_storage_account_name"); acct != "" && acct != named {
			opts = withoutAccountSecrets(opts)
		}
	}
	cfg, err := ParseAzure(uri, opts)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrInvalidLocation, err)
	}
	if cfg.Prefix == "" {
		return nil, "", fmt.Errorf("objstore: location %q: %w: it names a container, not a folder in it", uri, ErrInvalidLocation)
	}
	prefix := cfg.Prefix
	cfg.Prefix = ""
	id := cfg.serviceURL() + "/" + cfg.Container
	o.mu.Lock()
	defer o.mu.Unlock()
	if s, ok := o.stores[id]; ok {
		return s, prefix, nil
	}
	a, err := NewAzure(cfg, o.transport)
	if err != nil {
		return nil, "", err
	}
	if err := a.Check(ctx); err != nil {
		return nil, "", err
	}
	o.stores[id] = a
	return a, prefix, nil
}

// uriAccount is the storage account an Azure URI names itself (abfss://
// and https:// forms), or "".
func uriAccount(uri string) string {
	// The placeholder connection string stands in for credentials, so
	// that ParseAzure does not ask for an account option.
	cfg, err := ParseAzure(uri, map[string]string{"azure_storage_connection_string": "-"})
	if err != nil {
		return ""
	}
	return cfg.Account
}

// optionValue returns the value of the option whose canonical name is
// canonical, under any of its aliases.
func optionValue(opts map[string]string, canonical string) string {
	for k, v := range opts {
		if o, ok := lookupAzureOption(k); ok && o.names[0] == canonical {
			return v
		}
	}
	return ""
}

// withoutAccountSecrets drops the options that authenticate to one account
// only: the account name, its key, a SAS token, a connection string.
func withoutAccountSecrets(opts map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range opts {
		if o, ok := lookupAzureOption(k); ok {
			switch o.names[0] {
			case "azure_storage_account_name", "azure_storage_account_key", "azure_storage_sas_key", "azure_storage_connection_string":
				continue
			}
		}
		out[k] = v
	}
	return out
}
