/** The outbound campaign engine: service (API operations), dispatcher, outcome recorder, reconciler. */
export { startCampaignEngine, type CampaignEngine, type CampaignEngineOptions } from './engine.js';
export { CampaignService, type NewCampaignInput, type CreateReport } from './campaign-service.js';
export { Dispatcher, callRequest, type DispatcherOptions } from './dispatcher.js';
export { OutcomeRecorder, type RecipientChange } from './outcome-recorder.js';
export { Reconciler, type ReconcileReport } from './reconciler.js';
export { RecipientLedger, type AttemptOutcome } from './ledger.js';
export type { DialIntent, ProviderCall, OutboundCallLookup, OutboundCallControl } from './reconcile-port.js';
export { systemClock, ManualClock, type Clock } from './clock.js';
export { isCallable, localTime } from './window.js';
export { dialSettingsInput, toDialSettings, dialSettingsOf, parseDays, DEFAULT_SETTINGS, type DialSettings, type MachineAction } from './settings.js';
export { recipientStatusForCall, nextStep, isMachine, ACTIVE_RECIPIENT, OPEN_RECIPIENT } from './outcome-map.js';
export { campaignView, type CampaignView, type CampaignProgressView } from './view.js';
export { CampaignError } from './errors.js';
export { campaignRoutes, type CampaignRoutesOptions } from './http/campaign-routes.js';
