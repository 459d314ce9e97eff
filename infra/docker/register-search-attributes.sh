#!/bin/sh
# Registers the search attributes of ARCHITECTURE.md on a Temporal server (idempotent).
set -eu
addr=${TEMPORAL_ADDRESS:-temporal:7233}
until temporal operator cluster health --address "$addr" >/dev/null 2>&1; do sleep 1; done
for sa in IncidentTier:Keyword IncidentStatus:Keyword District:Keyword Topic:Keyword Overdue:Bool; do
  temporal operator search-attribute create --address "$addr" --namespace default --name "${sa%%:*}" --type "${sa#*:}" 2>/dev/null || true
done
echo "search attributes registered"
