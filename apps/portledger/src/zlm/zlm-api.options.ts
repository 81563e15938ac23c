/** ZLM_API_SECRET; the module is only registered when it is set. */
export const ZLM_API_SECRET = Symbol('ZLM_API_SECRET');
