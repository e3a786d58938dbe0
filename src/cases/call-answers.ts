/**
 * Whether a logged call answered the customer (docs/sla.md, *Calls*): staff spoke with them — a
 * call logged by staff, or an outbound call (staff called them). A provider's inbound call
 * cannot say whether an agent took it: it answers nothing. One definition for the SLA clocks
 * (log-call.ts raises the answer), the case's `firstResponseAt` and the clock history rebuilt
 * from the timeline (src/sla/clock-history.ts), which reads it back from the stored entry.
 */
export function callAnswers(actorType: string, direction: unknown): boolean {
  return actorType === 'staff' || direction === 'outbound';
}
