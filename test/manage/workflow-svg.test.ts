/** The server-drawn state diagram: every state and transition is there, text is escaped, the layout is deterministic. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '../../src/workflow/definition.js';
import { layoutWorkflow } from '../../src/workflow/diagram.js';
import { renderWorkflowSvg } from '../../views/pages/manage/workflow-svg.js';
import { ROOT } from '../support/harness.js';

const support = (): WorkflowDefinition => JSON.parse(fs.readFileSync(path.join(ROOT, 'workflows', 'support.json'), 'utf8')) as WorkflowDefinition;

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

describe('renderWorkflowSvg', () => {
  it('draws every state with its label, category and paused or stopped clocks, and every transition with its roles', () => {
    const def = support();
    const svg = renderWorkflowSvg(def);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toMatch(/viewBox="0 0 \d+ \d+"/);
    for (const [name, state] of Object.entries(def.states)) {
      expect(svg).toContain(`data-state="${name}"`);
      expect(svg).toContain(`>${state.label}</text>`);
      expect(svg).toContain(`${name} · ${state.category}`);
    }
    expect(svg).toContain('paused: resolution');
    expect(svg).toContain('stopped: firstResponse, nextResponse, resolution');
    expect(svg).toContain('timer: after 72h → autoClose');
    for (const [name, t] of Object.entries(def.transitions)) {
      expect(svg, name).toMatch(new RegExp(`>${name}( ·[^<]*)?</text>`));
      if (t.roles?.length) expect(svg).toContain(`by ${t.roles.join(', ')}`);
    }
    expect(svg).toContain('start · on case.assigned');
    expect(svg).toContain('autoClose · after 72h');
    expect(svg).toContain('→ previous state');
    // One arrow per target and set of transitions; automatic ones dashed.
    const layout = layoutWorkflow(def);
    expect(count(svg, 'marker-end=')).toBe(layout.edges.length + 1);
    expect(layout.edges.find((e) => e.to === 'resolved')).toMatchObject({ from: ['new', 'open', 'pending', 'escalated'], automatic: false });
    expect(layout.edges.find((e) => e.to === 'open' && e.from[0] === 'new')).toMatchObject({ automatic: true });
    expect(svg).toContain('class="wf-edge wf-edge-auto"');
    expect(svg).toContain('stroke-dasharray="6 4"');
  });

  it('says when a timer counts business hours', () => {
    const def = support();
    def.states.resolved!.timers = [{ after: '40h', transition: 'autoClose', businessHours: true }];
    const svg = renderWorkflowSvg(def);
    expect(svg).toContain('timer: after 40h of business hours → autoClose');
    expect(svg).toContain('autoClose · after 40h of business hours');
  });

  it('lays states out by breadth-first level from the initial state, deterministically', () => {
    const def = support();
    const layout = layoutWorkflow(def);
    const level = Object.fromEntries(layout.nodes.map((n) => [n.name, n.level]));
    expect(level).toEqual({ new: 0, open: 1, escalated: 1, resolved: 1, pending: 2, closed: 2 });
    const x = Object.fromEntries(layout.nodes.map((n) => [n.name, n.x]));
    expect(x.new).toBeLessThan(x.open!);
    expect(x.open).toBe(x.resolved);
    expect(x.open).toBeLessThan(x.pending!);
    for (const n of layout.nodes) {
      expect(n.x - n.width / 2).toBeGreaterThanOrEqual(0);
      expect(n.y - n.height / 2).toBeGreaterThanOrEqual(0);
      expect(n.x + n.width / 2).toBeLessThanOrEqual(layout.width);
      expect(n.y + n.height / 2).toBeLessThanOrEqual(layout.height);
    }
    expect(renderWorkflowSvg(def)).toBe(renderWorkflowSvg(support()));
  });

  it('escapes every text from the definition', () => {
    const def: WorkflowDefinition = {
      workflow: 'evil',
      initial: 'a',
      states: {
        a: { label: '<script>alert(1)</script>', category: 'new' },
        b: { label: 'B " onload="x', category: 'closed', final: true },
      },
      transitions: { go: { label: '<b>', from: ['a'], to: 'b', roles: ['agent'] } },
    };
    const svg = renderWorkflowSvg(def, 'x"><script>');
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(svg).toContain('B &quot; onload=&quot;x');
    expect(svg).not.toMatch(/ onload="/);
  });

  it('puts unreachable states in a last column and still draws them', () => {
    const def: WorkflowDefinition = {
      workflow: 'w',
      initial: 'a',
      states: { a: { category: 'new' }, b: { category: 'open' }, orphan: { category: 'closed', final: true } },
      transitions: { go: { from: ['a'], to: 'b', roles: ['agent'] }, back: { from: '*', to: '@previous', on: ['customer.replied'] } },
    };
    const layout = layoutWorkflow(def);
    expect(layout.nodes.find((n) => n.name === 'orphan')!.level).toBe(2);
    const loops = layout.edges.find((e) => e.to === '@previous')!;
    expect(loops.from).toEqual(['a', 'b']);
    expect(loops.automatic).toBe(true);
    const svg = renderWorkflowSvg(def);
    expect(svg).toContain('data-state="orphan"');
    expect(svg).toContain('back · on customer.replied');
  });
});
