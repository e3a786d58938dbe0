/** Tags and skills as rules set them (`addTags`, `requireSkills`) and examples expect them. */
import { z } from 'zod';

export const TAG_PATTERN = /^[a-z0-9][a-z0-9:_-]*$/i;

export const tagSchema = z.string().regex(TAG_PATTERN, 'tags use letters, digits, ":", "_" and "-"').max(64);
