// The duty roster as dispatch answers it (GET /v1/duty-roster).

export interface OnDutyPerson {
  readonly personId: string;
  readonly name: string;
  readonly title: string | null;
  /** `roster`: a shift covers now; `standing`: on 24-hour duty, no shift covers now. */
  readonly via: 'roster' | 'standing';
  readonly until?: string;
}

export interface RosterUnit {
  readonly unitId: string;
  readonly unitName: string;
  readonly unitKind: string;
  readonly unitKindLabel: string;
  readonly parentId: string | null;
  readonly districtCode: string | null;
  readonly onDuty: readonly OnDutyPerson[];
  readonly shifts: readonly {
    readonly id: string;
    readonly personId: string;
    readonly personName?: string;
    readonly startsAt: string;
    readonly endsAt: string;
    readonly note: string | null;
  }[];
}

export interface DutyRoster {
  readonly asOf: string;
  readonly until: string;
  readonly items: readonly RosterUnit[];
}
