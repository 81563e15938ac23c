import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { Settings } from '../config/settings';
import { passesWithoutToken } from '../http/auth-policy';
import { ErrorBody } from '../http/error-body';

/**
 * GET /docs (Swagger UI) and /docs-json, generated from the controllers and DTOs. With
 * AUTH_TOKENS set, bearer auth is declared and required on every route but /health and the
 * ZLMediaKit routes (which take their `secret`); /docs itself then needs the token too.
 */
export function setupOpenApi(app: INestApplication, settings: Settings): OpenAPIObject {
  const secured = settings.http.authTokens.length > 0;
  const builder = new DocumentBuilder()
    .setTitle('portledger')
    .setDescription(
      'Media port leases for GB28181 TCP-passive streams. Errors of /api/v1 are `{ statusCode, error, message }` (ErrorBody); ' +
        'the ZLMediaKit-compatible routes under /index/api/ always answer HTTP 200 with a `code`.',
    )
    .setVersion('1');
  if (secured) builder.addBearerAuth({ type: 'http', scheme: 'bearer', description: 'one of AUTH_TOKENS' }, 'bearer');
  const document = SwaggerModule.createDocument(app, builder.build(), { extraModels: [ErrorBody] });
  if (secured) {
    for (const [path, item] of Object.entries(document.paths)) {
      if (passesWithoutToken(path, true)) continue;
      for (const op of Object.values(item) as unknown[])
        if (op && typeof op === 'object' && 'responses' in op) (op as { security?: unknown }).security = [{ bearer: [] }];
    }
  }
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return document;
}
