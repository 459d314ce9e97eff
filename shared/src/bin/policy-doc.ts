/** Writes docs/policy.md from the default policy: `npm run docs:policy`. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_POLICY } from '../policy/default-policy';
import { policyMarkdown } from '../policy/policy-markdown';
import { PolicyDocumentSchema } from '../policy/policy.schema';

const file = path.resolve(__dirname, '..', '..', '..', 'docs', 'policy.md');
writeFileSync(file, policyMarkdown(PolicyDocumentSchema.parse(DEFAULT_POLICY)));
process.stdout.write(`wrote ${file}\n`);
