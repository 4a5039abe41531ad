/**
 * Seeded `Math.random` for a codebase's realm. Each case (and each repeat) starts every version from the same
 * state, derived from the seed and the case's index: differences between versions then come from their code,
 * and a case's draws do not depend on which worker ran it or in what order.
 */
import type { Realm } from '../runtime/realm.js';

/** A realm's `Math.random`, reseedable. */
export interface SeededRandom {
  /** Restart the sequence for `seed` and `key` (a case index). */
  reset(key: number): void;
  /** Put the realm's own `Math.random` back. */
  restore(): void;
}

/** 32-bit avalanche of a number (splitmix32's finaliser). */
function mix(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Replaces `Math.random` of a vm-context realm with sfc32 (doubles in [0, 1) with 32 random bits). A host-realm
 * codebase shares the host's `Math`, which is left alone: `undefined` is returned.
 */
export function seedRealm(realm: Realm, seed: number): SeededRandom | undefined {
  if (!realm.context) return undefined;
  const math = (realm.global as unknown as { Math: Math }).Math;
  const original = Object.getOwnPropertyDescriptor(math, 'random');
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  const reset = (key: number) => {
    const base = mix(Math.floor(seed) ^ mix(Math.floor(seed / 2 ** 32)));
    a = mix(base ^ 0x243f6a88);
    b = mix(base ^ mix(key));
    c = mix(b ^ 0x85a308d3);
    d = 1;
    for (let i = 0; i < 12; i++) next();
  };
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // a method-shaped function named `random`, as the realm's own
  const random = { random: () => next() }.random;
  Object.defineProperty(math, 'random', { value: random, writable: true, configurable: true, enumerable: false });
  reset(0);
  return {
    reset,
    restore() {
      if (original) Object.defineProperty(math, 'random', original);
    },
  };
}
