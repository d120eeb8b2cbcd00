package objstore

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// AzureConfig says where an Azure store lives and how it authenticates.
// ParseAzure builds one from a storage URI and the storage options Lance
// and LanceDB use for Azure, so the same URI and options open the same data
// in pylance.
type AzureConfig struct {
	// Account is the storage account name.
	Account string
	// Container is the blob container, the store's bucket.
	Container string
	// Prefix is the folder inside the container the store is rooted at,
	// without leading or trailing slashes; empty for the container root.
	Prefix string
	// Endpoint is the account's blob service URL. Empty means
	// https://<account>.blob.core.windows.net (Private Link keeps this name:
	// the private endpoint is found through DNS).
	Endpoint string

	// Credentials, tried in this order: ConnectionString, AccountKey,
	// SASToken, the emulator's well-known key (UseEmulator), no credential
	// (SkipSignature); otherwise a token credential: workload identity when
	// ClientID, TenantID and FederatedTokenFile are all known, a client
	// secret when ClientSecret is, then managed identity, then the Azure
	// SDK's DefaultAzureCredential chain.
	ConnectionString   string
	AccountKey         string
	SASToken           string
	ClientID           string
	TenantID           string
	ClientSecret       string
	FederatedTokenFile string
	UseEmulator        bool
	SkipSignature      bool
	UseAzureCLI        bool
	// AuthorityHost is the Microsoft Entra ID endpoint token credentials
	// ask for tokens, such as https://login.microsoftonline.us/ in a
	// sovereign cloud. Empty means the SDK's choice: AZURE_AUTHORITY_HOST
	// if set, else https://login.microsoftonline.com/. It must be https.
	AuthorityHost string

	// Timeout bounds one HTTP request try, body included. Zero means 30s.
	Timeout time.Duration
	// MaxRetries is how often a request that timed out, could not connect,
	// or was answered 408, 429, 500, 502, 503 or 504 is retried with
	// exponential backoff. Zero means 4; negative means none.
	MaxRetries int
	// RetryDelay is the first backoff; it doubles up to MaxRetryDelay.
	// Zero means 200ms and 10s.
	RetryDelay, MaxRetryDelay time.Duration
	// BlockSize is the block size of uploads larger than one block, which
	// go up as parallel Put Block requests and one Put Block List. Zero
	// means 8 MiB; the SDK raises anything below 1 MiB to 1 MiB.
	BlockSize int64
	// Concurrency is how many blocks of one upload are in flight. Zero
	// means 4.
	Concurrency int
}

// EmulatorAccount and EmulatorKey are the account and key every Azurite
// accepts (published in Azurite's documentation).
const (
	EmulatorAccount = "devstoreaccount1"
	EmulatorKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
	emulatorURL     = "http://127.0.0.1:10000"
)

// azureOption is one storage option: its canonical name (object_store's
// azure_* spelling), the aliases Lance and LanceDB also accept, and where
// its value goes.
type azureOption struct {
	names []string
	set   func(c *AzureConfig, v string) error
}

func setString(field func(c *AzureConfig) *string) func(*AzureConfig, string) error {
	return func(c *AzureConfig, v string) error { *field(c) = v; return nil }
}

func setBool(field func(c *AzureConfig) *bool) func(*AzureConfig, string) error {
	return func(c *AzureConfig, v string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("want true or false, got %q", v)
		}
		*field(c) = b
		return nil
	}
}

func setDuration(field func(c *AzureConfig) *time.Duration) func(*AzureConfig, string) error {
	return func(c *AzureConfig, v string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			// object_store takes humantime strings ("30s"), which
			// ParseDuration covers, or plain seconds.
			secs, ferr := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if ferr != nil {
				return fmt.Errorf("want a duration such as 30s, got %q", v)
			}
			d = time.Duration(secs * float64(time.Second))
		}
		if d < 0 {
			return fmt.Errorf("want a non-negative duration, got %q", v)
		}
		*field(c) = d
		return nil
	}
}

func setInt(field func(c *AzureConfig) *int) func(*AzureConfig, string) error {
	return func(c *AzureConfig, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("want an integer, got %q", v)
		}
		*field(c) = n
		return nil
	}
}

// azureOptions lists every option ParseAzure accepts. The names are those
// of the object_store crate Lance reads Azure through, so a storage_options
// dict that works in pylance works here.
var azureOptions = []azureOption{
	{[]string{"azure_storage_account_name", "account_name"}, setString(func(c *AzureConfig) *string { return &c.Account })},
	{[]string{"azure_storage_account_key", "azure_storage_access_key", "account_key", "access_key"}, setString(func(c *AzureConfig) *string { return &c.AccountKey })},
	{[]string{"azure_storage_connection_string", "connection_string"}, setString(func(c *AzureConfig) *string { return &c.ConnectionString })},
	{[]string{"azure_storage_sas_key", "azure_storage_sas_token", "sas_key", "sas_token"}, setString(func(c *AzureConfig) *string { return &c.SASToken })},
	{[]string{"azure_storage_client_id", "azure_client_id", "client_id"}, setString(func(c *AzureConfig) *string { return &c.ClientID })},
	{[]string{"azure_storage_tenant_id", "azure_tenant_id", "tenant_id", "azure_storage_authority_id", "azure_authority_id", "authority_id"}, setString(func(c *AzureConfig) *string { return &c.TenantID })},
	{[]string{"azure_storage_client_secret", "azure_client_secret", "client_secret"}, setString(func(c *AzureConfig) *string { return &c.ClientSecret })},
	{[]string{"azure_federated_token_file", "federated_token_file"}, setString(func(c *AzureConfig) *string { return &c.FederatedTokenFile })},
	{[]string{"azure_storage_authority_host", "azure_authority_host", "authority_host"}, setString(func(c *AzureConfig) *string { return &c.AuthorityHost })},
	{[]string{"azure_storage_endpoint", "azure_endpoint", "endpoint"}, setString(func(c *AzureConfig) *string { return &c.Endpoint })},
	{[]string{"azure_container_name", "container_name"}, setString(func(c *AzureConfig) *string { return &c.Container })},
	{[]string{"azure_storage_use_emulator", "use_emulator"}, setBool(func(c *AzureConfig) *bool { return &c.UseEmulator })},
	{[]string{"azure_skip_signature", "skip_signature"}, setBool(func(c *AzureConfig) *bool { return &c.SkipSignature })},
	{[]string{"azure_use_azure_cli", "use_azure_cli"}, setBool(func(c *AzureConfig) *bool { return &c.UseAzureCLI })},
	{[]string{"timeout"}, setDuration(func(c *AzureConfig) *time.Duration { return &c.Timeout })},
	{[]string{"max_retries", "client_max_retries"}, setInt(func(c *AzureConfig) *int { return &c.MaxRetries })},
	{[]string{"block_size"}, func(c *AzureConfig, v string) error {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 1<<20 || n > 4000<<20 {
			return fmt.Errorf("want a byte count between 1 MiB (the Azure SDK's smallest block) and 4000 MiB, got %q", v)
		}
		c.BlockSize = n
		return nil
	}},
	{[]string{"upload_concurrency"}, setInt(func(c *AzureConfig) *int { return &c.Concurrency })},
}

// ignoredOptions are client options Lance accepts that mean nothing to this
// backend (HTTP is allowed whenever the endpoint says http://).
var ignoredOptions = map[string]bool{
	"allow_http": true, "allow_invalid_certificates": true, "connect_timeout": true,
	"azure_disable_tagging": true, "disable_tagging": true, "user_agent": true,
}

// lookupAzureOption finds the option a name (any case) stands for.
func lookupAzureOption(name string) (*azureOption, bool) {
	name = strings.ToLower(name)
	for i := range azureOptions {
		for _, n := range azureOptions[i].names {
			if n == name {
				return &azureOptions[i], true
			}
		}
	}
	return nil, false
}

// AzureEnvOptions picks the storage options out of an environment (in
// os.Environ form) the way object_store does: every AZURE_* variable whose
// lower-cased name is an option name. The Azure SDK's
// AZURE_STORAGE_CONNECTION_STRING and AZURITE_BLOB_STORAGE_URL (the
// emulator's address) are read too.
func AzureEnvOptions(environ []string) map[string]string {
	out := map[string]string{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" {
			continue
		}
		switch {
		case k == "AZURITE_BLOB_STORAGE_URL":
			out["azurite_blob_storage_url"] = v
		case strings.HasPrefix(k, "AZURE_"):
			if _, known := lookupAzureOption(k); known {
				out[strings.ToLower(k)] = v
			}
		}
	}
	return out
}

// ParseAzure reads a storage URI and options into an AzureConfig. The URI
// forms are Lance's:
//
//	az://<container>/<prefix>                       account from the options
//	abfss://<container>@<account>.dfs.core.windows.net/<prefix>   (also abfs://)
//	https://<account>.blob.core.windows.net/<container>/<prefix>
//
// Options override nothing the URI names. An unknown option is an error,
// not silently ignored.
func ParseAzure(uri string, options map[string]string) (AzureConfig, error) {
	var c AzureConfig
	emulatorURLOverride, err := applyOptions(&c, options)
	if err != nil {
		return c, err
	}
	u, err := url.Parse(uri)
	if err != nil {
		return c, fmt.Errorf("objstore: storage URI %q: %w", uri, err)
	}
	path := strings.Trim(u.Path, "/")
	switch strings.ToLower(u.Scheme) {
	case "az", "azure":
		if u.User != nil {
			return c, fmt.Errorf("objstore: storage URI %q: az:// names only a container (az://<container>/<prefix>); use abfss://<container>@<account>.dfs.core.windows.net/<prefix> to name the account", uri)
		}
		c.Container, c.Prefix = u.Host, path
	case "abfs", "abfss":
		if u.User == nil {
			return c, fmt.Errorf("objstore: storage URI %q: want abfss://<container>@<account>.dfs.core.windows.net/<prefix>", uri)
		}
		c.Container, c.Prefix = u.User.Username(), path
		acct, _, _ := strings.Cut(u.Hostname(), ".")
		c.Account = acct
	case "https", "http":
		acct, rest, _ := strings.Cut(u.Hostname(), ".")
		if !strings.HasPrefix(rest, "blob.") {
			return c, fmt.Errorf("objstore: storage URI %q: want https://<account>.blob.core.windows.net/<container>/<prefix>", uri)
		}
		c.Account = acct
		c.Container, c.Prefix, _ = strings.Cut(path, "/")
		if c.Endpoint == "" {
			c.Endpoint = u.Scheme + "://" + u.Host
		}
	default:
		return c, fmt.Errorf("objstore: %q is not an Azure storage URI", uri)
	}
	if err := validContainer(c.Container); err != nil {
		return c, fmt.Errorf("objstore: storage URI %q: %w", uri, err)
	}
	if c.Prefix != "" && !ValidKey(c.Prefix) {
		return c, fmt.Errorf("objstore: storage URI %q: prefix %q is not a clean path", uri, c.Prefix)
	}
	if c.UseEmulator {
		if c.Account == "" {
			c.Account = EmulatorAccount
		}
		if c.Endpoint == "" {
			base := emulatorURL
			if emulatorURLOverride != "" {
				base = emulatorURLOverride
			}
			c.Endpoint = strings.TrimSuffix(base, "/") + "/" + c.Account
		}
	}
	if c.Account == "" && c.ConnectionString == "" {
		return c, fmt.Errorf("objstore: storage URI %q names no storage account: set AZURE_STORAGE_ACCOUNT_NAME or the account_name option, or use abfss://<container>@<account>.dfs.core.windows.net/", uri)
	}
	return c, nil
}

// ValidateAzureOptions checks that every option is one ParseAzure knows,
// with a value of the right form, so that a server can refuse a misspelt
// option at startup rather than when a table first needs it.
func ValidateAzureOptions(options map[string]string) error {
	var c AzureConfig
	_, err := applyOptions(&c, options)
	return err
}

// applyOptions sets c from options, in a fixed order, and returns the
// emulator address override (AZURITE_BLOB_STORAGE_URL) if given.
func applyOptions(c *AzureConfig, options map[string]string) (string, error) {
	keys := make([]string, 0, len(options))
	for k := range options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var emulatorURL string
	for _, k := range keys {
		v := options[k]
		if strings.ToLower(k) == "azurite_blob_storage_url" {
			emulatorURL = v
			continue
		}
		opt, ok := lookupAzureOption(k)
		if !ok {
			if ignoredOptions[strings.ToLower(k)] {
				continue
			}
			return "", fmt.Errorf("objstore: unknown Azure storage option %q", k)
		}
		if err := opt.set(c, v); err != nil {
			return "", fmt.Errorf("objstore: Azure storage option %q: %w", k, err)
		}
	}
	return emulatorURL, nil
}

// validContainer checks Azure's container naming rules: 3 to 63 lower-case
// letters, digits and single hyphens, starting and ending alphanumeric.
func validContainer(name string) error {
	if len(name) < 3 || len(name) > 63 {
		return fmt.Errorf("container name %q must be 3 to 63 characters", name)
	}
	for i, r := range name {
		ok := 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' && i > 0 && i < len(name)-1 && name[i-1] != '-'
		if !ok {
			return fmt.Errorf("container name %q may hold only lower-case letters, digits and single inner hyphens", name)
		}
	}
	return nil
}

// serviceURL is the blob service URL of the account.
func (c *AzureConfig) serviceURL() string {
	if c.Endpoint != "" {
		return strings.TrimSuffix(c.Endpoint, "/")
	}
	return "https://" + c.Account + ".blob.core.windows.net"
}

// String describes the location without secrets, for logs and errors.
func (c *AzureConfig) String() string {
	s := "az://" + c.Container
	if c.Prefix != "" {
		s += "/" + c.Prefix
	}
	return s + " (account " + c.Account + ", " + c.serviceURL() + ")"
}

func (c *AzureConfig) withDefaults() AzureConfig {
	d := *c
	if d.Timeout == 0 {
		d.Timeout = 30 * time.Second
	}
	if d.MaxRetries == 0 {
		d.MaxRetries = 4
	}
	if d.RetryDelay == 0 {
		d.RetryDelay = 200 * time.Millisecond
	}
	if d.MaxRetryDelay == 0 {
		d.MaxRetryDelay = 10 * time.Second
	}
	if d.BlockSize == 0 {
		d.BlockSize = 8 << 20
	}
	if d.Concurrency <= 0 {
		d.Concurrency = 4
	}
	return d
}
