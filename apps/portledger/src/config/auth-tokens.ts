/** Shortest bearer token accepted: 16 characters (e.g. `openssl rand -hex 16` gives 32). */
export const MIN_TOKEN_LENGTH = 16;

/** Values people leave in place from examples and templates, compared without case and separators. */
const PLACEHOLDERS = new Set([
  'changeme',
  'changemetoken',
  'secret',
  'secrettoken',
  'supersecret',
  'supersecrettoken',
  'password',
  'password123',
  'token',
  'apitoken',
  'authtoken',
  'bearertoken',
  'accesstoken',
  'mytoken',
  'testtoken',
  'test',
  'example',
  'exampletoken',
  'admin',
  'default',
  'defaulttoken',
  'insecure',
  'insecuretoken',
  'letmein',
  'qwertyuiopasdfgh',
  '0123456789abcdef',
  '1234567890123456',
  'abcdefghijklmnop',
]);
/** Parts that mark a value as a template's placeholder wherever they appear. */
const PLACEHOLDER_PARTS = ['changeme', 'replaceme', 'yourtoken', 'placeholder'];

/**
 * Why the AUTH_TOKENS list is unusable, one line per bad token, naming it by position only:
 * a token is never echoed (it may be a real one with a typo, and start-up output is logged).
 */
export function authTokenProblems(tokens: string[]): string[] {
  const problems: string[] = [];
  tokens.forEach((token, i) => {
    const which = `AUTH_TOKENS: token ${i + 1} of ${tokens.length}`;
    const normalised = token.toLowerCase().replace(/[^a-z0-9]/g, '');
    if (token.length < MIN_TOKEN_LENGTH) {
      problems.push(`${which} is shorter than ${MIN_TOKEN_LENGTH} characters; use a random one (e.g. openssl rand -hex 24)`);
    } else if (PLACEHOLDERS.has(normalised) || PLACEHOLDER_PARTS.some((p) => normalised.includes(p)) || new Set(token).size < 4) {
      problems.push(`${which} is a well-known placeholder (like change-me); use a random one (e.g. openssl rand -hex 24)`);
    }
  });
  return problems;
}
