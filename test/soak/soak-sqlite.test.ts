import { test } from 'vitest';
import { CI_SECONDS, ciSoak } from './soak-ci';

test(
  `soak on SQLite for ${CI_SECONDS} s under kill -9, foreign port grabs and a flapping webhook: no port lost, no invariant broken`,
  async () => {
    await ciSoak('sqlite', 41);
  },
  (CI_SECONDS + 240) * 1000,
);
