/** What became of one broadcast call, kept in the call record (`metadata.broadcast`). */
export interface BroadcastOutcome {
  /** `complete` only when playback truth (the final mark) confirmed the whole message. */
  message: 'complete' | 'partial' | 'none';
  heardSeconds: number;
  keys: string[];
  optedOut: boolean;
  transferredTo: string | null;
  handedToAgent: boolean;
  /** A machine answered: whether the voicemail variant was left in full. */
  voicemail: { left: boolean } | null;
}

export function emptyOutcome(): BroadcastOutcome {
  return { message: 'none', heardSeconds: 0, keys: [], optedOut: false, transferredTo: null, handedToAgent: false, voicemail: null };
}
