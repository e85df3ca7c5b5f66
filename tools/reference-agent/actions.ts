/**
 * Kept for imports written against the first layout (test/e2e uses it).
 * Import from './reference-agent.js' (the whole public API) or './conversation.js'.
 */
export { Conversation, type InterruptOptions } from './conversation.js';
