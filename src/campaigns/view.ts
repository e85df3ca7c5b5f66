import type { Campaign, StatusCounts } from '../store/index.js';
import { RECIPIENT_STATUSES, type RecipientStatus } from '../store/schema.js';
import { ACTIVE_RECIPIENT } from './outcome-map.js';
import { dialSettingsOf, type DialSettings } from './settings.js';

export interface CampaignProgressView {
  total: number;
  /** Nothing more will happen to them (final status, or retries used up). */
  done: number;
  /** Waiting to be dialled, now or after a retry delay. */
  pending: number;
  /** Dialling, ringing or talking. */
  active: number;
  /** done / total (1 for an empty campaign). */
  ratio: number;
}

export interface CampaignView {
  id: string;
  name: string;
  type: Campaign['type'];
  agentId: string | null;
  status: Campaign['status'];
  scheduledAt: number | null;
  createdAt: number;
  updatedAt: number;
  settings: DialSettings;
  counts: StatusCounts;
  progress: CampaignProgressView;
}

/** A campaign with its counts by status and its progress, as the API returns it. */
export function campaignView(c: Campaign, counts: StatusCounts): CampaignView {
  const sum = (statuses: readonly RecipientStatus[]) => statuses.reduce((n, s) => n + (counts[s] ?? 0), 0);
  const total = sum(RECIPIENT_STATUSES);
  const active = sum(ACTIVE_RECIPIENT);
  const pending = counts.pending ?? 0;
  const done = total - active - pending;
  return {
    id: c.id,
    name: c.name,
    type: c.type,
    agentId: c.agentId,
    status: c.status,
    scheduledAt: c.scheduledAt,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    settings: dialSettingsOf(c.settings),
    counts,
    progress: { total, done, pending, active, ratio: total === 0 ? 1 : done / total },
  };
}
