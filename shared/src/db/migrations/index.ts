import type { Migration } from 'kysely';
import * as core from './2026-11-28T0001-core';
import * as seed from './2026-11-28T0002-seed-directory-and-policy';
import * as reportingIndexes from './2026-11-28T0101-reporting-console-indexes';
import * as dispatchNotifications from './2026-11-28T0201-dispatch-duty-and-notifications';
import * as actionKeysAndReports from './2026-12-01T0001-action-keys-and-reports';
import * as reservedExampleDomains from './2026-12-01T1001-reserved-example-domains';
import * as typedColumns from './2026-12-01T1101-typed-columns';
import * as planRules from './2026-12-02T0001-plan-rules';
import * as informationOfficer from './2026-12-02T0101-information-officer';
import * as directoryGroups from './2026-12-02T0102-directory-groups';
import * as releaseChannels from './2026-12-02T0103-release-channels';
import * as accountabilityRecords from './2026-12-02T0104-accountability-records';
import * as accountsAndSessions from './2026-12-02T1001-accounts-and-sessions';
import * as reportsAndCorrelation from './2026-12-02T2001-reports-and-correlation';
import * as handOffs from './2026-12-02T3001-hand-offs';
import * as writings from './2026-12-03T0301-writings';
import * as summaryReports from './2026-12-03T0101-summary-reports';
import * as reportLookupsNewestFirst from './2026-12-04T0101-report-lookups-newest-first';

/**
 * Every migration, by name (timestamp and purpose). Listed statically so that the
 * compiled package and the tests find the same set without reading folders.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '2026-11-28T0001-core': core,
  '2026-11-28T0002-seed-directory-and-policy': seed,
  '2026-11-28T0101-reporting-console-indexes': reportingIndexes,
  '2026-11-28T0201-dispatch-duty-and-notifications': dispatchNotifications,
  '2026-12-01T0001-action-keys-and-reports': actionKeysAndReports,
  '2026-12-01T1001-reserved-example-domains': reservedExampleDomains,
  '2026-12-01T1101-typed-columns': typedColumns,
  '2026-12-02T0001-plan-rules': planRules,
  '2026-12-02T0101-information-officer': informationOfficer,
  '2026-12-02T0102-directory-groups': directoryGroups,
  '2026-12-02T0103-release-channels': releaseChannels,
  '2026-12-02T0104-accountability-records': accountabilityRecords,
  '2026-12-02T1001-accounts-and-sessions': accountsAndSessions,
  '2026-12-02T2001-reports-and-correlation': reportsAndCorrelation,
  '2026-12-02T3001-hand-offs': handOffs,
  '2026-12-03T0301-writings': writings,
  '2026-12-03T0101-summary-reports': summaryReports,
  '2026-12-04T0101-report-lookups-newest-first': reportLookupsNewestFirst,
};
