/**
 * `@codesave/core`: save a project as a zip snapshot, and load snapshots back side by side.
 * @packageDocumentation
 */
export { CodesaveError, type CodesaveErrorCode, isCodesaveError } from './errors.js';
export { assertRealmEqual, type RealmDifference, realmDifference, realmEqual } from './compare/realm-equal.js';
export * from './snapshot/index.js';
