#!/bin/sh
# The namespace and the search attributes of ARCHITECTURE.md on the cluster's Temporal server,
# as infra/cluster.sh's setup_temporal_namespace does (idempotent).
set -eu
addr=${TEMPORAL_ADDRESS:-temporal:7333}
until temporal operator cluster health --address "$addr" >/dev/null 2>&1; do sleep 1; done
temporal operator namespace describe --address "$addr" --namespace default >/dev/null 2>&1 ||
  temporal operator namespace create --address "$addr" --namespace default --retention 720h
# A new namespace reaches the frontend's cache within seconds.
until temporal operator search-attribute list --address "$addr" --namespace default >/dev/null 2>&1; do sleep 1; done
for sa in IncidentTier:Keyword IncidentStatus:Keyword District:Keyword Topic:Keyword Overdue:Bool; do
  temporal operator search-attribute list --address "$addr" --namespace default | grep -qE "^[[:space:]]*${sa%%:*}[[:space:]]" ||
    temporal operator search-attribute create --address "$addr" --namespace default --name "${sa%%:*}" --type "${sa#*:}"
done
echo "namespace default and its search attributes are set up"
