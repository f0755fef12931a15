// Path integration: from a start position and then a heading and speed at every step, output the
// current position inside a box whose walls reflect.
import { defineStage } from '../../src/stage.js';
import { taskOutputs, taskParamsSchema, taskTables, type FillTrial, type TaskParams } from './common.js';

export interface PathIntegrationParams extends TaskParams {
  readonly dims: 2 | 3;
  readonly position_scale: number;
}

/** The box is [-5, 5]^dims. */
const WALL = 5;
const SPEED_MAX = 0.3;
/** Standard deviation of the heading's random walk, rad/step (azimuth and, in 3-D, elevation). */
const TURN_STD = 0.2;

/** Input width: start position (dims), heading (cos, sin of azimuth; in 3-D also of elevation), speed. */
export function pathInputs(dims: 2 | 3): number {
  return dims + (dims === 2 ? 2 : 4) + 1;
}

/**
 * Fills a trial: inputs [T, n_in] with row 0 = (start position, 0...) and row t >= 1 =
 * (0 x dims, cos az, sin az, [cos el, sin el,] speed); targets [T, dims] = position after step t.
 * Moving: p_t = p_{t-1} + v_t * (cos el cos az, cos el sin az[, sin el]); a coordinate past a wall is
 * mirrored back into the box and the heading's component along it is reversed for later steps.
 * The start input and the targets are positions times `scale` (the box is [-5 scale, 5 scale]^dims).
 */
function pathTrial(dims: 2 | 3, scale: number): FillTrial {
  const n_in = pathInputs(dims);
  const speedAt = n_in - 1;
  const position = new Float64Array(dims); // [dims], reused across trials
  const direction = new Float64Array(dims); // [dims], unit vector of this step's heading
  return (rng, T, inputs, targets) => {
    for (let d = 0; d < dims; d++) {
      inputs[d] = rng.uniform(-WALL, WALL) * scale;
      // Integrate from the float32 values the network sees, so targets follow from inputs exactly.
      position[d] = inputs[d]! / scale;
      targets[d] = inputs[d]!;
    }
    let azimuth = rng.uniform(0, 2 * Math.PI);
    // asin of a uniform gives directions uniform on the sphere.
    let elevation = dims === 3 ? Math.asin(rng.uniform(-1, 1)) : 0;
    for (let t = 1; t < T; t++) {
      const row = t * n_in;
      inputs[row + dims] = Math.cos(azimuth);
      inputs[row + dims + 1] = Math.sin(azimuth);
      if (dims === 3) {
        inputs[row + dims + 2] = Math.cos(elevation);
        inputs[row + dims + 3] = Math.sin(elevation);
      }
      inputs[row + speedAt] = rng.uniform(0, SPEED_MAX);
      const speed = inputs[row + speedAt]!;
      const cosEl = dims === 3 ? inputs[row + dims + 2]! : 1;
      direction[0] = cosEl * inputs[row + dims]!;
      direction[1] = cosEl * inputs[row + dims + 1]!;
      if (dims === 3) direction[2] = inputs[row + dims + 3]!;
      for (let d = 0; d < dims; d++) {
        let p = position[d]! + speed * direction[d]!;
        // One mirror suffices: a step (<= 0.3) never crosses the 10-wide box.
        const hit = p > WALL || p < -WALL;
        if (p > WALL) p = 2 * WALL - p;
        else if (p < -WALL) p = -2 * WALL - p;
        if (hit) {
          if (d === 0) azimuth = Math.PI - azimuth;
          else if (d === 1) azimuth = -azimuth;
          else elevation = -elevation;
        }
        position[d] = p;
        targets[t * dims + d] = p * scale;
      }
      azimuth += TURN_STD * rng.normal();
      if (dims === 3) elevation += TURN_STD * rng.normal();
    }
  };
}

export const pathIntegration = defineStage<PathIntegrationParams>({
  name: 'task/path-integration',
  version: 1,
  module: import.meta.url,
  description: 'Path integration: integrate heading and speed from a given start position in a box with reflecting walls.',
  params: taskParamsSchema(100, 1, {
    dims: { type: 'integer', enum: [2, 3], default: 2, description: 'Dimension of the space: 2 (plane) or 3.' },
    // Positions in half-widths of the box by default: with raw coordinates (|p| up to 5) a 64-unit tanh
    // RNN plateaus near MSE 0.17, far above the 0.05 threshold, after 300 epochs.
    position_scale: { type: 'number', exclusiveMinimum: 0, default: 0.2, description: 'Start-position input and target positions are coordinates times this (0.2: the box [-5, 5] becomes [-1, 1]); speed stays in box units per step.' },
  }),
  outputs: taskOutputs,
  async run(ctx) {
    const { dims, T, position_scale } = ctx.params;
    const fill = pathTrial(dims, position_scale);
    return taskTables(ctx.params, { task: 'path-integration', n_in: pathInputs(dims), n_out: dims, ood_T: 2 * T, threshold: 0.05 }, fill, fill);
  },
});
