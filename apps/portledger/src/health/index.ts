import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { HEALTH_INDICATORS } from './ledger-health.indicators';
import { Readiness } from './readiness';
import { ReadinessGuard } from './readiness.guard';

export { HealthController } from './health.controller';
export { Readiness } from './readiness';
export { ReadinessGuard } from './readiness.guard';

/** What the app module adds for /health and the start-up gate (registered in the app module, which sees the reconciler). */
export const HEALTH_IMPORTS = [TerminusModule.forRoot({ logger: false })];
export const HEALTH_CONTROLLERS = [HealthController];
export const HEALTH_PROVIDERS = [Readiness, ReadinessGuard, ...HEALTH_INDICATORS];
