#!/bin/sh
# Temporal's two databases and their schema, with Temporal's own SQL tool and the schema files
# of the same version (in the admin-tools image), as infra/cluster.sh's setup_temporal_schema does.
# Idempotent: create-database and setup-schema fail harmlessly once done; update-schema only moves forward.
set -eu
export SQL_PASSWORD="$POSTGRES_PASSWORD"
tool="temporal-sql-tool --plugin postgres12 --ep postgres -p 5532 -u postgres"
for db in temporal temporal_visibility; do
  dir=temporal
  [ "$db" = temporal_visibility ] && dir=visibility
  $tool --db "$db" create-database || true
  $tool --db "$db" setup-schema -v 0.0 || true
  $tool --db "$db" update-schema -d "/etc/temporal/schema/postgresql/v12/$dir/versioned"
done
echo "Temporal's schema is up to date"
