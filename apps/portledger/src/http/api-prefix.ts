/** The global route prefix of the REST API, and the controller paths left outside it. */
export const API_PREFIX = 'api/v1';
export const OUTSIDE_API_PREFIX = ['health', 'metrics', 'admin', 'admin/console.js', 'admin/console.css', 'index/api/{*path}'];
