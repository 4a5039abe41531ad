/**
 * Live import bindings (linking): the one implementation of an importer's binding, as realm source the loader
 * compiles once per realm, so a binding's getter is realm code that calls the exporter's getter directly
 * (calls from a vm context into host functions are never inlined).
 */

/** Compiled once per realm: defines a binding whose getter is realm code (see `realmBinder`). */
export const REALM_BINDER = `(function (host) {
  'use strict';
  return function define(bindings, local, resolve, constant, shown) {
    let getter;
    let known = false;
    let value;
    Object.defineProperty(bindings, local, {
      get() {
        if (known) return value;
        if (getter === undefined) {
          getter = resolve();
          if (getter === undefined) host.tdz(shown);
        }
        let current;
        try {
          current = getter();
        } catch (error) {
          host.rethrow(error, shown);
        }
        if (constant) {
          value = current;
          known = true;
        }
        return current;
      },
      set() {
        throw new TypeError('Assignment to constant variable.');
      },
      enumerable: true,
    });
  };
})`;

/** The realm's `define` from {@link REALM_BINDER}: the one implementation of a live import binding. */
export type Binder = (
  bindings: object,
  local: string,
  resolve: () => unknown,
  constant: boolean,
  shown: string,
) => void;
