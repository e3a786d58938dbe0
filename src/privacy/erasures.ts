/** Reading the record of erasures. */
import type { Services } from '../services.js';

/** Whether the customer's personal data has been erased (a completed erasure of the whole customer). */
export function isErased(services: Pick<Services, 'db'>, customerId: number): boolean {
  return services.db.$client.prepare('SELECT 1 FROM erasures WHERE customer_id = ? AND case_id IS NULL AND completed_at IS NOT NULL').get(customerId) !== undefined;
}
