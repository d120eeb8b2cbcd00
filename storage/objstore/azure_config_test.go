package objstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lancegate/lancegate/storage/objstore"
)

func TestParseAzure(t *testing.T) {
	tests := []struct {
		name    string
		uri     string
		opts    map[string]string
		want    objstore.AzureConfig
		cred    objstore.CredentialKind
		wantErr string
	}{
		{
			name: "az with account option and workload identity from the environment's names",
			uri:  "az://tables/prod/eu",
			opts: map[string]string{"azure_storage_account_name": "acct", "azure_client_id": "c", "azure_tenant_id": "t", "azure_federated_token_file": "/var/run/token"},
			want: objstore.AzureConfig{Account: "acct", Container: "tables", Prefix: "prod/eu", ClientID: "c", TenantID: "t", FederatedTokenFile: "/var/run/token"},
			cred: objstore.CredWorkload,
		},
		{
			name: "authority host for a sovereign cloud",
			uri:  "az://tables",
			opts: map[string]string{"account_name": "acct", "client_id": "c", "tenant_id": "t", "federated_token_file": "/f", "azure_authority_host": "https://login.microsoftonline.us/"},
			want: objstore.AzureConfig{Account: "acct", Container: "tables", ClientID: "c", TenantID: "t", FederatedTokenFile: "/f", AuthorityHost: "https://login.microsoftonline.us/"},
			cred: objstore.CredWorkload,
		},
		{
			name: "abfss names the account",
			uri:  "abfss://data@customer1.dfs.core.windows.net/lancegate",
			want: objstore.AzureConfig{Account: "customer1", Container: "data", Prefix: "lancegate"},
			cred: objstore.CredDefault,
		},
		{
			name: "https URL names account and container",
			uri:  "https://acct.blob.core.windows.net/cont/a/b",
			opts: map[string]string{"account_key": "a2V5"},
			want: objstore.AzureConfig{Account: "acct", Container: "cont", Prefix: "a/b", Endpoint: "https://acct.blob.core.windows.net", AccountKey: "a2V5"},
			cred: objstore.CredSharedKey,
		},
		{
			name: "emulator",
			uri:  "az://box",
			opts: map[string]string{"use_emulator": "true", "azurite_blob_storage_url": "http://127.0.0.1:4567"},
			want: objstore.AzureConfig{Account: objstore.EmulatorAccount, Container: "box", UseEmulator: true, Endpoint: "http://127.0.0.1:4567/devstoreaccount1"},
			cred: objstore.CredEmulator,
		},
		{
			name: "client options",
			uri:  "az://box",
			opts: map[string]string{"account_name": "a", "timeout": "5s", "max_retries": "2", "allow_http": "true", "sas_token": "?sv=1"},
			want: objstore.AzureConfig{Account: "a", Container: "box", Timeout: 5 * time.Second, MaxRetries: 2, SASToken: "?sv=1"},
			cred: objstore.CredSAS,
		},
		{
			name: "connection string needs no account",
			uri:  "az://box",
			opts: map[string]string{"AZURE_STORAGE_CONNECTION_STRING": "DefaultEndpointsProtocol=http;AccountName=x"},
			want: objstore.AzureConfig{Container: "box", ConnectionString: "DefaultEndpointsProtocol=http;AccountName=x"},
			cred: objstore.CredConnectionString,
		},
		{name: "no account", uri: "az://box/p", wantErr: "names no storage account"},
		{name: "unknown option", uri: "az://box", opts: map[string]string{"account_name": "a", "acount_key": "x"}, wantErr: `unknown Azure storage option "acount_key"`},
		{name: "bad bool", uri: "az://box", opts: map[string]string{"use_emulator": "yes please"}, wantErr: "want true or false"},
		{name: "bad container", uri: "az://Box_1/p", opts: map[string]string{"account_name": "a"}, wantErr: "container name"},
		{name: "short container", uri: "az://ab", opts: map[string]string{"account_name": "a"}, wantErr: "3 to 63"},
		{name: "dot segment in prefix", uri: "az://box/a/../b", opts: map[string]string{"account_name": "a"}, wantErr: "not a clean path"},
		{name: "abfss without container", uri: "abfss://acct.dfs.core.windows.net/p", wantErr: "want abfss://"},
		{name: "az with user part", uri: "az://c@acct/p", wantErr: "names only a container"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := objstore.ParseAzure(tt.uri, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseAzure(%q) = %+v, %v; want error containing %q", tt.uri, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAzure(%q) = %v", tt.uri, err)
			}
			if got != tt.want {
				t.Errorf("ParseAzure(%q) =\n %+v; want\n %+v", tt.uri, got, tt.want)
			}
			if k := got.Credential(); k != tt.cred {
				t.Errorf("credential = %s; want %s", k, tt.cred)
			}
		})
	}
}

func TestAzureEnvOptions(t *testing.T) {
	got := objstore.AzureEnvOptions([]string{
		"AZURE_STORAGE_ACCOUNT_NAME=acct", "AZURE_CLIENT_ID=cid", "AZURE_TENANT_ID=tid",
		"AZURE_FEDERATED_TOKEN_FILE=/var/run/secrets/azure/tokens/azure-identity-token",
		"AZURE_UNRELATED=x", "HOME=/root", "AZURE_STORAGE_ACCOUNT_KEY=", "AZURITE_BLOB_STORAGE_URL=http://127.0.0.1:1",
	})
	want := map[string]string{
		"azure_storage_account_name": "acct", "azure_client_id": "cid", "azure_tenant_id": "tid",
		"azure_federated_token_file": "/var/run/secrets/azure/tokens/azure-identity-token",
		"azurite_blob_storage_url":   "http://127.0.0.1:1",
	}
	if len(got) != len(want) {
		t.Fatalf("AzureEnvOptions = %v; want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("AzureEnvOptions[%q] = %q; want %q", k, got[k], v)
		}
	}
	cfg, err := objstore.ParseAzure("az://tables", got)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Credential() != objstore.CredWorkload {
		t.Errorf("credential from the workload identity webhook's variables = %s; want workload identity", cfg.Credential())
	}
}
