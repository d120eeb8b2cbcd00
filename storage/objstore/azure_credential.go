package objstore

import (
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

// CredentialKind names how an Azure store authenticates.
type CredentialKind string

// The credential kinds, in the order AzureConfig.Credential picks them.
const (
	CredConnectionString CredentialKind = "connection string"
	CredSharedKey        CredentialKind = "shared key"
	CredSAS              CredentialKind = "SAS token"
	CredEmulator         CredentialKind = "emulator key"
	CredAnonymous        CredentialKind = "anonymous"
	CredAzureCLI         CredentialKind = "Azure CLI"
	CredWorkload         CredentialKind = "workload identity"
	CredClientSecret     CredentialKind = "client secret"
	CredDefault          CredentialKind = "DefaultAzureCredential"
)

// Credential says which kind of credential the configuration selects: the
// first of connection string, account key, SAS token, emulator key,
// anonymous (skip_signature), Azure CLI (use_azure_cli), workload identity
// (client id, tenant id and federated token file all set), client secret,
// and otherwise DefaultAzureCredential (environment, workload identity,
// managed identity, developer CLIs, in that order). No
// key or secret in the configuration is needed on AKS: the workload
// identity webhook sets AZURE_CLIENT_ID, AZURE_TENANT_ID and
// AZURE_FEDERATED_TOKEN_FILE in the pod.
func (c *AzureConfig) Credential() CredentialKind {
	switch {
	case c.ConnectionString != "":
		return CredConnectionString
	case c.AccountKey != "":
		return CredSharedKey
	case c.SASToken != "":
		return CredSAS
	case c.UseEmulator:
		return CredEmulator
	case c.SkipSignature:
		return CredAnonymous
	case c.UseAzureCLI:
		return CredAzureCLI
	case c.ClientID != "" && c.TenantID != "" && c.FederatedTokenFile != "":
		return CredWorkload
	case c.ClientID != "" && c.TenantID != "" && c.ClientSecret != "":
		return CredClientSecret
	}
	return CredDefault
}

// newContainerClient builds the SDK client for the container with the
// credential c selects.
func newContainerClient(c *AzureConfig, opts *container.ClientOptions) (*container.Client, error) {
	containerURL := c.serviceURL() + "/" + c.Container
	switch kind := c.Credential(); kind {
	case CredConnectionString:
		return container.NewClientFromConnectionString(c.ConnectionString, c.Container, opts)
	case CredSharedKey, CredEmulator:
		key := c.AccountKey
		if key == "" {
			key = EmulatorKey
		}
		cred, err := container.NewSharedKeyCredential(c.Account, key)
		if err != nil {
			return nil, fmt.Errorf("shared key credential: %w", err)
		}
		return container.NewClientWithSharedKeyCredential(containerURL, cred, opts)
	case CredSAS:
		return container.NewClientWithNoCredential(containerURL+"?"+strings.TrimPrefix(c.SASToken, "?"), opts)
	case CredAnonymous:
		return container.NewClientWithNoCredential(containerURL, opts)
	default:
		cred, err := c.tokenCredential(kind, opts.ClientOptions)
		if err != nil {
			return nil, err
		}
		return container.NewClient(containerURL, markedCredential{cred}, opts)
	}
}

// tokenCredential builds the Entra ID credential of kind. copts are the
// storage client's options: token requests go through the same transport
// (the SDK's default HTTP client unless NewAzure was given one, so a test
// transport that trusts a private CA carries both) with the same retry
// settings, to c.AuthorityHost when set.
func (c *AzureConfig) tokenCredential(kind CredentialKind, copts azcore.ClientOptions) (azcore.TokenCredential, error) {
	if c.AuthorityHost != "" {
		copts.Cloud.ActiveDirectoryAuthorityHost = c.AuthorityHost
	}
	switch kind {
	case CredAzureCLI:
		return azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: c.TenantID})
	case CredWorkload:
		return azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: copts, ClientID: c.ClientID, TenantID: c.TenantID, TokenFilePath: c.FederatedTokenFile,
		})
	case CredClientSecret:
		return azidentity.NewClientSecretCredential(c.TenantID, c.ClientID, c.ClientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: copts})
	}
	// DefaultAzureCredential tries, in order, the environment's service
	// principal, workload identity, managed identity (with a short probe
	// of the instance metadata service, so it fails fast off Azure), and
	// the developer CLIs. A user-assigned managed identity is chosen with
	// AZURE_CLIENT_ID.
	copts.Retry = policy.RetryOptions{}
	return azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: copts, TenantID: c.TenantID})
}
