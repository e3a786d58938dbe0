/**
 * `/manage/sla`: the SLA configuration in force (policies, calendars), its versions (drafts,
 * publish, rollback, history: versions.tsx), the due-time calculator and re-applying the
 * version in force to open cases:
 *
 *   GET  /manage/sla/calculator?created=&policy=&priority=&metric=   the answer (htmx: the form fragment)
 *   GET  /manage/sla/reapply                                        preview: cases and timers that would change
 *   POST /manage/sla/reapply   version=N                            re-apply (refused if another version is in force by now)
 */
import { Hono } from 'hono';
import { SLA_CONFIG_NAME } from '../../../definitions/registry.js';
import { DomainError } from '../../../errors.js';
import { casesOnOtherSlaVersions, reapplySlaPolicy } from '../../../sla/reapply.js';
import type { SlaConfigJson } from '../../../sla/config.js';
import type { Services } from '../../../services.js';
import type { DefinitionView } from '../../../../views/pages/manage/parts.js';
import { Calculator, ReapplyPreview, SlaPage, SLA_NAV, type CalcState, type ReapplyState } from '../../../../views/pages/manage/sla.js';
import { isHtmx, type PageContext, type PageEnv } from '../env.js';
import { readForm } from '../forms.js';
import { sendHtml, viewerOf } from '../render.js';
import { managerOf } from './guard.js';
import { calculateDue, localInputValue } from './sla-calculator.js';
import { loadDefinitionView, versionRoutes } from './versions.js';

const BASE = '/manage/sla';
const PREVIEW_LIMIT = 200;

/**
 * The SLA configuration versions the calculator offers: the one in force and, when there is
 * one, the newest draft saved after it (to check a calendar or target change before publishing).
 * `asked` picks one of them (default: in force); anything else is null.
 */
function calcVersions(services: Services, asked?: string): NonNullable<CalcState['versions']> | null {
  const { definitions } = services;
  const inForce = definitions.sla().version;
  const draft = definitions.history('sla', SLA_CONFIG_NAME).find((r) => r.state === 'draft' && r.version > inForce) ?? null;
  const options = [{ value: String(inForce), label: `v${inForce}, in force` }, ...(draft ? [{ value: String(draft.version), label: `draft v${draft.version}` }] : [])];
  const chosen = asked === undefined || asked === '' ? inForce : /^\d{1,9}$/.test(asked) ? Number(asked) : NaN;
  if (chosen !== inForce && chosen !== draft?.version) return null;
  const row = definitions.version('sla', SLA_CONFIG_NAME, chosen)!;
  return { options, chosen, label: chosen === inForce ? `v${inForce}, in force` : `draft v${chosen}`, config: row.body as SlaConfigJson };
}

function defaultCalc(c: PageContext): CalcState {
  const services = c.get('services');
  const { config } = services.definitions.sla();
  const zone = config.policy(config.defaultPolicy)?.calendar.timezone ?? 'UTC';
  const versions = calcVersions(services)!;
  return { values: { created: localInputValue(services.clock.now(), zone), policy: config.defaultPolicy, priority: 'normal', metric: 'firstResponse' }, versions };
}

async function reapplyState(c: PageContext, extra: Partial<ReapplyState> = {}): Promise<ReapplyState> {
  const services = c.get('services');
  return { pending: await casesOnOtherSlaVersions(services), version: services.definitions.sla().version, ...extra };
}

async function page(c: PageContext, view: DefinitionView, parts: { calc?: CalcState; reapply?: ReapplyState } = {}, status: 200 | 422 = 200) {
  return sendHtml(
    c,
    <SlaPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} view={view} calc={parts.calc ?? defaultCalc(c)} reapply={parts.reapply ?? (await reapplyState(c))} />,
    status,
  );
}

function slaView(c: PageContext): Promise<DefinitionView> {
  return loadDefinitionView(c.get('services'), 'sla', SLA_CONFIG_NAME, BASE);
}

export function slaPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  app.get('/manage/sla/calculator', async (c) => {
    managerOf(c);
    const services = c.get('services');
    const values = c.req.query();
    const versions = calcVersions(services, values.version);
    let state: CalcState;
    if (!versions) {
      state = { values: { ...values, version: '' }, errors: { version: 'choose the version in force or the draft' }, versions: calcVersions(services)! };
    } else {
      const outcome = calculateDue(services.definitions.sla(versions.chosen).config, values);
      state = outcome.ok ? { values, answer: outcome.answer, versions } : { values, errors: outcome.errors, versions };
    }
    const status = state.answer !== undefined ? 200 : 422;
    if (isHtmx(c)) {
      const config = (await slaView(c)).published!.body as SlaConfigJson;
      return sendHtml(c, <Calculator config={config} state={state} />, status);
    }
    return page(c, await slaView(c), { calc: state }, status);
  });

  app.get('/manage/sla/reapply', async (c) => {
    const principal = managerOf(c);
    const preview = await reapplySlaPolicy(c.get('services'), { dryRun: true, actor: principal.actor, limit: PREVIEW_LIMIT });
    if (isHtmx(c)) return sendHtml(c, <ReapplyPreview result={preview} csrfToken={c.get('csrfToken')} />);
    return page(c, await slaView(c), { reapply: await reapplyState(c, { preview }) });
  });

  app.post('/manage/sla/reapply', async (c) => {
    const principal = managerOf(c);
    const services = c.get('services');
    const form = await readForm(c);
    const expected = /^\d{1,9}$/.test(form.version ?? '') ? Number(form.version) : null;
    if (expected === null) throw new DomainError('VALIDATION_FAILED', 'Preview the changes first, then confirm.');
    const current = services.definitions.sla().version;
    if (current !== expected) {
      throw new DomainError('CONFLICT', `v${current} is in force now, not v${expected}: preview the changes again before re-applying.`);
    }
    const done = await reapplySlaPolicy(services, { actor: principal.actor, limit: 0 });
    return page(c, await slaView(c), { reapply: await reapplyState(c, { done }) });
  });

  app.route(
    '/',
    versionRoutes({
      kind: 'sla',
      path: BASE,
      nav: SLA_NAV,
      nameOf: () => SLA_CONFIG_NAME,
      href: () => BASE,
      title: () => 'SLA configuration',
      backLabel: () => 'SLA',
      render: (c, view, status = 200) => page(c, view, {}, status),
    }),
  );

  return app;
}
