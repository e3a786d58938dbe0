/** The built-in workflow actions. Adding one: a file here and a line below. */
import type { ActionRegistry } from '../registry.js';
import { assignAction } from './assign.js';
import { escalateAction } from './escalate.js';
import { notifyAction } from './notify.js';
import { unassignAction } from './unassign.js';

export function registerBuiltinActions(registry: ActionRegistry): ActionRegistry {
  return registry.register(assignAction).register(unassignAction).register(escalateAction).register(notifyAction);
}
