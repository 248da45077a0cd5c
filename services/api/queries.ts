// The query API's reads live in the store (services/store/queries.ts); re-exported for the routes.
export * from '../store/queries.js';
