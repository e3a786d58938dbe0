/** Live chat's settings (CHAT_* environment variables, README "Configuration"). */
import type { Rate } from '../auth/rate-limit.js';

export interface ChatSettings {
  /** A chat with no message for this long is ended by the chat sweep (CHAT_INACTIVITY_MINUTES). */
  inactivityMinutes: number;
  /**
   * A visitor waiting this long for an agent's first answer (to their latest lines) is offered
   * to end the chat and be answered by e-mail instead (CHAT_WAIT_OFFER_MINUTES; waiting.ts).
   */
  waitOfferMinutes: number;
  /**
   * An agent counts as there for the chat's availability while their last workspace request
   * (a live poll, a click, a chat stream's heartbeat) is younger than this, by the server's clock
   * (CHAT_AGENT_PRESENCE_SECONDS; agent-presence.ts).
   */
  agentPresenceSeconds: number;
  /** Longest message a visitor may send, in characters (CHAT_MESSAGE_MAX_CHARS). */
  maxMessageChars: number;
  /** Seconds between SSE heartbeats (comments that keep proxies from closing an idle stream). */
  heartbeatSeconds: number;
  /** Messages (and typing signals count apart) per visitor session (CHAT_VISITOR_RATE). */
  messagesPerVisitor: Rate;
  /** Messages per site, all its visitors together (CHAT_SITE_RATE). */
  messagesPerSite: Rate;
  /** New chats (and left messages) per site (CHAT_SITE_SESSION_RATE). */
  sessionsPerSite: Rate;
  /** New chats per client address. */
  sessionsPerClient: Rate;
  /**
   * Messages left (nobody available) for one e-mail address, whoever leaves them: each mails
   * that address at once (the acknowledgement quotes the message's start), and the address was
   * only typed.
   */
  leftMessagesPerAddress: Rate;
  /** Transcripts mailed to one address for visitors the site did not identify, a sliding window (CHAT_TRANSCRIPT_ADDRESS_RATE). */
  transcriptsPerAddress: Rate;
  /** Transcripts per site, all its visitors together, a sliding window (CHAT_TRANSCRIPT_SITE_RATE). */
  transcriptsPerSite: Rate;
}

export const DEFAULT_CHAT_SETTINGS: ChatSettings = {
  inactivityMinutes: 15,
  waitOfferMinutes: 5,
  agentPresenceSeconds: 120,
  maxMessageChars: 2_000,
  heartbeatSeconds: 20,
  messagesPerVisitor: { count: 20, windowMs: 60_000 },
  messagesPerSite: { count: 600, windowMs: 60_000 },
  sessionsPerSite: { count: 120, windowMs: 60_000 },
  sessionsPerClient: { count: 10, windowMs: 10 * 60_000 },
  leftMessagesPerAddress: { count: 3, windowMs: 3_600_000 },
  transcriptsPerAddress: { count: 3, windowMs: 24 * 3_600_000 },
  transcriptsPerSite: { count: 60, windowMs: 3_600_000 },
};
