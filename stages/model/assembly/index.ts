// WebAssembly SIMD kernels for training one RNN: matrix products, forward pass, BPTT, penalties, Adam.
// The TypeScript wrapper (../kernels.ts) owns the memory layout and passes byte pointers; every array
// is float32, row-major, and every row length (n4, the padded hidden size) is a multiple of 4, so
// whole rows are processed as f32x4 vectors. Padded units have zero weights and stay zero.
// Notation as in ../network.ts: a_t = s W r_{t-1} + U x_t + b; standard r_t = tanh(a_t);
// mup h_t = (1-tau) h_{t-1} + tau a_t, r_t = tanh(h_t); y_t = o V r_t + c.

// ---------------------------------------------------------------------------------------------
// Matrix products. Every product runs one micro-kernel: a 4 x 8 block of C kept in eight f32x4
// registers, fed per step k by four broadcasts of A (4 consecutive floats of a packed panel) and two
// vectors of B. Reading the four A values at immediate offsets from one pointer keeps V8's loop to
// little more than the arithmetic; the packing copies cost O(M K) against the product's O(M N K).

// c + a b. The plain build (kernels.wasm) multiplies then adds. Built with `--enable relaxed-simd
// --use FMA=1` (kernels-fma.wasm, backend wasm-fma) it is one fused multiply-add: products about 30%
// faster, results different in the last bits, and Node 20 needs relaxed SIMD switched on.
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (isDefined(FMA)) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// C[rows<=4, 8] (+)= sum_k a_k b_k^T, with a_k = 4 floats at pa + k sa, b_k = 8 floats at pb + k sb.
@inline function tile4x8(pc: usize, lc: usize, pa: usize, sa: usize, pb: usize, sb: usize, K: i32, rows: i32, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  if (accumulate) {
    c00 = v128.load(pc);
    c01 = v128.load(pc, 16);
    if (rows > 1) { c10 = v128.load(pc + lc); c11 = v128.load(pc + lc, 16); }
    if (rows > 2) { c20 = v128.load(pc + 2 * lc); c21 = v128.load(pc + 2 * lc, 16); }
    if (rows > 3) { c30 = v128.load(pc + 3 * lc); c31 = v128.load(pc + 3 * lc, 16); }
  }
  // One step per iteration: unrolling by two made TurboFan hoist all eight broadcasts and spill.
  const end = pa + <usize>K * sa;
  while (pa < end) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let s = v128.load32_splat(pa);
    c00 = madd(s, b0, c00);
    c01 = madd(s, b1, c01);
    s = v128.load32_splat(pa, 4);
    c10 = madd(s, b0, c10);
    c11 = madd(s, b1, c11);
    s = v128.load32_splat(pa, 8);
    c20 = madd(s, b0, c20);
    c21 = madd(s, b1, c21);
    s = v128.load32_splat(pa, 12);
    c30 = madd(s, b0, c30);
    c31 = madd(s, b1, c31);
    pa += sa;
    pb += sb;
  }
  v128.store(pc, c00);
  v128.store(pc, c01, 16);
  if (rows > 1) { v128.store(pc + lc, c10); v128.store(pc + lc, c11, 16); }
  if (rows > 2) { v128.store(pc + 2 * lc, c20); v128.store(pc + 2 * lc, c21, 16); }
  if (rows > 3) { v128.store(pc + 3 * lc, c30); v128.store(pc + 3 * lc, c31, 16); }
}

// C[rows<=4, 4] (+)= sum_k a_k b_k^T (the last four columns when N is not a multiple of 8).
@inline function tile4x4(pc: usize, lc: usize, pa: usize, sa: usize, pb: usize, sb: usize, K: i32, rows: i32, accumulate: bool): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  if (accumulate) {
    c0 = v128.load(pc);
    if (rows > 1) c1 = v128.load(pc + lc);
    if (rows > 2) c2 = v128.load(pc + 2 * lc);
    if (rows > 3) c3 = v128.load(pc + 3 * lc);
  }
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(pb);
    c0 = madd(v128.load32_splat(pa), b0, c0);
    c1 = madd(v128.load32_splat(pa, 4), b0, c1);
    c2 = madd(v128.load32_splat(pa, 8), b0, c2);
    c3 = madd(v128.load32_splat(pa, 12), b0, c3);
    pa += sa;
    pb += sb;
  }
  v128.store(pc, c0);
  if (rows > 1) v128.store(pc + lc, c1);
  if (rows > 2) v128.store(pc + 2 * lc, c2);
  if (rows > 3) v128.store(pc + 3 * lc, c3);
}

// panel[M4/4][K][4] = A[M, K] in blocks of 4 rows, each block stored column by column (rows past M
// are zero). K a multiple of 4. This is A^T per block: what the micro-kernel reads.
function pack_rows(panel: usize, a: usize, M: i32, K: i32, la: usize): void {
  const zero = f32x4.splat(0);
  for (let i = 0; i < M; i += 4) {
    const r0 = a + <usize>i * la;
    const r1 = i + 1 < M ? r0 + la : 0;
    const r2 = i + 2 < M ? r0 + 2 * la : 0;
    const r3 = i + 3 < M ? r0 + 3 * la : 0;
    let dst = panel + <usize>i * (<usize>K << 2);
    for (let k: usize = 0; k < <usize>K << 2; k += 16) {
      const x0 = v128.load(r0 + k);
      const x1 = r1 ? v128.load(r1 + k) : zero;
      const x2 = r2 ? v128.load(r2 + k) : zero;
      const x3 = r3 ? v128.load(r3 + k) : zero;
      // 4 x 4 transpose: column j of the block becomes 4 consecutive floats.
      const t0 = f32x4.shuffle(x0, x1, 0, 4, 1, 5);
      const t1 = f32x4.shuffle(x2, x3, 0, 4, 1, 5);
      const t2 = f32x4.shuffle(x0, x1, 2, 6, 3, 7);
      const t3 = f32x4.shuffle(x2, x3, 2, 6, 3, 7);
      v128.store(dst, f32x4.shuffle(t0, t1, 0, 1, 4, 5));
      v128.store(dst, f32x4.shuffle(t0, t1, 2, 3, 6, 7), 16);
      v128.store(dst, f32x4.shuffle(t2, t3, 0, 1, 4, 5), 32);
      v128.store(dst, f32x4.shuffle(t2, t3, 2, 3, 6, 7), 48);
      dst += 64;
    }
  }
}

// C[M, N] (+)= A[M, K] B[K, N]; N and K multiples of 4; lda, ldb, ldc in floats; adds to C when
// `accumulate`. `panel` is scratch for A packed by pack_rows (4 ceil(M/4) K floats).
export function gemm_nn(c: usize, a: usize, b: usize, M: i32, N: i32, K: i32, lda: i32, ldb: i32, ldc: i32, accumulate: bool, panel: usize): void {
  const lb = <usize>ldb << 2;
  const lc = <usize>ldc << 2;
  pack_rows(panel, a, M, K, <usize>lda << 2);
  const block = <usize>K << 4;
  let j = 0;
  for (; j + 8 <= N; j += 8) {
    for (let i = 0; i < M; i += 4) {
      tile4x8(c + <usize>i * lc + (<usize>j << 2), lc, panel + <usize>(i >> 2) * block, 16, b + (<usize>j << 2), lb, K, min(4, M - i), accumulate);
    }
  }
  if (j < N) {
    for (let i = 0; i < M; i += 4) {
      tile4x4(c + <usize>i * lc + (<usize>j << 2), lc, panel + <usize>(i >> 2) * block, 16, b + (<usize>j << 2), lb, K, min(4, M - i), accumulate);
    }
  }
}

// Rows of K processed per pass of gemm_tn: the packed A block (TN_BLOCK x M floats) stays in L2 and
// each 8-column strip of B (TN_BLOCK x 8) in L1 while it is reused down the rows of C.
const TN_BLOCK: i32 = 128;

// C[M, N] (+)= A[K, M]^T B[K, N]; M and N multiples of 4; accumulates into C when `accumulate`.
// Each block of TN_BLOCK rows of A is first copied into `panel` [M/4][kn][4] (TN_BLOCK M floats), so
// the micro-kernel reads its A values contiguously instead of one 16-byte piece per cache line.
export function gemm_tn(c: usize, a: usize, b: usize, M: i32, N: i32, K: i32, lda: i32, ldb: i32, ldc: i32, accumulate: bool, panel: usize): void {
  const la = <usize>lda << 2;
  const lb = <usize>ldb << 2;
  const lc = <usize>ldc << 2;
  for (let k0 = 0; k0 < K; k0 += TN_BLOCK) {
    const kn = min(TN_BLOCK, K - k0);
    const add = accumulate || k0 > 0;
    const ak = a + <usize>k0 * la;
    const bk = b + <usize>k0 * lb;
    const block = <usize>kn << 4;
    for (let k = 0; k < kn; k++) {
      const src = ak + <usize>k * la;
      let dst = panel + (<usize>k << 4);
      for (let i = 0; i < M; i += 4) {
        v128.store(dst, v128.load(src + (<usize>i << 2)));
        dst += block;
      }
    }
    let j = 0;
    for (; j + 8 <= N; j += 8) {
      for (let i = 0; i < M; i += 4) tile4x8(c + <usize>i * lc + (<usize>j << 2), lc, panel + <usize>(i >> 2) * block, 16, bk + (<usize>j << 2), lb, kn, 4, add);
    }
    if (j < N) {
      for (let i = 0; i < M; i += 4) tile4x4(c + <usize>i * lc + (<usize>j << 2), lc, panel + <usize>(i >> 2) * block, 16, bk + (<usize>j << 2), lb, kn, 4, add);
    }
  }
}

// C[n, n] = A[K, n]^T A[K, n] (symmetric): only the 4 x 8 tiles that reach the diagonal or above are
// computed, the rest is mirrored. n a multiple of 4; panel as for gemm_tn.
export function gram_tn(c: usize, a: usize, n: i32, K: i32, lda: i32, panel: usize): void {
  const la = <usize>lda << 2;
  const lc = <usize>n << 2;
  for (let k0 = 0; k0 < K; k0 += TN_BLOCK) {
    const kn = min(TN_BLOCK, K - k0);
    const add = k0 > 0;
    const ak = a + <usize>k0 * la;
    const block = <usize>kn << 4;
    for (let k = 0; k < kn; k++) {
      const src = ak + <usize>k * la;
      let dst = panel + (<usize>k << 4);
      for (let i = 0; i < n; i += 4) {
        v128.store(dst, v128.load(src + (<usize>i << 2)));
        dst += block;
      }
    }
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      for (let i = 0; i < j + 8; i += 4) tile4x8(c + <usize>i * lc + (<usize>j << 2), lc, panel + <usize>(i >> 2) * block, 16, ak + (<usize>j << 2), la, kn, 4, add);
    }
    if (j < n) {
      for (let i = 0; i < n; i += 4) tile4x4(c + <usize>i * lc + (<usize>j << 2), lc, panel + <usize>(i >> 2) * block, 16, ak + (<usize>j << 2), la, kn, 4, add);
    }
  }
  // Entry (r, col) lies in an uncomputed tile when (col rounded down to 8) + 8 <= (r rounded down to 4),
  // that is col < r rounded down to 8 (past row 8); its mirror (col, r) was computed.
  for (let r = 0; r < n; r++) {
    const lim = r & ~7;
    for (let col = 0; col < lim; col++) store<f32>(c + ((<usize>r * n + col) << 2), load<f32>(c + ((<usize>col * n + r) << 2)));
  }
}

// B[N, M] = s A[M, N]^T (keeps s W^T for the forward product).
export function transpose(b: usize, a: usize, M: i32, N: i32, s: f32): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) store<f32>(b + ((<usize>j * M + i) << 2), s * load<f32>(a + ((<usize>i * N + j) << 2)));
  }
}

// ---------------------------------------------------------------------------------------------
// tanh(x) ~ x P(x^2) / Q(x^2) on |x| <= 9 (clamped beyond, where tanh rounds to +-1 in float32), with
// P, Q of degree 4 fitted by us (Lawson-weighted least squares on the relative error, float64).
// Max error of this float32 evaluation against tanh: 3.3e-7 absolute and relative (about 3 ulp); NaN stays NaN;
// tests/model/kernels.test.ts checks it against Math.tanh.
const TANH_CLAMP: f32 = 9.0;
const P1: f32 = 0.13381017744541168;
const P2: f32 = 0.0034955788869410753;
const P3: f32 = 2.0608926206477918e-05;
const P4: f32 = 1.3354442884860873e-08;
const Q1: f32 = 0.46714332699775696;
const Q2: f32 = 0.02587694674730301;
const Q3: f32 = 0.00032856196048669517;
const Q4: f32 = 7.776469033160538e-07;

// Each constant four times, so one v128.load gives the splat.
const TANH_TABLE = memory.data<f32>([
  -TANH_CLAMP, -TANH_CLAMP, -TANH_CLAMP, -TANH_CLAMP, TANH_CLAMP, TANH_CLAMP, TANH_CLAMP, TANH_CLAMP,
  P1, P1, P1, P1, P2, P2, P2, P2, P3, P3, P3, P3, P4, P4, P4, P4,
  Q1, Q1, Q1, Q1, Q2, Q2, Q2, Q2, Q3, Q3, Q3, Q3, Q4, Q4, Q4, Q4,
  1, 1, 1, 1, -1, -1, -1, -1,
], 16);

// y[i] = tanh(x[i]) for i < count (count a multiple of 4; y may be x).
// The coefficients are loaded from memory rather than written as v128 constants: V8 rebuilds a
// v128 constant with several instructions at every use inside a loop, while a load from L1 is one
// operand of the arithmetic instruction.
export function tanh_array(y: usize, x: usize, count: i32): void {
  const c = TANH_TABLE;
  const end = x + (<usize>count << 2);
  let py = y;
  for (let px = x; px < end; px += 16) {
    const v = f32x4.pmin(f32x4.pmax(v128.load(px), v128.load(c)), v128.load(c, 16));
    const z = f32x4.mul(v, v);
    let p = madd(z, v128.load(c, 80), v128.load(c, 64));
    let q = madd(z, v128.load(c, 144), v128.load(c, 128));
    p = madd(z, p, v128.load(c, 48));
    q = madd(z, q, v128.load(c, 112));
    p = madd(z, p, v128.load(c, 32));
    q = madd(z, q, v128.load(c, 96));
    p = madd(z, p, v128.load(c, 160));
    q = madd(z, q, v128.load(c, 160));
    const t = f32x4.div(f32x4.mul(v, p), q);
    v128.store(py, f32x4.pmin(f32x4.pmax(t, v128.load(c, 176)), v128.load(c, 160)));
    py += 16;
  }
}

// ---------------------------------------------------------------------------------------------
// Forward pass over T steps for B trials (S = T B rows, time-major). Only the recurrent product is
// sequential; the input projection (bias folded in as a constant input of 1) is one product over
// all S rows, and so is the readout.
//   wt [n4, n4] = s W^T;  ub [mx, n4] = [U^T; b; 0];  x [T, B, mx] (inputs, 1, 0...);
//   r [T+1, B, n4] with r[0] = 0;  h [T+1, B, n4] (mup state, h[0] = 0; unused for standard).
export function forward(wt: usize, ub: usize, x: usize, r: usize, h: usize, panel: usize, T: i32, B: i32, n4: i32, mx: i32, mup: bool, tau: f32): void {
  const step = <usize>B * n4 << 2;
  const rows = B * n4;
  memory.fill(r, 0, step);
  // r_t <- U x_t + b for every t at once.
  gemm_nn(r + step, x, ub, T * B, n4, mx, mx, n4, n4, false, panel);
  if (mup) memory.fill(h, 0, step);
  for (let t = 1; t <= T; t++) {
    const rt = r + <usize>t * step;
    // r_t += s r_{t-1} W^T: [B, n4] += [B, n4] [n4, n4]; r_0 = 0 needs no product.
    if (t > 1) gemm_nn(rt, rt - step, wt, B, n4, n4, n4, n4, n4, true, panel);
    if (mup) {
      const ht = h + <usize>t * step;
      leak(ht, ht - step, rt, rows, tau);
      tanh_array(rt, ht, rows);
    } else {
      tanh_array(rt, rt, rows);
    }
  }
}

// h_t = (1 - tau) h_{t-1} + tau a_t over [count].
function leak(ht: usize, hprev: usize, a: usize, count: i32, tau: f32): void {
  const vtau = f32x4.splat(tau);
  const vkeep = f32x4.splat(1 - tau);
  for (let i: usize = 0; i < <usize>count << 2; i += 16) v128.store(ht + i, madd(vtau, v128.load(a + i), f32x4.mul(vkeep, v128.load(hprev + i))));
}

// y[S, p4] = r[S, n4] vo[p4, n4]^T + c, with vo = o V (r points at r_1): four dot products per row
// and output block, summed across lanes by a 4 x 4 transpose.
export function readout(y: usize, r: usize, vo: usize, c: usize, S: i32, n4: i32, p4: i32): void {
  const row = <usize>n4 << 2;
  for (let k = 0; k < S; k++) {
    const pr = r + <usize>k * row;
    for (let q = 0; q < p4; q += 4) {
      const v0 = vo + <usize>q * row;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      for (let i: usize = 0; i < row; i += 16) {
        const x = v128.load(pr + i);
        a0 = madd(x, v128.load(v0 + i), a0);
        a1 = madd(x, v128.load(v0 + row + i), a1);
        a2 = madd(x, v128.load(v0 + 2 * row + i), a2);
        a3 = madd(x, v128.load(v0 + 3 * row + i), a3);
      }
      const t0 = f32x4.add(f32x4.shuffle(a0, a1, 0, 4, 1, 5), f32x4.shuffle(a0, a1, 2, 6, 3, 7));
      const t1 = f32x4.add(f32x4.shuffle(a2, a3, 0, 4, 1, 5), f32x4.shuffle(a2, a3, 2, 6, 3, 7));
      const sum = f32x4.add(f32x4.shuffle(t0, t1, 0, 1, 4, 5), f32x4.shuffle(t0, t1, 2, 3, 6, 7));
      const at = (<usize>k * p4 + q) << 2;
      v128.store(y + at, f32x4.add(sum, v128.load(c + (<usize>q << 2))));
    }
  }
}

// mse = sum(mask (y - target)^2) / sum(mask);  dy = 2 mask (y - target) / sum(mask).  All [count].
// Sums in float64 so the loss of a large batch does not lose digits. Returns the MSE.
export function masked_mse(dy: usize, y: usize, target: usize, mask: usize, count: i32): f64 {
  let total: f64 = 0;
  let weight: f64 = 0;
  for (let i = 0; i < count; i++) {
    const at = <usize>i << 2;
    const d = load<f32>(y + at) - load<f32>(target + at);
    const mk = load<f32>(mask + at);
    total += <f64>(mk * d * d);
    weight += <f64>mk;
  }
  const scale = <f32>(2 / weight);
  for (let i = 0; i < count; i++) {
    const at = <usize>i << 2;
    store<f32>(dy + at, scale * load<f32>(mask + at) * (load<f32>(y + at) - load<f32>(target + at)));
  }
  return total / weight;
}

// ---------------------------------------------------------------------------------------------
// Backpropagation through time.
//   dr_t = o V^T dy_t + s W^T e_{t+1};  standard e_t = (1 - r_t^2) dr_t;
//   mup g_t = (1-tau) g_{t+1} + (1 - r_t^2) dr_t, e_t = tau g_t;
//   gW = s sum_t e_t r_{t-1}^T,  [gU^T; gb] = sum_t [x_t; 1] e_t^T,  gV = o sum_t dy_t r_t^T,  gc = sum_t dy_t.
// Inputs: ws [n4, n4] = s W;  vo [p4, n4] = o V;  x [T, B, mx];  r [T+1, B, n4];  dy [T, B, p4].
// Writes e [T, B, n4] (dL/da_t, t = 1..T) and gw [n4, n4], gub [mx, n4], gv [p4, n4], gc [p4];
// g [B, n4] is scratch (mup), panel is gemm_nn's.
export function backward(ws: usize, vo: usize, x: usize, r: usize, dy: usize, e: usize, g: usize, panel: usize,
  gw: usize, gub: usize, gv: usize, gc: usize,
  T: i32, B: i32, n4: i32, mx: i32, p4: i32, mup: bool, s: f32, o: f32, tau: f32): void {
  const step = <usize>B * n4 << 2;
  const rows = B * n4;
  const S = T * B;
  // e_t <- o V^T dy_t for every t at once (the output's share of dr_t).
  gemm_nn(e, dy, vo, S, n4, p4, p4, n4, n4, false, panel);
  if (mup) memory.fill(g, 0, step);
  for (let t = T; t >= 1; t--) {
    const et = e + <usize>(t - 1) * step;
    const rt = r + <usize>t * step;
    // dr_t += s e_{t+1} W: [B, n4] += [B, n4] [n4, n4].
    if (t < T) gemm_nn(et, et + step, ws, B, n4, n4, n4, n4, n4, true, panel);
    if (mup) leaky_slope(et, g, rt, rows, tau);
    else tanh_slope(et, rt, rows);
  }
  // gW = s e^T r_prev over all rows at once (e_1 pairs with r_0 = 0, so start at t = 2).
  if (T > 1) {
    gemm_tn(gw, e + step, r + step, n4, n4, S - B, n4, n4, n4, false, panel);
    if (s != 1) scale_array(gw, n4 * n4, s);
  } else {
    memory.fill(gw, 0, <usize>n4 * n4 << 2);
  }
  gemm_tn(gub, x, e, mx, n4, S, mx, n4, n4, false, panel);
  gemm_tn(gv, dy, r + step, p4, n4, S, p4, n4, n4, false, panel);
  if (o != 1) scale_array(gv, p4 * n4, o);
  const row = <usize>p4 << 2;
  memory.fill(gc, 0, row);
  for (let k = 0; k < S; k++) {
    for (let j: usize = 0; j < row; j += 16) v128.store(gc + j, f32x4.add(v128.load(gc + j), v128.load(dy + <usize>k * row + j)));
  }
}

// e = (1 - r^2) e over [count].
function tanh_slope(e: usize, r: usize, count: i32): void {
  const one = f32x4.splat(1);
  for (let i: usize = 0; i < <usize>count << 2; i += 16) {
    const rv = v128.load(r + i);
    v128.store(e + i, f32x4.mul(f32x4.sub(one, f32x4.mul(rv, rv)), v128.load(e + i)));
  }
}

// g = (1 - tau) g + (1 - r^2) e;  e = tau g   over [count].
function leaky_slope(e: usize, g: usize, r: usize, count: i32, tau: f32): void {
  const one = f32x4.splat(1);
  const vtau = f32x4.splat(tau);
  const vkeep = f32x4.splat(1 - tau);
  for (let i: usize = 0; i < <usize>count << 2; i += 16) {
    const rv = v128.load(r + i);
    const gv = madd(f32x4.sub(one, f32x4.mul(rv, rv)), v128.load(e + i), f32x4.mul(vkeep, v128.load(g + i)));
    v128.store(g + i, gv);
    v128.store(e + i, f32x4.mul(vtau, gv));
  }
}

// a *= s over [count].
export function scale_array(a: usize, count: i32, s: f32): void {
  const vs = f32x4.splat(s);
  for (let i: usize = 0; i < <usize>count << 2; i += 16) v128.store(a + i, f32x4.mul(vs, v128.load(a + i)));
}

// ---------------------------------------------------------------------------------------------
// Penalties on W [n4, n4]: adds l1 sign(W) + nuclear polar(W) to gw; returns l1 sum|W| + nuclear sum sigma(W).
// polar(W) = U V^T (from W = U S V^T) is computed by Newton-Schulz, X <- 1.5 X - 0.5 X X^T X, which
// maps every singular value in (0, sqrt 3) to 1 using matrix products only. X_0 = W / sigma_max, with
// sigma_max estimated by power iteration (an estimate from below; NS converges up to sqrt 3 sigma_max).
// Random W at n = 64..256 take 17-21 iterations of 1.5 n^3 multiply-adds each (X^T X is symmetric):
// 5 ms at n = 128 against a 25 ms training step, 45 ms at n = 256 against 105 ms.
// Scratch: x, xx, xxx, panel [n4, n4]; u, z [n4].
export function penalties(w: usize, gw: usize, x: usize, xx: usize, xxx: usize, u: usize, z: usize, panel: usize, n4: i32, l1: f32, nuclear: f32, maxIter: i32, tol: f32): f64 {
  const count = <usize>n4 * n4;
  let value: f64 = 0;
  if (l1 > 0) {
    let sum: f64 = 0;
    for (let i: usize = 0; i < count; i++) {
      const wi = load<f32>(w + (i << 2));
      sum += <f64>abs(wi);
      // sign(0) = 0, so padded entries get no gradient.
      const sg: f32 = wi > 0 ? 1 : wi < 0 ? -1 : 0;
      store<f32>(gw + (i << 2), load<f32>(gw + (i << 2)) + l1 * sg);
    }
    value += <f64>l1 * sum;
  }
  if (nuclear > 0) {
    const sigma = spectral_norm(w, u, z, n4);
    if (sigma > 0) {
      polar(x, w, xx, xxx, panel, n4, <f32>(1 / sigma), maxIter, tol);
      // sum sigma(W) = trace(polar(W)^T W) = <polar(W), W>.
      let trace: f64 = 0;
      for (let i: usize = 0; i < count; i++) {
        const at = i << 2;
        const q = load<f32>(x + at);
        trace += <f64>(q * load<f32>(w + at));
        store<f32>(gw + at, load<f32>(gw + at) + nuclear * q);
      }
      value += <f64>nuclear * trace;
    }
  }
  return value;
}

// Largest singular value of W [n4, n4] by 12 power iterations on W^T W (a lower estimate).
function spectral_norm(w: usize, u: usize, z: usize, n4: i32): f64 {
  const n = <usize>n4;
  const row = n << 2;
  // A deterministic start with no special alignment to any matrix we meet.
  for (let i: usize = 0; i < n; i++) store<f32>(u + (i << 2), <f32>(1 + 0.37 * <f64>((i * 7) % 11)));
  let sigma: f64 = 0;
  for (let it = 0; it < 12; it++) {
    // u <- u / |u|;  z = W u;  sigma = |z|;  u = W^T z.
    let norm: f64 = 0;
    for (let i: usize = 0; i < n; i++) norm += <f64>(load<f32>(u + (i << 2)) * load<f32>(u + (i << 2)));
    if (norm == 0) return 0;
    const inv = f32x4.splat(<f32>(1 / Math.sqrt(norm)));
    for (let i: usize = 0; i < row; i += 16) v128.store(u + i, f32x4.mul(inv, v128.load(u + i)));
    let zz: f64 = 0;
    for (let i: usize = 0; i < n; i++) {
      let acc = f32x4.splat(0);
      const wi = w + i * row;
      for (let j: usize = 0; j < row; j += 16) acc = madd(v128.load(wi + j), v128.load(u + j), acc);
      const sum = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
      store<f32>(z + (i << 2), sum);
      zz += <f64>(sum * sum);
    }
    sigma = Math.sqrt(zz);
    memory.fill(u, 0, row);
    for (let i: usize = 0; i < n; i++) {
      const zi = v128.load32_splat(z + (i << 2));
      const wi = w + i * row;
      for (let j: usize = 0; j < row; j += 16) v128.store(u + j, madd(zi, v128.load(wi + j), v128.load(u + j)));
    }
  }
  return sigma;
}

// x = polar(w) by Newton-Schulz from x = scale w; stops when max |x_{k+1} - x_k| < tol. Returns iterations.
export function polar(x: usize, w: usize, xx: usize, xxx: usize, panel: usize, n4: i32, scale: f32, maxIter: i32, tol: f32): i32 {
  const count = <usize>n4 * n4;
  const vs = f32x4.splat(scale);
  for (let i: usize = 0; i < count << 2; i += 16) v128.store(x + i, f32x4.mul(vs, v128.load(w + i)));
  const a = f32x4.splat(1.5);
  const b = f32x4.splat(-0.5);
  let it = 0;
  while (it < maxIter) {
    it++;
    gram_tn(xx, x, n4, n4, n4, panel); // X^T X (symmetric)
    gemm_nn(xxx, x, xx, n4, n4, n4, n4, n4, n4, false, panel); // X X^T X
    let change = f32x4.splat(0);
    for (let i: usize = 0; i < count << 2; i += 16) {
      const old = v128.load(x + i);
      const next = madd(b, v128.load(xxx + i), f32x4.mul(a, old));
      change = f32x4.max(change, f32x4.abs(f32x4.sub(next, old)));
      v128.store(x + i, next);
    }
    const worst = max(max(f32x4.extract_lane(change, 0), f32x4.extract_lane(change, 1)), max(f32x4.extract_lane(change, 2), f32x4.extract_lane(change, 3)));
    if (worst < tol) break;
  }
  return it;
}

// ---------------------------------------------------------------------------------------------
// Optimiser. All over the flat parameter vector [count] (count a multiple of 4).

// Returns sum g^2 (for global-norm clipping).
export function sum_squares(g: usize, count: i32): f64 {
  let total: f64 = 0;
  for (let i: usize = 0; i < <usize>count << 2; i += 16) {
    const v = v128.load(g + i);
    const sq = f32x4.mul(v, v);
    total += <f64>(f32x4.extract_lane(sq, 0) + f32x4.extract_lane(sq, 1) + f32x4.extract_lane(sq, 2) + f32x4.extract_lane(sq, 3));
  }
  return total;
}

// Adam with bias correction, as PyTorch writes it:
//   m = b1 m + (1-b1) k g;  v = b2 v + (1-b2) (k g)^2;  w -= step m / (sqrt(v) * root + eps)
// with k the clipping factor, step = lr / (1 - b1^t), root = 1 / sqrt(1 - b2^t).
export function adam(w: usize, g: usize, m1: usize, m2: usize, count: i32, k: f32, step: f32, root: f32, b1: f32, b2: f32, eps: f32): void {
  const vk = f32x4.splat(k);
  const vb1 = f32x4.splat(b1);
  const vc1 = f32x4.splat(1 - b1);
  const vb2 = f32x4.splat(b2);
  const vc2 = f32x4.splat(1 - b2);
  const vstep = f32x4.splat(step);
  const vroot = f32x4.splat(root);
  const veps = f32x4.splat(eps);
  for (let i: usize = 0; i < <usize>count << 2; i += 16) {
    const gv = f32x4.mul(vk, v128.load(g + i));
    const mv = madd(vc1, gv, f32x4.mul(vb1, v128.load(m1 + i)));
    const vv = madd(vc2, f32x4.mul(gv, gv), f32x4.mul(vb2, v128.load(m2 + i)));
    v128.store(m1 + i, mv);
    v128.store(m2 + i, vv);
    const denom = madd(f32x4.sqrt(vv), vroot, veps);
    v128.store(w + i, f32x4.sub(v128.load(w + i), f32x4.div(f32x4.mul(vstep, mv), denom)));
  }
}

// madd(a, a, c) in lane 0. With a = 1 + 2^-23 and c = -(1 + 2^-22), a fused multiply-add gives 2^-46 and a
// multiply then add gives 0 (a a rounds to 1 + 2^-22 first): the wrapper uses this to check that the fma
// build really fuses here, since relaxed SIMD lets an engine do either and the two give different bits.
export function madd_probe(a: f32, c: f32): f32 {
  return f32x4.extract_lane(madd(f32x4.splat(a), f32x4.splat(a), f32x4.splat(c)), 0);
}

// End of the kernels' own static data; the wrapper places its buffers above it.
export function heap_base(): usize {
  return __heap_base;
}
