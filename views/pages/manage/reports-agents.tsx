/**
 * The dashboard's table per agent (src/dashboard/by-agent.ts): the first responses each agent
 * gave with their times, and the SLA outcomes while the case was theirs — each count a link to
 * the cases behind it, the table's CSV beside it.
 */
import type { AgentMetric, AgentRow } from '../../../src/dashboard/by-agent.js';
import { queryString } from '../../../src/http/pages/manage/report-query.js';
import { ManageTable } from './parts.js';
import { Drill, formatMinutes, formatPercent, REPORTS } from './reports-parts.js';

/** The row of nobody: outcomes on unassigned cases, first responses no staff member is recorded as giving. */
export const NO_AGENT = 'No agent';

function nameOf(r: AgentRow): string {
  if (r.staffId === null) return NO_AGENT;
  return r.active ? r.name : `${r.name} (inactive)`;
}

export function AgentsSection({ agents, values }: { agents: AgentMetric; values: Record<string, string> }) {
  return (
    <section id="agents" aria-labelledby="agents-heading" class="agents">
      <h2 id="agents-heading">By agent</h2>
      <p class="period-note">
        {'First responses count for the agent who gave them; SLA targets met and missed for the agent the case was assigned to when it happened ('}
        <em>{NO_AGENT}</em>
        {': the case was unassigned, or no agent is recorded as giving the first response). '}
        <a href={`${REPORTS}/csv/agents?${queryString(values)}`} download>
          Download the table as CSV
        </a>
      </p>
      <ManageTable caption="First responses and SLA outcomes by agent" captionHidden head={['Agent', 'First responses', 'Median (calendar)', 'p90 (calendar)', 'Median (business)', 'p90 (business)', 'SLA met', 'SLA missed', 'Attainment']} id="agents-table">
        {agents.rows.map((r) => {
          const name = nameOf(r);
          const f = r.firstResponses;
          return (
            <tr id={`agent-${r.key}`}>
              <th scope="row">{name}</th>
              <td class="num">
                <Drill values={values} params={{ metric: 'first-response', agent: r.key }} label={`${f.count} first responses by ${name}: list the cases`}>
                  {String(f.count)}
                </Drill>
              </td>
              <td class="num">{formatMinutes(f.calendar.median)}</td>
              <td class="num">{formatMinutes(f.calendar.p90)}</td>
              <td class="num">{formatMinutes(f.business.median)}</td>
              <td class="num">{formatMinutes(f.business.p90)}</td>
              <td class="num">
                <Drill values={values} params={{ metric: 'attainment', group: 'agent', key: r.key, outcome: 'met' }} label={`${r.met} met for ${name}: list the cases`}>
                  {String(r.met)}
                </Drill>
              </td>
              <td class="num">
                <Drill values={values} params={{ metric: 'attainment', group: 'agent', key: r.key, outcome: 'missed' }} label={`${r.missed} missed for ${name}: list the cases`}>
                  {String(r.missed)}
                </Drill>
              </td>
              <td class="num">{formatPercent(r.attainment)}</td>
            </tr>
          );
        })}
      </ManageTable>
    </section>
  );
}
