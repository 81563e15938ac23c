import { test } from 'vitest';
import { CI_SECONDS, ciSoak } from './soak-ci';

test(
  `soak on PostgreSQL for ${CI_SECONDS} s under kill -9, database cuts, foreign port grabs and a flapping webhook: no port lost, no invariant broken`,
  async () => {
    await ciSoak('postgres', 42);
  },
  (CI_SECONDS + 240) * 1000,
);
