/**
 * A policy's live-chat targets on /manage/sla (docs/chat.md), beside its other targets: to the
 * second as written in `sla.json`; a metric without a chat target shows the policy's own,
 * which a chat case then takes.
 */
import { chatWarnBefore, METRICS, PRIORITIES, type SlaPolicyJson } from '../../../src/sla/config.js';
import { ManageTable } from './parts.js';

export function ChatTargets({ name, policy, labels }: { name: string; policy: SlaPolicyJson; labels: Record<string, string> }) {
  const chat = policy.chat;
  if (!chat) return <p class="muted">{`Live chats take the targets above (no chat targets in ${name}).`}</p>;
  return (
    <ManageTable caption={`Live chat targets of ${name} (business time, to the second; warn before ${chatWarnBefore(policy)})`} head={['Priority', ...METRICS.map((m) => labels[m]!)]} id={`chat-targets-${name}`}>
      {PRIORITIES.map((priority) => (
        <tr>
          <th scope="row">{priority}</th>
          {METRICS.map((metric) => {
            const own = chat.targets[priority]?.[metric];
            const fallback = policy.targets[priority]?.[metric];
            return <td>{own ?? (fallback ? `${fallback} (as other cases)` : '—')}</td>;
          })}
        </tr>
      ))}
    </ManageTable>
  );
}
