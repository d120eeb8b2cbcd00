// Package deploy holds lancegate's deployment files and their tests; it has
// no code of its own.
//
//	helm/lancegate/   the Helm chart for AKS (query nodes, executors, agent)
//	azure/            the Azure infrastructure as Bicep, per deployment model
//	rehearse.sh       the production topology on one machine, no Kubernetes
//
// chart_test.go renders the chart with Helm's Go packages for every profile
// and decodes each object strictly into the Kubernetes API types;
// rehearse_test.go runs rehearse.sh against Azurite and a Kafka broker;
// azure_test.go checks the Bicep files. README.md is the operator's guide.
package deploy
