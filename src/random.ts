// Seeded pseudo-random numbers. Every random choice in degen flows from a seed the user can see,
// never from time, so the same key always gives the same bytes.
import { createHash } from 'node:crypto';

/** 32-bit seed from any string (first 4 bytes of its SHA-256). */
export function seedFromString(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32LE(0);
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** sfc32: small, fast, passes PractRand to 2^40 bytes; state seeded through splitmix32. */
export class Rng {
  /** State a, b, c, d in a typed array: plain number fields above 2^30 would be boxed on every step. */
  readonly #s = new Uint32Array(4);
  #spare: number | undefined;

  constructor(seed: number | string) {
    const mix = splitmix32(typeof seed === 'string' ? seedFromString(seed) : seed);
    for (let i = 0; i < 4; i++) this.#s[i] = mix();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** Independent stream for a named purpose (e.g. `init`, `batches`), derived from this one's state. */
  fork(label: string): Rng {
    const s = this.#s;
    return new Rng(`${s[0]}:${s[1]}:${s[2]}:${s[3]}:${label}`);
  }

  uint32(): number {
    const s = this.#s;
    const a = s[0]!, b = s[1]!, c = s[2]!, d = s[3]!;
    const t = (a + b + d) >>> 0;
    s[3] = d + 1;
    s[0] = b ^ (b >>> 9);
    s[1] = c + (c << 3);
    s[2] = ((c << 21) | (c >>> 11)) + t;
    return t;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.uint32() >>> 5;
    const lo = this.uint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    if (this.#spare !== undefined) {
      const s = this.#spare;
      this.#spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(items: T[] | Int32Array | Uint32Array): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
    }
  }
}
