/**
 * Instant-messaging targets of `notify` (docs/integrations.md): `slack` posts a Block Kit
 * message to a Slack incoming webhook (Mattermost accepts the same body), `teams` an Adaptive
 * Card to a Microsoft Teams incoming webhook. The URL comes from the rule or action
 * (`url`) or else from the case's queue (queue settings).
 */
import { z } from 'zod';

export const IM_TARGETS = ['slack', 'teams'] as const;
export type ImTarget = (typeof IM_TARGETS)[number];

export function isImTarget(to: unknown): to is ImTarget {
  return to === 'slack' || to === 'teams';
}

/** Syntax of an incoming-webhook URL (where it may point is checked when posting: src/net/guarded-post.ts). */
export function imUrlSyntaxProblem(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http or https URL';
  if (url.username || url.password) return 'must not carry a user name or password';
  return null;
}

export const imUrlSchema = z
  .string()
  .max(2000, 'at most 2000 characters')
  .superRefine((value, ctx) => {
    const problem = imUrlSyntaxProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `an incoming-webhook URL: ${problem}` });
  });
