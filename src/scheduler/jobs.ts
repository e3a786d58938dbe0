/** The scheduled jobs of a running server. */
import type { Config } from '../config.js';
import type { Services } from '../services.js';
import type { Job } from './scheduler.js';

export function serverJobs(services: Services, config: Pick<Config, 'slaSweepCron'>): Job[] {
  return [
    {
      name: 'outbox',
      schedule: config.slaSweepCron,
      run: () => services.outbox.drain(),
    },
  ];
}
